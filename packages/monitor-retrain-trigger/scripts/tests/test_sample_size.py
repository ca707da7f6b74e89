"""Sample size is accounted for: unchanged windows of 500 to 2,000 requests with a 300-category feature never drift,
and a 1-standard-deviation shift of a numeric feature is still flagged at 2,000 requests."""

from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np
import pytest

from machines import Machines, build_baseline, encode_captures, run_in_process, spec

SIZES = (500, 1_000, 2_000)
SAMPLES = 30


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    root = tmp_path_factory.mktemp("machines")
    population = Machines()
    baseline = build_baseline(root, population)
    rng = np.random.default_rng(2026)
    specs, folders = [], {}
    for size in SIZES:
        for sample in range(SAMPLES):
            name = f"unchanged-{size}-{sample}"
            folders[name] = root / "capture" / name
            specs.append(spec(name, population.draw(size, rng), folders[name]))
    folders["shifted-2000"] = root / "capture" / "shifted-2000"
    specs.append(spec("shifted-2000", population.draw(2_000, rng, temperature_shift_sd=1.0), folders["shifted-2000"]))
    encode_captures(specs, root / "encoder")
    return {"root": root, "baseline": baseline, **folders}


def test_the_synthetic_baseline_has_300_machine_ids(world: Dict[str, Path]) -> None:
    import json

    features = json.loads((world["baseline"] / "baseline.json").read_text())["features"]
    assert len(features["machine_id"]["categories"]) == 300
    assert set(features) == {"machine_id", "temperature", "vibration", "load"}


@pytest.mark.parametrize("size", SIZES)
def test_unchanged_windows_never_drift_however_small(world: Dict[str, Path], job_code: Path, size: int) -> None:
    drifted = []
    worst = 0.0
    for sample in range(SAMPLES):
        name = f"unchanged-{size}-{sample}"
        report = run_in_process(job_code, world[name], world["baseline"], world["root"] / "reports" / name)
        assert report["sampleSize"] == size
        assert report["features"]["machine_id"]["psi"] is not None  # judged, not skipped as "not enough data"
        worst = max(worst, report["features"]["machine_id"]["psi"])
        drifted.extend(f"{name}: {f}" for f in report["driftedFeatures"])
        assert report["status"] == "ok", report["driftedFeatures"]
    assert drifted == []
    if size == 500:
        # The raw PSI of the 300-id feature is far over 0.2 on unchanged traffic: the noise floor is what keeps it ok.
        assert worst > 0.2


def test_a_one_sd_shift_of_a_numeric_feature_is_flagged_at_2000_requests(world: Dict[str, Path], job_code: Path) -> None:
    report = run_in_process(job_code, world["shifted-2000"], world["baseline"], world["root"] / "reports" / "shifted-2000")
    assert report["driftedFeatures"] == ["temperature"]
    assert report["status"] == "drift"
    temperature = report["features"]["temperature"]
    assert temperature["psi"] > 0.2
    assert temperature["status"] == "drift"
