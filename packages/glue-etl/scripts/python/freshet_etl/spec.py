"""The dataset schema contract, as ``DatasetSchema.toSpec()`` of @freshet/core writes it.

The job receives the schema as JSON in ``--schema``. It is parsed and checked
here once, so every later module can rely on a valid spec and a bad argument
fails the run before any data is read, with a message that says what to change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from pyspark.sql import types as T

COLUMN_NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
DATASET_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

#: The curated table is partitioned by these string columns (see lake-tables.ts).
PARTITION_COLUMNS: tuple[str, ...] = ("year", "month", "day")

#: Schema type names (core's ColumnType values) and the Spark type each is curated as.
SPARK_TYPES: Mapping[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "timestamp": T.TimestampType(),
}


class SchemaError(ValueError):
    """The ``--schema`` argument is not a valid dataset schema spec."""


@dataclass(frozen=True)
class ColumnSpec:
    """One column: its name, schema type name and whether it may be empty."""

    name: str
    type: str
    nullable: bool

    @property
    def spark_type(self) -> T.DataType:
        """The Spark type the curated Parquet stores this column as."""
        return SPARK_TYPES[self.type]


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset schema: columns in declared order, target, optional event-time and id columns."""

    name: str
    columns: tuple[ColumnSpec, ...]
    target_column: str
    event_time_column: Optional[str] = None
    id_column: Optional[str] = None

    @property
    def column_names(self) -> list[str]:
        """Column names in declared order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        """The column called ``name``; raises :class:`SchemaError` naming the valid ones."""
        for c in self.columns:
            if c.name == name:
                return c
        raise SchemaError(f"'{name}' is not a column of '{self.name}': use one of {', '.join(self.column_names)}.")

    @property
    def dedup_key(self) -> list[str]:
        """The columns that identify a record: the id column, or all columns when there is none."""
        return [self.id_column] if self.id_column else self.column_names

    def spark_schema(self) -> T.StructType:
        """The curated Spark schema of the schema columns (without derived or partition columns)."""
        return T.StructType([T.StructField(c.name, c.spark_type, c.nullable) for c in self.columns])

    @staticmethod
    def from_json(text: str) -> "DatasetSpec":
        """Parses the ``--schema`` JSON argument."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise SchemaError(f"--schema is not valid JSON ({err}): pass DatasetSchema.toSpec() as JSON.") from err
        return DatasetSpec.from_dict(raw)

    @staticmethod
    def from_dict(raw: Any) -> "DatasetSpec":
        """Builds and validates a spec from its parsed JSON form."""
        if not isinstance(raw, dict):
            raise SchemaError("--schema must be a JSON object with name, columns and targetColumn.")
        problems: list[str] = []
        name = raw.get("name")
        if not isinstance(name, str) or not DATASET_NAME_PATTERN.match(name):
            problems.append(f"name {name!r} must be lower case letters, digits and underscores, starting with a letter.")
        columns = _parse_columns(raw.get("columns"), problems)
        names = [c.name for c in columns]
        for key in ("targetColumn", "eventTimeColumn", "idColumn"):
            value = raw.get(key)
            if value is None and key != "targetColumn":
                continue
            if value not in names:
                problems.append(f"{key} {value!r} is not a column: use one of {', '.join(names) or '(no columns)'}.")
        event_time = raw.get("eventTimeColumn")
        if event_time in names and next(c for c in columns if c.name == event_time).type != "timestamp":
            problems.append(f"eventTimeColumn '{event_time}' must be a timestamp column.")
        if problems:
            raise SchemaError("Invalid --schema:\n" + "\n".join(f"  - {p}" for p in problems))
        return DatasetSpec(
            name=name,
            columns=tuple(columns),
            target_column=raw["targetColumn"],
            event_time_column=event_time,
            id_column=raw.get("idColumn"),
        )


def _parse_columns(raw: Any, problems: list[str]) -> list[ColumnSpec]:
    """Parses the column list, adding a problem for each bad column instead of stopping at the first."""
    if not isinstance(raw, list) or not raw:
        problems.append("columns must be a non-empty list of {name, type, nullable}.")
        return []
    columns: list[ColumnSpec] = []
    seen: set[str] = set()
    for i, col in enumerate(raw):
        if not isinstance(col, dict):
            problems.append(f"columns[{i}] must be an object with name, type and nullable.")
            continue
        cname, ctype, nullable = col.get("name"), col.get("type"), col.get("nullable", False)
        if not isinstance(cname, str) or not COLUMN_NAME_PATTERN.match(cname):
            problems.append(f"columns[{i}].name {cname!r} must be lower case letters, digits and underscores.")
            continue
        if cname in PARTITION_COLUMNS:
            problems.append(f"column '{cname}' clashes with the curated partition column of that name: rename it.")
        if cname in seen:
            problems.append(f"column '{cname}' is declared twice.")
        seen.add(cname)
        if ctype not in SPARK_TYPES:
            problems.append(f"column '{cname}' has type {ctype!r}: use one of {', '.join(SPARK_TYPES)}.")
            continue
        if not isinstance(nullable, bool):
            problems.append(f"column '{cname}' has nullable {nullable!r}: use true or false.")
            continue
        columns.append(ColumnSpec(cname, ctype, nullable))
    return columns


def reserved_names(spec: DatasetSpec, extra: Sequence[str] = ()) -> set[str]:
    """Names a derived column may not take: schema columns, partition columns and ``extra``."""
    return set(spec.column_names) | set(PARTITION_COLUMNS) | set(extra)
