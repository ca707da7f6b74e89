"""End to end on the full stocks sample: preprocess -> real XGBoost training -> predictions -> evaluate.

Proves the channel contract (XGBoost reads the train channel as written: label first,
no header) and the evaluation contract (evaluate scores a Batch-Transform-shaped
predictions file and writes the gate's document), and that the model learned
something: it must beat predicting the training mean.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import POLLUTION_SCHEMA, STOCKS_SCHEMA, run_evaluate, run_preprocess

EVALUATION_KEYS = {
    "formatVersion", "dataset", "taskType", "algorithm", "primaryMetricName", "primaryMetricValue", "higherIsBetter", "rowCount",
    "rmse", "mae", "r2",
}  # fmt: skip


def test_xgboost_on_the_train_channel_beats_the_mean_baseline(shared_data: Path, tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "0000_part_00").symlink_to(shared_data / "stocks_all.csv")
    prep = run_preprocess(snapshot, tmp_path / "prep", STOCKS_SCHEMA, "xgboost", "regression", "--features", '{"categorical": {"sector": "one_hot"}}')
    assert prep.returncode == 0, prep.stderr
    assert prep.summary["validRows"] == 153_580

    train = pd.read_csv(prep.training / "train" / "train.csv", header=None)
    validation = pd.read_csv(prep.training / "validation" / "validation.csv", header=None)
    test = pd.read_csv(prep.training / "test" / "test.csv", header=None)
    model = xgboost.XGBRegressor(n_estimators=60, max_depth=6, learning_rate=0.3, tree_method="hist", n_jobs=2, random_state=0)
    model.fit(train.iloc[:, 1:].to_numpy(), train.iloc[:, 0], eval_set=[(validation.iloc[:, 1:].to_numpy(), validation.iloc[:, 0])], verbose=False)

    # transform-input/ holds the test rows as the prediction API sends them (raw, every non-target column in schema
    # order), one per test line; the model's inference code encodes them (test_serving_contract.py). Here the
    # predictions of the encoded test rows stand in for what a Batch Transform writes as test.csv.out.
    transform_input = pd.read_csv(prep.training / "transform-input" / "test.csv", header=None)
    assert transform_input.shape == (len(test), len(STOCKS_SCHEMA["columns"]) - 1)
    assert transform_input.iloc[:, 2].tolist() == pytest.approx(test.iloc[:, -1].tolist())  # change: raw and encoded agree
    predictions = model.predict(test.iloc[:, 1:].to_numpy())
    (tmp_path / "predictions").mkdir()
    (tmp_path / "predictions" / "test.csv.out").write_text("".join(f"{value!r}\n" for value in predictions.astype(float).tolist()))

    run = run_evaluate(prep.training / "test", tmp_path / "predictions", tmp_path / "eval", STOCKS_SCHEMA, "xgboost", "regression")
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "eval" / "evaluation" / "evaluation.json").read_text())
    assert set(document) == EVALUATION_KEYS
    assert all(not isinstance(value, (dict, list)) for value in document.values())  # flat, for the gate's JSONPath
    assert (document["primaryMetricName"], document["higherIsBetter"], document["rowCount"]) == ("rmse", False, len(test))

    actual = test.iloc[:, 0].to_numpy()
    model_rmse = float(np.sqrt(np.mean((actual - predictions.astype(float)) ** 2)))
    mean_rmse = float(np.sqrt(np.mean((actual - train.iloc[:, 0].mean()) ** 2)))
    assert document["primaryMetricValue"] == document["rmse"]
    assert abs(document["rmse"] - model_rmse) < 1e-9 * max(1.0, model_rmse)
    assert document["rmse"] < mean_rmse
    print(f"\nsmoke: train={len(train)} validation={len(validation)} test={len(test)} rmse={model_rmse:.4f} mean-baseline rmse={mean_rmse:.4f} r2={document['r2']:.4f}")


def test_deepar_contract_end_to_end_with_a_seasonal_naive_forecaster(pollution_snapshot: Path, tmp_path: Path) -> None:
    """DeepAR itself cannot run here: a seasonal-naive model stands in, reading transform-input/ as the Batch
    Transform would and answering in DeepAR's output shape; evaluate must score the last 24 points of each test series."""
    horizon = 24
    prep = run_preprocess(
        pollution_snapshot, tmp_path / "prep", POLLUTION_SCHEMA, "deepar", "forecasting",
        "--series-id-column", "device_id", "--prediction-length", str(horizon),
    )  # fmt: skip
    assert prep.returncode == 0, prep.stderr
    lines = []
    for line in (prep.training / "transform-input" / "test.json").read_text().splitlines():
        history = json.loads(line)["target"]
        last_day = np.array(history[-horizon:], dtype=float)  # tomorrow looks like today
        lines.append(json.dumps({"mean": last_day.tolist(), "quantiles": {"0.1": (last_day * 0.8).tolist(), "0.5": last_day.tolist(), "0.9": (last_day * 1.2).tolist()}}))
    (tmp_path / "predictions").mkdir()
    (tmp_path / "predictions" / "test.json.out").write_text("\n".join(lines) + "\n")

    run = run_evaluate(prep.training / "test", tmp_path / "predictions", tmp_path / "eval", POLLUTION_SCHEMA, "deepar", "forecasting")
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "eval" / "evaluation" / "evaluation.json").read_text())

    tests = [json.loads(line)["target"] for line in (prep.training / "test" / "test.json").read_text().splitlines()]
    actual = np.concatenate([np.array(t[-horizon:], dtype=float) for t in tests])
    history = np.concatenate([np.array(t[-2 * horizon : -horizon], dtype=float) for t in tests])
    expected = {}
    for q, factor in ((0.1, 0.8), (0.5, 1.0), (0.9, 1.2)):
        forecast = history * factor
        loss = np.where(actual >= forecast, q * (actual - forecast), (1 - q) * (forecast - actual))
        expected[q] = 2 * loss.sum() / np.abs(actual).sum()
    assert document["rowCount"] == 3 * horizon and document["seriesCount"] == 3
    assert document["wql"] == pytest.approx(np.mean(list(expected.values())))
    assert document["mape"] == pytest.approx(np.mean(np.abs(actual - history) / np.abs(actual)))
    print(f"\nseasonal naive on pollution: wQL={document['wql']:.4f} MAPE={document['mape']:.4f}")
