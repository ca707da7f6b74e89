"""The dataset schema contract, as ``DatasetSchema.toSpec()`` in @freshet/core writes it.

The jobs receive it as a JSON argument so that the column list, types and the target
come from the one declaration that also built the Glue table and the Redshift DDL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple

from .errors import JobFailure

COLUMN_TYPES = ("string", "int", "bigint", "double", "boolean", "timestamp")
NUMERIC_TYPES = frozenset({"int", "bigint", "double"})
CATEGORICAL_TYPES = frozenset({"string", "boolean"})


@dataclass(frozen=True)
class Column:
    """One declared column."""

    name: str
    type: str
    nullable: bool


@dataclass(frozen=True)
class Schema:
    """The parsed spec: columns in declared order, the target, optional event-time and id columns."""

    name: str
    columns: Tuple[Column, ...]
    target_column: str
    event_time_column: Optional[str] = None
    id_column: Optional[str] = None

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise JobFailure(f"column '{name}' is not in schema '{self.name}' (columns: {', '.join(self.names)}).")


def load_schema(value: str) -> Schema:
    """Parse ``--schema``: inline JSON (starts with ``{``) or the path of a JSON file."""
    text = value.strip()
    if not text.startswith("{"):
        path = Path(text)
        if not path.is_file():
            raise JobFailure(f"--schema must be the JSON spec from DatasetSchema.toSpec() or a path to it; '{value[:80]}' is neither.")
        text = path.read_text(encoding="utf-8")
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise JobFailure(f"--schema is not valid JSON ({error}): pass DatasetSchema.toSpec() serialized with JSON.stringify.") from error
    return parse_schema(spec)


def parse_schema(spec: object) -> Schema:
    """Check the spec's shape and return a Schema; every problem names the field to change."""
    if not isinstance(spec, dict):
        raise JobFailure("--schema must be a JSON object with name, columns and targetColumn.")
    name = spec.get("name")
    raw_columns = spec.get("columns")
    if not isinstance(name, str) or not name:
        raise JobFailure("--schema needs a non-empty string 'name'.")
    if not isinstance(raw_columns, list) or not raw_columns:
        raise JobFailure(f"--schema '{name}' needs a non-empty 'columns' list.")
    columns = []
    for index, raw in enumerate(raw_columns):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise JobFailure(f"--schema '{name}': columns[{index}] needs a string 'name'.")
        column_type = raw.get("type")
        if column_type not in COLUMN_TYPES:
            raise JobFailure(
                f"--schema '{name}': column '{raw['name']}' has type {column_type!r}; use one of {', '.join(COLUMN_TYPES)}."
            )
        columns.append(Column(raw["name"], column_type, bool(raw.get("nullable", True))))
    names = [column.name for column in columns]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise JobFailure(f"--schema '{name}' declares column(s) {', '.join(duplicates)} more than once.")
    schema = Schema(
        name=name,
        columns=tuple(columns),
        target_column=spec.get("targetColumn", ""),
        event_time_column=spec.get("eventTimeColumn"),
        id_column=spec.get("idColumn"),
    )
    if schema.target_column not in names:
        raise JobFailure(f"--schema '{name}': targetColumn {schema.target_column!r} is not one of its columns ({', '.join(names)}).")
    if schema.event_time_column is not None:
        if schema.column(schema.event_time_column).type != "timestamp":
            raise JobFailure(f"--schema '{name}': eventTimeColumn '{schema.event_time_column}' must have type timestamp.")
    if schema.id_column is not None:
        schema.column(schema.id_column)
    return schema
