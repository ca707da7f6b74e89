"""Distributed XGBoost training, proven locally: two processes stand in for two SageMaker hosts.

Each process gets the container's host environment (SM_HOSTS, SM_CURRENT_HOST, as the XGBoost
framework container's toolkit sets them; resourceconfig.json is the fallback) and half the part
files preprocess wrote (what ``ShardedByS3Key`` gives each instance). Together they train one model
through XGBoost's collective; its predictions are compared with single-process training on all parts.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pandas as pd
import pytest
import xgboost

from conftest import SCRIPTS, STOCKS_SCHEMA, run_preprocess, write_unload_parts
from freshet_ml.training_cluster import PORT_ENV

FEATURES = '{"categorical": {"sector": "one_hot", "ticker_symbol": "codes"}}'
# Every feature has fewer distinct values than max_bin, so each host's quantile sketch is exact and the
# merged cuts are the single process's: the hosts then differ only in the order gradient sums are added.
HYPERPARAMETERS = {"num_round": "40", "max_depth": "5", "eta": "0.2", "objective": "reg:squarederror", "tree_method": "hist", "max_bin": "4096",
                   "early_stopping_rounds": "5", "eval_metric": "rmse"}  # fmt: skip
# XGBoost's own distributed tests compare a distributed model's predictions with the single-node one's to rtol 1e-5
# (tests/test_distributed/test_with_dask: assert_allclose of predictions); summation order changes the last float32 bits.
RTOL = 1e-5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train_command(root: Path, train_dir: Path, validation_dir: Path, serving_dir: Path, model_dir: Path) -> List[str]:
    (root / "hp.json").write_text(json.dumps(HYPERPARAMETERS))
    return [sys.executable, "-B", str(SCRIPTS / "xgboost_train.py"), "--hyperparameters", str(root / "hp.json"), "--train-dir", str(train_dir),
            "--validation-dir", str(validation_dir), "--serving-dir", str(serving_dir), "--model-dir", str(model_dir)]  # fmt: skip


def shard(channel: Path, index: int, hosts: int, target: Path) -> Path:
    """What ShardedByS3Key gives host ``index``: every ``hosts``-th object of the prefix, by key."""
    target.mkdir(parents=True)
    for path in sorted(channel.iterdir())[index::hosts]:
        shutil.copyfile(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def prepared(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Path]:
    root = tmp_path_factory.mktemp("distributed")
    snapshot = write_unload_parts(shared_data / "stocks_all.csv", root / "snapshot", 30_000, 3)
    whole = run_preprocess(snapshot, root / "whole", STOCKS_SCHEMA, "xgboost", "regression", "--features", FEATURES)
    parts = run_preprocess(snapshot, root / "parts", STOCKS_SCHEMA, "xgboost", "regression", "--features", FEATURES, "--channel-parts", "2")
    assert whole.returncode == 0 and parts.returncode == 0, whole.stderr + parts.stderr
    return {"root": root, "whole": whole.training, "parts": parts.training}


def test_channel_parts_are_the_one_file_cut_in_order(prepared: Dict[str, Path]) -> None:
    for channel in ("train", "validation"):
        files = sorted((prepared["parts"] / channel).iterdir())
        assert [path.name for path in files] == [f"{channel}-part-00000.csv", f"{channel}-part-00001.csv"]
        assert b"".join(path.read_bytes() for path in files) == (prepared["whole"] / channel / f"{channel}.csv").read_bytes()
        sizes = [len(path.read_text().splitlines()) for path in files]
        assert abs(sizes[0] - sizes[1]) <= 1
    assert sorted(path.name for path in (prepared["parts"] / "test").iterdir()) == ["test.csv"]  # evaluate reads test whole


def test_two_hosts_each_with_half_the_shards_train_the_single_process_model(prepared: Dict[str, Path]) -> None:
    root, parts = prepared["root"], prepared["parts"]
    single = subprocess.run(train_command(root, parts / "train", parts / "validation", parts / "serving", root / "single-model"),
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert single.returncode == 0, single.stderr

    hosts = ["127.0.0.1", "localhost"]  # both resolve here; the container's hosts are algo-1, algo-2
    port = free_port()
    children = []
    for index, host in enumerate(hosts):
        host_root = root / f"host-{index}"
        command = train_command(host_root.parent, shard(parts / "train", index, 2, host_root / "train"), shard(parts / "validation", index, 2, host_root / "validation"),
                                parts / "serving", host_root / "model")  # fmt: skip
        env = {**os.environ, "SM_HOSTS": json.dumps(hosts), "SM_CURRENT_HOST": host, PORT_ENV: str(port)}
        children.append(subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env))
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    summaries = [json.loads(out.splitlines()[-1]) for out, _ in outputs]
    assert [s["hosts"] for s in summaries] == [2, 2]
    assert sum(s["trainRows"] for s in summaries) == json.loads(single.stdout.splitlines()[-1])["trainRows"]  # each held half the rows
    assert (root / "host-0" / "model" / "xgboost-model").exists() and not (root / "host-1" / "model").exists()  # the first host saves

    test = pd.read_csv(prepared["parts"] / "test" / "test.csv", header=None)
    matrix = xgboost.DMatrix(test.iloc[:, 1:].to_numpy(dtype="float64"), missing=np.nan)
    alone, together = xgboost.Booster(), xgboost.Booster()
    alone.load_model(str(root / "single-model" / "xgboost-model"))
    together.load_model(str(root / "host-0" / "model" / "xgboost-model"))
    assert together.num_boosted_rounds() == alone.num_boosted_rounds()
    expected, got = alone.predict(matrix), together.predict(matrix)
    difference = float(np.max(np.abs(got - expected)))
    print(f"\ndistributed (2 hosts) vs single-process predictions on {len(expected)} test rows: max |difference| = {difference:.3g}, "
          f"max relative {float(np.max(np.abs(got - expected) / np.abs(expected))):.3g}")  # fmt: skip
    np.testing.assert_allclose(got, expected, rtol=RTOL)

    # The comparison means something: one host's half alone gives another model.
    half = subprocess.run(train_command(root, root / "host-0" / "train", root / "host-0" / "validation", parts / "serving", root / "half-model"),
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert half.returncode == 0, half.stderr
    one_half = xgboost.Booster()
    one_half.load_model(str(root / "half-model" / "xgboost-model"))
    assert float(np.max(np.abs(one_half.predict(matrix) - expected))) > 1e-2
