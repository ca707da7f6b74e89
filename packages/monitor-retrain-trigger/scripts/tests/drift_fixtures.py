"""Building blocks of the drift job tests: the schemas, the job's code folder, the proxy's encoder, job runners."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

SCRIPTS = Path(__file__).resolve().parents[1]
FRESHET_ML = SCRIPTS.parents[1] / "retrain-pipeline" / "scripts"
ENCODER = Path(__file__).resolve().parent / "fixtures" / "encode-capture.ts"

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

WINDOW_START = "2026-12-01T00:00:00Z"
WINDOW_END = "2026-12-02T00:00:00Z"
ENDPOINT = "stocks-endpoint"


def repo_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        if (folder / ".projenrc.ts").exists():
            return folder
    raise RuntimeError("no .projenrc.ts above the tests: run them inside the Freshet repository.")


def job_code_folder(target: Path) -> Path:
    """The processing job's code input as the construct ships it: drift_job.py, freshet_drift/ and freshet_ml/ side by side."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SCRIPTS / "drift_job.py", target / "drift_job.py")
    shutil.copytree(SCRIPTS / "freshet_drift", target / "freshet_drift", ignore=ignore)
    shutil.copytree(FRESHET_ML / "freshet_ml", target / "freshet_ml", ignore=ignore)
    return target


def encode_captures(specs: Sequence[Dict[str, Any]], work: Path) -> List[Dict[str, int]]:
    """Run the proxy's TypeScript codec (through ts-node) over every spec; one process for all of them."""
    work.mkdir(parents=True, exist_ok=True)
    spec_file = work / "specs.json"
    spec_file.write_text(json.dumps(list(specs)))
    ts_node = repo_root() / "node_modules" / ".bin" / "ts-node"
    if not ts_node.exists():
        raise RuntimeError(f"{ts_node} is missing: run `npm ci` (or `npx projen`) at the repo root first.")
    options = json.dumps({"module": "commonjs", "moduleResolution": "node", "ignoreDeprecations": "6.0", "target": "es2022"})
    done = subprocess.run(
        [str(ts_node), "--transpile-only", "--skip-project", "--compiler-options", options, str(ENCODER), str(spec_file)],
        capture_output=True, text=True, timeout=120, cwd=str(ENCODER.parent),
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the capture encoder failed:\n{done.stderr}")
    return json.loads(done.stdout)


@dataclass
class DriftRun:
    returncode: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def report(self) -> Dict[str, Any]:
        return json.loads((self.report_dir / "report.json").read_text())

    @property
    def metrics(self) -> List[Dict[str, Any]]:
        return json.loads((self.report_dir / "metrics.json").read_text())

    def metric(self, name: str, **dimensions: str) -> float:
        found = [m["Value"] for m in self.metrics if m["MetricName"] == name and all({"Name": k, "Value": v} in m["Dimensions"] for k, v in dimensions.items())]
        assert len(found) == 1, f"{name} {dimensions}: found {len(found)} datum(s) in {self.metrics}"
        return found[0]

    def names(self) -> List[str]:
        return sorted({m["MetricName"] for m in self.metrics})


def run_drift(code: Path, root: Path, capture: Path, baseline: Path, schema: Dict[str, Any], algorithm: str, *extra: str) -> DriftRun:
    """Run drift_job.py as SageMaker does: a python process in the job's code folder."""
    root.mkdir(parents=True, exist_ok=True)
    report = root / "report"
    command = [
        sys.executable, "-B", "-W", "error::FutureWarning", str(code / "drift_job.py"),
        "--endpoint-name", ENDPOINT, "--window-start", WINDOW_START, "--window-end", WINDOW_END,
        "--schema", json.dumps(schema), "--algorithm", algorithm,
        "--capture-dir", str(capture), "--baseline-dir", str(baseline), "--report-dir", str(report),
        "--failure-file", str(root / "message"), *extra,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=str(root))
    return DriftRun(done.returncode, done.stdout, done.stderr, report)


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-B", "-W", "error::FutureWarning", str(script), *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done
