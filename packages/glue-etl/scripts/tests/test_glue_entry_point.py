"""The Glue entry point, run against a fake ``awsglue`` at the AWS edge.

The fake (``fake_awsglue.py``) delegates to local Spark; glue_job.py,
freshet_etl.glue_io and the pipeline run unchanged, so these tests exercise
the argument parsing and the wiring of bookmarks, catalog reads, the
catalog-updating sink, data quality and the bookmark commit.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import sys
from pathlib import Path

import pytest

from conftest import repo_root
from fake_awsglue import FakeGlue
from firehose import deliver
from schemas import POLLUTION, POLLUTION_DERIVED

BUCKET = "freshet-lake-bucket"
DATABASE, TABLE = "freshet_pollution", "pollution_curated"
CTL = "\u0001"


def construct_argv(run_id: str, **extra: str) -> list[str]:
    """The arguments as the GlueEtl construct's defaultArguments and a workflow run pass them."""
    args = {
        "JOB_NAME": "freshet-pollution-etl",
        "job-bookmark-option": "job-bookmark-enable",
        "enable-glue-datacatalog": "true",
        "schema": json.dumps(POLLUTION),
        "dataset": "pollution",
        "lake_bucket": BUCKET,
        "raw_prefix": "raw/pollution/",
        "curated_prefix": "curated/pollution/",
        "rejected_prefix": "rejected/etl/pollution/",
        "database": DATABASE,
        "curated_table": TABLE,
        "derived_columns": json.dumps(POLLUTION_DERIVED),
        "run_id": run_id,
        "JOB_RUN_ID": "jr_0123456789abcdef",
        **extra,
    }
    return ["glue_job.py", *[item for key, value in args.items() for item in (f"--{key}", value)]]


