"""preprocess.py on stocks and pollution: XGBoost and AutoGluon channels, split sizes, determinism, time order."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from pathlib import Path
from typing import Dict, List

import pandas as pd
import pytest

from conftest import POLLUTION_SCHEMA, STOCKS_SCHEMA, run_preprocess

CHANNELS = ("train", "validation", "test")


def read_rows(path: Path) -> List[List[str]]:
    with path.open(newline="") as handle:
        return list(csv.reader(handle))


def input_rows(snapshot: Path) -> pd.DataFrame:
    return pd.concat([pd.read_csv(path) for path in sorted(snapshot.iterdir())], ignore_index=True)


def test_xgboost_channels_are_label_first_headerless_and_numeric(stocks_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(stocks_snapshot, tmp_path, STOCKS_SCHEMA, "xgboost", "regression", "--features", '{"categorical": {"sector": "one_hot"}}')
    assert run.returncode == 0, run.stderr
    source = input_rows(stocks_snapshot)
    encoding = json.loads((run.training / "encoding.json").read_text())
    names = [feature["name"] for feature in encoding["features"]]
    sectors = sorted(source["sector"].unique())
    assert names == ["ticker_symbol", *[f"sector={s}" for s in sectors], "change"]

    decoded = []
    for channel in CHANNELS:
        rows = read_rows(run.training / channel / f"{channel}.csv")
        for row in rows:
            values = [float(value) for value in row]  # all numeric: a header or a string would raise here
            assert len(values) == 1 + len(names)
            label, ticker_code, *one_hot, change = values
            assert sorted(one_hot) == [0.0] * (len(one_hot) - 1) + [1.0]
            ticker = encoding["features"][0]["categories"][int(ticker_code)]
            decoded.append((ticker, sectors[one_hot.index(1.0)], change, label))
    # Every input row comes out exactly once, label first, with its own features.
    expected = Counter(zip(source["ticker_symbol"], source["sector"], source["change"].astype(float), source["price"].astype(float)))
    assert Counter(decoded) == expected
    # The Batch Transform input is the test rows as the prediction API sends them: raw, without the label, row for row.
    test_rows = read_rows(run.training / "test" / "test.csv")
    unlabeled = read_rows(run.training / "transform-input" / "test.csv")
    assert len(unlabeled) == len(test_rows)
    for raw, encoded in zip(unlabeled, test_rows):
        label, ticker_code, *one_hot, change = (float(value) for value in encoded)
        assert raw == [encoding["features"][0]["categories"][int(ticker_code)], sectors[one_hot.index(1.0)], raw[2]]
        assert float(raw[2]) == change


def test_autogluon_channels_have_a_header_and_the_label_by_name(stocks_snapshot: Path, tmp_path: Path) -> None:
    run = run_preprocess(stocks_snapshot, tmp_path, STOCKS_SCHEMA, "autogluon", "regression")
    assert run.returncode == 0, run.stderr
    source = input_rows(stocks_snapshot)
    frames = [pd.read_csv(run.training / channel / f"{channel}.csv") for channel in CHANNELS]
    for frame in frames:
        assert list(frame.columns) == ["price", "ticker_symbol", "sector", "change"]
    unlabeled = pd.read_csv(run.training / "transform-input" / "test.csv")
    pd.testing.assert_frame_equal(unlabeled, frames[2].drop(columns=["price"]))
    combined = pd.concat(frames, ignore_index=True)
    key = ["ticker_symbol", "sector", "change", "price"]
    assert Counter(map(tuple, combined[key].to_numpy().tolist())) == Counter(map(tuple, source[key].to_numpy().tolist()))


@pytest.mark.parametrize("ratios", [(0.7, 0.15, 0.15), (0.333, 0.333, 0.334)])
def test_split_sizes_follow_the_ratios(stocks_snapshot: Path, tmp_path: Path, ratios) -> None:
    train, validation, test = ratios
    run = run_preprocess(
        stocks_snapshot, tmp_path, STOCKS_SCHEMA, "xgboost", "regression",
        "--train-ratio", str(train), "--validation-ratio", str(validation), "--test-ratio", str(test),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    n = len(input_rows(stocks_snapshot))
    expected_train, expected_validation = math.floor(n * train), math.floor(n * validation)
    expected = {"train": expected_train, "validation": expected_validation, "test": n - expected_train - expected_validation}
    counted = {channel: len(read_rows(run.training / channel / f"{channel}.csv")) for channel in CHANNELS}
    assert counted == expected
    assert run.summary["rows"] == expected


def channel_bytes(root: Path) -> Dict[str, bytes]:
    return {channel: (root / channel / f"{channel}.csv").read_bytes() for channel in CHANNELS}


def test_same_seed_gives_identical_files_and_another_seed_another_split(stocks_snapshot: Path, tmp_path: Path) -> None:
    first = run_preprocess(stocks_snapshot, tmp_path / "a", STOCKS_SCHEMA, "xgboost", "regression", "--seed", "7")
    again = run_preprocess(stocks_snapshot, tmp_path / "b", STOCKS_SCHEMA, "xgboost", "regression", "--seed", "7")
    other = run_preprocess(stocks_snapshot, tmp_path / "c", STOCKS_SCHEMA, "xgboost", "regression", "--seed", "8")
    assert first.returncode == again.returncode == other.returncode == 0
    assert channel_bytes(first.training) == channel_bytes(again.training)
    assert (first.training / "encoding.json").read_bytes() == (again.training / "encoding.json").read_bytes()
    assert first.baseline.read_bytes() == again.baseline.read_bytes()
    differing = channel_bytes(other.training)
    assert differing["train"] != channel_bytes(first.training)["train"]
    # Same rows overall, dealt differently.
    all_rows = lambda files: Counter(line for content in files.values() for line in content.decode().splitlines())  # noqa: E731
    assert all_rows(differing) == all_rows(channel_bytes(first.training))


def test_event_time_makes_the_split_time_ordered(pollution_snapshot: Path, shared_data: Path, tmp_path: Path) -> None:
    run = run_preprocess(
        pollution_snapshot, tmp_path, POLLUTION_SCHEMA, "autogluon", "regression", "--features", '{"timeParts": ["hour", "day_of_week"]}'
    )
    assert run.returncode == 0, run.stderr
    source = pd.DataFrame([json.loads(line) for line in (shared_data / "pollution.jsonl").read_text().splitlines()])
    source["timestamp"] = pd.to_datetime(source["timestamp"], utc=True)
    key = ["device_id", "ozone", "particullate_matter", "carbon_monoxide", "sulfure_dioxide", "nitrogen_dioxide"]
    assert not source.duplicated(key).any(), "the join below needs a unique key"
    times = {}
    for channel in CHANNELS:
        frame = pd.read_csv(run.training / channel / f"{channel}.csv")
        joined = frame.merge(source, on=key, how="left", validate="one_to_one")
        assert joined["timestamp"].notna().all()
        # The declared time parts are the event time's hour and weekday.
        assert (joined["timestamp_hour"] == joined["timestamp"].dt.hour).all()
        assert (joined["timestamp_day_of_week"] == joined["timestamp"].dt.dayofweek).all()
        times[channel] = joined["timestamp"]
    assert times["train"].max() <= times["validation"].min()
    assert times["validation"].max() <= times["test"].min()
    n = len(source)
    assert [len(times[c]) for c in CHANNELS] == [math.floor(n * 0.7), math.floor(n * 0.15), n - math.floor(n * 0.7) - math.floor(n * 0.15)]
    assert run.summary["timeOrdered"] is True
