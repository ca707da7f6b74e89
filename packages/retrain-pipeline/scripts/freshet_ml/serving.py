"""The XGBoost serving contract: what a request is, and how it becomes the training features.

The prediction API's proxy sends a deployed XGBoost model ``text/csv`` (RFC 4180): no
header, one record a line, every schema column but the target in schema order; an empty
field is null, booleans are ``true``/``false``, timestamps ISO 8601 as the caller sent
them. The model must turn those rows into exactly the matrix it trained on, so preprocess
writes ``serving/`` beside the channels: ``encoding.json`` (the fitted mapping) and
``serving.json`` (the schema, the feature spec and the request's column order). The
training entry point copies both into the model's ``code/`` folder, and the inference
handler (``xgboost_inference.py``, served as ``code/inference.py``) reads them.

Requests are typed with the snapshot's own rules (:mod:`freshet_ml.typing_rules`) and
encoded with :func:`freshet_ml.encoding.encode_features`; the columns training dropped
(id, event time unless time parts need it, excluded ones) are ignored, and an unseen
category encodes as at training (-1 for codes, all zeros for one_hot).

Preprocess also writes the test rows in this request format as ``transform-input/test.csv``,
so the pipeline's Batch Transform (and with it the quality gate) goes through the same code.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np
import pandas as pd

from .encoding import Encoding, encode_features
from .features import FeatureSpec, feature_columns, parse_feature_spec
from .schema import Column, Schema, parse_schema
from .typing_rules import type_values

FORMAT_VERSION = 1
SERVING_DIR = "serving"
SERVING_FILE = "serving.json"
ENCODING_FILE = "encoding.json"

# Files in a model's code/ that send pip to the network on a network-isolated endpoint. The XGBoost
# container installs code/ as the user module with ``pip install . [-r requirements.txt]``
# (sagemaker-containers ``_modules.install``), writing a bare setup.py only when there is none
# (``_modules.prepare``): a requirements.txt adds downloads, a setup.py/setup.cfg can declare
# install_requires, a pyproject.toml build requirements or dependencies. Everything serving needs is in
# the image already.
PIP_NETWORK_FILES = ("requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "Pipfile.lock")


def files_sending_pip_to_the_network(code_dir: Path) -> List[str]:
    """The files of ``code_dir`` (top level, where pip reads them) that would make the endpoint's install download."""
    return sorted(name for name in PIP_NETWORK_FILES if (Path(code_dir) / name).exists())


def request_columns(schema: Schema) -> List[Column]:
    """The columns of a request line, in order: every schema column but the target (the proxy's ``toCsv`` order)."""
    return [column for column in schema.columns if column.name != schema.target_column]


def schema_spec(schema: Schema) -> Dict[str, Any]:
    """The schema back as the ``DatasetSchema.toSpec()`` JSON it was parsed from."""
    spec: Dict[str, Any] = {
        "name": schema.name,
        "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in schema.columns],
        "targetColumn": schema.target_column,
    }
    if schema.event_time_column:
        spec["eventTimeColumn"] = schema.event_time_column
    if schema.id_column:
        spec["idColumn"] = schema.id_column
    return spec


def feature_spec_json(spec: FeatureSpec) -> Dict[str, Any]:
    return {"categorical": dict(spec.categorical), "timeParts": list(spec.time_parts), "exclude": list(spec.exclude)}


