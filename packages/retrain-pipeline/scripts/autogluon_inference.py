"""Inference handler of RetrainPipeline's AutoGluon models (served as ``code/inference.py``).

The AutoGluon inference DLC loads it with SAGEMAKER_PROGRAM=inference.py and
SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code. The contract:

* in: ``text/csv`` as the prediction API's proxy writes it: a header row naming the columns,
  then one record a line (every schema column but the target, RFC 4180 quoting, empty = null).
  Columns the predictor did not train on (the id, the event time) are ignored by AutoGluon;
  the event-time parts training added (``<eventTime>_hour`` ...) are computed here from the
  event time, as preprocess computed them;
* out: ``text/csv`` without a header, one line a record: the value (regression), the class-1
  probability (binary) or the class probabilities (multiclass), as evaluate and the proxy read it.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any, List, Optional

import pandas as pd

CSV = "text/csv"
# freshet_ml.features.TIME_PARTS, by the names preprocess gives them: <eventTime>_<part>.
TIME_PART = re.compile(r"^(?P<source>.+)_(?P<part>hour|day_of_week|day_of_month|month)$")

# The features of the loaded predictor; model_fn sets them before any request reaches input_fn.
_features: Optional[List[str]] = None


def model_fn(model_dir: str) -> Any:
    global _features
    from autogluon.tabular import TabularPredictor

    predictor = TabularPredictor.load(os.path.join(model_dir, "predictor"))
    _features = list(predictor.features())
    return predictor


def add_time_parts(frame: pd.DataFrame, features: Optional[List[str]]) -> pd.DataFrame:
    """The ``<eventTime>_<part>`` features the predictor expects and the request lacks, from the event time (UTC)."""
    for name in features or []:
        match = TIME_PART.match(name)
        if name in frame.columns or not match or match["source"] not in frame.columns:
            continue
        stamps = pd.to_datetime(frame[match["source"]], format="ISO8601", utc=True, errors="coerce").dt
        values = {"hour": stamps.hour, "day_of_week": stamps.dayofweek, "day_of_month": stamps.day, "month": stamps.month}[match["part"]]
        frame[name] = values.astype("Int64")
    return frame


def input_fn(request_body: Any, request_content_type: str) -> pd.DataFrame:
    content_type = (request_content_type or "").split(";")[0].strip().lower()
    if content_type != CSV:
        raise ValueError(f"content type {request_content_type!r} is not supported: send {CSV} with a header row.")
    text = request_body.decode("utf-8") if isinstance(request_body, (bytes, bytearray)) else str(request_body)
    try:
        frame = pd.read_csv(io.StringIO(text))  # read as the training job read its channels
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"the request is not CSV with a header row ({error}).") from error
    return add_time_parts(frame, _features)


def predict_fn(data: pd.DataFrame, predictor: Any) -> Any:
    if predictor.problem_type == "binary":
        return predictor.predict_proba(data).iloc[:, 1]
    if predictor.problem_type == "multiclass":
        return predictor.predict_proba(data)
    return predictor.predict(data)


def output_fn(prediction: Any, accept: str) -> str:
    return prediction.to_csv(header=False, index=False)
