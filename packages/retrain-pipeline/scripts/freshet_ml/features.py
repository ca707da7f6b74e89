"""The declared feature engineering (``--features`` JSON), kept deliberately small.

Shape (every key optional)::

    {"categorical": {"sector": "one_hot", "ticker_symbol": "codes"},
     "timeParts": ["hour", "day_of_week"],
     "exclude": ["some_column"]}

* ``categorical``: how XGBoost (which needs all-numeric input) encodes a string or
  boolean column: ``one_hot`` (one 0/1 column per training category) or ``codes``
  (the category's index in the sorted training categories). Unlisted string/boolean
  columns use ``codes``. AutoGluon and DeepAR ignore it (AutoGluon encodes itself).
* ``timeParts``: parts of the schema's event-time column added as features, named
  ``<eventTime>_<part>``: ``hour``, ``day_of_week`` (Monday = 0), ``day_of_month``, ``month``.
* ``exclude``: columns left out of the features.

The target, the event-time column (time-ordered split; use timeParts instead) and the
id column are never features.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import pandas as pd

from .errors import JobFailure
from .schema import CATEGORICAL_TYPES, Column, Schema

CATEGORICAL_ENCODINGS = ("one_hot", "codes")
TIME_PARTS = ("hour", "day_of_week", "day_of_month", "month")
SPEC_KEYS = ("categorical", "timeParts", "exclude")


@dataclass(frozen=True)
class FeatureSpec:
    """The parsed ``--features`` argument."""

    categorical: Dict[str, str] = field(default_factory=dict)
    time_parts: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()


def parse_feature_spec(text: str, schema: Schema) -> FeatureSpec:
    """Parse and check ``--features`` against the schema; each error names what to change."""
    try:
        raw = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise JobFailure(f"--features is not valid JSON ({error}).") from error
    if not isinstance(raw, dict):
        raise JobFailure("--features must be a JSON object with keys categorical, timeParts, exclude.")
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        raise JobFailure(f"--features has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(SPEC_KEYS)}.")
    categorical = raw.get("categorical", {})
    if not isinstance(categorical, dict):
        raise JobFailure("--features categorical must map column names to one_hot or codes.")
    for name, encoding in categorical.items():
        column = schema.column(name)
        if column.type not in CATEGORICAL_TYPES:
            raise JobFailure(f"--features categorical: '{name}' is {column.type}; only string and boolean columns are categorical.")
        if encoding not in CATEGORICAL_ENCODINGS:
            raise JobFailure(f"--features categorical: '{name}' has encoding {encoding!r}; use one of {', '.join(CATEGORICAL_ENCODINGS)}.")
    time_parts = raw.get("timeParts", [])
    if not isinstance(time_parts, list) or any(part not in TIME_PARTS for part in time_parts):
        raise JobFailure(f"--features timeParts must be a list drawn from {', '.join(TIME_PARTS)}; got {time_parts!r}.")
    if time_parts and schema.event_time_column is None:
        raise JobFailure(f"--features timeParts needs an eventTimeColumn in schema '{schema.name}'.")
    exclude = raw.get("exclude", [])
    if not isinstance(exclude, list):
        raise JobFailure("--features exclude must be a list of column names.")
    for name in exclude:
        schema.column(name)
    if schema.target_column in exclude:
        raise JobFailure(f"--features exclude lists the target '{schema.target_column}': the target is never a feature anyway; remove it.")
    return FeatureSpec(categorical=dict(categorical), time_parts=tuple(dict.fromkeys(time_parts)), exclude=tuple(exclude))


def feature_columns(schema: Schema, spec: FeatureSpec) -> List[Column]:
    """Schema columns used as features, in declared order."""
    never = {schema.target_column, schema.event_time_column, schema.id_column, *spec.exclude}
    columns = [column for column in schema.columns if column.name not in never]
    if not columns and not spec.time_parts:
        raise JobFailure(f"schema '{schema.name}' leaves no feature column once the target, event time, id and excluded columns are removed.")
    return columns


def time_part_name(schema: Schema, part: str) -> str:
    return f"{schema.event_time_column}_{part}"


def time_part_values(frame: pd.DataFrame, schema: Schema, spec: FeatureSpec) -> pd.DataFrame:
    """The requested parts of the event time (UTC), one integer column each."""
    out = pd.DataFrame(index=frame.index)
    if not spec.time_parts:
        return out
    stamps = frame[schema.event_time_column].dt
    extract = {"hour": stamps.hour, "day_of_week": stamps.dayofweek, "day_of_month": stamps.day, "month": stamps.month}
    for part in spec.time_parts:
        out[time_part_name(schema, part)] = extract[part].astype("Int64")
    return out
