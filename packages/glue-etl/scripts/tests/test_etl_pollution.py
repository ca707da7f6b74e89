"""The job on the pollution sample (4,320 messages, event-time column), with injected bad and duplicate lines."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from firehose import deliver, read_object_lines
from lake import curated_files, read_curated, read_rejected, run_job
from schemas import POLLUTION, POLLUTION_DERIVED, pollution_with_id

ARRIVALS = [dt.datetime(2026, 9, 30, h) for h in (0, 1, 2, 3)]
COLUMNS = [c["name"] for c in POLLUTION["columns"]]


def parse_ts(text: str) -> dt.datetime:
    """ISO 8601 with Z to an aware UTC datetime (Python's own parser, not Spark's)."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.timezone.utc)


def epoch_micros(text: str) -> int:
    return int(parse_ts(text).timestamp() * 1_000_000)


def bad_lines(messages: list[dict]) -> list[tuple[str, str]]:
    """Malformed lines and the reason each must be rejected with."""
    m = messages[7]
    missing = {k: v for k, v in m.items() if k != "nitrogen_dioxide"}
    return [
        (json.dumps(m)[:-12], "malformed JSON: the line is not a JSON object"),
        (json.dumps({**m, "ozone": "abc"}), "column 'ozone': 'abc' is not a double"),
        (json.dumps(missing), "missing required column 'nitrogen_dioxide'"),
        (json.dumps({**m, "timestamp": "2026-13-45T99:00:00Z"}), "column 'timestamp': '2026-13-45T99:00:00Z' is not an ISO 8601 timestamp (e.g. 2026-08-01T13:00:00Z)"),
        (json.dumps({**m, "firmware": "1.2"}), "unexpected field(s) 'firmware': add them to the 'pollution' schema or stop sending them"),
        (json.dumps({**m, "latitude": None}), "required column 'latitude' is null"),
    ]


@pytest.fixture(scope="module")
def messages(shared_data) -> list[str]:
    return (shared_data / "pollution.jsonl").read_text("utf-8").splitlines()


@pytest.fixture(scope="module")
def pollution_lake(spark, messages, tmp_path_factory):
    """pollution.jsonl as Firehose objects, with 10 exact re-deliveries and the bad lines mixed in; one run."""
    root = tmp_path_factory.mktemp("pollution-lake")
    parsed = [json.loads(line) for line in messages]
    bad = bad_lines(parsed)
    lines = list(messages) + messages[100:110]
    for i, (line, _) in enumerate(bad):
        lines.insert(500 * (i + 1), line)
    objects = deliver(root, "pollution", lines, ARRIVALS, gzip_index=2)
    counts = run_job(spark, root, POLLUTION, "run-1", derived=POLLUTION_DERIVED)
    return {"root": root, "objects": objects, "parsed": parsed, "bad": bad, "counts": counts}


def test_row_counts_add_up(pollution_lake):
    counts, parsed = pollution_lake["counts"], pollution_lake["parsed"]
    lines_written = sum(len(read_object_lines(p)) for p in pollution_lake["objects"])
    distinct = {json.dumps(m, sort_keys=True) for m in parsed}
    assert lines_written == 4320 + 10 + len(pollution_lake["bad"])
    assert counts.rows_in == lines_written
    assert counts.rejected == len(pollution_lake["bad"])
    assert counts.curated == len(distinct) == 4320
    assert counts.duplicates_in_batch == 10
    assert counts.rows_in == counts.curated + counts.rejected + counts.duplicates_dropped


def test_each_bad_line_is_rejected_with_its_text_and_reason(pollution_lake):
    rejected = read_rejected(pollution_lake["root"], "pollution", "run-1")
    got = sorted((r["line"], tuple(r["reasons"])) for r in rejected)
    assert got == sorted((line, (reason,)) for line, reason in pollution_lake["bad"])
    assert all(r["run_id"] == "run-1" and r["dataset"] == "pollution" and "/raw/pollution/year=2026/" in r["source_file"] for r in rejected)


