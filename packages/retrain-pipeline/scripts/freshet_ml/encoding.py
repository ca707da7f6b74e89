"""Deterministic numeric encoding for XGBoost, fitted on the training split and saved as ``encoding.json``.

XGBoost reads numbers only, and the same mapping must be applied at evaluation and at
inference, so the mapping is data (JSON), not code: categories are the sorted values
seen in the *training* split (fitting on validation/test would leak them). An unseen
category encodes as ``-1`` (codes) or all zeros (one_hot); a null string as empty
(missing). Booleans are 0/1, timestamps Unix seconds, time parts integers.

For classification tasks the label is the index of the class in ``label.classes``
(sorted distinct target values of the whole valid snapshot), for every algorithm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set

import numpy as np
import pandas as pd

from .errors import JobFailure
from .features import FeatureSpec, feature_columns, time_part_name, time_part_values
from .schema import Schema

FORMAT_VERSION = 1


def json_value(value: Any) -> Any:
    """Categories as JSON scalars (numpy/pandas scalars are not serialisable)."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


@dataclass
class Encoding:
    """Output feature columns (in CSV order after the label) and how each is computed."""

    features: List[Dict[str, Any]]
    label_column: str
    label_classes: Optional[List[Any]]

    @property
    def names(self) -> List[str]:
        return [feature["name"] for feature in self.features]

    def to_json(self) -> Dict[str, Any]:
        return {
            "formatVersion": FORMAT_VERSION,
            "label": {"column": self.label_column, "classes": self.label_classes},
            "features": self.features,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> "Encoding":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(features=data["features"], label_column=data["label"]["column"], label_classes=data["label"]["classes"])


def label_classes(target: pd.Series, task_type: str) -> Optional[List[Any]]:
    """Sorted classes for classification tasks (None for regression/forecasting); checks the class count."""
    if task_type not in ("binary_classification", "multiclass_classification"):
        return None
    return checked_classes((json_value(v) for v in target.dropna().unique()), task_type)


def checked_classes(values: Iterable[Any], task_type: str) -> List[Any]:
    """The distinct target values, sorted, when they fit the classification task."""
    classes = sorted(values)
    if task_type == "binary_classification" and len(classes) != 2:
        raise JobFailure(f"binary_classification needs exactly 2 target classes; the snapshot has {len(classes)}: {classes[:10]}.")
    if len(classes) < 2:
        raise JobFailure(f"multiclass_classification needs at least 2 target classes; the snapshot has {classes}.")
    return classes


def encode_label(target: pd.Series, classes: Optional[List[Any]]) -> pd.Series:
    """The label as a number: the value itself (regression) or the class index."""
    if classes is None:
        return target.astype("float64")
    index = {value: position for position, value in enumerate(classes)}
    return target.map(lambda v: index[json_value(v)]).astype("int64")


def fit_encoding(train: pd.DataFrame, schema: Schema, spec: FeatureSpec, classes: Optional[List[Any]]) -> Encoding:
    """Decide the output columns from the training split."""
    categories = {
        column.name: {json_value(v) for v in train[column.name].dropna().unique()}
        for column in feature_columns(schema, spec)
        if column.type in ("string", "boolean")
    }
    return encoding_from_categories(schema, spec, classes, categories)


def encoding_from_categories(schema: Schema, spec: FeatureSpec, classes: Optional[List[Any]], seen: Dict[str, Set[Any]]) -> Encoding:
    """The encoding, given the distinct training values of each string and boolean feature (``seen``)."""
    features: List[Dict[str, Any]] = []
    for column in feature_columns(schema, spec):
        if column.type in ("string", "boolean"):
            categories = sorted(seen[column.name])
            method = spec.categorical.get(column.name, "codes")
            if method == "one_hot":
                for category in categories:
                    features.append({"name": f"{column.name}={category}", "source": column.name, "kind": "one_hot", "value": category})
            else:
                features.append({"name": column.name, "source": column.name, "kind": "codes", "categories": categories})
        elif column.type == "timestamp":
            features.append({"name": column.name, "source": column.name, "kind": "epoch_seconds"})
        else:
            features.append({"name": column.name, "source": column.name, "kind": "number"})
    for part in spec.time_parts:
        features.append({"name": time_part_name(schema, part), "source": schema.event_time_column, "kind": "time_part", "part": part})
    return Encoding(features=features, label_column=schema.target_column, label_classes=classes)


def encode_features(frame: pd.DataFrame, schema: Schema, spec: FeatureSpec, encoding: Encoding) -> pd.DataFrame:
    """All-numeric feature matrix in ``encoding.names`` order (float64, NaN = missing)."""
    parts = time_part_values(frame, schema, spec)
    out: Dict[str, pd.Series] = {}
    for feature in encoding.features:
        source = frame[feature["source"]]
        kind = feature["kind"]
        if kind == "one_hot":
            out[feature["name"]] = (source == feature["value"]).fillna(False).astype("float64")
        elif kind == "codes":
            lookup = {value: position for position, value in enumerate(feature["categories"])}
            codes = source.astype(object).map(lookup).astype("float64")
            out[feature["name"]] = codes.where(codes.notna() | source.isna(), -1.0)
        elif kind == "epoch_seconds":
            seconds = (source - pd.Timestamp("1970-01-01", tz="UTC")) // pd.Timedelta(seconds=1)
            out[feature["name"]] = seconds.astype("float64")
        elif kind == "time_part":
            out[feature["name"]] = parts[feature["name"]].astype("float64")
        else:
            out[feature["name"]] = source.astype("float64")
    return pd.DataFrame(out, index=frame.index, columns=encoding.names)
