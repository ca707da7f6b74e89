"""The curated date partition (``year=/month=/day=``, strings) of each row.

With an event-time column the partition is the UTC date of the event, so a
record lands in the same partition however late or often it arrives. Without
one it is the ingestion date: the ``year=/month=/day=`` of the raw object's key
(the hour Firehose received it). That is also deterministic, so a raw file
seen twice maps to the same curated partition, which is what the idempotency
check (see :mod:`freshet_etl.dedup`) relies on. Only when the raw key has no
date partition (objects put there by hand) does the processing date of the run
stand in; those rows are idempotent only within that date.
"""

from __future__ import annotations

import datetime as dt

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from .spec import PARTITION_COLUMNS, DatasetSpec
from .validation import REASONS, SOURCE_FILE

_KEY_DATE = r"year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})/"


def _from_source_key(group: int, fallback: str) -> Column:
    found = F.regexp_extract(F.col(SOURCE_FILE), _KEY_DATE, group)
    return F.when(found == "", F.lit(fallback)).otherwise(found)


def add_partition_columns(df: DataFrame, spec: DatasetSpec, processing_date: dt.date) -> DataFrame:
    """Adds ``year``, ``month``, ``day`` to typed rows, and rejects rows that cannot have a partition.

    A null event time (a nullable event-time column) leaves the row without a
    partition: it gets a reason instead of a made-up date.
    """
    if spec.event_time_column:
        ts = F.col(spec.event_time_column)
        parts = [F.date_format(ts, "yyyy"), F.date_format(ts, "MM"), F.date_format(ts, "dd")]
        no_partition = F.when(
            (F.size(F.col(REASONS)) == 0) & ts.isNull(),
            F.lit(f"event-time column '{spec.event_time_column}' is empty: the row has no date partition"),
        )
        reasons = F.when(no_partition.isNotNull(), F.array_union(F.col(REASONS), F.array(no_partition))).otherwise(F.col(REASONS))
    else:
        fallback = (processing_date.strftime("%Y"), processing_date.strftime("%m"), processing_date.strftime("%d"))
        parts = [_from_source_key(i + 1, fallback[i]) for i in range(3)]
        reasons = F.col(REASONS)
    return df.withColumns({**{name: part for name, part in zip(PARTITION_COLUMNS, parts)}, REASONS: reasons})