def test_curated_types_match_the_schema(spark, pollution_lake):
    root = pollution_lake["root"]
    data_file = spark.read.parquet(str(curated_files(root, "pollution")[0]))
    expected = {"string": T.StringType(), "double": T.DoubleType(), "timestamp": T.TimestampType()}
    assert [(f.name, f.dataType) for f in data_file.schema.fields] == [
        *[(c["name"], expected[c["type"]]) for c in POLLUTION["columns"]],
        ("hour", T.IntegerType()),
        ("day_of_week", T.IntegerType()),
        ("event_date", T.StringType()),
    ]


def test_curated_content_and_event_date_partitions(spark, pollution_lake):
    parsed = pollution_lake["parsed"]
    curated = read_curated(spark, pollution_lake["root"], "pollution")
    values = [c for c in COLUMNS if c != "timestamp"]
    rows = curated.select(*values, F.unix_micros("timestamp").alias("ts"), "year", "month", "day").collect()
    got = Counter(tuple(r) for r in rows)
    expected = Counter(
        (*[m[c] for c in values], epoch_micros(m["timestamp"]), *parse_ts(m["timestamp"]).strftime("%Y %m %d").split())
        for m in parsed
    )
    assert got == expected
    assert len({(r.year, r.month, r.day) for r in rows}) == 60


def test_derived_columns_from_the_timestamp(spark, pollution_lake):
    curated = read_curated(spark, pollution_lake["root"], "pollution")
    rows = curated.select(F.unix_micros("timestamp").alias("ts"), "hour", "day_of_week", "event_date").distinct().collect()
    assert len(rows) == 1440
    for r in rows:
        when = dt.datetime.fromtimestamp(r.ts / 1_000_000, dt.timezone.utc)
        assert (r.hour, r.day_of_week, r.event_date) == (when.hour, when.isoweekday(), when.date().isoformat())
    known = {r.ts: r for r in rows}
    saturday_13h = known[epoch_micros("2026-08-01T13:00:00Z")]
    assert (saturday_13h.hour, saturday_13h.day_of_week, saturday_13h.event_date) == (13, 6, "2026-08-01")
    sunday_23h = known[epoch_micros("2026-09-27T23:00:00Z")]
    assert (sunday_23h.hour, sunday_23h.day_of_week, sunday_23h.event_date) == (23, 7, "2026-09-27")


def test_second_run_over_the_same_objects_adds_nothing(spark, pollution_lake):
    root = pollution_lake["root"]
    before = sorted(tuple(r) for r in read_curated(spark, root, "pollution").collect())
    again = run_job(spark, root, POLLUTION, "run-2", derived=POLLUTION_DERIVED)
    assert (again.curated, again.duplicates_already_curated, again.rejected) == (0, 4320, len(pollution_lake["bad"]))
    assert again.duplicates_in_batch == pollution_lake["counts"].duplicates_in_batch
    assert sorted(tuple(r) for r in read_curated(spark, root, "pollution").collect()) == before



def test_duplicate_ids_keep_the_first_arrival(spark, messages, tmp_path):
    """With an id column, records re-sent with the same id but other values are dropped as duplicates."""
    def with_id(m: dict) -> dict:
        return {"message_id": f"{m['device_id']}/{m['timestamp']}", **m}

    parsed = [with_id(json.loads(line)) for line in messages[:600]]
    resent = [{**m, "ozone": m["ozone"] + 1000.0} for m in parsed[50:75]]
    lines = [json.dumps(m) for m in parsed] + [json.dumps(m) for m in resent]
    deliver(tmp_path, "pollution", lines, ARRIVALS[:3], gzip_index=0)

    counts = run_job(spark, tmp_path, pollution_with_id(), "ids-1")
    ids = {m["message_id"] for m in parsed}
    assert (counts.rows_in, counts.curated, counts.duplicates_in_batch, counts.rejected) == (625, len(ids), 25, 0)
    got = {r.message_id: r.ozone for r in read_curated(spark, tmp_path, "pollution").select("message_id", "ozone").collect()}
    assert got == {m["message_id"]: m["ozone"] for m in parsed}
