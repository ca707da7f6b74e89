"""The window belongs to the serving model's production variants: a shadow variant's capture is reported apart, never
mixed into drift, prediction drift or model quality; NaN and infinite answers are counted as unreadable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

from drift_fixtures import ENDPOINT
from machines import Machines, build_baseline, encode_captures, metric, run_in_process, spec

ROWS = 400


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Any]:
    root = tmp_path_factory.mktemp("variants")
    population = Machines()
    baseline = build_baseline(root, population)
    rng = np.random.default_rng(3)
    capture = root / "capture" / "endpoint"
    production = population.draw(ROWS, rng)
    # The shadow sees the same requests (same inference ids) but answers 9.9, and gets a shifted copy of temperature.
    shadow = production.copy()
    shadow["temperature"] = shadow["temperature"] + 40
    encode_captures([
        spec("same", production, capture, "AllTraffic", predictions=[0.5] * ROWS),
        spec("same", shadow, capture, "Shadow", predictions=[9.9] * ROWS),
    ], root / "encoder")  # fmt: skip
    labels = root / "ground-truth" / "2026" / "12" / "01" / "00"
    labels.mkdir(parents=True)
    (labels / "labels.jsonl").write_text("".join(
        json.dumps({"groundTruthData": {"data": "0.5", "encoding": "CSV"}, "eventMetadata": {"eventId": f"same-{i}"}, "eventVersion": "0"}) + "\n" for i in range(ROWS)
    ))  # fmt: skip
    # NaN answers: the same production requests, one answer in ten replaced by NaN or inf.
    nan_capture = root / "capture" / "nan"
    replaced = 0
    for source in sorted((capture / ENDPOINT / "AllTraffic").rglob("*.jsonl")):
        target = nan_capture / source.relative_to(capture)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = []
        for line in source.read_text().splitlines():
            record = json.loads(line)
            if rng.random() < 0.1:
                record["captureData"]["endpointOutput"]["data"] = "nan\n" if replaced % 2 == 0 else "inf\n"
                replaced += 1
            lines.append(json.dumps(record))
        target.write_text("\n".join(lines) + "\n")
    return {"root": root, "baseline": baseline, "capture": capture, "labels": root / "ground-truth", "nan": nan_capture, "replaced": replaced}


def test_only_production_variants_count_and_shadows_are_reported_apart(world: Dict[str, Any], job_code: Path) -> None:
    folder = world["root"] / "reports" / "split"
    report = run_in_process(job_code, world["capture"], world["baseline"], folder, "--production-variants", "AllTraffic",
                            "--ground-truth-dir", str(world["labels"]), "--task-type", "regression", "--quality-metric", "rmse")  # fmt: skip
    assert report["sampleSize"] == ROWS
    assert report["productionVariants"] == ["AllTraffic"]
    assert report["features"]["temperature"]["status"] == "ok"  # the shadow's shifted temperature is not in the verdict
    shadow = report["shadowVariants"]["Shadow"]
    assert shadow["sampleSize"] == ROWS and shadow["captureLines"] == ROWS
    # The shadow's answers (9.9) never replace the production ones (0.5) joined to the labels (0.5).
    assert report["modelQuality"]["value"] == 0.0
    assert report["modelQuality"]["matches"] == ROWS
    assert metric(folder, "ModelQuality", Endpoint=ENDPOINT, Metric="rmse") == 0.0


def test_without_the_production_list_every_variant_counts(world: Dict[str, Any], job_code: Path) -> None:
    report = run_in_process(job_code, world["capture"], world["baseline"], world["root"] / "reports" / "all")
    assert report["sampleSize"] == 2 * ROWS
    assert report["shadowVariants"] == {}


def test_nan_and_infinite_answers_are_unreadable(world: Dict[str, Any], job_code: Path) -> None:
    assert world["replaced"] > 10
    report = run_in_process(job_code, world["nan"], world["baseline"], world["root"] / "reports" / "nan")
    assert report["unreadableAnswers"] == world["replaced"]
    assert report["problems"]["answer not read: a prediction is NaN or infinite"] == world["replaced"]
    assert report["sampleSize"] == ROWS  # the requests still count
