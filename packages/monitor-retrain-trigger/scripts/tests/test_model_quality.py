"""Model quality: ground truth joined by inference id gives evaluate.py's metric on the same pairs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import World
from drift_fixtures import ENDPOINT, FRESHET_ML, POLLUTION_SCHEMA, STOCKS_SCHEMA, run_drift, run_script


def write_ground_truth(folder: Path, lines: List[Dict[str, Any]]) -> Path:
    hour = folder / ENDPOINT / "2026" / "12" / "01" / "13"
    hour.mkdir(parents=True)
    (hour / "labels.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def truth(inference_id: str, data: str, encoding: str) -> Dict[str, Any]:
    return {"groundTruthData": {"data": data, "encoding": encoding}, "eventMetadata": {"eventId": inference_id}, "eventVersion": "0"}


def evaluate(tmp_path: Path, schema: dict, algorithm: str, task: str, test_name: str, test_text: str, predictions_text: str) -> dict:
    (tmp_path / "test").mkdir(parents=True)
    (tmp_path / "predictions").mkdir()
    (tmp_path / "test" / test_name).write_text(test_text)
    (tmp_path / "predictions" / f"{test_name}.out").write_text(predictions_text)
    run_script(
        FRESHET_ML / "evaluate.py", "--schema", json.dumps(schema), "--algorithm", algorithm, "--task-type", task,
        "--test-dir", str(tmp_path / "test"), "--predictions-dir", str(tmp_path / "predictions"),
        "--output-dir", str(tmp_path / "evaluation"), "--failure-file", str(tmp_path / "message"),
    )  # fmt: skip
    return json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())


def test_stocks_rmse_over_labels_joined_by_inference_id_equals_evaluate(stocks: World, job_code: Path, tmp_path: Path) -> None:
    events = stocks.window("in-distribution").events
    lines, pairs = [], []
    unmatched_labels = unmatched_predictions = 0
    for index, event in enumerate(events):
        if index % 5 == 0:  # no label (yet) for every fifth request
            unmatched_predictions += len(event["predictions"])
            continue
        labels = event["labels"]
        if index == 1:  # a label list that does not fit the request pairs with none of its records
            labels = [*labels, 1.0]
            unmatched_labels += len(labels)
            unmatched_predictions += len(event["predictions"])
        else:
            pairs.extend(zip(event["labels"], event["predictions"], event["records"]))
        text = "\n".join(repr(v) for v in labels)
        if index % 7 == 3:  # some clients send their labels base64-encoded
            lines.append(truth(event["inferenceId"], base64.b64encode(text.encode()).decode(), "BASE64"))
        else:
            lines.append(truth(event["inferenceId"], text, "CSV"))
    for index in range(5):  # labels of requests this window never saw
        lines.append(truth(f"elsewhere-{index}", "42.0", "CSV"))
        unmatched_labels += 1
    lines.append({"groundTruthData": {"data": "1"}, "eventMetadata": {}})  # no inference id: a corrupt label
    ground_truth = write_ground_truth(tmp_path / "ground-truth", lines)

    done = run_drift(
        job_code, tmp_path, stocks.window("in-distribution").capture, stocks.baseline, STOCKS_SCHEMA, "autogluon",
        "--prediction-baseline-dir", str(stocks.evaluation), "--ground-truth-dir", str(ground_truth), "--quality-threshold", "5",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    test_csv = "price,ticker_symbol,sector,change\n" + "".join(f"{y!r},{r['ticker_symbol']},{r['sector']},{r['change']!r}\n" for y, _, r in pairs)
    reference = evaluate(tmp_path / "evaluate", STOCKS_SCHEMA, "autogluon", "regression", "test.csv", test_csv, "".join(f"{p!r}\n" for _, p, _ in pairs))
    assert reference["primaryMetricName"] == "rmse"
    assert done.metric("ModelQuality", Endpoint=ENDPOINT, Metric="rmse") == pytest.approx(reference["primaryMetricValue"], rel=1e-9)
    assert done.metric("GroundTruthMatches", Endpoint=ENDPOINT) == len(pairs) == reference["rowCount"]
    assert done.metric("UnmatchedLabels", Endpoint=ENDPOINT) == unmatched_labels
    assert done.metric("UnmatchedPredictions", Endpoint=ENDPOINT) == unmatched_predictions
    quality = done.report["modelQuality"]
    assert quality["corruptLabels"] == 1
    assert quality["worseThanThreshold"] is (reference["primaryMetricValue"] > 5)
    assert quality["metrics"]["mae"] == pytest.approx(reference["mae"], rel=1e-9)


def test_too_few_matched_pairs_publish_counts_but_no_quality_metric(stocks: World, job_code: Path, tmp_path: Path) -> None:
    events = stocks.window("in-distribution").events[:4]
    # One label value throughout: R² is undefined (null in the report, never NaN).
    ground_truth = write_ground_truth(tmp_path / "ground-truth", [truth(e["inferenceId"], json.dumps([42.0] * len(e["labels"])), "JSON") for e in events])
    done = run_drift(
        job_code, tmp_path, stocks.window("in-distribution").capture, stocks.baseline, STOCKS_SCHEMA, "autogluon",
        "--prediction-baseline-dir", str(stocks.evaluation), "--ground-truth-dir", str(ground_truth), "--min-quality-matches", "30",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ModelQuality" not in done.names()
    assert done.metric("GroundTruthMatches", Endpoint=ENDPOINT) == sum(len(e["labels"]) for e in events) == 10
    assert done.report["modelQuality"]["computedValue"] is not None
    assert done.report["modelQuality"]["metrics"]["r2"] is None
    json.loads((done.report_dir / "report.json").read_text(), parse_constant=lambda name: pytest.fail(f"report.json holds {name}"))


def test_pollution_wql_over_joined_actuals_equals_evaluate(pollution: World, job_code: Path, tmp_path: Path) -> None:
    events = pollution.window("in-distribution").events
    ground_truth = write_ground_truth(tmp_path / "ground-truth", [truth(e["inferenceId"], json.dumps(e["actuals"]), "JSON") for e in events])
    done = run_drift(
        job_code, tmp_path, pollution.window("in-distribution").capture, pollution.baseline, POLLUTION_SCHEMA, "deepar",
        "--prediction-baseline-dir", str(pollution.evaluation), "--ground-truth-dir", str(ground_truth),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    test_json, forecasts = [], []
    for event in events:
        instance = event["body"]["instances"][0]
        test_json.append(json.dumps({"start": instance["start"], "target": instance["target"] + event["actuals"][0], "cat": instance["cat"]}))
        forecasts.append(json.dumps(event["predictions"][0]))
    reference = evaluate(tmp_path / "evaluate", POLLUTION_SCHEMA, "deepar", "forecasting", "test.json", "\n".join(test_json) + "\n", "\n".join(forecasts) + "\n")
    assert reference["primaryMetricName"] == "wql"
    assert done.metric("ModelQuality", Endpoint=ENDPOINT, Metric="wql") == pytest.approx(reference["primaryMetricValue"], rel=1e-9)
    assert done.metric("GroundTruthMatches", Endpoint=ENDPOINT) == len(events)
    assert done.metric("UnmatchedLabels", Endpoint=ENDPOINT) == 0
    assert done.metric("UnmatchedPredictions", Endpoint=ENDPOINT) == 0
