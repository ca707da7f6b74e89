"""Raw JSON lines to typed rows, each with the reasons it cannot be curated.

Raw objects are read as TEXT, one line a record, so a malformed line is kept
and rejected with its original text instead of crashing the job or vanishing
(a JSON reader in PERMISSIVE mode would null it, in DROPMALFORMED lose it).

Each line is parsed into a map of field -> JSON text (``from_json`` with
``map<string,string>`` keeps numbers as their literal text), then every schema
column is checked and cast with native Spark expressions (no Python UDFs, so
it scales on Glue workers). Casting is strict where Spark's own cast is lax:

* int / bigint: an optional ``-`` and digits only (Spark would truncate ``1.5``
  to 1), within range (Spark nulls an overflow).
* double: JSON number syntax (no ``NaN``/``Infinity``), finite.
* boolean: ``true`` or ``false`` only (Spark also takes ``yes``, ``1``...).
* timestamp: ISO 8601 ``YYYY-MM-DD[(T| )hh:mm[:ss[.fraction]]][Z|±hh:mm]``
  that is a real instant; no offset means UTC.
* string: any scalar; numbers and booleans are kept as their JSON text.

A value given as a JSON string (``"price": "34.31"``) is accepted when its
text passes the check above: producers that quote numbers are common, and the
value is unambiguous.

Fields the schema does not declare are rejected (reason ``unexpected field``):
the curated table has a fixed set of columns, so keeping them is impossible and
dropping them silently would hide schema drift from the producer's owner.
"""

from __future__ import annotations

from typing import Callable, Mapping

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .spec import ColumnSpec, DatasetSpec

#: Columns of the raw-lines frame the pipeline reads: the line text and the object it came from.
LINE = "line"
SOURCE_FILE = "source_file"
#: Arrival order inside a run, used to keep the first of several duplicates.
ARRIVAL = "_arrival"
#: The reasons a row is rejected (empty array when it is valid).
REASONS = "reasons"
_FIELDS = "_fields"
_KEYS = "_keys"

#: Longest slice of a bad value quoted in a reason.
MAX_QUOTED = 80

_INTEGER = r"^-?[0-9]+$"
_JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"
_ISO_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$"

MALFORMED_JSON = "malformed JSON: the line is not a JSON object"
EMPTY_LINE = "malformed JSON: the line is empty"
DUPLICATE_FIELD = "malformed JSON: a field appears more than once in the object"


def _quoted(raw: Column) -> Column:
    return F.concat(F.lit("'"), F.substring(raw, 1, MAX_QUOTED), F.lit("'"))


def _reason(column: str, raw: Column, what: str) -> Column:
    """A reason naming the column and the bad value, e.g. ``column 'price': 'abc' is not a double``."""
    return F.concat(F.lit(f"column '{column}': "), _quoted(raw), F.lit(f" {what}"))


def _check_integer(col: ColumnSpec, raw: Column, cast: Column) -> Column:
    kind = "an int (32-bit)" if col.type == "int" else "a bigint (64-bit)"
    return (
        F.when(~raw.rlike(_INTEGER), _reason(col.name, raw, "is not a whole number"))
        .when(cast.isNull(), _reason(col.name, raw, f"is out of range for {kind}"))
    )


def _check_double(col: ColumnSpec, raw: Column, cast: Column) -> Column:
    return (
        F.when(~raw.rlike(_JSON_NUMBER), _reason(col.name, raw, "is not a double"))
        .when(cast.isNull() | F.isnan(cast) | (F.abs(cast) == float("inf")), _reason(col.name, raw, "is out of range for a double"))
    )


def _check_boolean(col: ColumnSpec, raw: Column, cast: Column) -> Column:
    return F.when(~raw.isin("true", "false"), _reason(col.name, raw, "is not a boolean (true or false)"))


