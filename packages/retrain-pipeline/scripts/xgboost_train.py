"""RetrainPipeline XGBoost training entry point (the SageMaker XGBoost framework container, script style).

The Train state runs it in the XGBoost image from the scripts zip (channel ``code``), on the
label-first ``train`` (and ``validation``) channels preprocess writes, with the run's
``serving`` channel (encoding.json, serving.json). It trains with the built-in algorithm's
hyperparameter names (``num_round``, ``early_stopping_rounds``, ``eta``, ``max_depth``,
``objective``, ``eval_metric`` ...), saves ``<model-dir>/xgboost-model`` and puts the serving
code in ``<model-dir>/code``: ``inference.py`` (from xgboost_inference.py), the ``freshet_ml``
package and the serving files, which the container loads with SAGEMAKER_PROGRAM=inference.py
and SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code.

Every path is an argument with the SageMaker default, so it also runs on local folders.
Exit code 0 on success, 1 with the reason on stderr and in the failure file.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import pandas as pd
import xgboost

from freshet_ml.errors import JobFailure, report_failure
from freshet_ml.job_paths import TRAINING, resolve_paths
from freshet_ml.memory_budget import SAMPLE_BYTES, require_fits
from freshet_ml.serving import ENCODING_FILE, SERVING_FILE, ServingContract
from freshet_ml.training_cluster import collective, training_cluster

HERE = Path(__file__).resolve().parent
MODEL_FILE = "xgboost-model"
CODE_DIR = "code"
INFERENCE_SOURCE = "xgboost_inference.py"
# Built-in algorithm settings that are not XGBoost parameters (the container's own switches).
CONTAINER_ONLY = frozenset({"save_model_on_termination", "prob_buffer_row", "use_dask_gpu_training"})
# Memory model (bytes): xgboost and pandas loaded, and per value of the channels: pandas' parse (float64),
# the concatenated table, the feature matrix (float64) and the DMatrix (float32), with parser slack.
FIXED_BYTES = 300 << 20
VALUE_BYTES = 36
TRAINING_REMEDY = (
    "Set RetrainPipeline training.instanceType to an instance with more memory (ml.m5.2xlarge 32 GiB, ml.m5.4xlarge 64 GiB), "
    "or training.instanceCount above 1: XGBoost then trains distributed, each instance holding its share of the train channel's parts."
)
INTEGER = re.compile(r"^[+-]?\d+$")
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


# The SageMaker training paths (relative to /opt/ml): the defaults inside a training job only.
SAGEMAKER_PATHS = {
    "hyperparameters": "input/config/hyperparameters.json",
    "train_dir": "input/data/train",
    "validation_dir": "input/data/validation",
    "serving_dir": "input/data/serving",
    "model_dir": "model",
    "failure_file": "output/failure",
}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Freshet RetrainPipeline XGBoost training")
    for name, default in SAGEMAKER_PATHS.items():
        parser.add_argument(f"--{name.replace('_', '-')}", help=f"SageMaker default /opt/ml/{default}")
    args = parser.parse_args(argv)
    # Outside a training job there is no validation channel unless one is given.
    return resolve_paths(parser, args, SAGEMAKER_PATHS, required=("hyperparameters", "train_dir", "serving_dir", "model_dir"),
                         output="model_dir", under_output={"failure_file": "failure"}, marker=TRAINING)


def _value(text: Any) -> Any:
    """SageMaker passes every hyperparameter as a string: numbers become numbers again."""
    if not isinstance(text, str):
        return text
    value = text.strip()
    if INTEGER.match(value):
        return int(value)
    if NUMBER.match(value):
        return float(value)
    return value


def training_parameters(hyperparameters: Dict[str, Any]) -> Tuple[Dict[str, Any], int, Optional[int]]:
    """(XGBoost params, num_boost_round, early_stopping_rounds) from the built-in algorithm's names."""
    params: Dict[str, Any] = {}
    rounds: Optional[int] = None
    early: Optional[int] = None
    for name, raw in hyperparameters.items():
        value = _value(raw)
        if name.startswith(("_", "sagemaker_")) or name in CONTAINER_ONLY:
            continue
        if name == "num_round":
            rounds = value
        elif name == "early_stopping_rounds":
            early = value
        elif name == "csv_weights":
            if value not in (0, "0"):
                raise JobFailure("csv_weights=1 is not supported: the train channel has no weight column; remove the hyperparameter.")
        elif name == "eval_metric" and isinstance(value, str) and "," in value:
            params[name] = [metric.strip() for metric in value.split(",") if metric.strip()]
        else:
            params[name] = value
    if not isinstance(rounds, int) or rounds < 1:
        raise JobFailure(f"num_round must be a whole number of at least 1, got {hyperparameters.get('num_round')!r}.")
    if early is not None and (not isinstance(early, int) or early < 1):
        raise JobFailure(f"early_stopping_rounds must be a whole number of at least 1, got {hyperparameters.get('early_stopping_rounds')!r}.")
    return params, rounds, early


