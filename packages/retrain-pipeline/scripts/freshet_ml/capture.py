"""SageMaker data capture and ground-truth JSON Lines, and the payloads in them decoded as the proxy encoded them.

A capture line, as SageMaker writes it under ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl``::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": "...", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": "...", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...", "inferenceTime": "2026-12-01T06:00:00Z"}, "eventVersion": "0"}

``encoding`` CSV and JSON carry the payload as text, BASE64 as base64 bytes (content types
outside the endpoint's CaptureContentTypeHeader lists). A ground-truth line::

    {"groundTruthData": {"data": "101.5", "encoding": "CSV"}, "eventMetadata": {"eventId": "<the inference id>"}, "eventVersion": "0"}

Request payloads are decoded with the rules of the ModelEndpoint proxy
(``packages/model-endpoint/src/handlers/predict-proxy/payload-codec.ts``):

* ``xgboost-csv``: one RFC 4180 CSV row per record, the schema's columns except the target, in
  schema order, no header; a null is an empty field;
* ``autogluon-csv``: the same rows after a header row of those column names;
* ``deepar-json``: the client's ``{"instances": [{"start", "target", "cat"?, "dynamic_feat"?}], "configuration"?}``
  passed through unchanged.

Responses: XGBoost CSV (one line per record, or all values on one line), AutoGluon CSV (a
header, then one row per record), DeepAR ``{"predictions": [{"mean", "quantiles"}]}``. Field
values are typed later with :func:`freshet_ml.typing_rules.type_values`, the snapshot's rules.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

import pandas as pd

from .errors import JobFailure
from .schema import Column, Schema

PAYLOAD_FORMATS = ("xgboost-csv", "autogluon-csv", "deepar-json")
#: The proxy's format per built-in algorithm (ModelSource.fromAlgorithm).
ALGORITHM_FORMATS = {"xgboost": "xgboost-csv", "autogluon": "autogluon-csv", "deepar": "deepar-json"}
CONTENT_TYPES = {"xgboost-csv": "text/csv", "autogluon-csv": "text/csv", "deepar-json": "application/json"}


class CaptureError(ValueError):
    """A line or payload that cannot be read; the message says what is wrong with it."""


@dataclass
class CapturedEvent:
    """One captured invocation: its ids, time and the request and response text."""

    event_id: str
    inference_id: Optional[str]
    inference_time: datetime
    input_type: str
    input_text: str
    output_type: Optional[str]
    output_text: Optional[str]


@dataclass
class GroundTruth:
    """One ground-truth record: the inference id it labels and its label text."""

    inference_id: str
    encoding: str
    text: str


def parse_time(text: object) -> datetime:
    """An ISO 8601 time; one without an offset is UTC (as the snapshot's typing rule)."""
    if not isinstance(text, str) or not text:
        raise CaptureError("eventMetadata.inferenceTime is missing")
    try:
        stamp = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        try:
            stamp = pd.Timestamp(text).to_pydatetime()
        except (ValueError, TypeError) as error:
            raise CaptureError(f"inferenceTime {text[:40]!r} is not an ISO 8601 time") from error
    return stamp.replace(tzinfo=timezone.utc) if stamp.tzinfo is None else stamp.astimezone(timezone.utc)


def payload_text(part: object, where: str) -> Tuple[str, str]:
    """(content type, text) of an ``endpointInput``/``endpointOutput``/``groundTruthData`` object."""
    if not isinstance(part, dict):
        raise CaptureError(f"{where} is missing")
    data = part.get("data")
    encoding = str(part.get("encoding", "")).upper()
    if not isinstance(data, str):
        raise CaptureError(f"{where}.data is not a string")
    content_type = str(part.get("observedContentType", ""))
    if encoding in ("CSV", "JSON"):
        return content_type, data
    if encoding == "BASE64":
        try:
            return content_type, base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise CaptureError(f"{where}.data is not base64 of UTF-8 text ({error})") from error
    raise CaptureError(f"{where}.encoding {part.get('encoding')!r} is not CSV, JSON or BASE64")


def parse_capture_line(line: str) -> CapturedEvent:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise CaptureError(f"not valid JSON ({error.msg})") from error
    if not isinstance(record, dict) or not isinstance(record.get("captureData"), dict):
        raise CaptureError("no captureData object")
    metadata = record.get("eventMetadata")
    if not isinstance(metadata, dict):
        raise CaptureError("no eventMetadata object")
    capture = record["captureData"]
    input_type, input_text = payload_text(capture.get("endpointInput"), "endpointInput")
    output_type: Optional[str] = None
    output_text: Optional[str] = None
    if capture.get("endpointOutput") is not None:
        output_type, output_text = payload_text(capture["endpointOutput"], "endpointOutput")
    inference_id = metadata.get("inferenceId")
    return CapturedEvent(
        event_id=str(metadata.get("eventId", "")),
        inference_id=str(inference_id) if inference_id not in (None, "") else None,
        inference_time=parse_time(metadata.get("inferenceTime")),
        input_type=input_type,
        input_text=input_text,
        output_type=output_type,
        output_text=output_text,
    )


def parse_ground_truth_line(line: str) -> GroundTruth:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise CaptureError(f"not valid JSON ({error.msg})") from error
    if not isinstance(record, dict):
        raise CaptureError("not a JSON object")
    metadata = record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
    if not isinstance(event_id, str) or not event_id:
        raise CaptureError("eventMetadata.eventId (the inference id) is missing")
    _, text = payload_text(record.get("groundTruthData"), "groundTruthData")
    encoding = str(record["groundTruthData"].get("encoding", "")).upper()  # payload_text checked it is an object
    return GroundTruth(inference_id=event_id, encoding=encoding, text=text)


# -- requests ---------------------------------------------------------------------------------------------------


@dataclass
class RequestLayout:
    """How the endpoint's requests are laid out: the proxy's format and columns (DeepAR: series decoding)."""

    payload_format: str
    columns: Tuple[Column, ...]
    series_column: Optional[str] = None
    target_column: Optional[str] = None
    series: Tuple[str, ...] = ()
    step_seconds: float = 3600.0

    @property
    def names(self) -> List[str]:
        return [column.name for column in self.columns]


def payload_format_for(algorithm: str, requested: Optional[str]) -> str:
    if requested:
        if requested not in PAYLOAD_FORMATS:
            raise JobFailure(f"--payload-format {requested!r} is not one of {', '.join(PAYLOAD_FORMATS)}.")
        return requested
    if algorithm not in ALGORITHM_FORMATS:
        raise JobFailure(f"--algorithm {algorithm} has no default payload format: pass --payload-format ({', '.join(PAYLOAD_FORMATS)}).")
    return ALGORITHM_FORMATS[algorithm]


def request_layout(schema: Schema, payload_format: str, baseline: Dict[str, Any]) -> RequestLayout:
    """The proxy's request columns: every schema column but the target (tabular); DeepAR's from the baseline."""
    if payload_format != "deepar-json":
        return RequestLayout(payload_format, tuple(c for c in schema.columns if c.name != schema.target_column))
    request = baseline.get("request")
    if not isinstance(request, dict) or request.get("payloadFormat") != "deepar-json":
        raise JobFailure("the baseline has no DeepAR request section (series ids, freq): it predates the drift job; retrain once to write a new baseline.")
    from .deepar_channels import pandas_offset  # only DeepAR needs the frequency parser

    series_column = str(request["seriesColumn"])
    target_column = str(request["targetColumn"])
    step = pd.Timedelta(pandas_offset(str(request["freq"]))).total_seconds()
    columns = (Column(series_column, "string", True), Column(target_column, schema.column(target_column).type, True))
    return RequestLayout(payload_format, columns, series_column, target_column, tuple(str(s) for s in request["series"]), step)


def _csv_rows(text: str) -> List[List[str]]:
    """RFC 4180 rows. Without quotes or carriage returns (nearly every request) splitting is the same, and faster."""
    if '"' in text or "\r" in text:
        return list(csv.reader(io.StringIO(text)))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.split(",") if line else [] for line in lines]


