"""A synthetic dataset shaped like issue 20's: 300 machine ids (uneven shares) and numeric sensor features.

The baseline comes from RetrainPipeline's real preprocess.py on a 20,000-row snapshot drawn
from :class:`Machines`; windows are fresh draws from the same generator (unchanged traffic) or
draws with one change, encoded by the proxy's real codec (fixtures/encode-capture.ts).
"""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stdout
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pandas as pd

from drift_fixtures import ENDPOINT, FRESHET_ML, WINDOW_END, WINDOW_START, encode_captures, run_script

MACHINES_SCHEMA = {
    "name": "machines",
    "columns": [
        {"name": "machine_id", "type": "string", "nullable": True},
        {"name": "temperature", "type": "double", "nullable": True},
        {"name": "vibration", "type": "double", "nullable": True},
        {"name": "load", "type": "int", "nullable": True},
        {"name": "failure_risk", "type": "double", "nullable": False},
    ],
    "targetColumn": "failure_risk",
}
FEATURES = ["machine_id", "temperature", "vibration", "load"]
MACHINE_COUNT = 300
TEMPERATURE_MEAN, TEMPERATURE_SD = 70.0, 8.0
START = datetime(2026, 12, 1, tzinfo=timezone.utc)


class Machines:
    """The population: machine ids with Dirichlet shares (some ids 10x rarer than others), sensors per row."""

    def __init__(self, seed: int = 20) -> None:
        rng = np.random.default_rng(seed)
        self.ids = [f"machine-{i:03d}" for i in range(MACHINE_COUNT)]
        self.shares = rng.dirichlet(np.full(MACHINE_COUNT, 3.0))

    def draw(self, rows: int, rng: np.random.Generator, temperature_shift_sd: float = 0.0) -> pd.DataFrame:
        machine = rng.choice(MACHINE_COUNT, size=rows, p=self.shares)
        temperature = rng.normal(TEMPERATURE_MEAN + temperature_shift_sd * TEMPERATURE_SD, TEMPERATURE_SD, rows).round(2)
        vibration = rng.lognormal(0.0, 0.5, rows).round(3)
        load = rng.integers(0, 101, rows)
        risk = (0.01 * (temperature - 60) + 0.2 * vibration + 0.002 * load + rng.normal(0, 0.05, rows)).round(4)
        return pd.DataFrame({"machine_id": [self.ids[m] for m in machine], "temperature": temperature, "vibration": vibration, "load": load, "failure_risk": risk})


def build_baseline(root: Path, population: Machines, rows: int = 20_000) -> Path:
    snapshot = root / "snapshot"
    snapshot.mkdir(parents=True)
    population.draw(rows, np.random.default_rng(1)).to_csv(snapshot / "0000_part_00", index=False)
    run_script(
        FRESHET_ML / "preprocess.py", "--schema", json.dumps(MACHINES_SCHEMA), "--algorithm", "xgboost", "--task-type", "regression",
        "--input-dir", str(snapshot), "--output-dir", str(root / "training"), "--baseline-dir", str(root / "baseline"),
        "--rejected-dir", str(root / "rejected"), "--failure-file", str(root / "message"),
    )  # fmt: skip
    return root / "baseline"


def events(name: str, frame: pd.DataFrame) -> List[Dict[str, Any]]:
    """One record per request, spread over the window's day; the answer is a fixed stand-in score."""
    records = frame[FEATURES].astype(object).where(frame[FEATURES].notna(), None).to_dict("records")
    count = len(records)
    out = []
    for index, record in enumerate(records):
        if isinstance(record.get("load"), (np.integer,)):
            record["load"] = int(record["load"])
        time = (START + timedelta(seconds=int(index * 86_400 / count))).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append({"inferenceId": f"{name}-{index}", "time": time, "records": [record], "predictions": [0.5]})
    return out


def spec(name: str, frame: pd.DataFrame, capture: Path, variant: str = "AllTraffic", predictions: Sequence[float] | None = None) -> Dict[str, Any]:
    evs = events(name, frame)
    if predictions is not None:
        for event, value in zip(evs, predictions):
            event["predictions"] = [value]
    return {"format": "xgboost-csv", "schema": MACHINES_SCHEMA, "outputDir": str(capture), "endpoint": ENDPOINT, "variant": variant, "base64": False, "events": evs}


def run_in_process(code: Path, capture: Path, baseline: Path, report: Path, *extra: str) -> Dict[str, Any]:
    """drift_job.main in this process (the job's code folder on the path): the many small windows of a test stay fast."""
    if str(code) not in sys.path:
        sys.path.insert(0, str(code))
    import drift_job  # noqa: PLC0415 - the job's own folder, put on the path above

    argv = [
        "--endpoint-name", ENDPOINT, "--window-start", WINDOW_START, "--window-end", WINDOW_END,
        "--schema", json.dumps(MACHINES_SCHEMA), "--algorithm", "xgboost",
        "--capture-dir", str(capture), "--baseline-dir", str(baseline), "--report-dir", str(report),
        "--failure-file", str(report.parent / "message"), *extra,
    ]  # fmt: skip
    with redirect_stdout(io.StringIO()):
        code_returned = drift_job.main(argv)
    assert code_returned == 0, (report.parent / "message").read_text() if (report.parent / "message").exists() else code_returned
    return json.loads((report / "report.json").read_text())


def metrics(report: Path) -> List[Dict[str, Any]]:
    return json.loads((report / "metrics.json").read_text())


def metric(report: Path, name: str, **dimensions: str) -> float:
    found = [m["Value"] for m in metrics(report) if m["MetricName"] == name and all({"Name": k, "Value": v} in m["Dimensions"] for k, v in dimensions.items())]
    assert len(found) == 1, f"{name} {dimensions}: {len(found)} datum(s)"
    return found[0]


__all__ = ["Machines", "build_baseline", "spec", "encode_captures", "run_in_process", "metric", "MACHINES_SCHEMA"]
