"""The modules' contracts on small inputs: casting rules, derivations, partitions, argument and schema errors."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest
from pyspark.sql import functions as F

from freshet_etl.arguments import ArgumentError, parse_arguments, resolve_run_id
from freshet_etl.counts import InvariantError, RunCounts
from freshet_etl.derivations import DerivationError, add_derived_columns, parse_derived_columns
from freshet_etl.dq import RulesetError, parse_ruleset
from freshet_etl.partitioning import add_partition_columns
from freshet_etl.pipeline import configure_session
from freshet_etl.spec import DatasetSpec, SchemaError
from freshet_etl.validation import validate_lines
from schemas import POLLUTION, STOCKS, as_json

TYPES = {
    "name": "types",
    "columns": [
        {"name": "s", "type": "string", "nullable": False},
        {"name": "i", "type": "int", "nullable": True},
        {"name": "b", "type": "bigint", "nullable": True},
        {"name": "d", "type": "double", "nullable": True},
        {"name": "f", "type": "boolean", "nullable": True},
        {"name": "t", "type": "timestamp", "nullable": True},
    ],
    "targetColumn": "d",
}


def validate(spark, spec_dict: dict, lines: list[str]):
    configure_session(spark)
    frame = spark.createDataFrame([(line, "s3://b/raw/x/year=2026/month=01/day=02/hour=03/o", i) for i, line in enumerate(lines)], "line string, source_file string, _arrival long")
    return validate_lines(frame, DatasetSpec.from_dict(spec_dict))


#: A record (on top of a valid "s") and the one reason it must be rejected with.
BAD_VALUES = [
    ({"i": 1.5}, "column 'i': '1.5' is not a whole number"),
    ({"i": 2**31}, f"column 'i': '{2**31}' is out of range for an int (32-bit)"),
    ({"b": 2**63}, f"column 'b': '{2**63}' is out of range for a bigint (64-bit)"),
    ({"d": "NaN"}, "column 'd': 'NaN' is not a double"),
    ({"d": "1.5d"}, "column 'd': '1.5d' is not a double"),
    ({"f": "yes"}, "column 'f': 'yes' is not a boolean (true or false)"),
    ({"t": "2026-02-30T00:00:00Z"}, "column 't': '2026-02-30T00:00:00Z' is not an ISO 8601 timestamp (e.g. 2026-08-01T13:00:00Z)"),
    ({"t": 1700000000}, "column 't': '1700000000' is not an ISO 8601 timestamp (e.g. 2026-08-01T13:00:00Z)"),
    ({"s": None}, "required column 's' is null"),
    ({"s": "x" * 200, "d": "y" * 200}, f"column 'd': '{'y' * 80}' is not a double"),
]


def test_a_value_that_does_not_fit_its_type_is_named_in_the_reason(spark):
    """All cases in one frame (one Spark job); each row must carry exactly its own reason."""
    lines = [json.dumps({"s": "x", **record}) for record, _ in BAD_VALUES]
    rows = validate(spark, TYPES, lines).orderBy("_arrival").collect()
    assert [(r.line, r.reasons) for r in rows] == [(line, [reason]) for line, (_, reason) in zip(lines, BAD_VALUES)]


def test_valid_values_are_cast_strictly_and_timestamps_normalised_to_utc(spark):
    lines = [
        json.dumps({"s": 7, "i": -2147483648, "b": 9007199254740993, "d": "-1.25e2", "f": False, "t": "2026-08-01T15:30:00+02:00"}),
        json.dumps({"s": "y", "t": "2026-08-01"}),
    ]
    rows = validate(spark, TYPES, lines).select("s", "i", "b", "d", "f", F.unix_micros("t").alias("t"), "reasons").collect()
    epoch = lambda text: int(dt.datetime.fromisoformat(text).timestamp() * 1_000_000)
    assert [tuple(r) for r in rows] == [
        ("7", -2147483648, 9007199254740993, -125.0, False, epoch("2026-08-01T13:30:00+00:00"), []),
        ("y", None, None, None, None, epoch("2026-08-01T00:00:00+00:00"), []),
    ]


def test_structural_problems_reject_the_whole_line(spark):
    lines = ['{"s": "x", "s": "y"}', "", '["s"]', '{"s": "x", "extra": 1, "another": 2}']
    reasons = [r.reasons for r in validate(spark, TYPES, lines).collect()]
    assert reasons == [
        ["malformed JSON: a field appears more than once in the object"],
        ["malformed JSON: the line is empty"],
        ["malformed JSON: the line is not a JSON object"],
        ["unexpected field(s) 'another', 'extra': add them to the 'types' schema or stop sending them"],
    ]


def test_derivations_for_known_timestamps(spark):
    configure_session(spark)
    spec = DatasetSpec.from_dict(POLLUTION)
    derived = parse_derived_columns(json.dumps([
        {"name": "h", "derivation": "hour", "source": "timestamp"},
        {"name": "w", "derivation": "day_of_week", "source": "timestamp"},
        {"name": "d", "derivation": "date", "source": "timestamp"},
    ]), spec)
    # Monday 2026-08-03 00:30 UTC (given as Sunday 20:30 at -04:00), Sunday 2026-08-09 23:59 UTC, and a null.
    frame = spark.createDataFrame([("2026-08-02T20:30:00-04:00",), ("2026-08-09T23:59:59Z",), (None,)], "raw string")
    frame = frame.select(F.col("raw").cast("timestamp").alias("timestamp"))
    got = [tuple(r) for r in add_derived_columns(frame, derived).select("h", "w", "d").collect()]
    assert got == [(0, 1, "2026-08-03"), (23, 7, "2026-08-09"), (None, None, None)]


def test_unknown_or_misplaced_derivations_are_refused_with_what_to_change():
    spec = DatasetSpec.from_dict(POLLUTION)
    with pytest.raises(DerivationError) as err:
        parse_derived_columns(json.dumps([
            {"name": "m", "derivation": "minute", "source": "timestamp"},
            {"name": "ozone", "derivation": "hour", "source": "timestamp"},
            {"name": "year", "derivation": "date", "source": "timestamp"},
            {"name": "h", "derivation": "hour", "source": "device_id"},
            {"name": "h2", "derivation": "hour", "source": "time"},
        ]), spec)
    text = str(err.value)
    assert "'m': unknown derivation 'minute': use one of hour, day_of_week, date." in text
    assert "'ozone' clashes with a schema, partition or other derived column" in text
    assert "'year' clashes with a schema, partition or other derived column" in text
    assert "'h' reads 'device_id', a string: derivations read timestamp columns." in text
    assert "'h2' reads 'time', which is not a column" in text


def test_null_event_time_is_rejected_and_ingestion_date_is_used_without_event_time(spark):
    nullable = copy.deepcopy(POLLUTION)
    nullable["columns"][-1]["nullable"] = True
    m = {"device_id": "d", "ozone": 1.0, "particullate_matter": 1.0, "carbon_monoxide": 1.0, "sulfure_dioxide": 1.0,
         "nitrogen_dioxide": 1.0, "longitude": 1.0, "latitude": 1.0}
    spec = DatasetSpec.from_dict(nullable)
    rows = add_partition_columns(validate(spark, nullable, [json.dumps(m)]), spec, dt.date(2030, 1, 1)).collect()
    assert rows[0].reasons == ["event-time column 'timestamp' is empty: the row has no date partition"]

    stocks = DatasetSpec.from_dict(STOCKS)
    frame = spark.createDataFrame(
        [("s3://b/raw/stocks/year=2026/month=11/day=22/hour=23/o", []), ("s3://b/raw/stocks/manual-upload.json", [])],
        "source_file string, reasons array<string>",
    )
    parts = [(r.year, r.month, r.day) for r in add_partition_columns(frame, stocks, dt.date(2030, 1, 5)).collect()]
    assert parts == [("2026", "11", "22"), ("2030", "01", "05")]


def test_schema_errors_list_every_problem():
    bad = {"name": "Stocks", "columns": [{"name": "price", "type": "float", "nullable": False}, {"name": "day", "type": "int", "nullable": False}], "targetColumn": "cost", "eventTimeColumn": "day"}
    with pytest.raises(SchemaError) as err:
        DatasetSpec.from_dict(bad)
    text = str(err.value)
    for expected in ["name 'Stocks' must be lower case", "column 'price' has type 'float': use one of", "column 'day' clashes with the curated partition column",
                     "targetColumn 'cost' is not a column", "eventTimeColumn 'day' must be a timestamp column"]:
        assert expected in text
    with pytest.raises(SchemaError, match="--schema is not valid JSON"):
        DatasetSpec.from_json("{not json")


def test_arguments_defaults_and_errors():
    base = {"JOB_NAME": "j", "schema": as_json(STOCKS), "dataset": "stocks", "lake_bucket": "lake-1", "database": "db", "curated_table": "stocks_curated"}
    args = parse_arguments(base, today=dt.date(2026, 11, 23))
    assert (args.raw_prefix, args.curated_prefix, args.rejected_prefix, args.run_id, args.derived, args.dq_ruleset) == (
        "raw/stocks/", "curated/stocks/", "rejected/etl/stocks/", "scheduled-2026-11-23", [], None)
    assert resolve_run_id({"run_id": "scheduled", "JOB_RUN_ID": "jr_1"}, dt.date(2026, 1, 1)) == "scheduled-jr_1"
    with pytest.raises(ArgumentError, match="missing job argument\\(s\\) --schema, --database"):
        parse_arguments({k: v for k, v in base.items() if k not in ("schema", "database")})
    with pytest.raises(ArgumentError, match="--raw_prefix '/raw/stocks' must end with '/' and not start with one"):
        parse_arguments({**base, "raw_prefix": "/raw/stocks"})
    with pytest.raises(ArgumentError, match="--run_id 'a/b' must be"):
        parse_arguments({**base, "run_id": "a/b"})
    with pytest.raises(ArgumentError, match="--lake_bucket 's3://lake' is not a bucket name"):
        parse_arguments({**base, "lake_bucket": "s3://lake"})
    with pytest.raises(RulesetError):
        parse_arguments({**base, "dq_ruleset": "Rules = [ IsComplete \"price\""})


def test_dq_ruleset_is_split_into_rules():
    text = 'Rules = [\n  RowCount > 0,\n  IsComplete "price",\n  ColumnValues "sector" in ["A", "B,C"],\n  ColumnValues "price" between 0 and 10000\n]'
    assert parse_ruleset(text) == ['RowCount > 0', 'IsComplete "price"', 'ColumnValues "sector" in ["A", "B,C"]', 'ColumnValues "price" between 0 and 10000']


def test_counts_invariant_fails_loudly():
    assert RunCounts(10, 6, 2, 1, 1).check().duplicates_dropped == 2
    with pytest.raises(InvariantError, match="10 rows in, but 6 curated \\+ 2 rejected \\+ 1 duplicates = 9"):
        RunCounts(10, 6, 2, 1, 0).check()
