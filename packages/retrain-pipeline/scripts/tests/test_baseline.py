"""The drift baseline matches statistics the test computes with numpy from the train channel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import STOCKS_SCHEMA, run_preprocess


def test_numeric_and_categorical_statistics_of_the_training_split(stocks_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(stocks_snapshot, tmp_path, STOCKS_SCHEMA, "autogluon", "regression", "--baseline-bins", "10")
    assert run.returncode == 0, run.stderr
    baseline = json.loads(run.baseline.read_text())
    train = pd.read_csv(run.training / "train" / "train.csv")
    assert baseline["rowCount"] == len(train)
    assert set(baseline["features"]) == {"ticker_symbol", "sector", "change"}  # the target is no request feature

    change = train["change"].to_numpy(dtype=float)
    edges = np.unique(np.quantile(change, np.linspace(0, 1, 11)))
    counts, _ = np.histogram(change, bins=edges)
    stats = baseline["features"]["change"]
    assert stats["kind"] == "numeric"
    assert stats["binEdges"] == pytest.approx(edges.tolist())
    assert stats["binShares"] == pytest.approx((counts / change.size).tolist())
    assert sum(stats["binShares"]) == pytest.approx(1.0)
    assert stats["mean"] == pytest.approx(change.mean())
    assert stats["std"] == pytest.approx(change.std())
    assert (stats["min"], stats["max"]) == (change.min(), change.max())
    assert stats["nullShare"] == 0.0

    sector = baseline["features"]["sector"]
    shares = train["sector"].value_counts(normalize=True)
    assert sector["kind"] == "categorical"
    assert sector["categories"] == pytest.approx({key: shares[key] for key in shares.index})


def test_null_share_and_constant_column(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 400
    reading = rng.normal(10, 2, n).round(3).astype(object)
    reading[rng.choice(n, 60, replace=False)] = ""  # nulls in a nullable column
    frame = pd.DataFrame({"site": rng.choice(["x", "y"], n), "reading": reading, "constant": 5.0, "label": rng.normal(size=n).round(3)})
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    frame.to_csv(snapshot / "0000_part_00", index=False)
    schema = {
        "name": "sensors",
        "columns": [
            {"name": "site", "type": "string", "nullable": False},
            {"name": "reading", "type": "double", "nullable": True},
            {"name": "constant", "type": "double", "nullable": False},
            {"name": "label", "type": "double", "nullable": False},
        ],
        "targetColumn": "label",
    }
    run = run_preprocess(snapshot, tmp_path / "out", schema, "autogluon", "regression")
    assert run.returncode == 0, run.stderr
    train = pd.read_csv(run.training / "train" / "train.csv")
    stats = json.loads(run.baseline.read_text())["features"]
    readings = train["reading"]
    assert stats["reading"]["nullShare"] == pytest.approx(readings.isna().mean())
    assert stats["reading"]["count"] == int(readings.notna().sum())
    present = readings.dropna().to_numpy()
    assert stats["reading"]["binEdges"] == pytest.approx(np.unique(np.quantile(present, np.linspace(0, 1, 11))).tolist())
    assert stats["constant"]["binEdges"] == [5.0, 5.0]
    assert stats["constant"]["binShares"] == [1.0]
