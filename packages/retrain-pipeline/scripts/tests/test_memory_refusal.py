"""A job given an input too big for its instance fails before loading it, with the figures and the prop to change.

The instance is simulated by a small memory limit (FRESHET_MEMORY_LIMIT_BYTES, which the jobs take
as the instance's memory when it is below the cgroup limit and MemTotal; freshet_ml/memory_budget.py).
The message is what SageMaker shows as the job's ExitMessage (processing) or FailureReason
(training), which the workflow's failure notification carries (the executed ASL test in
packages/retrain-pipeline/test/execution shows it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import SCRIPTS, STOCKS_SCHEMA, run_preprocess
from freshet_ml.memory_budget import LIMIT_ENV, memory_limit

MIB = 1 << 20


def preprocess_with_limit(snapshot: Path, root: Path, limit: int, algorithm: str = "xgboost", task: str = "regression"):
    env = {**os.environ, LIMIT_ENV: str(limit)}
    command = [
        sys.executable, "-B", str(SCRIPTS / "preprocess.py"), "--schema", json.dumps(STOCKS_SCHEMA), "--algorithm", algorithm,
        "--task-type", task, "--input-dir", str(snapshot), "--output-dir", str(root / "training"),
        "--baseline-dir", str(root / "baseline"), "--rejected-dir", str(root / "rejected"), "--failure-file", str(root / "message"),
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)


def test_preprocess_refuses_a_snapshot_too_big_for_the_instance_before_reading_it(stocks_snapshot: Path, tmp_path: Path) -> None:
    done = preprocess_with_limit(stocks_snapshot, tmp_path, 256 * MIB)
    assert done.returncode == 1
    message = (tmp_path / "message").read_text()
    assert message.startswith("preprocess refused before loading: the snapshot (")
    assert re.search(r"about 3,\d{3} rows of 4 columns, xgboost\), which needs about \d+\.\d\d GiB of memory; the instance has 0\.25 GiB", message), message
    assert "Set RetrainPipeline processing.instanceType to an instance with more memory" in message
    assert len(message.encode()) < 1024  # SageMaker keeps the first 1 KB of the message file
    assert "read " not in done.stdout and not (tmp_path / "training").exists()  # nothing was read or written


def test_preprocess_runs_when_the_snapshot_fits(stocks_snapshot: Path, tmp_path: Path) -> None:
    done = preprocess_with_limit(stocks_snapshot, tmp_path, 4096 * MIB)
    assert done.returncode == 0, done.stderr
    assert re.search(r"preprocess: the snapshot \(.*\); needs about \d+\.\d\d GiB of the 3\.40 GiB usable", done.stdout)


def test_training_refuses_channels_too_big_for_the_instance(stocks_snapshot: Path, tmp_path: Path) -> None:
    prep = run_preprocess(stocks_snapshot, tmp_path / "prep", STOCKS_SCHEMA, "xgboost", "regression")
    assert prep.returncode == 0, prep.stderr
    (tmp_path / "hp.json").write_text(json.dumps({"num_round": "5"}))
    command = [
        sys.executable, "-B", str(SCRIPTS / "xgboost_train.py"), "--hyperparameters", str(tmp_path / "hp.json"),
        "--train-dir", str(prep.training / "train"), "--validation-dir", str(prep.training / "validation"),
        "--serving-dir", str(prep.training / "serving"), "--model-dir", str(tmp_path / "model"),
    ]  # fmt: skip
    small = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, LIMIT_ENV: str(300 * MIB)})
    assert small.returncode == 1
    reason = (tmp_path / "model" / "failure").read_text()
    assert reason.startswith("xgboost training refused before loading: the channels (")
    assert "the instance has 0.29 GiB" in reason and "training.instanceType" in reason and "training.instanceCount above 1" in reason
    assert not (tmp_path / "model" / "xgboost-model").exists()
    big = subprocess.run(command, capture_output=True, text=True, timeout=300, env={**os.environ, LIMIT_ENV: str(4096 * MIB)})
    assert big.returncode == 0, big.stderr
    assert (tmp_path / "model" / "xgboost-model").exists()


def test_the_limit_is_the_smallest_of_the_override_the_cgroup_and_the_machine(monkeypatch) -> None:
    monkeypatch.delenv(LIMIT_ENV, raising=False)
    machine, source = memory_limit()
    assert machine > 0 and source != LIMIT_ENV
    monkeypatch.setenv(LIMIT_ENV, str(machine * 2))
    assert memory_limit() == (machine, source)
    monkeypatch.setenv(LIMIT_ENV, str(123 * MIB))
    assert memory_limit() == (123 * MIB, LIMIT_ENV)