def decode_csv_request(text: str, layout: RequestLayout) -> Tuple[List[List[str]], int]:
    """(rows of fields, rows with the wrong number of fields) of a CSV request; raises on a bad header."""
    rows = _csv_rows(text)
    names = layout.names
    if layout.payload_format == "autogluon-csv":
        if not rows or [name.strip() for name in rows[0]] != names:
            shown = ",".join(rows[0])[:80] if rows else ""
            raise CaptureError(f"the header {shown!r} is not the request columns {','.join(names)} the proxy sends")
        rows = rows[1:]
    width = len(names)
    good: List[List[str]] = []
    bad = 0
    for row in rows:
        if not row and width == 1:
            row = [""]  # a one-column null record is an empty line
        if len(row) == width:
            good.append(row)
        else:
            bad += 1
    return good, bad


def start_seconds(text: object) -> float:
    """DeepAR ``start`` ("YYYY-MM-DD HH:MM:SS", UTC) as epoch seconds."""
    if not isinstance(text, str):
        raise CaptureError("an instance has no start time")
    try:
        return parse_time(text.replace(" ", "T", 1)).timestamp()
    except CaptureError as error:
        raise CaptureError(f"start {text[:40]!r} is not a time") from error


def decode_deepar_request(text: str, layout: RequestLayout) -> Tuple[List[Tuple[Any, float, Any]], int]:
    """(series id, time in epoch seconds, target value) of every point of every instance, and the instance count.

    ``cat[0]`` names the series by its index in the baseline's series list; an index outside it
    is a series the model never saw (kept as ``cat=<i>``, a category of its own); no ``cat`` is a null series.
    """
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise CaptureError(f"the request is not JSON ({error.msg})") from error
    instances = body.get("instances") if isinstance(body, dict) else None
    if not isinstance(instances, list):
        raise CaptureError("the request has no instances list")
    points: List[Tuple[Any, float, Any]] = []
    for instance in instances:
        if not isinstance(instance, dict) or not isinstance(instance.get("target"), list):
            raise CaptureError("an instance has no target list")
        start = start_seconds(instance.get("start"))
        cat = instance.get("cat")
        series: Any = None
        if isinstance(cat, list) and cat:
            index = cat[0]
            series = layout.series[index] if isinstance(index, int) and 0 <= index < len(layout.series) else f"cat={index}"
        step = layout.step_seconds
        for k, value in enumerate(instance["target"]):
            points.append((series, start + k * step, None if value == "NaN" else value))
    return points, len(instances)


