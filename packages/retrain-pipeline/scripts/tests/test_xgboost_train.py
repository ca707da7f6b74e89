"""xgboost_train.py: the built-in algorithm's hyperparameter names, and how the entry point fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SCRIPTS
from freshet_ml.errors import JobFailure
from xgboost_train import training_parameters


def test_built_in_names_map_to_xgboost_train() -> None:
    params, rounds, early = training_parameters({
        "num_round": "300", "max_depth": "6", "eta": "0.2", "objective": "reg:squarederror", "eval_metric": "rmse,mae",
        "early_stopping_rounds": "5", "subsample": "0.8", "tree_method": "hist", "_tuning_objective_metric": "validation:rmse",
        "save_model_on_termination": "true",
    })  # fmt: skip
    assert (rounds, early) == (300, 5)
    assert params == {"max_depth": 6, "eta": 0.2, "objective": "reg:squarederror", "eval_metric": ["rmse", "mae"], "subsample": 0.8, "tree_method": "hist"}


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"max_depth": "6"}, "num_round must be a whole number of at least 1, got None"),
        ({"num_round": "ten"}, "num_round must be a whole number of at least 1, got 'ten'"),
        ({"num_round": "10", "csv_weights": "1"}, "csv_weights=1 is not supported"),
        ({"num_round": "10", "early_stopping_rounds": "0"}, "early_stopping_rounds must be a whole number of at least 1"),
    ],
)
def test_bad_hyperparameters_name_what_to_change(hyperparameters: dict, message: str) -> None:
    with pytest.raises(JobFailure, match=message.replace("(", r"\(")):
        training_parameters(hyperparameters)


def test_a_failure_exits_1_with_the_reason_in_the_failure_file(tmp_path: Path) -> None:
    (tmp_path / "hp.json").write_text(json.dumps({"num_round": "10"}))
    command = [sys.executable, "-B", str(SCRIPTS / "xgboost_train.py"), "--hyperparameters", str(tmp_path / "hp.json"),
               "--train-dir", str(tmp_path / "train"), "--serving-dir", str(tmp_path / "serving"), "--model-dir", str(tmp_path / "model")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    reason = (tmp_path / "model" / "failure").read_text()
    assert "the serving channel is incomplete" in reason and "serving.json" in reason and reason.strip() in done.stderr
    assert not (tmp_path / "model" / "xgboost-model").exists()


@pytest.mark.parametrize("script", ["xgboost_train.py", "autogluon_train.py"])
def test_training_paths_default_to_sagemaker_only_inside_a_training_job(script: str, tmp_path: Path) -> None:
    """The job_paths rule with the training marker: <root>/input/config (FRESHET_OPT_ML relocates the root)."""
    outside = subprocess.run([sys.executable, "-B", str(SCRIPTS / script)], capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "FRESHET_OPT_ML": str(tmp_path / "not-sagemaker")})
    assert outside.returncode == 2
    assert "--hyperparameters and --train-dir" in outside.stderr and "outside a SageMaker training job" in outside.stderr
    assert not any(tmp_path.iterdir())

    root = tmp_path / "opt-ml"
    (root / "input" / "config").mkdir(parents=True)
    (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"num_round": "nine"}))
    inside = subprocess.run([sys.executable, "-B", str(SCRIPTS / script)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "FRESHET_OPT_ML": str(root)})
    # Inside, the defaults apply under the root: the run gets past its arguments and reads the hyperparameters there.
    assert inside.returncode == 1, inside.stderr
    if script == "xgboost_train.py":
        assert "num_round" in (root / "output" / "failure").read_text()
    else:  # AutoGluon is not installed here: the run fails at its import, after the paths resolved.
        assert "autogluon" in inside.stderr.lower()
