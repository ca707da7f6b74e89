"""Writers of the tabular channels: XGBoost (label first, no header) and AutoGluon (header, label by name).

One file per channel, ``<channel>/<channel>.csv``. The test rows are also written
without the label as ``transform-input/test.csv``: a Batch Transform of that folder
needs no input filter and writes ``test.csv.out``, which evaluate pairs with
``test/test.csv`` by name and line. For XGBoost that file holds the raw feature rows as
the prediction API sends them (:mod:`freshet_ml.serving`), not the encoded matrix: the
model's inference code encodes them, so the gate scores the path requests take.
"""

from __future__ import annotations

from pathlib import Path
from typing import List

import pandas as pd

from .schema import Schema
from .serving import request_columns, request_text


TRANSFORM_INPUT = "transform-input"


def write_xgboost(directory: Path, channel: str, label: pd.Series, features: pd.DataFrame, rows: pd.DataFrame, schema: Schema) -> Path:
    """Headerless all-numeric CSV, label in column 1; a missing value is an empty field.

    ``rows`` are the channel's typed rows: the test ones become ``transform-input/test.csv`` in the request format.
    """
    folder = directory / channel
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{channel}.csv"
    table = pd.concat([label.rename("__label__").reset_index(drop=True), features.reset_index(drop=True)], axis=1)
    table.to_csv(path, header=False, index=False, na_rep="", lineterminator="\n")
    if channel == "test":
        unlabeled = directory / TRANSFORM_INPUT
        unlabeled.mkdir(parents=True, exist_ok=True)
        (unlabeled / "test.csv").write_text(request_text(rows, request_columns(schema)), encoding="utf-8")
    return path


def write_autogluon(directory: Path, channel: str, frame: pd.DataFrame, columns: List[str], label_column: str) -> Path:
    """CSV with a header; values as typed (timestamps ISO 8601 UTC, booleans true/false)."""
    folder = directory / channel
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{channel}.csv"
    table = autogluon_table(frame, columns)
    table.to_csv(path, header=True, index=False, na_rep="", lineterminator="\n")
    if channel == "test":
        unlabeled = directory / TRANSFORM_INPUT
        unlabeled.mkdir(parents=True, exist_ok=True)
        table.drop(columns=[label_column]).to_csv(unlabeled / "test.csv", header=True, index=False, na_rep="", lineterminator="\n")
    return path


def autogluon_table(frame: pd.DataFrame, columns: List[str]) -> pd.DataFrame:
    """The AutoGluon channel's columns as written: timestamps ISO 8601 UTC, booleans true/false."""
    table = frame[columns].copy()
    for name in columns:
        if isinstance(table[name].dtype, pd.DatetimeTZDtype):
            table[name] = table[name].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif str(table[name].dtype) == "boolean":
            table[name] = table[name].map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
    return table


def csv_lines(table: pd.DataFrame, header: bool = False) -> List[str]:
    """``table.to_csv`` as the channel writers call it, one record a string (a quoted newline stays inside its record)."""
    text = table.to_csv(None, header=header, index=False, na_rep="", lineterminator="\n")
    pieces = text.split("\n")[:-1]
    if '"' not in text:
        return [piece + "\n" for piece in pieces]
    records: List[str] = []
    pending = ""
    for piece in pieces:
        pending += piece + "\n"
        if pending.count('"') % 2 == 0:  # RFC 4180 doubles a quote inside a field: an odd count means a field still open
            records.append(pending)
            pending = ""
    return records
