"""Session fixtures: a trained stocks and pollution "model" (baseline, prediction baseline) and capture windows.

The baselines come from RetrainPipeline's real preprocess.py and evaluate.py; the capture files
from the proxy's real TypeScript codec (fixtures/encode-capture.ts), one ts-node process for
every window. The "model" is a stand-in with fixed rules (stocks: the ticker's mean training
price plus half the change; pollution: seasonal naive), so its outputs are known to the tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pandas as pd
import pytest

from drift_fixtures import ENDPOINT, FRESHET_ML, POLLUTION_SCHEMA, STOCKS_SCHEMA, WINDOW_START, encode_captures, job_code_folder, repo_root, run_script

FEATURES = ["ticker_symbol", "sector", "change"]
SNAPSHOT_ROWS = 20_000
WINDOW_ROWS = 3_000
START = datetime(2026, 12, 1, tzinfo=timezone.utc)
DEVICES = ["device-aarhus", "device-milan", "device-seattle"]  # preprocess's sorted series order = cat
HISTORY = 48
HORIZON = 24


@dataclass
class Window:
    """One capture window as sent: its events (inference id, records or instance, predictions) and folder."""

    name: str
    events: List[Dict[str, Any]]
    capture: Path
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass
class World:
    baseline: Path
    evaluation: Path
    windows: Dict[str, Window]
    extra: Dict[str, Any] = field(default_factory=dict)

    def window(self, name: str) -> Window:
        return self.windows[name]


def shared_data() -> Path:
    data = repo_root().parent / "shared" / "data"
    if not (data / "stocks_all.csv").exists() or not (data / "pollution.jsonl").exists():
        raise RuntimeError(f"sample data not found in {data}: the tests need ../shared/data next to the repo.")
    return data


def event_time(index: int, count: int) -> str:
    return (START + timedelta(seconds=int(index * 86_400 / count))).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- stocks -----------------------------------------------------------------------------------------------------


class TickerModel:
    """price = the ticker's mean training price + change / 2 (the global mean for an unseen ticker)."""

    def __init__(self, train: pd.DataFrame) -> None:
        self.means = train.groupby("ticker_symbol")["price"].mean().to_dict()
        self.overall = float(train["price"].mean())

    def predict(self, rows: pd.DataFrame) -> List[float]:
        return [round(self.means.get(t, self.overall) + c / 2, 4) for t, c in zip(rows["ticker_symbol"], rows["change"])]


def stocks_events(name: str, rows: pd.DataFrame, model: TickerModel) -> List[Dict[str, Any]]:
    """Requests of 1 to 4 records, spread over the window, each with an inference id."""
    events = []
    position = 0
    sizes = [1, 2, 3, 4]
    predictions = model.predict(rows)
    records = rows[FEATURES].to_dict("records")
    while position < len(rows):
        size = sizes[len(events) % len(sizes)]
        chunk = slice(position, position + size)
        events.append({"inferenceId": f"{name}-{len(events)}", "records": records[chunk], "predictions": predictions[chunk], "labels": rows["price"].tolist()[chunk]})
        position += size
    for index, event in enumerate(events):
        event["time"] = event_time(index, len(events))
    return events


@pytest.fixture(scope="session")
def job_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return job_code_folder(tmp_path_factory.mktemp("code") / "code")


@pytest.fixture(scope="session")
def worlds(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, World]:
    root = tmp_path_factory.mktemp("worlds")
    stocks, stocks_specs = build_stocks(root / "stocks")
    pollution, pollution_specs = build_pollution(root / "pollution")
    encode_captures([*stocks_specs, *pollution_specs], root / "encoder")
    return {"stocks": stocks, "pollution": pollution}


@pytest.fixture(scope="session")
def stocks(worlds: Dict[str, World]) -> World:
    return worlds["stocks"]


@pytest.fixture(scope="session")
def pollution(worlds: Dict[str, World]) -> World:
    return worlds["pollution"]


def spec(fmt: str, schema: Dict[str, Any], window: Window, base64: bool = False) -> Dict[str, Any]:
    events = [{k: v for k, v in e.items() if k != "labels" and k != "actuals"} for e in window.events]
    return {"format": fmt, "schema": schema, "outputDir": str(window.capture), "endpoint": ENDPOINT, "variant": "AllTraffic", "base64": base64, "events": events}


