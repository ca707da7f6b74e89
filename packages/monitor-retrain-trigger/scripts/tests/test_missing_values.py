"""Null and invalid shares drift too: a feature gone (almost) all null, or sending values of the wrong type, is named
in report.json and raises the alarm's datum, however its PSI reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

from machines import Machines, build_baseline, encode_captures, metric, run_in_process, spec
from drift_fixtures import ENDPOINT

ROWS = 1_000


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    root = tmp_path_factory.mktemp("missing")
    population = Machines()
    baseline = build_baseline(root, population)
    rng = np.random.default_rng(7)
    frames = {"unchanged": population.draw(ROWS, rng)}
    mostly_null = population.draw(ROWS, rng)
    mostly_null.loc[rng.random(ROWS) < 0.95, "temperature"] = np.nan
    frames["temperature-95-null"] = mostly_null
    dead = population.draw(ROWS, rng)
    dead["temperature"] = np.nan
    frames["temperature-dead"] = dead
    folders = {name: root / "capture" / name for name in frames}
    encode_captures([spec(name, frame, folders[name]) for name, frame in frames.items()], root / "encoder")
    # A client that calls the endpoint without the proxy sends text where vibration is a number: 30% invalid.
    invalid = root / "capture" / "vibration-invalid"
    broken = 0
    for source in sorted(folders["unchanged"].rglob("*.jsonl")):
        target = invalid / source.relative_to(folders["unchanged"])
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for line in source.read_text().splitlines():
            record = json.loads(line)
            if rng.random() < 0.3:
                broken += 1
                fields = record["captureData"]["endpointInput"]["data"].rstrip("\n").split(",")
                fields[2] = "broken"
                record["captureData"]["endpointInput"]["data"] = ",".join(fields) + "\n"
            lines.append(json.dumps(record))
        target.write_text("\n".join(lines) + "\n")
    folders["vibration-invalid"] = invalid
    return {"root": root, "baseline": baseline, "broken": broken, **folders}


def run(world: Dict[str, Path], job_code: Path, name: str, *extra: str):
    report_dir = world["root"] / "reports" / name
    return run_in_process(job_code, world[name], world["baseline"], report_dir, *extra), report_dir


def test_the_baseline_carries_null_and_invalid_shares(world: Dict[str, Path]) -> None:
    features = json.loads((world["baseline"] / "baseline.json").read_text())["features"]
    for feature in features.values():
        assert feature["nullShare"] == 0.0
        assert feature["invalidShare"] == 0.0


def test_an_unchanged_window_has_no_missing_value_finding(world: Dict[str, Path], job_code: Path) -> None:
    report, folder = run(world, job_code, "unchanged")
    assert report["missingValueFeatures"] == []
    assert metric(folder, "MaxNullShareIncrease", Endpoint=ENDPOINT) == 0.0
    assert metric(folder, "MaxInvalidShareIncrease", Endpoint=ENDPOINT) == 0.0


def test_a_feature_95_percent_null_is_named_and_alarms(world: Dict[str, Path], job_code: Path) -> None:
    report, folder = run(world, job_code, "temperature-95-null")
    temperature = report["features"]["temperature"]
    assert temperature["nullShare"] == pytest.approx(0.95, abs=0.03)
    assert temperature["status"] == "null share"
    assert report["missingValueFeatures"] == ["temperature"]
    assert report["status"] == "missing values"
    assert metric(folder, "MaxNullShareIncrease", Endpoint=ENDPOINT) == pytest.approx(temperature["nullShare"])
    assert metric(folder, "NullShare", Endpoint=ENDPOINT, Feature="temperature") == pytest.approx(temperature["nullShare"])
    assert "null share" in (folder / "report.html").read_text()


def test_a_dead_feature_is_not_not_enough_data_but_alarms(world: Dict[str, Path], job_code: Path) -> None:
    report, folder = run(world, job_code, "temperature-dead")
    temperature = report["features"]["temperature"]
    assert temperature["nullShare"] == 1.0
    assert temperature["dead"] is True
    assert temperature["status"] == "null share"
    assert report["status"] == "missing values"
    assert metric(folder, "MaxNullShareIncrease", Endpoint=ENDPOINT) == 1.0


def test_invalid_values_are_named_and_alarm(world: Dict[str, Path], job_code: Path) -> None:
    report, folder = run(world, job_code, "vibration-invalid")
    vibration = report["features"]["vibration"]
    assert vibration["invalidShare"] == world["broken"] / 1_000
    assert vibration["status"] == "invalid share"
    assert report["features"]["temperature"]["status"] == "ok"
    assert metric(folder, "MaxInvalidShareIncrease", Endpoint=ENDPOINT) == pytest.approx(vibration["invalidShare"])


def test_the_null_share_threshold_is_an_argument(world: Dict[str, Path], job_code: Path) -> None:
    report, folder = run(world, job_code, "temperature-95-null", "--null-share-increase", "0.97")
    # Not past its threshold, the null share is no finding; the ~50 values left are too few to bin.
    assert report["features"]["temperature"]["status"] == "not enough data"
    assert report["missingValueFeatures"] == []
    assert metric(folder, "MaxNullShareIncrease", Endpoint=ENDPOINT) == 0.0