def write_serving(directory: Path, schema: Schema, spec: FeatureSpec, encoding: Encoding) -> Path:
    """``<directory>/serving/`` with encoding.json and serving.json (what inference needs besides the booster)."""
    folder = directory / SERVING_DIR
    encoding.write(folder / ENCODING_FILE)
    document = {
        "formatVersion": FORMAT_VERSION,
        "contentType": "text/csv",
        "requestColumns": [column.name for column in request_columns(schema)],
        "schema": schema_spec(schema),
        "features": feature_spec_json(spec),
    }
    (folder / SERVING_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class ServingContract:
    """The schema, feature spec and encoding of one trained model."""

    schema: Schema
    spec: FeatureSpec
    encoding: Encoding
    request_columns: List[Column]

    @classmethod
    def read(cls, folder: Path) -> "ServingContract":
        path = folder / SERVING_FILE
        if not path.is_file() or not (folder / ENCODING_FILE).is_file():
            raise ValueError(f"{folder} has no {SERVING_FILE} and {ENCODING_FILE}: the model was not trained by RetrainPipeline's XGBoost entry point.")
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("formatVersion") != FORMAT_VERSION:
            raise ValueError(f"{path} has formatVersion {document.get('formatVersion')!r}; this code reads {FORMAT_VERSION}.")
        schema = parse_schema(document["schema"])
        spec = parse_feature_spec(json.dumps(document["features"]), schema)
        return cls(schema, spec, Encoding.read(folder / ENCODING_FILE), request_columns(schema))

    @property
    def used_columns(self) -> List[Column]:
        """The request columns the features are computed from (the others are read and ignored)."""
        used = {column.name for column in feature_columns(self.schema, self.spec)}
        if self.spec.time_parts:
            used.add(self.schema.event_time_column)
        return [column for column in self.request_columns if column.name in used]

    def parse_rows(self, text: str) -> pd.DataFrame:
        """The request's lines as text, one column per request column; a wrong field count is a ValueError naming the line."""
        names = [column.name for column in self.request_columns]
        rows: List[List[str]] = []
        try:
            for values in csv.reader(io.StringIO(text, newline=""), strict=True):
                if not values:
                    if len(names) > 1:
                        continue  # a blank line (the proxy writes none)
                    values = [""]  # one request column: an empty line is a null value
                if len(values) != len(names):
                    raise ValueError(
                        f"request line {len(rows) + 1} has {len(values)} field(s); expected {len(names)}: "
                        f"the columns of schema '{self.schema.name}' but the target, in schema order ({', '.join(names)})."
                    )
                rows.append(values)
        except csv.Error as error:
            raise ValueError(f"the request is not RFC 4180 CSV ({error}).") from error
        if not rows:
            raise ValueError("the request has no rows: send one CSV line per record.")
        return pd.DataFrame(rows, columns=names, dtype=object)

    def features(self, text: str) -> pd.DataFrame:
        """The encoded feature matrix of a request (``encoding.names`` columns, float64, NaN = missing)."""
        raw = self.parse_rows(text)
        typed = pd.DataFrame(index=raw.index)
        for column in self.used_columns:
            values, _nulls, bad = type_values(raw[column.name], column)
            if bad.any():
                line = int(np.flatnonzero(bad.to_numpy())[0])
                shown = str(raw.at[raw.index[line], column.name])[:60]
                raise ValueError(f"request line {line + 1}: '{column.name}' value {shown!r} is not a {column.type} (the schema's type).")
            typed[column.name] = values
        return encode_features(typed, self.schema, self.spec, self.encoding)


def request_text(frame: pd.DataFrame, columns: Sequence[Column]) -> str:
    """Typed rows written as the proxy writes a request (the transform-input of the test channel).

    Numbers as their shortest round-trip text, booleans true/false, timestamps ISO 8601 UTC, null empty.
    """
    return "".join(request_lines(frame, columns))


def request_lines(frame: pd.DataFrame, columns: Sequence[Column]) -> List[str]:
    """:func:`request_text` one row at a time (each line with its newline), for the chunked writer."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    cells = [_request_values(frame[column.name], column) for column in columns]
    lines = []
    for row in zip(*cells):
        writer.writerow(row)
        lines.append(out.getvalue())
        out.seek(0)
        out.truncate()
    return lines


def _request_values(values: pd.Series, column: Column) -> List[str]:
    def text(value: Any) -> str:
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            return ""
        if column.type == "timestamp":
            return pd.Timestamp(value).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if column.type == "boolean":
            return "true" if bool(value) else "false"
        if column.type == "double":
            return repr(float(value))
        if column.type in ("int", "bigint"):
            return str(int(value))
        return str(value)

    return [text(value) for value in values.astype(object)]