def build_stocks(root: Path):
    data = pd.read_csv(shared_data() / "stocks_all.csv")
    order = np.random.default_rng(7).permutation(len(data))
    snapshot = root / "snapshot"
    snapshot.mkdir(parents=True)
    data.iloc[order[:SNAPSHOT_ROWS]].to_csv(snapshot / "0000_part_00", index=False)
    run_script(
        FRESHET_ML / "preprocess.py", "--schema", json.dumps(STOCKS_SCHEMA), "--algorithm", "autogluon", "--task-type", "regression",
        "--input-dir", str(snapshot), "--output-dir", str(root / "training"), "--baseline-dir", str(root / "baseline"),
        "--rejected-dir", str(root / "rejected"), "--failure-file", str(root / "message"),
    )  # fmt: skip
    model = TickerModel(pd.read_csv(root / "training" / "train" / "train.csv"))
    test = pd.read_csv(root / "training" / "test" / "test.csv")
    (root / "predictions").mkdir()
    (root / "predictions" / "test.csv.out").write_text("".join(f"{p!r}\n" for p in model.predict(test)))
    run_script(
        FRESHET_ML / "evaluate.py", "--schema", json.dumps(STOCKS_SCHEMA), "--algorithm", "autogluon", "--task-type", "regression",
        "--test-dir", str(root / "training" / "test"), "--predictions-dir", str(root / "predictions"),
        "--output-dir", str(root / "evaluation"), "--failure-file", str(root / "message"),
    )  # fmt: skip

    held_out = data.iloc[order[SNAPSHOT_ROWS:]].reset_index(drop=True)
    rng = np.random.default_rng(11)
    in_distribution = held_out.iloc[:WINDOW_ROWS].reset_index(drop=True)
    shifted = held_out.iloc[WINDOW_ROWS : 2 * WINDOW_ROWS].reset_index(drop=True).copy()
    shifted["change"] = (shifted["change"] * 3).round(2)
    moved = rng.random(len(shifted)) < 0.5
    shifted.loc[moved, "sector"] = "ENERGY"  # the sector mix only: each row keeps its ticker
    small = held_out.iloc[2 * WINDOW_ROWS : 2 * WINDOW_ROWS + 60].reset_index(drop=True)

    windows = {}
    for name, rows in (("in-distribution", in_distribution), ("shifted", shifted), ("small", small)):
        windows[name] = Window(name, stocks_events(name, rows, model), root / "capture" / name, rows)
    # The same requests as in-distribution, as an XGBoost endpoint (no header) captures them base64-encoded.
    windows["xgboost-base64"] = Window("xgboost-base64", windows["in-distribution"].events, root / "capture" / "xgboost-base64", in_distribution)
    specs = [spec("autogluon-csv", STOCKS_SCHEMA, windows[n]) for n in ("in-distribution", "shifted", "small")]
    specs.append(spec("xgboost-csv", STOCKS_SCHEMA, windows["xgboost-base64"], base64=True))
    return World(root / "baseline", root / "evaluation", windows, {"model": model, "training": root / "training"}), specs


# -- pollution --------------------------------------------------------------------------------------------------


def seasonal_naive(history: List[float]) -> Dict[str, Any]:
    """Tomorrow as today: the last 24 points, with quantiles 10% either side."""
    mean = [float(v) for v in history[-HORIZON:]]
    return {"mean": mean, "quantiles": {"0.1": [round(v * 0.9, 4) for v in mean], "0.5": mean, "0.9": [round(v * 1.1, 4) for v in mean]}}


def pollution_events(name: str, series: Dict[str, pd.Series], devices: List[int], scale: float, rng: np.random.Generator, count: int) -> List[Dict[str, Any]]:
    """One instance per request: ``HISTORY`` hourly points of a device from its training part, cat = its index."""
    events = []
    for index in range(count):
        cat = int(devices[index % len(devices)])
        values = series[DEVICES[cat]]
        last_start = len(values) - HORIZON - HISTORY - HORIZON  # history and actuals inside the training part
        offset = int(rng.integers(0, last_start))
        history = [round(float(v) * scale, 2) for v in values.iloc[offset : offset + HISTORY]]
        actuals = [round(float(v) * scale, 2) for v in values.iloc[offset + HISTORY : offset + HISTORY + HORIZON]]
        start = values.index[offset].strftime("%Y-%m-%d %H:%M:%S")
        events.append({
            "inferenceId": f"{name}-{index}", "time": event_time(index, count),
            "body": {"instances": [{"start": start, "target": history, "cat": [cat]}], "configuration": {"num_samples": 50, "output_types": ["mean", "quantiles"], "quantiles": ["0.1", "0.5", "0.9"]}},
            "predictions": [seasonal_naive(history)], "actuals": [actuals],
        })  # fmt: skip
    return events


def build_pollution(root: Path):
    snapshot = root / "snapshot"
    snapshot.mkdir(parents=True)
    (snapshot / "pollution.jsonl").write_text((shared_data() / "pollution.jsonl").read_text())
    run_script(
        FRESHET_ML / "preprocess.py", "--schema", json.dumps(POLLUTION_SCHEMA), "--algorithm", "deepar", "--task-type", "forecasting",
        "--input-dir", str(snapshot), "--output-dir", str(root / "training"), "--baseline-dir", str(root / "baseline"),
        "--rejected-dir", str(root / "rejected"), "--failure-file", str(root / "message"),
        "--series-id-column", "device_id", "--freq", "H", "--prediction-length", str(HORIZON),
    )  # fmt: skip
    test_lines = [json.loads(line) for line in (root / "training" / "test" / "test.json").read_text().splitlines()]
    (root / "predictions").mkdir()
    (root / "predictions" / "test.json.out").write_text("".join(json.dumps(seasonal_naive(item["target"][:-HORIZON])) + "\n" for item in test_lines))
    run_script(
        FRESHET_ML / "evaluate.py", "--schema", json.dumps(POLLUTION_SCHEMA), "--algorithm", "deepar", "--task-type", "forecasting",
        "--test-dir", str(root / "training" / "test"), "--predictions-dir", str(root / "predictions"),
        "--output-dir", str(root / "evaluation"), "--failure-file", str(root / "message"),
    )  # fmt: skip
    frame = pd.read_json(shared_data() / "pollution.jsonl", lines=True)
    frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_convert(None)
    series = {device: group.set_index("timestamp")["ozone"].sort_index() for device, group in frame.groupby("device_id")}
    rng = np.random.default_rng(5)
    windows = {
        "in-distribution": Window("in-distribution", pollution_events("pollution-in", series, [0, 1, 2], 1.0, rng, 240), root / "capture" / "in-distribution"),
        # ozone 60% higher, and no requests for device-seattle (cat 2)
        "shifted": Window("shifted", pollution_events("pollution-shifted", series, [0, 1], 1.6, rng, 240), root / "capture" / "shifted"),
    }
    specs = [spec("deepar-json", POLLUTION_SCHEMA, windows[name]) for name in windows]
    return World(root / "baseline", root / "evaluation", windows, {"training": root / "training"}), specs


__all__ = ["WINDOW_START", "World", "Window"]
