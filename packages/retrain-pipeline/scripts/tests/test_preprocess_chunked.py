"""The chunked preprocess writes what the in-memory one wrote: every output and reject, byte for byte.

The reference is preprocess.py as it was before the chunked reader (tests/legacy/preprocess_v1.py,
with its own copy of the reader, tests/legacy/snapshot_v1.py). Both run on the sample data and on
the fixtures of the other tests, the chunked one with small chunks so that every pass crosses many
chunk and bucket boundaries. One change, with its reason: the baseline's ``mean`` and ``std`` are
the correctly rounded sums (math.fsum) over a stream, where numpy sums pairwise in memory, so they
may differ in the last digit; they are compared to 1e-12 relative and everything else byte for byte.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np
import pytest

from conftest import POLLUTION_SCHEMA, SCRIPTS, STOCKS_SCHEMA, write_unload_parts
from freshet_ml.chunk_split import chunk_destinations, split_order, write_destinations
from freshet_ml.split import SplitRatios, split_positions
from freshet_ml.stream_quantiles import exact_quantiles
from test_serving_contract import READINGS_SCHEMA, readings_snapshot  # noqa: F401 (a fixture)

LEGACY = SCRIPTS / "tests" / "legacy" / "preprocess_v1.py"
STOCKS_FEATURES = '{"categorical": {"sector": "one_hot", "ticker_symbol": "codes"}}'
SECTOR_TARGET = {**STOCKS_SCHEMA, "targetColumn": "sector"}


def run_job(script: Path, snapshot: Path, root: Path, schema: Dict, algorithm: str, task_type: str, *extra: str) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-B", "-W", "error::FutureWarning", str(script), "--schema", json.dumps(schema),
        "--algorithm", algorithm, "--task-type", task_type, "--input-dir", str(snapshot),
        "--output-dir", str(root / "training"), "--baseline-dir", str(root / "baseline"),
        "--rejected-dir", str(root / "rejected"), "--failure-file", str(root / "message"), *extra,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def files(root: Path) -> Dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def compare(old_root: Path, new_root: Path) -> List[str]:
    """Every file the same bytes; the baseline the same but mean/std to 1e-12 relative. Returns what was compared."""
    old, new = files(old_root), files(new_root)
    assert sorted(old) == sorted(new)
    for name in old:
        if name.endswith("baseline.json"):
            a, b = json.loads(old[name]), json.loads(new[name])
            for feature, stats in a["features"].items():
                for key in ("mean", "std") if stats["kind"] == "numeric" else ():
                    if stats.get(key) is not None:
                        assert b["features"][feature][key] == pytest.approx(stats[key], rel=1e-12, abs=1e-12), (feature, key)
                    b["features"][feature][key] = stats.get(key)
            assert json.dumps(b, indent=2) + "\n" == old[name].decode(), name
        else:
            assert new[name] == old[name], f"{name} differs"
    return sorted(old)


def both(snapshot: Path, tmp_path: Path, schema: Dict, algorithm: str, task_type: str, *extra: str, chunk_rows: int = 700) -> List[str]:
    old = run_job(LEGACY, snapshot, tmp_path / "old", schema, algorithm, task_type, *extra)
    new = run_job(SCRIPTS / "preprocess.py", snapshot, tmp_path / "new", schema, algorithm, task_type, *extra, "--chunk-rows", str(chunk_rows))
    assert old.returncode == new.returncode, (old.stderr, new.stderr)
    assert json.loads(new.stdout.splitlines()[-1]) == json.loads(old.stdout.splitlines()[-1]) if old.returncode == 0 else True
    return compare(tmp_path / "old", tmp_path / "new")


def test_the_whole_stocks_sample_gives_the_same_channels_encoding_baseline_and_rejects(shared_data: Path, tmp_path: Path) -> None:
    snapshot = write_unload_parts(shared_data / "stocks_all.csv", tmp_path / "snapshot", 153_580, 4)
    with (snapshot / "0000_part_01").open("a") as handle:  # rejects of each kind, in the middle of the snapshot
        handle.write("AAA,RETAIL,not-a-number,10.0\nBBB,ENERGY,0.5,\nCCC,ENERGY,0.5,12.0,extra\n")
    compared = both(snapshot, tmp_path, STOCKS_SCHEMA, "xgboost", "regression", "--features", STOCKS_FEATURES, chunk_rows=9_000)
    expected = ["train/train.csv", "validation/validation.csv", "test/test.csv", "transform-input/test.csv", "encoding.json",
                "serving/encoding.json", "serving/serving.json", "summary.json"]  # fmt: skip
    assert {f"training/{name}" for name in expected} | {"baseline/baseline.json", "rejected/rejected.jsonl"} <= set(compared)
    assert len((tmp_path / "new" / "rejected" / "rejected.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize("algorithm", ["xgboost", "autogluon"])
def test_a_time_ordered_split_of_json_lines_is_the_same(algorithm: str, pollution_snapshot: Path, tmp_path: Path) -> None:
    both(pollution_snapshot, tmp_path, POLLUTION_SCHEMA, algorithm, "regression", "--features", '{"timeParts": ["hour"]}', chunk_rows=333)


@pytest.mark.parametrize("algorithm", ["xgboost", "autogluon"])
def test_booleans_timestamps_nulls_and_an_id_are_the_same(algorithm: str, readings_snapshot: Path, tmp_path: Path) -> None:  # noqa: F811
    features = '{"categorical": {"device_id": "one_hot"}, "timeParts": ["hour", "day_of_week"]}'
    both(readings_snapshot, tmp_path, READINGS_SCHEMA, algorithm, "regression", "--features", features, chunk_rows=250)


@pytest.mark.parametrize("algorithm", ["xgboost", "autogluon"])
def test_multiclass_labels_and_a_random_split_with_no_validation_are_the_same(algorithm: str, stocks_snapshot: Path, tmp_path: Path) -> None:
    ratios = ("--train-ratio", "0.8", "--validation-ratio", "0", "--test-ratio", "0.2", "--seed", "7")
    both(stocks_snapshot, tmp_path, SECTOR_TARGET, algorithm, "multiclass_classification", *ratios, chunk_rows=128)


def test_failures_are_the_same(stocks_snapshot: Path, tmp_path: Path) -> None:
    both(stocks_snapshot, tmp_path / "rows", STOCKS_SCHEMA, "xgboost", "regression", "--min-rows", "5000")
    both(stocks_snapshot, tmp_path / "binary", SECTOR_TARGET, "xgboost", "binary_classification")
    assert "fewer than --min-rows 5000" in (tmp_path / "rows" / "new" / "message").read_text()


def test_the_int32_shuffle_is_numpys_permutation_and_destinations_invert_it(tmp_path: Path) -> None:
    ratios = SplitRatios(0.7, 0.15, 0.15)
    for n in (20, 1000, 123_457):
        positions = split_positions(n, ratios, 42)
        expected = np.concatenate([positions["train"], positions["validation"], positions["test"]])
        assert split_order(n, ratios, 42, None).tolist() == expected.tolist()
    order = split_order(123_457, ratios, 42, None)
    starts = [0, 1, 50_000, 50_001, 100_000]
    paths = write_destinations(order, starts, tmp_path)
    lengths = np.diff([*starts, 123_457])
    dest = np.concatenate([chunk_destinations(path, int(length)) for path, length in zip(paths, lengths)])
    assert (order[dest] == np.arange(123_457)).all()


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 1000, 65_537])
def test_exact_quantiles_of_a_file_are_numpys_to_the_bit(n: int) -> None:
    rng = np.random.default_rng(n)
    samples = [rng.normal(size=n) * 100, np.round(rng.normal(size=n), 1), rng.integers(-3, 3, size=n).astype(float), np.full(n, -2.5)]
    quantiles = np.linspace(0.0, 1.0, 11)
    for values in samples:
        with tempfile.NamedTemporaryFile(suffix=".f64") as handle:
            values.tofile(handle.name)
            got = exact_quantiles(Path(handle.name), n, quantiles)
        expected = np.quantile(values, quantiles)
        # Bit for bit, but for the sign of a zero: -0.0 and 0.0 sort equal, and which of them np.partition leaves at a rank is arbitrary.
        assert (got + 0.0).tobytes() == (expected + 0.0).tobytes()
