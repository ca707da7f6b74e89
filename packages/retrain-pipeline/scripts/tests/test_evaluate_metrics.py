"""evaluate.py: metrics per task type match values computed here (numpy formulas or sklearn.metrics)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import numpy as np
import pytest
from sklearn import metrics as skm

import evaluate
from conftest import STOCKS_SCHEMA

CONTRACT_KEYS = {"formatVersion", "dataset", "taskType", "algorithm", "primaryMetricName", "primaryMetricValue", "higherIsBetter", "rowCount"}
LABEL_SCHEMA = {"name": "toy", "columns": [{"name": "y", "type": "double", "nullable": False}, {"name": "x", "type": "double", "nullable": False}], "targetColumn": "y"}


def write_xgboost_test(tmp_path: Path, labels: np.ndarray, predictions: List[str]) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "predictions").mkdir()
    (tmp_path / "test" / "test.csv").write_text("".join(f"{label!r},1.0\n" for label in labels.tolist()))
    (tmp_path / "predictions" / "test.csv.out").write_text("".join(line + "\n" for line in predictions))


def evaluate_in(tmp_path: Path, task_type: str, algorithm: str = "xgboost", schema: dict = LABEL_SCHEMA, *extra: str) -> dict:
    code = evaluate.main([
        "--schema", json.dumps(schema), "--algorithm", algorithm, "--task-type", task_type,
        "--test-dir", str(tmp_path / "test"), "--predictions-dir", str(tmp_path / "predictions"),
        "--output-dir", str(tmp_path / "evaluation"), "--failure-file", str(tmp_path / "message"), *extra,
    ])  # fmt: skip
    assert code == 0, (tmp_path / "message").read_text()
    return json.loads((tmp_path / "evaluation" / "evaluation.json").read_text())


def test_regression_rmse_mae_r2(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    y = rng.normal(100, 20, 300).round(2)
    p = (y + rng.normal(0, 5, 300)).round(3)
    write_xgboost_test(tmp_path, y, [repr(v) for v in p.tolist()])
    doc = evaluate_in(tmp_path, "regression")
    assert doc["rmse"] == pytest.approx(np.sqrt(np.mean((y - p) ** 2)))
    assert doc["mae"] == pytest.approx(np.mean(np.abs(y - p)))
    assert doc["r2"] == pytest.approx(skm.r2_score(y, p))
    assert (doc["primaryMetricName"], doc["primaryMetricValue"], doc["higherIsBetter"]) == ("rmse", doc["rmse"], False)
    assert doc["rowCount"] == 300
    assert set(doc) == CONTRACT_KEYS | {"rmse", "mae", "r2"}


def test_binary_accuracy_f1_auc_with_tied_scores(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 400)
    score = np.clip(0.35 * y + rng.uniform(0, 0.65, 400), 0, 1).round(1)  # rounding makes ties
    write_xgboost_test(tmp_path, y.astype(float), [f"{s}" for s in score])
    doc = evaluate_in(tmp_path, "binary_classification")
    predicted = (score >= 0.5).astype(int)
    assert doc["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert doc["f1"] == pytest.approx(skm.f1_score(y, predicted))
    assert doc["auc"] == pytest.approx(skm.roc_auc_score(y, score))
    assert (doc["primaryMetricName"], doc["higherIsBetter"]) == ("auc", True)


def test_multiclass_accuracy_macro_f1_ovr_auc(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    logits = rng.normal(size=(300, 3)) + 1.5 * np.eye(3)[y]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    write_xgboost_test(tmp_path, y.astype(float), ["[" + ", ".join(f"{v:.6f}" for v in row) + "]" for row in probabilities])
    doc = evaluate_in(tmp_path, "multiclass_classification")
    rounded = np.round(probabilities, 6)
    predicted = rounded.argmax(axis=1)
    assert doc["accuracy"] == pytest.approx(skm.accuracy_score(y, predicted))
    assert doc["f1"] == pytest.approx(skm.f1_score(y, predicted, average="macro"))
    assert doc["auc"] == pytest.approx(skm.roc_auc_score(y, rounded, multi_class="ovr", average="macro"))
    assert (doc["primaryMetricName"], doc["higherIsBetter"]) == ("f1", True)


def test_autogluon_test_channel_reads_the_label_by_name(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "predictions").mkdir()
    y = [34.31, 99.47, 182.06, 107.09]
    p = [30.0, 100.0, 180.0, 110.0]
    rows = "".join(f"{v},AAA,X,0.5\n" for v in y)
    (tmp_path / "test" / "test.csv").write_text("price,ticker_symbol,sector,change\n" + rows)
    (tmp_path / "predictions" / "test.csv.out").write_text("\n".join(map(str, p)) + "\n")
    doc = evaluate_in(tmp_path, "regression", "autogluon", STOCKS_SCHEMA)
    assert doc["rmse"] == pytest.approx(np.sqrt(np.mean((np.array(y) - np.array(p)) ** 2)))


def wql(y: np.ndarray, forecast: np.ndarray, q: float) -> float:
    """AWS Forecast's weighted quantile loss, written out independently of freshet_ml.metrics."""
    loss = np.where(y >= forecast, q * (y - forecast), (1 - q) * (forecast - y))
    return 2 * loss.sum() / np.abs(y).sum()


