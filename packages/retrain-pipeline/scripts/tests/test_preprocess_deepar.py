"""preprocess.py for DeepAR: one JSON line per device, start and target right, test = train + prediction length."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from conftest import POLLUTION_SCHEMA, run_preprocess


def read_lines(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("prediction_length", [24, 48])
def test_pollution_series_per_device(pollution_snapshot: Path, shared_data: Path, tmp_path: Path, prediction_length: int) -> None:
    run = run_preprocess(
        pollution_snapshot, tmp_path, POLLUTION_SCHEMA, "deepar", "forecasting",
        "--series-id-column", "device_id", "--prediction-length", str(prediction_length), "--freq", "H",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr

    by_device = defaultdict(list)
    for line in (shared_data / "pollution.jsonl").read_text().splitlines():
        message = json.loads(line)
        stamp = datetime.strptime(message["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
        by_device[message["device_id"]].append((stamp, message["ozone"]))
    devices = sorted(by_device)

    train = read_lines(run.training / "train" / "train.json")
    test = read_lines(run.training / "test" / "test.json")
    assert len(train) == len(test) == len(devices)
    for index, device in enumerate(devices):
        points = sorted(by_device[device])
        assert test[index]["start"] == points[0][0].strftime("%Y-%m-%d %H:%M:%S")
        assert train[index]["start"] == test[index]["start"]
        assert test[index]["target"] == [ozone for _, ozone in points]
        assert len(test[index]["target"]) == len(train[index]["target"]) + prediction_length
        assert train[index]["target"] == test[index]["target"][:-prediction_length]
        assert test[index]["cat"] == train[index]["cat"] == [index]
    # What the Batch Transform forecasts: the train lines, under the test file's name.
    assert read_lines(run.training / "transform-input" / "test.json") == train
    series = json.loads((run.training / "series.json").read_text())
    assert [item["id"] for item in series["series"]] == devices
    assert series["predictionLength"] == prediction_length


def test_gaps_become_nan_and_bad_rows_are_rejected_with_a_reason(tmp_path: Path) -> None:
    """Hourly device 'a' with a missing hour, a duplicate hour and an off-grid reading."""
    messages = []
    for hour in range(30):
        if hour == 5:
            continue  # the gap
        messages.append({"device_id": "a", "ozone": float(hour), "timestamp": f"2026-08-{1 + hour // 24:02d}T{hour % 24:02d}:00:00Z"})
    messages.append({"device_id": "a", "ozone": 99.0, "timestamp": "2026-08-01T07:00:00Z"})  # duplicate of hour 7
    messages.append({"device_id": "a", "ozone": 98.0, "timestamp": "2026-08-01T08:30:00Z"})  # not on the hourly grid
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "part.jsonl").write_text("\n".join(json.dumps(m) for m in messages) + "\n")
    schema = {
        "name": "tiny",
        "columns": [c for c in POLLUTION_SCHEMA["columns"] if c["name"] in ("device_id", "ozone", "timestamp")],
        "targetColumn": "ozone",
        "eventTimeColumn": "timestamp",
    }
    run = run_preprocess(
        snapshot, tmp_path / "out", schema, "deepar", "forecasting",
        "--series-id-column", "device_id", "--prediction-length", "4", "--min-rows", "10", "--max-rejected-share", "0.2",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    [series] = read_lines(run.training / "test" / "test.json")
    expected = [float(hour) for hour in range(30)]
    expected[5] = "NaN"
    assert series["target"] == expected
    reasons = sorted(item["reason"] for item in run.rejected)
    assert len(reasons) == 2
    assert "a second row for series 'a'" in reasons[0]
    assert "not on the 'H' grid" in reasons[1]
    assert {item["source"] for item in run.rejected} == {"part.jsonl:30", "part.jsonl:31"}
