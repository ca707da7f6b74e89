"""A window counted in 3 shards and summed gives the single-process report (freshet_drift/shards.py).

The capture files are dealt to 3 folders by key, as ShardedByS3Key deals a prefix's objects to the
instances of one processing job; each shard is counted by its own drift_job.py process
(--counts-output), and one more sums the counts (--counts-input) and writes the report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from conftest import World
from drift_fixtures import STOCKS_SCHEMA, run_drift


def numbers(value: Any, path: str = "") -> List[Tuple[str, Any]]:
    """Every leaf of a JSON document with its path."""
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in numbers(value[key], f"{path}.{key}")]
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in numbers(item, f"{path}[{index}]")]
    return [(path, value)]


@pytest.mark.parametrize("window", ["in-distribution", "shifted"])
def test_three_shards_counted_and_summed_equal_the_single_process_report(window: str, stocks: World, job_code: Path, tmp_path: Path) -> None:
    capture = stocks.window(window).capture
    prediction = ("--prediction-baseline-dir", str(stocks.evaluation))
    single = run_drift(job_code, tmp_path / "single", capture, stocks.baseline, STOCKS_SCHEMA, "autogluon", *prediction)
    assert single.returncode == 0, single.stderr

    files = sorted(p for p in capture.rglob("*") if p.is_file())
    assert len(files) >= 3
    counts = tmp_path / "counts"
    for shard in range(3):
        folder = tmp_path / f"shard-{shard}"
        for path in files[shard::3]:
            target = folder / path.relative_to(capture)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        counted = run_drift(job_code, tmp_path / f"count-{shard}", folder, stocks.baseline, STOCKS_SCHEMA, "autogluon", *prediction,
                            "--counts-output", str(counts / f"instance-{shard}"))  # fmt: skip
        assert counted.returncode == 0, counted.stderr
        assert json.loads(counted.stdout.splitlines()[-1])["status"] == "counted"
        assert not (tmp_path / f"count-{shard}" / "report" / "report.json").exists()
    summed = run_drift(job_code, tmp_path / "sum", tmp_path / "no-capture", stocks.baseline, STOCKS_SCHEMA, "autogluon", *prediction,
                       "--counts-input", str(counts))  # fmt: skip
    assert summed.returncode == 0, summed.stderr

    expected, got = single.report, summed.report
    expected.pop("elapsedSeconds"), got.pop("elapsedSeconds")
    leaves, other = dict(numbers(expected)), dict(numbers(got))
    assert sorted(leaves) == sorted(other)
    largest = 0.0
    for path, value in leaves.items():
        if isinstance(value, float) and not isinstance(value, bool):
            assert other[path] == pytest.approx(value, rel=1e-12, abs=1e-12), path
            largest = max(largest, abs(other[path] - value))
        else:
            assert other[path] == value, path
    print(f"\n{window}: 3 shards summed vs one process, {len(leaves)} report values, max |difference| = {largest:.3g}")
    # The metrics the publisher sends: the same data points, values equal to 1e-12.
    assert [(m["MetricName"], m["Dimensions"]) for m in summed.metrics] == [(m["MetricName"], m["Dimensions"]) for m in single.metrics]
    for a, b in zip(summed.metrics, single.metrics):
        assert a["Value"] == pytest.approx(b["Value"], rel=1e-12, abs=1e-12)


def test_model_quality_and_deepar_are_not_counted_in_shards(stocks: World, job_code: Path, tmp_path: Path) -> None:
    capture = stocks.window("in-distribution").capture
    labels = tmp_path / "labels"
    labels.mkdir()
    run = run_drift(job_code, tmp_path, capture, stocks.baseline, STOCKS_SCHEMA, "autogluon", "--ground-truth-dir", str(labels), "--task-type", "regression",
                    "--counts-output", str(tmp_path / "counts"))  # fmt: skip
    assert run.returncode == 1
    assert "model quality joins the whole window's inferences with ground truth: run one instance" in (tmp_path / "message").read_text()


def test_a_window_whose_quality_join_does_not_fit_the_instance_is_refused_before_reading(stocks: World, job_code: Path, tmp_path: Path, monkeypatch) -> None:
    """Drift alone keeps counts; joining with ground truth keeps every inference: the need grows with the capture's records."""
    capture = stocks.window("in-distribution").capture
    labels = tmp_path / "labels"
    labels.mkdir()
    monkeypatch.setenv("FRESHET_MEMORY_LIMIT_BYTES", str(200 << 20))
    run = run_drift(job_code, tmp_path, capture, stocks.baseline, STOCKS_SCHEMA, "autogluon", "--ground-truth-dir", str(labels), "--task-type", "regression")
    assert run.returncode == 1
    message = (tmp_path / "message").read_text()
    assert message.startswith("drift job refused before loading: the window's capture (")
    assert ", joined with ground truth), which needs about 0.20 GiB of memory; the instance has 0.20 GiB (FRESHET_MEMORY_LIMIT_BYTES)" in message
    assert "jobResources.instanceType" in message
    lines = sum(len(p.read_text().splitlines()) for p in capture.rglob("*") if p.is_file())
    estimated = int(message.split("file(s), about ")[1].split(" records")[0].replace(",", ""))
    assert abs(estimated - lines) <= 0.1 * lines  # the need follows the capture's records, estimated from its bytes
    assert not (tmp_path / "report" / "report.json").exists()
    monkeypatch.setenv("FRESHET_MEMORY_LIMIT_BYTES", str(4 << 30))
    fits = run_drift(job_code, tmp_path / "fits", capture, stocks.baseline, STOCKS_SCHEMA, "autogluon", "--ground-truth-dir", str(labels), "--task-type", "regression")
    assert fits.returncode == 0, fits.stderr