def test_forecasting_wql_and_mape_on_a_hand_made_example(tmp_path: Path) -> None:
    (tmp_path / "test").mkdir()
    (tmp_path / "predictions").mkdir()
    # Two series; forecast horizon 3. Series b has a missing actual ("NaN") and a zero actual in its window.
    series = [
        {"start": "2026-08-01 00:00:00", "target": [1.0, 2.0, 10.0, 20.0, 30.0], "cat": [0]},
        {"start": "2026-08-01 00:00:00", "target": [5.0, 4.0, "NaN", 0.0, 8.0], "cat": [1]},
    ]
    forecasts = [
        {"mean": [12.0, 18.0, 33.0], "quantiles": {"0.1": [8.0, 15.0, 25.0], "0.5": [11.0, 19.0, 31.0], "0.9": [14.0, 24.0, 36.0]}},
        {"mean": [3.0, 1.0, 6.0], "quantiles": {"0.1": [1.0, 0.0, 4.0], "0.5": [3.0, 1.0, 7.0], "0.9": [5.0, 2.0, 9.0]}},
    ]
    (tmp_path / "test" / "test.json").write_text("".join(json.dumps(s) + "\n" for s in series))
    (tmp_path / "predictions" / "test.json.out").write_text("".join(json.dumps(f) + "\n" for f in forecasts))
    doc = evaluate_in(tmp_path, "forecasting", "deepar", LABEL_SCHEMA, "--quantiles", "0.1,0.5,0.9")

    # Scored points: a's 10, 20, 30 and b's 0, 8 (b's NaN is left out).
    y = np.array([10.0, 20.0, 30.0, 0.0, 8.0])
    quantiles = {0.1: [8.0, 15.0, 25.0, 0.0, 4.0], 0.5: [11.0, 19.0, 31.0, 1.0, 7.0], 0.9: [14.0, 24.0, 36.0, 2.0, 9.0]}
    # By hand for q = 0.5: |errors| = 1, 1, 1, 1, 1 -> 2 * 0.5 * 5 / 68.
    assert doc["wql_0.5"] == pytest.approx(2 * 0.5 * 5 / 68)
    for q, values in quantiles.items():
        assert doc[f"wql_{q:g}"] == pytest.approx(wql(y, np.array(values), q))
    assert doc["wql"] == pytest.approx(np.mean([wql(y, np.array(v), q) for q, v in quantiles.items()]))
    # MAPE on non-zero actuals: |10-12|/10, |20-18|/20, |30-33|/30, |8-6|/8.
    assert doc["mape"] == pytest.approx(np.mean([0.2, 0.1, 0.1, 0.25]))
    assert doc["mapeExcludedZeroActuals"] == 1
    assert doc["excludedMissingActuals"] == 1
    assert (doc["rowCount"], doc["seriesCount"]) == (5, 2)
    assert (doc["primaryMetricName"], doc["primaryMetricValue"], doc["higherIsBetter"]) == ("wql", doc["wql"], False)
