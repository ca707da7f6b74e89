"""The job on the full stocks sample (153,580 rows, no event-time and no id column).

Expected figures are computed here with Python's csv/json modules, never by
the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from pyspark.sql import types as T

from firehose import deliver, read_object_lines
from lake import curated_files, read_curated, read_rejected, run_job
from schemas import STOCKS

#: Arrival hours of the raw objects: two days, so the ingestion-date partitioning is visible.
ARRIVALS = [dt.datetime(2026, 11, 22, 22), dt.datetime(2026, 11, 22, 23), dt.datetime(2026, 11, 23, 0), dt.datetime(2026, 11, 23, 1)]
BAD_PRICE = '{"ticker_symbol": "ZZZ", "sector": "ENERGY", "change": 0.5, "price": "n/a"}'


def typed_record(row: dict) -> str:
    """A CSV row as the JSON record a producer sends (numbers as JSON numbers)."""
    return json.dumps({"ticker_symbol": row["ticker_symbol"], "sector": row["sector"], "change": float(row["change"]), "price": float(row["price"])})


@pytest.fixture(scope="module")
def stocks_lake(spark, shared_data, tmp_path_factory):
    """The stocks CSV delivered as Firehose objects, plus one bad record, and one run of the job."""
    root = tmp_path_factory.mktemp("stocks-lake")
    with open(shared_data / "stocks_all.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    lines = [typed_record(r) for r in rows]
    lines.insert(1000, BAD_PRICE)
    objects = deliver(root, "stocks", lines, ARRIVALS, gzip_index=1)
    counts = run_job(spark, root, STOCKS, "run-1")
    return {"root": root, "rows": rows, "objects": objects, "counts": counts}


def expected_first_partition(objects: list[Path]) -> dict[tuple, str]:
    """For each distinct record, the day partition of the first object holding it (objects in key order)."""
    first: dict[tuple, str] = {}
    for path in sorted(objects, key=lambda p: p.as_posix()):
        day = next(part for part in path.parts if part.startswith("day="))[4:]
        for line in read_object_lines(path):
            try:
                rec = json.loads(line)
                key = (rec["ticker_symbol"], rec["sector"], float(rec["change"]), float(rec["price"]))
            except ValueError:
                continue
            first.setdefault(key, day)
    return first


def test_row_counts_add_up(stocks_lake):
    rows, objects, counts = stocks_lake["rows"], stocks_lake["objects"], stocks_lake["counts"]
    lines_written = sum(len(read_object_lines(p)) for p in objects)
    distinct = {(r["ticker_symbol"], r["sector"], float(r["change"]), float(r["price"])) for r in rows}
    assert lines_written == len(rows) + 1 == 153_581
    assert counts.rows_in == lines_written
    assert counts.rejected == 1
    assert counts.curated == len(distinct)
    assert counts.duplicates_in_batch == len(rows) - len(distinct)
    assert counts.duplicates_already_curated == 0
    assert counts.rows_in == counts.curated + counts.rejected + counts.duplicates_dropped


def test_curated_rows_are_the_distinct_records_with_schema_types(spark, stocks_lake):
    root, rows = stocks_lake["root"], stocks_lake["rows"]
    curated = read_curated(spark, root, "stocks")
    data_file_schema = spark.read.parquet(str(curated_files(root, "stocks")[0])).schema
    assert [(f.name, f.dataType) for f in data_file_schema.fields] == [
        ("ticker_symbol", T.StringType()),
        ("sector", T.StringType()),
        ("change", T.DoubleType()),
        ("price", T.DoubleType()),
    ]
    got = Counter(tuple(r) for r in curated.select("ticker_symbol", "sector", "change", "price").collect())
    expected = {(r["ticker_symbol"], r["sector"], float(r["change"]), float(r["price"])) for r in rows}
    assert max(got.values()) == 1
    assert set(got) == expected


def test_partitions_are_the_ingestion_dates_of_first_arrival(spark, stocks_lake):
    root = stocks_lake["root"]
    first = expected_first_partition(stocks_lake["objects"])
    curated = read_curated(spark, root, "stocks")
    got = {(r.year, r.month, r.day): r["count"] for r in curated.groupBy("year", "month", "day").count().collect()}
    expected = Counter(("2026", "11", day) for day in first.values())
    assert got == dict(expected)
    assert all(p.name.endswith(".snappy.parquet") for p in curated_files(root, "stocks"))


def test_bad_record_is_rejected_with_its_text_and_reason(stocks_lake):
    rejected = read_rejected(stocks_lake["root"], "stocks", "run-1")
    assert [(r["line"], r["reasons"]) for r in rejected] == [(BAD_PRICE, ["column 'price': 'n/a' is not a double"])]
    assert rejected[0]["source_file"].endswith(".gz") is False
    assert "/year=2026/month=11/day=22/hour=22/" in rejected[0]["source_file"]


def file_digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the SHA-256 of its bytes: equal digests mean unchanged content."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def test_second_run_over_the_same_objects_adds_nothing_without_event_time(spark, shared_data, tmp_path):
    """Idempotency where the partition comes from the raw object key (ingestion date), on the first 3,000 rows.

    The full-size rerun is left out to keep the suite within its time budget; pollution reruns the
    event-time path on its full data.
    """
    with open(shared_data / "stocks_all.csv", newline="") as f:
        rows = [r for _, r in zip(range(3000), csv.DictReader(f))]
    distinct = {(r["ticker_symbol"], r["sector"], float(r["change"]), float(r["price"])) for r in rows}
    deliver(tmp_path, "stocks", [typed_record(r) for r in rows], ARRIVALS, gzip_index=3)
    first = run_job(spark, tmp_path, STOCKS, "small-1")
    assert (first.rows_in, first.curated, first.duplicates_in_batch) == (3000, len(distinct), 3000 - len(distinct))
    before = file_digests(tmp_path / "curated")
    assert {k.split("/")[3] for k in before if k.endswith(".parquet")} == {"day=22", "day=23"}

    again = run_job(spark, tmp_path, STOCKS, "small-2", processing_date=dt.date(2027, 1, 1))
    assert (again.rows_in, again.curated, again.rejected) == (3000, 0, 0)
    assert (again.duplicates_in_batch, again.duplicates_already_curated) == (3000 - len(distinct), len(distinct))
    assert file_digests(tmp_path / "curated") == before
