"""Safe de-duplication: the duplicate share and the id-column check, counted, logged and published.

The end-to-end cases run the Glue entry point (fake ``awsglue`` over local
Spark) and publish to a moto server speaking the CloudWatch wire protocol,
reached through boto3's own endpoint setting (``AWS_ENDPOINT_URL_CLOUDWATCH``).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from firehose import deliver
from freshet_etl.arguments import ArgumentError, parse_arguments
from freshet_etl.counts import RunCounts
from freshet_etl.run_metrics import MIN_ROWS_FOR_ID_CHECK, duplicate_share, id_column_warning
from freshet_etl.spec import DatasetSpec
from schemas import POLLUTION, STOCKS
from test_glue_entry_point import bucket, construct_argv, glue, sample  # noqa: F401 (fixtures)

NAMESPACE = "Freshet/Etl"


def counts(rows_in: int, rejected: int = 0, in_batch: int = 0, already: int = 0) -> RunCounts:
    curated = rows_in - rejected - in_batch - already
    return RunCounts(rows_in=rows_in, curated=curated, rejected=rejected, duplicates_in_batch=in_batch, duplicates_already_curated=already).check()


def with_id(column: str) -> DatasetSpec:
    spec = copy.deepcopy(POLLUTION)
    if column not in [c["name"] for c in spec["columns"]]:
        spec["columns"].insert(0, {"name": column, "type": "string", "nullable": False})
    spec["idColumn"] = column
    return DatasetSpec.from_dict(spec)


def test_the_duplicate_share_is_of_the_valid_rows_and_counts_both_kinds():
    assert duplicate_share(counts(200, rejected=100, in_batch=10, already=15)) == pytest.approx(25.0)
    assert duplicate_share(counts(50, rejected=50)) == 0.0
    assert duplicate_share(counts(0)) == 0.0


def test_the_id_column_is_suspect_only_below_half_distinct_in_a_batch_big_enough_to_judge():
    spec = with_id("device_id")
    assert MIN_ROWS_FOR_ID_CHECK == 100
    assert id_column_warning(counts(100, in_batch=50), spec) is None  # 50 distinct in 100: half, not below
    warning = id_column_warning(counts(100, in_batch=51), spec)
    assert warning is not None and "49 distinct values in 100 valid rows" in warning
    assert id_column_warning(counts(99, in_batch=98), spec) is None  # too few rows to judge
    # Rejected rows are not part of the batch de-duplication looks at.
    assert id_column_warning(counts(300, rejected=200, in_batch=50), spec) is None
    # Without an id column the key is every column: nothing to suspect.
    assert id_column_warning(counts(1000, in_batch=900), DatasetSpec.from_dict(STOCKS)) is None


def test_the_warning_says_what_the_id_column_must_be_and_what_to_change():
    warning = id_column_warning(counts(20_000, in_batch=19_700), with_id("machine_id"))
    assert warning == (
        "idColumn 'machine_id' of dataset 'pollution' has 300 distinct values in 20000 valid rows of this run,"
        " so the ETL kept one row per value and dropped 19700 rows as duplicates."
        " idColumn must name a unique record id (one value per record, such as a reading or event id), not an entity"
        " such as a device or machine id: set idColumn in the DatasetSchema to such a column, or leave it unset to"
        " de-duplicate on all columns."
    )


def test_a_metrics_namespace_must_be_a_custom_one():
    base = {"JOB_NAME": "j", "schema": json.dumps(POLLUTION), "dataset": "pollution", "lake_bucket": "lake-bucket", "database": "d", "curated_table": "t"}
    assert parse_arguments({**base, "metrics_namespace": NAMESPACE}).metrics_namespace == NAMESPACE
    assert parse_arguments(base).metrics_namespace is None
    with pytest.raises(ArgumentError, match="--metrics_namespace 'AWS/Glue' is not a custom CloudWatch namespace"):
        parse_arguments({**base, "metrics_namespace": "AWS/Glue"})


@pytest.fixture(scope="module")
def cloudwatch_endpoint():
    """A moto server on a free local port: CloudWatch's query protocol over HTTP."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture()
def cloudwatch(cloudwatch_endpoint, monkeypatch):
    """Points boto3 (the job's own client included) at the moto server, with fake credentials; returns a reader."""
    for name, value in {
        "AWS_ENDPOINT_URL_CLOUDWATCH": cloudwatch_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("cloudwatch")

    def latest(metric: str, dataset: str) -> float:
        now = dt.datetime.now(dt.timezone.utc)
        stats = client.get_metric_statistics(
            Namespace=NAMESPACE,
            MetricName=metric,
            Dimensions=[{"Name": "Dataset", "Value": dataset}],
            StartTime=now - dt.timedelta(hours=1),
            EndTime=now + dt.timedelta(hours=1),
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
        assert stats, f"no {metric} datapoint for {dataset}"
        return max(point["Maximum"] for point in stats)

    return latest


def test_an_entity_id_column_is_warned_about_and_its_duplicate_share_published(glue, sample, cloudwatch, caplog):  # noqa: F811
    fake, glue_job = glue
    entity = copy.deepcopy(POLLUTION)
    entity["name"] = "readings"
    entity["idColumn"] = "device_id"  # three devices, 600 readings: an entity, not a record id
    deliver(bucket(fake), "pollution", sample, [dt.datetime(2026, 9, 30, 0)], gzip_index=0)

    with caplog.at_level(logging.WARNING, logger="freshet_etl"):
        result = glue_job.main(construct_argv("exec-entity", schema=json.dumps(entity), dataset="readings", metrics_namespace=NAMESPACE))

    assert (result.rows_in, result.curated, result.duplicates_in_batch) == (600, 3, 597)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "idColumn 'device_id' of dataset 'readings' has 3 distinct values in 600 valid rows" in warnings[0]
    assert cloudwatch("DuplicateShare", "readings") == pytest.approx(99.5)
    assert cloudwatch("DuplicatesInBatch", "readings") == 597
    assert cloudwatch("DuplicatesDropped", "readings") == 597
    assert cloudwatch("RowsCurated", "readings") == 3
    assert cloudwatch("SuspectIdColumn", "readings") == 1


def test_a_run_with_unique_records_publishes_a_zero_share_and_warns_of_nothing(glue, sample, cloudwatch, caplog):  # noqa: F811
    fake, glue_job = glue
    deliver(bucket(fake), "pollution", sample, [dt.datetime(2026, 9, 30, 0)], gzip_index=0)

    with caplog.at_level(logging.WARNING, logger="freshet_etl"):
        result = glue_job.main(construct_argv("exec-unique", metrics_namespace=NAMESPACE))

    assert (result.rows_in, result.curated, result.duplicates_dropped) == (600, 600, 0)
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert cloudwatch("RowsIn", "pollution") == 600
    assert cloudwatch("DuplicateShare", "pollution") == 0
    assert cloudwatch("SuspectIdColumn", "pollution") == 0