def channel_files(folder: Optional[Path]) -> List[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_")) and p.stat().st_size > 0)


def check_memory(folders: List[Optional[Path]]) -> None:
    """Refuse channels the instance cannot hold, from their bytes, before reading them (freshet_ml/memory_budget.py)."""
    files = [path for folder in folders for path in channel_files(folder)]
    if not files:
        return
    stored = sum(path.stat().st_size for path in files)
    with files[0].open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    values = int(stored * (sample.count(b",") + sample.count(b"\n")) / max(len(sample), 1))
    what = f"the channels ({stored / 2**30:,.2f} GiB in {len(files)} file(s), about {values:,} values)"
    require_fits("xgboost training", FIXED_BYTES + values * VALUE_BYTES, what, TRAINING_REMEDY)


def read_channel(folder: Path) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """(features, label) of a label-first headerless CSV channel; None when the folder is absent or empty."""
    if not folder.is_dir():
        return None
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    frames = [pd.read_csv(path, header=None) for path in files if path.stat().st_size > 0]
    if not frames:
        return None
    table = pd.concat(frames, ignore_index=True)
    return table.iloc[:, 1:].to_numpy(dtype="float64"), table.iloc[:, 0].to_numpy(dtype="float64")


def package_code(model_dir: Path, serving_dir: Path) -> Path:
    """``<model-dir>/code``: inference.py, freshet_ml and the serving files (no requirements.txt: the endpoint installs nothing)."""
    code = model_dir / CODE_DIR
    if code.exists():
        shutil.rmtree(code)
    code.mkdir(parents=True)
    shutil.copyfile(HERE / INFERENCE_SOURCE, code / "inference.py")
    shutil.copytree(HERE / "freshet_ml", code / "freshet_ml", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in (ENCODING_FILE, SERVING_FILE):
        shutil.copyfile(serving_dir / name, code / name)
    return code


def train(args: argparse.Namespace) -> Dict[str, Any]:
    path = Path(args.hyperparameters)
    hyperparameters = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    params, rounds, early = training_parameters(hyperparameters)
    serving_dir = Path(args.serving_dir)
    try:
        contract = ServingContract.read(serving_dir)
    except ValueError as error:
        raise JobFailure(f"the serving channel is incomplete: {error}") from error
    check_memory([Path(args.train_dir), Path(args.validation_dir) if args.validation_dir else None])
    cluster = training_cluster()
    train_data = read_channel(Path(args.train_dir))
    if train_data is None:
        where = f" on host {cluster.current_host} of {len(cluster.hosts)}" if cluster.distributed else ""
        hint = " (a sharded channel needs at least one part file per instance: preprocess --channel-parts)" if cluster.distributed else ""
        raise JobFailure(f"no training data in {args.train_dir}{where}: the train channel is empty{hint}.")
    width = len(contract.encoding.names)
    if train_data[0].shape[1] != width:
        raise JobFailure(f"the train channel has {train_data[0].shape[1]} feature column(s) but encoding.json names {width}: channels and encoding are from different runs.")
    validation = read_channel(Path(args.validation_dir)) if args.validation_dir else None
    if early is not None and validation is None:
        raise JobFailure("early_stopping_rounds needs a validation channel: set a validation ratio, or remove the hyperparameter.")
    # With several instances every host trains on its shard inside XGBoost's collective: one model, built from all rows.
    with collective(cluster):
        dtrain = xgboost.DMatrix(train_data[0], label=train_data[1], missing=np.nan)
        evals = [(dtrain, "train")]
        if validation is not None:
            evals.append((xgboost.DMatrix(validation[0], label=validation[1], missing=np.nan), "validation"))
        booster = xgboost.train(params, dtrain, num_boost_round=rounds, evals=evals, early_stopping_rounds=early, verbose_eval=True)
    summary = {"rounds": booster.num_boosted_rounds(), "features": width, "trainRows": int(len(train_data[1])), "validation": validation is not None}
    if cluster.distributed:
        summary.update({"hosts": len(cluster.hosts), "host": cluster.current_host})
        if not cluster.is_master:  # every host holds the same model; SageMaker keeps the first host's model dir
            return summary
    model_dir = Path(args.model_dir)
    model_dir.mkdir(parents=True, exist_ok=True)
    booster.save_model(str(model_dir / MODEL_FILE))
    package_code(model_dir, serving_dir)
    return summary


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        summary = train(args)
    except JobFailure as failure:
        return report_failure(str(failure), args.failure_file)
    except Exception as error:  # still leave the reason where SageMaker shows it, then the traceback
        report_failure(f"xgboost training crashed: {type(error).__name__}: {error}", args.failure_file)
        raise
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
