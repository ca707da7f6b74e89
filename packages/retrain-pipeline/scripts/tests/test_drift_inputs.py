"""What the drift job reads from a training run: the bins, DeepAR's request baseline and the prediction baseline."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import POLLUTION_SCHEMA, STOCKS_SCHEMA, run_evaluate, run_preprocess
from freshet_ml.baseline import bin_counts, bin_indexes


def test_bins_count_like_numpy_histogram_inside_the_edges_and_open_outside() -> None:
    rng = np.random.default_rng(4)
    edges = np.unique(np.quantile(rng.normal(size=500), np.linspace(0, 1, 11))).tolist()
    inside = rng.uniform(edges[0], edges[-1], 2000)
    inside[:3] = [edges[0], edges[-1], edges[4]]  # both ends and an interior edge
    assert bin_counts(edges, inside).tolist() == np.histogram(inside, bins=edges)[0].tolist()
    outside = np.asarray([edges[0] - 5.0, edges[-1] + 5.0, -np.inf, np.inf])
    assert bin_indexes(edges, outside).tolist() == [0, len(edges) - 2, 0, len(edges) - 2]
    assert bin_counts([3.0, 3.0], np.asarray([1.0, 3.0, 9.0])).tolist() == [3]  # a constant column: one bin


def test_deepar_baseline_describes_what_a_request_carries(pollution_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(
        pollution_snapshot, tmp_path, POLLUTION_SCHEMA, "deepar", "forecasting",
        "--series-id-column", "device_id", "--freq", "H", "--prediction-length", "24",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    baseline = json.loads(run.baseline.read_text())
    assert set(baseline["features"]) == {"device_id", "ozone"}
    series = [json.loads(line) for line in (run.training / "train" / "train.json").read_text().splitlines()]
    ids = json.loads((run.training / "series.json").read_text())["series"]
    assert baseline["request"] == {"payloadFormat": "deepar-json", "seriesColumn": "device_id", "targetColumn": "ozone", "series": [s["id"] for s in ids], "freq": "H"}
    ozone = np.asarray([v for s in series for v in s["target"] if v != "NaN"], dtype=float)
    stats = baseline["features"]["ozone"]
    edges = np.unique(np.quantile(ozone, np.linspace(0, 1, 11)))
    assert stats["binEdges"] == pytest.approx(edges.tolist())
    assert stats["binShares"] == pytest.approx((np.histogram(ozone, bins=edges)[0] / ozone.size).tolist())
    points = {s["id"]: sum(v != "NaN" for v in line["target"]) for s, line in zip(ids, series)}
    assert baseline["features"]["device_id"]["categories"] == pytest.approx({k: v / sum(points.values()) for k, v in points.items()})


def test_evaluate_records_the_prediction_baseline_of_the_test_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(50, 10, 400).round(2)
    p = (y + rng.normal(0, 3, 400)).round(3)
    (tmp_path / "test").mkdir()
    (tmp_path / "predictions").mkdir()
    (tmp_path / "test" / "test.csv").write_text("".join(f"{v!r},1.0\n" for v in y.tolist()))
    (tmp_path / "predictions" / "test.csv.out").write_text("".join(f"{v!r}\n" for v in p.tolist()))
    schema = {"name": "toy", "columns": [{"name": "y", "type": "double"}, {"name": "x", "type": "double"}], "targetColumn": "y"}
    run = run_evaluate(tmp_path / "test", tmp_path / "predictions", tmp_path, schema, "xgboost", "regression", "--prediction-baseline-dir", str(tmp_path / "pb"))
    assert run.returncode == 0, run.stderr
    document = json.loads((tmp_path / "pb" / "prediction-baseline.json").read_text())
    assert (document["taskType"], document["rowCount"], document["output"]) == ("regression", 400, "the predicted value")
    edges = np.unique(np.quantile(p, np.linspace(0, 1, 11)))
    assert document["prediction"]["binEdges"] == pytest.approx(edges.tolist())
    assert document["prediction"]["binShares"] == pytest.approx((np.histogram(p, bins=edges)[0] / p.size).tolist())
    assert not (tmp_path / "evaluation" / "prediction-baseline.json").exists()


def test_the_prediction_baseline_of_a_binary_model_is_its_class_1_score_and_of_multiclass_the_class(tmp_path: Path) -> None:
    labels = np.asarray([0, 1, 1, 0, 1, 0, 1, 1])
    scores = np.asarray([0.1, 0.8, 0.7, 0.3, 0.9, 0.2, 0.6, 0.95])
    for task, lines, check in (
        ("binary_classification", [f"{1 - s:.2f},{s:.2f}" for s in scores], lambda d: d["prediction"]["max"] == pytest.approx(0.95)),
        ("multiclass_classification", [f"{1 - s:.2f},{s:.2f},0.0" for s in scores], lambda d: d["prediction"]["categories"] == {"0": 0.375, "1": 0.625}),
    ):
        root = tmp_path / task
        (root / "test").mkdir(parents=True)
        (root / "predictions").mkdir()
        (root / "test" / "test.csv").write_text("".join(f"{v},1.0\n" for v in labels))
        (root / "predictions" / "test.csv.out").write_text("\n".join(lines) + "\n")
        schema = {"name": "toy", "columns": [{"name": "y", "type": "int"}, {"name": "x", "type": "double"}], "targetColumn": "y"}
        run = run_evaluate(root / "test", root / "predictions", root, schema, "xgboost", task)
        assert run.returncode == 0, run.stderr
        assert check(json.loads((root / "evaluation" / "prediction-baseline.json").read_text()))


def test_stocks_baseline_is_unchanged_by_the_shared_binning(stocks_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(stocks_snapshot, tmp_path, STOCKS_SCHEMA, "xgboost", "regression")
    assert run.returncode == 0, run.stderr
    stats = json.loads(run.baseline.read_text())["features"]["change"]
    train = pd.read_csv(run.training / "train" / "train.csv", header=None)
    encoding = json.loads((run.training / "encoding.json").read_text())
    change = train.iloc[:, 1 + [f["name"] for f in encoding["features"]].index("change")].to_numpy(dtype=float)
    counts, _ = np.histogram(change, bins=np.asarray(stats["binEdges"]))
    assert stats["binShares"] == pytest.approx((counts / change.size).tolist())
    assert "request" not in json.loads(run.baseline.read_text())
