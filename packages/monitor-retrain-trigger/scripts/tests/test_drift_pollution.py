"""The drift job on DeepAR requests ({"instances": [...]} JSON, passed through by the proxy) of the pollution series."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

import pandas as pd
import pytest

from by_hand import categorical_psi, numeric_psi
from conftest import DEVICES, World
from drift_fixtures import ENDPOINT, POLLUTION_SCHEMA, run_drift

THRESHOLD = 0.2


def points(world: World, window: str) -> Dict[Tuple[str, pd.Timestamp], float]:
    """Each (device, hour) the window's requests carry, once: overlapping histories repeat points."""
    seen: Dict[Tuple[str, pd.Timestamp], float] = {}
    for event in world.window(window).events:
        for instance in event["body"]["instances"]:
            start = pd.Timestamp(instance["start"])
            for k, value in enumerate(instance["target"]):
                seen[(DEVICES[instance["cat"][0]], start + pd.Timedelta(hours=k))] = value
    return seen


def forecast_means(world: World, window: str) -> List[float]:
    return [v for event in world.window(window).events for forecast in event["predictions"] for v in forecast["mean"]]


def run(world: World, job_code: Path, tmp_path: Path, window: str):
    done = run_drift(job_code, tmp_path, world.window(window).capture, world.baseline, POLLUTION_SCHEMA, "deepar", "--prediction-baseline-dir", str(world.evaluation))
    assert done.returncode == 0, done.stderr
    return done


def check_against_hand(world: World, done, window: str) -> Dict[str, float]:
    features = json.loads((world.baseline / "baseline.json").read_text())["features"]
    assert set(features) == {"device_id", "ozone"}  # what a DeepAR request carries
    seen = points(world, window)
    expected = {
        "device_id": categorical_psi(features["device_id"], [device for device, _ in seen]),
        "ozone": numeric_psi(features["ozone"], list(seen.values())),
    }
    assert done.metric("SampleSize", Endpoint=ENDPOINT) == len(seen)
    for feature, value in expected.items():
        assert done.metric("FeatureDrift", Endpoint=ENDPOINT, Feature=feature) == pytest.approx(value, abs=1e-9)
    prediction_stats = json.loads((world.evaluation / "prediction-baseline.json").read_text())["prediction"]
    by_hand = numeric_psi(prediction_stats, forecast_means(world, window))
    assert done.report["prediction"]["psi"] == pytest.approx(by_hand, abs=1e-9)
    # The alarm's datum is the PSI when it is beyond the noise floor of the window's size, else 0.
    significant = by_hand > done.report["prediction"]["noiseFloor"]
    assert done.metric("PredictionDrift", Endpoint=ENDPOINT) == pytest.approx(by_hand if significant else 0.0, abs=1e-9)
    return expected


def test_an_in_distribution_pollution_window_stays_under_the_threshold(pollution: World, job_code: Path, tmp_path: Path) -> None:
    done = run(pollution, job_code, tmp_path, "in-distribution")
    expected = check_against_hand(pollution, done, "in-distribution")
    assert all(value < THRESHOLD for value in expected.values())
    assert done.report["status"] == "ok"
    assert done.metric("PredictionDrift", Endpoint=ENDPOINT) < THRESHOLD


def test_a_shifted_pollution_window_goes_over_on_ozone_and_the_device_mix(pollution: World, job_code: Path, tmp_path: Path) -> None:
    done = run(pollution, job_code, tmp_path, "shifted")
    expected = check_against_hand(pollution, done, "shifted")
    assert all(value > THRESHOLD for value in expected.values())
    assert done.report["driftedFeatures"] == ["device_id", "ozone"]
    assert done.report["features"]["device_id"]["bins"][2] == {"bin": "device-seattle", "baseline": pytest.approx(1 / 3), "window": 0.0}