# -- responses --------------------------------------------------------------------------------------------------


def _number(text: str) -> float:
    value = float(text)
    if math.isnan(value) and text.strip().lower() not in ("nan", "-nan", "+nan"):
        raise ValueError(text)
    return value


def decode_tabular_response(text: str, payload_format: str, count: int) -> List[List[float]]:
    """Prediction rows (values per record) of an XGBoost/AutoGluon CSV answer, as the proxy parses it."""
    rows = [row for row in _csv_rows(text) if not (len(row) == 1 and row[0].strip() == "") and row]
    try:
        if payload_format == "autogluon-csv" and len(rows) == count + 1:
            rows = rows[1:]
        if len(rows) == count:
            return [[_number(value) for value in row] for row in rows]
        if payload_format == "xgboost-csv" and len(rows) == 1 and len(rows[0]) == count:
            return [[_number(value)] for value in rows[0]]
    except ValueError as error:
        raise CaptureError(f"a prediction is not a number ({str(error)[:40]!r})") from error
    raise CaptureError(f"the answer has {len(rows)} line(s) for {count} record(s)")


def decode_deepar_response(text: str, count: int) -> List[Dict[str, Any]]:
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise CaptureError(f"the answer is not JSON ({error.msg})") from error
    predictions = body.get("predictions") if isinstance(body, dict) else None
    if not isinstance(predictions, list) or len(predictions) != count:
        raise CaptureError(f"the answer has no predictions list of {count} forecast(s)")
    if any(not isinstance(p, dict) for p in predictions):
        raise CaptureError("a forecast is not an object")
    return predictions


def point_forecast(forecast: Dict[str, Any]) -> List[float]:
    """``mean``, else quantile 0.5: the point forecast, as evaluate scores MAPE."""
    if isinstance(forecast.get("mean"), list):
        return [float(v) for v in forecast["mean"]]
    for key, values in (forecast.get("quantiles") or {}).items():
        if abs(float(key) - 0.5) < 1e-9:
            return [float(v) for v in values]
    raise CaptureError("a forecast has neither mean nor quantile 0.5")


def quantile_forecast(forecast: Dict[str, Any], quantile: float) -> List[float]:
    for key, values in (forecast.get("quantiles") or {}).items():
        if abs(float(key) - quantile) < 1e-9:
            return [float(v) for v in values]
    raise CaptureError(f"a forecast has no quantile {quantile:g}")


# -- ground truth -----------------------------------------------------------------------------------------------


def _csv_labels(text: str) -> List[Any]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    values = [value for row in rows for value in row] if len(rows) == 1 else [row[0] for row in rows]
    try:
        return [_number(value) for value in values]
    except ValueError as error:
        raise CaptureError(f"a label is not a number ({str(error)[:40]!r})") from error


def ground_truth_values(truth: GroundTruth, forecasting: bool) -> List[Any]:
    """The labels of one inference, one per record (forecasting: the actuals of each instance's horizon).

    CSV: one label per line, or all on one line separated by commas. JSON: a number, a list of
    numbers, or (forecasting) one list of actuals or a list of them.
    """
    text = truth.text.strip()
    if truth.encoding == "CSV" and not forecasting:
        return _csv_labels(text)
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        if truth.encoding == "BASE64" and not forecasting:  # base64 of CSV labels
            return _csv_labels(text)
        raise CaptureError(f"the label is not JSON ({error.msg})") from error
    if forecasting:
        if isinstance(body, list) and body and all(isinstance(item, list) for item in body):
            return [[math.nan if v in ("NaN", None) else float(v) for v in item] for item in body]
        if isinstance(body, list):
            return [[math.nan if v in ("NaN", None) else float(v) for v in body]]
        raise CaptureError("a forecasting label must be a list of actuals (or one list per instance)")
    if isinstance(body, (int, float)) and not isinstance(body, bool):
        return [float(body)]
    if isinstance(body, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in body):
        return [float(v) for v in body]
    raise CaptureError("a label must be a number or a list of numbers")

