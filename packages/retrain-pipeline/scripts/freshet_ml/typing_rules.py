"""Typing the raw snapshot against the schema; rows that do not fit are rejected with the reason.

Rules (documented in the README): empty text and JSON null are null; doubles and ints
parse as numbers (ints must be whole); booleans accept true/false, t/f (Redshift) and
1/0; timestamps are ISO 8601, and a timestamp without an offset is UTC (Redshift
UNLOAD writes ``YYYY-MM-DD HH:MM:SS``). A null in a non-nullable column, in the
target (a row without a label cannot train) or in the event time rejects the row.
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
import pandas as pd

from .rejects import Rejected
from .schema import Column, Schema
from .snapshot import SOURCE_COLUMN

TRUE_TEXT = frozenset({"true", "t", "1"})
FALSE_TEXT = frozenset({"false", "f", "0"})


def _text_mask(values: pd.Series) -> pd.Series:
    """True where the value is a str (JSON lines mix str, numbers and booleans in one column)."""
    if not pd.api.types.is_object_dtype(values):
        return pd.Series(False, index=values.index)
    return values.map(type).isin([str])


def _null_mask(values: pd.Series) -> pd.Series:
    """Null: missing, JSON null, or empty/blank text (Redshift UNLOAD CSV writes NULL as an empty field)."""
    text = _text_mask(values).to_numpy()
    blank = np.zeros(len(values), dtype=bool)
    if text.any():
        blank[text] = (values[text].str.strip() == "").to_numpy(dtype=bool)
    return values.isna() | pd.Series(blank, index=values.index)


def _to_boolean(value: object) -> object:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_TEXT:
        return True
    if text in FALSE_TEXT:
        return False
    return None


def _type_column(values: pd.Series, column: Column, nulls: pd.Series) -> Tuple[pd.Series, pd.Series]:
    """Return (typed values, mask of values that are present but not of the column's type)."""
    present = values[~nulls]
    if column.type == "string":
        typed = values.astype(object).copy()
        not_text = ~_text_mask(values) & ~nulls  # JSON numbers/booleans in a string column become their text
        typed[not_text] = typed[not_text].map(str)
        return typed.where(~nulls, None), pd.Series(False, index=values.index)
    if column.type in ("double", "int", "bigint"):
        numbers = pd.to_numeric(present.map(lambda v: v.strip() if isinstance(v, str) else v), errors="coerce")
        numbers = numbers.where(~present.map(lambda v: isinstance(v, bool)), np.nan)  # JSON true is not a number
        bad = numbers.isna() | ~np.isfinite(numbers.astype("float64"))
        if column.type != "double":
            bad |= (numbers % 1 != 0).fillna(False)
        typed = pd.Series(np.nan, index=values.index, dtype="float64")
        typed[present.index] = numbers.astype("float64")
        if column.type != "double":
            typed = typed.round().astype("Int64")
        return typed, bad.reindex(values.index, fill_value=False)
    if column.type == "boolean":
        booleans = present.map(_to_boolean)
        bad = booleans.isna()
        typed = pd.Series(pd.NA, index=values.index, dtype="boolean")
        typed[present.index[~bad.to_numpy()]] = booleans[~bad].astype(bool)
        return typed, bad.reindex(values.index, fill_value=False)
    # timestamp
    stamps = pd.to_datetime(present.map(str), format="ISO8601", utc=True, errors="coerce")
    bad = stamps.isna()
    typed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    typed[present.index] = stamps
    return typed, bad.reindex(values.index, fill_value=False)


def type_values(values: pd.Series, column: Column) -> Tuple[pd.Series, pd.Series, pd.Series]:
    """Type one column's raw values (text or JSON values) by the rules above.

    Returns (typed values, null mask, mask of present values that are not of the column's type).
    The drift job types captured request fields with this, so a window is typed exactly as the
    training snapshot whose baseline it is compared with.
    """
    nulls = _null_mask(values)
    typed, bad = _type_column(values, column, nulls)
    return typed, nulls, bad


def _describe(column: Column) -> str:
    return {
        "double": "a number",
        "int": "a whole number",
        "bigint": "a whole number",
        "boolean": "a boolean (true/false, t/f, 1/0)",
        "timestamp": "an ISO 8601 timestamp",
    }.get(column.type, column.type)


def apply_schema(raw: pd.DataFrame, schema: Schema, log: bool = True) -> Tuple[pd.DataFrame, List[Rejected]]:
    """Type every schema column; return the valid rows (typed, original order, plus ``_source``) and the rejected ones.

    Rows are typed one by one, so typing a snapshot chunk by chunk gives the same rows and reasons
    (``log=False`` leaves the per-call line out; the chunked reader logs the totals).
    """
    typed = pd.DataFrame(index=raw.index)
    reasons = pd.Series("", index=raw.index, dtype=object)

    def note(mask: pd.Series, text: pd.Series) -> None:
        nonlocal reasons
        combined = np.where(reasons == "", text, reasons + "; " + text)
        reasons = pd.Series(np.where(mask, combined, reasons), index=raw.index, dtype=object)

    for column in schema.columns:
        values = raw[column.name]
        nulls = _null_mask(values)
        typed[column.name], bad = _type_column(values, column, nulls)
        if bad.any():
            shown = values.map(lambda v: repr(v)[:60])
            note(bad, f"'{column.name}' value " + shown + f" is not {_describe(column)}")
        if not column.nullable and nulls.any():
            note(nulls, pd.Series(f"'{column.name}' is null or missing but the schema declares it non-nullable", index=raw.index))
        elif column.name == schema.target_column and nulls.any():
            note(nulls, pd.Series(f"target '{column.name}' is null: a row without a label cannot train", index=raw.index))
        elif column.name == schema.event_time_column and nulls.any():
            note(nulls, pd.Series(f"event time '{column.name}' is null: time-ordered splits and series need it", index=raw.index))

    bad_rows = reasons != ""
    rejected = [
        Rejected(source=raw.at[i, SOURCE_COLUMN], reason=reasons.at[i], record={n: _plain(raw.at[i, n]) for n in schema.names})
        for i in raw.index[bad_rows.to_numpy()]
    ]
    typed[SOURCE_COLUMN] = raw[SOURCE_COLUMN]  # kept so later stages can still name the input line they reject
    valid = typed[~bad_rows].reset_index(drop=True)
    if log:
        print(f"typed {len(valid)} valid rows; rejected {len(rejected)} row(s) that do not fit schema '{schema.name}'")
    return valid, rejected


def _plain(value: object) -> object:
    """A JSON-safe copy of a raw value for the rejected file."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if np.isnan(value) else value
    return str(value)