def _check_timestamp(col: ColumnSpec, raw: Column, cast: Column) -> Column:
    return F.when(
        ~raw.rlike(_ISO_TIMESTAMP) | cast.isNull(),
        _reason(col.name, raw, "is not an ISO 8601 timestamp (e.g. 2026-08-01T13:00:00Z)"),
    )


def _check_string(col: ColumnSpec, raw: Column, cast: Column) -> Column:
    return F.lit(None).cast(T.StringType())


_CHECKS: Mapping[str, Callable[[ColumnSpec, Column, Column], Column]] = {
    "int": _check_integer,
    "bigint": _check_integer,
    "double": _check_double,
    "boolean": _check_boolean,
    "timestamp": _check_timestamp,
    "string": _check_string,
}


def _typed_value(col: ColumnSpec, raw: Column) -> Column:
    """The raw JSON text cast to the column's type (null when the check fails)."""
    if col.type == "boolean":
        return F.when(raw == "true", F.lit(True)).when(raw == "false", F.lit(False))
    return raw.cast(col.spark_type)


def _column_reasons(col: ColumnSpec) -> Column:
    """The reason column ``col`` makes the row invalid, or null."""
    raw = F.col(_FIELDS).getItem(col.name)
    present = F.array_contains(F.col(_KEYS), col.name)
    value_problem = _CHECKS[col.type](col, raw, _typed_value(col, raw))
    if col.nullable:
        return F.when(raw.isNotNull(), value_problem)
    return (
        F.when(~present, F.lit(f"missing required column '{col.name}'"))
        .when(raw.isNull(), F.lit(f"required column '{col.name}' is null"))
        .otherwise(value_problem)
    )


def validate_lines(lines: DataFrame, spec: DatasetSpec) -> DataFrame:
    """Parses and checks raw lines.

    Input: a frame with ``line`` (text), ``source_file`` and ``_arrival``.
    Output: the same columns, one typed column per schema column (null where
    invalid) and ``reasons``, an array that is empty exactly for valid rows.
    """
    fields = F.from_json(F.col(LINE), T.MapType(T.StringType(), T.StringType()))
    parsed = lines.select(
        F.col(LINE),
        F.col(SOURCE_FILE),
        F.col(ARRIVAL),
        fields.alias(_FIELDS),
        # json_object_keys lists every top-level key, duplicates included, or null when the
        # line is not a JSON object: a second, independent malformation check.
        F.json_object_keys(F.col(LINE)).alias(_KEYS),
    )
    names = F.array(*[F.lit(n) for n in spec.column_names])
    unexpected = F.array_sort(F.array_distinct(F.array_except(F.col(_KEYS), names)))
    structural = (
        F.when(F.trim(F.col(LINE)) == "", F.lit(EMPTY_LINE))
        .when(F.col(_FIELDS).isNull() | F.col(_KEYS).isNull(), F.lit(MALFORMED_JSON))
        .when(F.size(F.array_distinct(F.col(_KEYS))) != F.size(F.col(_KEYS)), F.lit(DUPLICATE_FIELD))
    )
    extra = F.when(
        F.size(unexpected) > 0,
        F.concat(
            F.lit("unexpected field(s) "),
            F.array_join(F.transform(unexpected, lambda k: F.concat(F.lit("'"), k, F.lit("'"))), ", "),
            F.lit(f": add them to the '{spec.name}' schema or stop sending them"),
        ),
    )
    column_checks = F.array(extra, *[_column_reasons(c) for c in spec.columns])
    reasons = F.when(structural.isNotNull(), F.array(structural)).otherwise(
        F.filter(column_checks, lambda r: r.isNotNull())
    )
    typed = [
        F.when(structural.isNull(), _typed_value(c, F.col(_FIELDS).getItem(c.name))).alias(c.name) for c in spec.columns
    ]
    return parsed.select(F.col(LINE), F.col(SOURCE_FILE), F.col(ARRIVAL), *typed, reasons.alias(REASONS))