@pytest.fixture()
def glue(spark, tmp_path, monkeypatch):
    """A fake Glue runtime over ``tmp_path/s3`` with the curated table registered, and a fresh glue_job module.

    It depends on ``spark`` so the entry point's SparkContext.getOrCreate() finds the test session.
    """
    fake = FakeGlue(tmp_path / "s3")
    fake.add_table(DATABASE, TABLE, f"s3://{BUCKET}/curated/pollution/")
    fake.install(monkeypatch)
    for name in ("glue_job", "freshet_etl.glue_io"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return fake, importlib.import_module("glue_job")


@pytest.fixture(scope="module")
def sample(shared_data) -> list[str]:
    """The first 600 pollution messages (200 hours of 3 devices, 9 days)."""
    return (shared_data / "pollution.jsonl").read_text("utf-8").splitlines()[:600]


def bucket(fake: FakeGlue) -> Path:
    return fake.s3_root / BUCKET


def calls(fake: FakeGlue, name: str) -> list[dict]:
    return [args for call, args in fake.calls if call == name]


def test_construct_arguments_are_the_ones_the_script_accepts():
    """Every --name the construct passes (glue-etl.ts) is a known argument of the script, and vice versa."""
    from freshet_etl.arguments import OPTIONAL, REQUIRED

    source = (repo_root() / "packages" / "glue-etl" / "src" / "glue-etl.ts").read_text("utf-8")
    passed = set(re.findall(r"'--([a-z_]+)'", source))
    assert passed == (set(REQUIRED) | set(OPTIONAL)) - {"JOB_NAME", "JOB_RUN_ID"}


def test_a_run_reads_bookmarked_raw_writes_through_the_catalog_sink_and_commits(glue, sample):
    fake, glue_job = glue
    # A raw (unescaped) control character inside a string: not JSON, and the CSV separator of the raw read.
    bad = json.dumps({**json.loads(sample[0]), "device_id": f"dev{CTL}ice"}).replace("\\u0001", CTL)
    assert CTL in bad
    deliver(bucket(fake), "pollution", sample + [bad], [dt.datetime(2026, 9, 30, 0), dt.datetime(2026, 9, 30, 1)], gzip_index=1)

    counts = glue_job.main(construct_argv("exec-1"))

    assert (counts.rows_in, counts.curated, counts.rejected, counts.duplicates_dropped) == (601, 600, 1, 0)
    (raw_read,) = calls(fake, "from_options")
    assert raw_read["transformation_ctx"] == "freshet_raw_lines"
    assert raw_read["connection_options"] == {"paths": [f"s3://{BUCKET}/raw/pollution/"], "recurse": True}
    (catalog_read,) = calls(fake, "from_catalog")
    assert (catalog_read["database"], catalog_read["table_name"], catalog_read["transformation_ctx"]) == (DATABASE, TABLE, "")
    assert "(year = '2026' and month = '08' and day = '01')" in catalog_read["push_down_predicate"]
    (sink,) = calls(fake, "sink_write")
    assert sink["options"]["enableUpdateCatalog"] is True and sink["options"]["partitionKeys"] == ["year", "month", "day"]
    assert sink["format"] == ("glueparquet", {"compression": "snappy"}) and sink["catalog"] == (DATABASE, TABLE)
    dates = {json.loads(m)["timestamp"][:10] for m in sample}
    assert fake.partitions[(DATABASE, TABLE)] == {tuple(d.split("-")) for d in dates}
    assert fake.calls[-1][0] == "job_commit"
    assert calls(fake, "job_init")[0]["name"] == "freshet-pollution-etl"

    rejected_dir = bucket(fake) / "rejected" / "etl" / "pollution" / "run=exec-1"
    rejected = [json.loads(line) for p in rejected_dir.glob("part-*") for line in p.read_text("utf-8").splitlines()]
    assert [(r["line"], r["reasons"]) for r in rejected] == [(bad, ["malformed JSON: the line is not a JSON object"])]
    assert len(list((bucket(fake) / "curated" / "pollution").rglob("*.snappy.parquet"))) >= len(dates)


def test_the_next_run_reads_only_new_objects_and_a_reset_bookmark_adds_nothing(glue, sample, spark):
    fake, glue_job = glue
    deliver(bucket(fake), "pollution", sample, [dt.datetime(2026, 9, 30, 0)], gzip_index=0)
    first = glue_job.main(construct_argv("exec-1"))
    assert first.curated == 600

    idle = glue_job.main(construct_argv("exec-2"))
    assert (idle.rows_in, idle.curated, idle.rejected) == (0, 0, 0)
    assert len(calls(fake, "sink_write")) == 1

    # A later object: 3 new hours of one device, and 5 messages Firehose delivered again.
    newer = json.loads(sample[-1])
    fresh = [json.dumps({**newer, "timestamp": f"2026-10-01T0{h}:00:00Z"}) for h in range(3)]
    deliver(bucket(fake), "pollution", fresh + sample[:5], [dt.datetime(2026, 10, 1, 4)], gzip_index=-1, first_seq=10)
    later = glue_job.main(construct_argv("exec-3"))
    assert (later.rows_in, later.curated, later.duplicates_in_batch, later.duplicates_already_curated) == (8, 3, 0, 5)
    assert ("2026", "10", "01") in fake.partitions[(DATABASE, TABLE)]

    fake.bookmarks_enabled = False  # e.g. the bookmark was reset: every object is read again
    replay = glue_job.main(construct_argv("exec-4"))
    assert (replay.rows_in, replay.curated, replay.duplicates_in_batch, replay.duplicates_already_curated) == (608, 0, 5, 603)
    assert spark.read.parquet(str(bucket(fake) / "curated" / "pollution")).count() == 603


def test_scheduled_runs_file_rejected_rows_under_the_glue_run_id(glue, sample):
    fake, glue_job = glue
    deliver(bucket(fake), "pollution", sample[:3] + ["not json"], [dt.datetime(2026, 9, 30, 0)], gzip_index=0)
    glue_job.main(construct_argv("scheduled"))
    assert (bucket(fake) / "rejected" / "etl" / "pollution" / "run=scheduled-jr_0123456789abcdef").is_dir()


def test_failing_data_quality_stops_the_run_before_any_write_or_commit(glue, sample):
    fake, glue_job = glue
    from freshet_etl.glue_io import DataQualityError

    deliver(bucket(fake), "pollution", sample[:30] + ["{oops"], [dt.datetime(2026, 9, 30, 0)], gzip_index=0)
    fake.failing_rules = ['ColumnValues "ozone" between 0 and 10']
    ruleset = 'Rules = [\n  RowCount > 0,\n  ColumnValues "ozone" between 0 and 10\n]'
    with pytest.raises(DataQualityError, match='ColumnValues "ozone" between 0 and 10'):
        glue_job.main(construct_argv("exec-dq", dq_ruleset=ruleset))
    (dq,) = calls(fake, "evaluate_dq")
    assert dq["ruleset"] == ruleset and dq["rows"] == 30
    assert dq["publishing_options"]["dataQualityEvaluationContext"] == "pollution-exec-dq"
    assert not calls(fake, "sink_write") and not calls(fake, "write_from_options") and not calls(fake, "job_commit")

    fake.failing_rules = []
    passed = glue_job.main(construct_argv("exec-dq-2", dq_ruleset=ruleset))
    assert passed.curated == 30 and calls(fake, "job_commit")


def test_wrong_arguments_fail_before_reading(glue):
    fake, glue_job = glue
    from freshet_etl.arguments import ArgumentError
    from freshet_etl.derivations import DerivationError

    with pytest.raises(ArgumentError, match="--dataset 'stocks' differs from the schema name 'pollution'"):
        glue_job.main(construct_argv("exec-x", dataset="stocks"))
    unknown = json.dumps([{"name": "minute", "derivation": "minute_of", "source": "timestamp"}])
    with pytest.raises(DerivationError, match="unknown derivation 'minute_of': use one of hour, day_of_week, date"):
        glue_job.main(construct_argv("exec-x", derived_columns=unknown))
    assert not calls(fake, "from_options") and not calls(fake, "job_init")
