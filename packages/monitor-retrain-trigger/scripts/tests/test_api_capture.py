"""Capture at the API (issue 21): the drift job reads what the BUILT predict proxy writes exactly as
it reads SageMaker's own capture of the same requests, and reports the same."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from conftest import World
from drift_fixtures import ENDPOINT, STOCKS_SCHEMA, repo_root, run_drift

SCRIPT = Path(__file__).resolve().parent / "fixtures" / "capture-through-proxy.js"


def bundle() -> Path:
    return repo_root() / "packages" / "model-endpoint" / "assets" / "handlers" / "predict-proxy.lambda" / "index.js"


@pytest.fixture(scope="module")
def captured(stocks: World, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    """The in-distribution window's requests sent through the built proxy: its capture and SageMaker's."""
    root = tmp_path_factory.mktemp("api-capture")
    events = [{k: v for k, v in e.items() if k in ("inferenceId", "time", "records", "predictions")} for e in stocks.window("in-distribution").events]
    spec = {
        "bundle": str(bundle()),
        "format": "autogluon-csv",
        "schema": STOCKS_SCHEMA,
        "endpoint": ENDPOINT,
        "proxyDir": str(root / "proxy"),
        "sageMakerDir": str(root / "sagemaker"),
        "events": events,
    }
    (root / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run(["node", str(SCRIPT), str(root / "spec.json")], capture_output=True, text=True, timeout=300, cwd=str(SCRIPT.parent))
    assert done.returncode == 0, done.stderr
    return {"root": root, "summary": json.loads(done.stdout.strip().splitlines()[-1]), "events": events}


def test_the_proxy_writes_one_sagemaker_capture_line_per_request_in_sagemakers_layout(captured: Dict[str, Any]) -> None:
    proxy = captured["root"] / "proxy" / ENDPOINT
    files = sorted(p.relative_to(proxy).as_posix() for p in proxy.rglob("*.jsonl"))
    # One folder per hour of the window, under the variant the endpoint answered with.
    assert files == [f"AllTraffic/2026/12/01/{hour:02d}/capture.jsonl" for hour in range(24)]
    lines = [json.loads(line) for p in proxy.rglob("*.jsonl") for line in p.read_text().splitlines()]
    assert len(lines) == len(captured["events"]) == captured["summary"]["events"]
    first = min(lines, key=lambda r: r["eventMetadata"]["inferenceTime"])
    assert set(first) == {"captureData", "eventMetadata", "eventVersion", "invokedProductionVariant"}
    assert first["captureData"]["endpointInput"]["encoding"] == "CSV"
    assert first["captureData"]["endpointInput"]["data"].startswith("ticker_symbol,sector,change\n")
    assert {line["eventMetadata"]["inferenceId"] for line in lines} == {e["inferenceId"] for e in captured["events"]}


def test_the_drift_job_reports_the_same_from_the_proxys_capture_as_from_sagemakers(stocks: World, job_code: Path, tmp_path: Path, captured: Dict[str, Any]) -> None:
    runs = {}
    for source in ("proxy", "sagemaker"):
        run = run_drift(
            job_code, tmp_path / source, captured["root"] / source / ENDPOINT, stocks.baseline, STOCKS_SCHEMA, "autogluon",
            "--prediction-baseline-dir", str(stocks.evaluation),
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        runs[source] = run
    proxy, sagemaker = runs["proxy"], runs["sagemaker"]
    assert proxy.report["status"] == "ok"
    assert proxy.metric("SampleSize", Endpoint=ENDPOINT) == 3000
    assert proxy.metric("CorruptRecords", Endpoint=ENDPOINT) == 0
    # Everything but the job's own run time.
    timing = {"elapsedSeconds"}
    assert {k: v for k, v in proxy.report.items() if k not in timing} == {k: v for k, v in sagemaker.report.items() if k not in timing}
    assert proxy.metrics == sagemaker.metrics
    assert "features" in proxy.report and "prediction" in proxy.report
