"""Derived columns: values the job adds to every curated row, computed from a timestamp column.

The set is deliberately small and matches the ``Derivation`` enum of the
GlueEtl construct, which also declares the derived columns' types in the
curated table: ``hour`` (int 0-23, UTC), ``day_of_week`` (int, ISO 1 = Monday
... 7 = Sunday) and ``date`` (string ``YYYY-MM-DD``, UTC). All are computed in
the Spark session time zone, which the pipeline pins to UTC.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .spec import COLUMN_NAME_PATTERN, DatasetSpec, reserved_names


class DerivationError(ValueError):
    """The ``--derived_columns`` argument asks for something the job cannot derive."""


def _iso_day_of_week(ts: Column) -> Column:
    # Spark's dayofweek is 1 = Sunday ... 7 = Saturday; shift it to ISO 1 = Monday ... 7 = Sunday.
    return ((F.dayofweek(ts) + 5) % 7 + 1).cast(T.IntegerType())


#: Derivation name -> (how to compute it from the source column, the curated type).
DERIVATIONS: Mapping[str, tuple[Callable[[Column], Column], T.DataType]] = {
    "hour": (lambda ts: F.hour(ts).cast(T.IntegerType()), T.IntegerType()),
    "day_of_week": (_iso_day_of_week, T.IntegerType()),
    "date": (lambda ts: F.date_format(ts, "yyyy-MM-dd"), T.StringType()),
}


@dataclass(frozen=True)
class DerivedColumn:
    """A column to add: its name, the derivation, and the timestamp column it reads."""

    name: str
    derivation: str
    source: str

    @property
    def spark_type(self) -> T.DataType:
        """The curated type of the derived column."""
        return DERIVATIONS[self.derivation][1]

    def expression(self) -> Column:
        """The Spark expression computing the column from the typed source column."""
        return DERIVATIONS[self.derivation][0](F.col(self.source)).alias(self.name)


def parse_derived_columns(text: str, spec: DatasetSpec) -> list[DerivedColumn]:
    """Parses ``--derived_columns`` (a JSON list of ``{name, derivation, source}``) against the schema.

    Every problem is reported at once, before any data is read.
    """
    try:
        raw = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as err:
        raise DerivationError(f"--derived_columns is not valid JSON ({err}): pass a JSON list of {{name, derivation, source}}.") from err
    if not isinstance(raw, list):
        raise DerivationError("--derived_columns must be a JSON list of {name, derivation, source}.")
    problems: list[str] = []
    derived: list[DerivedColumn] = []
    taken = reserved_names(spec)
    for i, item in enumerate(raw):
        problem = _check_item(i, item, spec, taken)
        if problem:
            problems.append(problem)
            continue
        derived.append(DerivedColumn(item["name"], item["derivation"], item["source"]))
        taken.add(item["name"])
    if problems:
        raise DerivationError("Invalid --derived_columns:\n" + "\n".join(f"  - {p}" for p in problems))
    return derived


def _check_item(i: int, item: Any, spec: DatasetSpec, taken: set[str]) -> str | None:
    """The problem with one derived column entry, or None when it is valid."""
    if not isinstance(item, dict) or not {"name", "derivation", "source"} <= set(item):
        return f"[{i}] must be an object with name, derivation and source, got {item!r}."
    name, derivation, source = item["name"], item["derivation"], item["source"]
    if derivation not in DERIVATIONS:
        return f"'{name}': unknown derivation {derivation!r}: use one of {', '.join(DERIVATIONS)}."
    if not isinstance(name, str) or not COLUMN_NAME_PATTERN.match(name):
        return f"[{i}] name {name!r} must be lower case letters, digits and underscores."
    if name in taken:
        return f"'{name}' clashes with a schema, partition or other derived column: give it another name."
    if source not in spec.column_names:
        return f"'{name}' reads '{source}', which is not a column: use one of {', '.join(spec.column_names)}."
    if spec.column(source).type != "timestamp":
        return f"'{name}' reads '{source}', a {spec.column(source).type}: derivations read timestamp columns."
    return None


def add_derived_columns(df: DataFrame, derived: list[DerivedColumn]) -> DataFrame:
    """Adds the derived columns to typed rows (null where the source is null)."""
    return df.select("*", *[d.expression() for d in derived]) if derived else df
