"""Inference handler of RetrainPipeline's XGBoost models (served as ``code/inference.py``).

The SageMaker XGBoost container loads it with SAGEMAKER_PROGRAM=inference.py and
SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code. The contract (freshet_ml/serving.py):

* in: ``text/csv`` as the prediction API's proxy writes it: no header, one record a line,
  every schema column but the target in schema order, RFC 4180 quoting, empty = null,
  booleans true/false, timestamps ISO 8601; the columns training dropped are ignored;
* out: ``text/csv``, one prediction a line (multi:softprob: the class probabilities of a
  record comma-separated on its line), as Batch Transform and the proxy read it. output_fn
  returns ``(body, "text/csv")``: the container's ``Transformer.transform`` (sagemaker-containers
  ``_transformer.py``) answers a tuple with that mimetype, and a bare string with Flask's
  default, ``text/html`` (which data capture then stores as BASE64).

A caller without ``Accept`` or with ``*/*`` gets the container's default accept, which the
model's environment sets to ``text/csv`` (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT; the
container's own default is ``application/json``).

A request that does not fit raises ValueError with the reason (the container answers 4xx/5xx
with it; the proxy maps the error).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional, Tuple

import numpy as np

CODE_DIR = "code"
MODEL_FILE = "xgboost-model"
CSV = "text/csv"

# The serving contract of the loaded model; model_fn sets it before any request reaches input_fn.
_contract: Optional[Any] = None


def _import_path(model_dir: str) -> None:
    """freshet_ml lies beside this file in code/ (the container may import this module from a copy elsewhere)."""
    for folder in (os.path.join(model_dir, CODE_DIR), os.path.dirname(os.path.abspath(__file__))):
        if os.path.isdir(os.path.join(folder, "freshet_ml")) and folder not in sys.path:
            sys.path.insert(0, folder)


def model_fn(model_dir: str) -> Any:
    global _contract
    _import_path(model_dir)
    import xgboost
    from freshet_ml.serving import ServingContract

    _contract = ServingContract.read(Path(model_dir) / CODE_DIR)
    booster = xgboost.Booster()
    booster.load_model(os.path.join(model_dir, MODEL_FILE))
    return booster


def input_fn(request_body: Any, request_content_type: str) -> Any:
    if _contract is None:
        raise RuntimeError("model_fn has not loaded the model yet.")
    content_type = (request_content_type or "").split(";")[0].strip().lower()
    if content_type != CSV:
        raise ValueError(f"content type {request_content_type!r} is not supported: send {CSV} (no header, the schema's columns but the target).")
    text = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else str(request_body)
    import xgboost

    features = _contract.features(text)
    return xgboost.DMatrix(features.to_numpy(dtype="float64"), missing=np.nan)


def predict_fn(input_data: Any, model: Any) -> np.ndarray:
    return model.predict(input_data)


def output_fn(prediction: np.ndarray, accept: str) -> Tuple[str, str]:
    """(body, content type): the container sends the body with that type."""
    wanted = (accept or CSV).split(";")[0].strip().lower()
    if wanted not in (CSV, "*/*", ""):
        raise ValueError(f"accept {accept!r} is not supported: ask for {CSV} (or send no Accept).")
    rows = np.asarray(prediction, dtype="float64")
    if rows.ndim == 1:
        return "".join(f"{value!r}\n" for value in rows.tolist()), CSV
    return "".join(",".join(repr(value) for value in row) + "\n" for row in rows.tolist()), CSV
