"""Shared fixtures: the sample data, the two dataset schemas, and runners for the two jobs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest

SCRIPTS = Path(__file__).resolve().parents[1]

STOCKS_SCHEMA = {
    "name": "stocks",
    "columns": [
        {"name": "ticker_symbol", "type": "string", "nullable": False},
        {"name": "sector", "type": "string", "nullable": False},
        {"name": "change", "type": "double", "nullable": False},
        {"name": "price", "type": "double", "nullable": False},
    ],
    "targetColumn": "price",
}

POLLUTION_SCHEMA = {
    "name": "pollution",
    "columns": [
        {"name": "device_id", "type": "string", "nullable": False},
        {"name": "ozone", "type": "double", "nullable": False},
        {"name": "particullate_matter", "type": "double", "nullable": True},
        {"name": "carbon_monoxide", "type": "double", "nullable": True},
        {"name": "sulfure_dioxide", "type": "double", "nullable": True},
        {"name": "nitrogen_dioxide", "type": "double", "nullable": True},
        {"name": "longitude", "type": "double", "nullable": True},
        {"name": "latitude", "type": "double", "nullable": True},
        {"name": "timestamp", "type": "timestamp", "nullable": False},
    ],
    "targetColumn": "ozone",
    "eventTimeColumn": "timestamp",
}


def repo_root() -> Path:
    """The folder holding ``.projenrc.ts``, found by walking up from this file."""
    for folder in Path(__file__).resolve().parents:
        if (folder / ".projenrc.ts").exists():
            return folder
    raise RuntimeError("no .projenrc.ts above the tests: run them inside the Freshet repository.")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` relative to the repo root (stocks_all.csv, pollution.jsonl)."""
    data = repo_root().parent / "shared" / "data"
    if not (data / "stocks_all.csv").exists() or not (data / "pollution.jsonl").exists():
        raise RuntimeError(f"sample data not found in {data}: the tests need ../shared/data next to the repo.")
    return data


@dataclass
class JobRun:
    """Where one job run wrote, and how it ended."""

    root: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def training(self) -> Path:
        return self.root / "training"

    @property
    def baseline(self) -> Path:
        return self.root / "baseline" / "baseline.json"

    @property
    def rejected(self) -> List[dict]:
        path = self.root / "rejected" / "rejected.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    @property
    def message(self) -> str:
        path = self.root / "message"
        return path.read_text() if path.exists() else ""

    @property
    def summary(self) -> dict:
        return json.loads((self.training / "summary.json").read_text())


def run_preprocess(input_dir: Path, root: Path, schema: Dict, algorithm: str, task_type: str, *extra: str) -> JobRun:
    """Run preprocess.py as SageMaker does (a python process), every path pointed into ``root``.

    pandas deprecation warnings are errors here, so a future pandas change shows up in tests, not in a pipeline run.
    """
    command = [
        sys.executable, "-B", "-W", "error::FutureWarning", str(SCRIPTS / "preprocess.py"),
        "--schema", json.dumps(schema), "--algorithm", algorithm, "--task-type", task_type,
        "--input-dir", str(input_dir), "--output-dir", str(root / "training"),
        "--baseline-dir", str(root / "baseline"), "--rejected-dir", str(root / "rejected"),
        "--failure-file", str(root / "message"), *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return JobRun(root, done.returncode, done.stdout, done.stderr)


def run_evaluate(test_dir: Path, predictions_dir: Path, root: Path, schema: Dict, algorithm: str, task_type: str, *extra: str) -> JobRun:
    """Run evaluate.py as a process; the document is ``root/evaluation/evaluation.json``."""
    command = [
        sys.executable, "-B", "-W", "error::FutureWarning", str(SCRIPTS / "evaluate.py"),
        "--schema", json.dumps(schema), "--algorithm", algorithm, "--task-type", task_type,
        "--test-dir", str(test_dir), "--predictions-dir", str(predictions_dir),
        "--output-dir", str(root / "evaluation"), "--failure-file", str(root / "message"), *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    return JobRun(root, done.returncode, done.stdout, done.stderr)


def write_unload_parts(source_csv: Path, folder: Path, rows: int, parts: int) -> Path:
    """The first ``rows`` data rows of a CSV as Redshift UNLOAD ... HEADER writes them: part files, each with the header."""
    folder.mkdir(parents=True, exist_ok=True)
    with source_csv.open() as handle:
        header = handle.readline()
        lines = [handle.readline() for _ in range(rows)]
    size = -(-rows // parts)
    for index in range(parts):
        chunk = lines[index * size : (index + 1) * size]
        (folder / f"0000_part_{index:02d}").write_text(header + "".join(chunk))
    return folder


@pytest.fixture(scope="session")
def stocks_snapshot(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 stocks rows in three UNLOAD part files (fast enough to run preprocess many times)."""
    return write_unload_parts(shared_data / "stocks_all.csv", tmp_path_factory.mktemp("stocks-snapshot"), 3000, 3)


@pytest.fixture(scope="session")
def pollution_snapshot(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pollution messages as a JSON-lines snapshot."""
    folder = tmp_path_factory.mktemp("pollution-snapshot")
    (folder / "pollution.jsonl").write_text((shared_data / "pollution.jsonl").read_text())
    return folder
