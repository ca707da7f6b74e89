"""The drift job on stocks windows the proxy's codec encoded (AutoGluon CSV with a header; XGBoost CSV, base64)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from by_hand import categorical_psi, numeric_psi
from conftest import World
from drift_fixtures import ENDPOINT, STOCKS_SCHEMA, run_drift

THRESHOLD = 0.2


def drift(stocks: World, job_code: Path, tmp_path: Path, window: str, algorithm: str = "autogluon", *extra: str):
    run = run_drift(job_code, tmp_path, stocks.window(window).capture, stocks.baseline, STOCKS_SCHEMA, algorithm, "--prediction-baseline-dir", str(stocks.evaluation), *extra)
    assert run.returncode == 0, run.stderr
    return run


def baseline_features(stocks: World) -> dict:
    return json.loads((stocks.baseline / "baseline.json").read_text())["features"]


def expected_psi(stocks: World, window: str) -> dict:
    rows = stocks.window(window).rows
    features = baseline_features(stocks)
    return {
        "ticker_symbol": categorical_psi(features["ticker_symbol"], rows["ticker_symbol"]),
        "sector": categorical_psi(features["sector"], rows["sector"]),
        "change": numeric_psi(features["change"], rows["change"]),
    }


def test_an_in_distribution_window_stays_under_the_threshold_on_every_feature(stocks: World, job_code: Path, tmp_path: Path) -> None:
    run = drift(stocks, job_code, tmp_path, "in-distribution")
    expected = expected_psi(stocks, "in-distribution")
    assert run.report["status"] == "ok"
    assert run.metric("SampleSize", Endpoint=ENDPOINT) == 3000
    assert run.metric("CorruptRecords", Endpoint=ENDPOINT) == 0
    for feature, value in expected.items():
        assert run.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature) == pytest.approx(value, abs=1e-9)
        assert value < THRESHOLD
        assert run.metric("NullShare", Endpoint=ENDPOINT, Feature=feature) == 0.0
        assert run.metric("InvalidShare", Endpoint=ENDPOINT, Feature=feature) == 0.0
    # The alarm's datum: the worst PSI among features beyond the noise floor of the window's size (0 when none is).
    features = run.report["features"]
    significant = [v for f, v in expected.items() if v > features[f]["noiseFloor"]]
    assert run.metric("MaxFeatureDrift", Endpoint=ENDPOINT) == pytest.approx(max(significant, default=0.0), abs=1e-9)
    assert run.metric("FeaturesOverThreshold", Endpoint=ENDPOINT) == 0
    # Prediction drift: the endpoint's answers against evaluate's record of the outputs on the test channel.
    prediction_stats = json.loads((stocks.evaluation / "prediction-baseline.json").read_text())["prediction"]
    answers = [p for event in stocks.window("in-distribution").events for p in event["predictions"]]
    by_hand = numeric_psi(prediction_stats, answers)
    assert run.report["prediction"]["psi"] == pytest.approx(by_hand, abs=1e-9)
    assert by_hand < THRESHOLD
    assert run.metric("PredictionDrift", Endpoint=ENDPOINT) == pytest.approx(by_hand if by_hand > run.report["prediction"]["noiseFloor"] else 0.0, abs=1e-9)


def test_a_shifted_window_goes_over_on_change_and_sector_only(stocks: World, job_code: Path, tmp_path: Path) -> None:
    run = drift(stocks, job_code, tmp_path, "shifted")
    expected = expected_psi(stocks, "shifted")
    for feature, value in expected.items():
        assert run.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature) == pytest.approx(value, abs=1e-9)
    assert expected["change"] > THRESHOLD and expected["sector"] > THRESHOLD
    assert expected["ticker_symbol"] < THRESHOLD  # every row kept its ticker
    assert run.report["driftedFeatures"] == ["sector", "change"]
    assert run.report["status"] == "drift"
    assert run.metric("FeaturesOverThreshold", Endpoint=ENDPOINT) == 2
    assert run.metric("MaxFeatureDrift", Endpoint=ENDPOINT) == pytest.approx(max(expected.values()), abs=1e-9)


def test_an_xgboost_endpoint_capturing_base64_decodes_to_the_same_window(stocks: World, job_code: Path, tmp_path: Path) -> None:
    csv_run = drift(stocks, job_code, tmp_path / "csv", "in-distribution")
    base64_run = drift(stocks, job_code, tmp_path / "b64", "xgboost-base64", "xgboost")
    line = next(stocks.window("xgboost-base64").capture.rglob("*.jsonl")).read_text().splitlines()[0]
    assert json.loads(line)["captureData"]["endpointInput"]["encoding"] == "BASE64"
    for feature in ("ticker_symbol", "sector", "change"):
        assert base64_run.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature) == csv_run.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature)
    assert base64_run.metric("PredictionDrift", Endpoint=ENDPOINT) == csv_run.metric("PredictionDrift", Endpoint=ENDPOINT)
    assert base64_run.report["sampleSize"] == 3000


def test_per_feature_thresholds_decide_which_features_drifted(stocks: World, job_code: Path, tmp_path: Path) -> None:
    change = expected_psi(stocks, "shifted")["change"]
    run = drift(stocks, job_code, tmp_path, "shifted", "autogluon", "--feature-thresholds", json.dumps({"change": change + 0.1}))
    assert run.report["driftedFeatures"] == ["sector"]
    assert run.report["features"]["change"]["threshold"] == pytest.approx(change + 0.1)
    assert run.report["features"]["sector"]["threshold"] == pytest.approx(0.2)
    wrong = run_drift(job_code, tmp_path / "wrong", stocks.window("shifted").capture, stocks.baseline, STOCKS_SCHEMA, "autogluon", "--feature-thresholds", '{"price": 0.3}')
    assert wrong.returncode == 1
    assert "--feature-thresholds names price, not features of the baseline" in (tmp_path / "wrong" / "message").read_text()


def test_too_small_a_window_reports_not_enough_data_and_no_alarmable_metric(stocks: World, job_code: Path, tmp_path: Path) -> None:
    run = drift(stocks, job_code, tmp_path, "small", "autogluon", "--min-samples", "100")
    assert run.report["status"] == "not enough data"
    assert run.names() == ["CorruptRecords", "SampleSize"]
    assert run.metric("SampleSize", Endpoint=ENDPOINT) == 60
    assert "fewer than --min-samples 100" in run.report["message"]
    enough = drift(stocks, job_code, tmp_path / "lower", "small", "autogluon", "--min-samples", "50")
    assert enough.report["status"] in ("ok", "drift")
    assert "FeatureDrift" in enough.names()


CORRUPT_LINES = [
    "this is not JSON",
    '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "@@@", "encoding": "BASE64"}}, "eventMetadata": {"eventId": "e1", "inferenceTime": "2026-12-01T03:00:00Z"}}',
    '{"eventMetadata": {"eventId": "e2", "inferenceTime": "2026-12-01T03:00:00Z"}}',
    '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "a,b,c\\n1,2,3\\n", "encoding": "CSV"}}, "eventMetadata": {"eventId": "e3", "inferenceTime": "2026-12-01T03:00:00Z"}}',
    '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "ticker_symbol,sector,change\\nAAA,ENERGY,1.0\\n", "encoding": "CSV"}}, "eventMetadata": {"eventId": "e4"}}',
]
# valid lines: one row with a field missing (invalid for every feature), one request from before the window
INVALID_ROW = '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "ticker_symbol,sector,change\\nAAA,ENERGY\\n", "encoding": "CSV"}}, "eventMetadata": {"eventId": "e5", "inferenceTime": "2026-12-01T04:00:00Z"}}'
EARLY = '{"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "ticker_symbol,sector,change\\nAAA,ENERGY,1.0\\n", "encoding": "CSV"}}, "eventMetadata": {"eventId": "e6", "inferenceTime": "2026-11-30T23:59:59Z"}}'


def test_corrupt_capture_lines_are_counted_and_reported_never_fatal(stocks: World, job_code: Path, tmp_path: Path) -> None:
    capture = tmp_path / "capture"
    shutil.copytree(stocks.window("in-distribution").capture, capture)
    victim = sorted(capture.rglob("*.jsonl"))[3]
    good = victim.read_text()
    truncated = good.splitlines()[0][:70]
    victim.write_text(good + "\n".join([*CORRUPT_LINES, truncated, INVALID_ROW, EARLY]) + "\n")
    run = run_drift(job_code, tmp_path, capture, stocks.baseline, STOCKS_SCHEMA, "autogluon")
    assert run.returncode == 0, run.stderr
    clean = drift(stocks, job_code, tmp_path / "clean", "in-distribution")
    report = run.report
    assert report["corruptRecords"] == len(CORRUPT_LINES) + 1
    assert run.metric("CorruptRecords", Endpoint=ENDPOINT) == len(CORRUPT_LINES) + 1
    assert report["invalidRows"] == 1 and report["outsideWindow"] == 1
    assert report["sampleSize"] == 3001
    for feature in ("ticker_symbol", "sector", "change"):
        assert run.metric("InvalidShare", Endpoint=ENDPOINT, Feature=feature) == pytest.approx(1 / 3001)
        assert run.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature) == pytest.approx(clean.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature), abs=1e-12)
    problems = " | ".join(report["problems"])
    for reason in ("not valid JSON", "not base64", "no captureData", "is not the request columns", "inferenceTime is missing"):
        assert reason in problems


def test_the_page_has_one_inline_chart_per_feature_and_no_external_assets(stocks: World, job_code: Path, tmp_path: Path) -> None:
    run = drift(stocks, job_code, tmp_path, "shifted")
    page = (run.report_dir / "report.html").read_text()
    assert page.count("<svg") == 4  # three features and the prediction
    assert not re.search(r"<script|<link|\bsrc=|href=|url\(", page)
    for feature in ("ticker_symbol", "sector", "change"):
        assert f"{feature}: PSI {run.report['features'][feature]['psi']:.4f}" in page
    assert "class=over" in page


def test_a_missing_baseline_fails_with_what_to_map(stocks: World, job_code: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run = run_drift(job_code, tmp_path, stocks.window("small").capture, tmp_path / "empty", STOCKS_SCHEMA, "autogluon")
    assert run.returncode == 1
    assert "no baseline.json" in (tmp_path / "message").read_text()
    assert "freshet:baseline-uri" in run.stderr
