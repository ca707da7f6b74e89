"""De-duplication, within a run and against what earlier runs curated.

The key is the schema's id column, or every schema column when there is none.

* Within the batch, the first arrival of each key is kept (ordered by raw
  object key, then position); the others are counted as duplicates, not
  rejected: they are not bad data.
* Against the lake, the kept rows are matched (null-safe) with the keys
  already in the curated partitions the batch touches. This is what makes a
  rerun over the same raw files add nothing, whatever the job bookmark did.
  Only the touched partitions are read, so the cost grows with the batch, not
  the lake. The partition of a row is a function of the row (event time) or of
  its raw object key (ingestion date), so a replayed record always meets its
  first copy there. A record re-sent later with a different event time (or, in
  a dataset without event time, on another day) lands elsewhere and is not
  caught: give such datasets an id column and an event-time column.

We chose this match-and-append over rewriting affected partitions with the union: it
only appends new files, so a failed run never leaves a partition half
rewritten, readers never see a partition disappear, and the Glue sink can
append and register partitions in one step.
"""

from __future__ import annotations

from functools import reduce
from typing import Optional

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from .spec import PARTITION_COLUMNS, DatasetSpec
from .validation import ARRIVAL, SOURCE_FILE

#: 1 for the first arrival of a key in the batch, 2, 3... for its duplicates.
RANK = "_rank"


def rank_duplicates(valid: DataFrame, spec: DatasetSpec) -> DataFrame:
    """Adds ``_rank``: 1 for the first arrival of each key in the batch, 2, 3... for its duplicates."""
    window = Window.partitionBy(*spec.dedup_key).orderBy(F.col(SOURCE_FILE), F.col(ARRIVAL))
    return valid.withColumn(RANK, F.row_number().over(window))


def first_arrivals(ranked: DataFrame) -> DataFrame:
    """The rows kept from the batch."""
    return ranked.where(F.col(RANK) == 1).drop(RANK)


def touched_partitions(rows: DataFrame) -> list[tuple[str, str, str]]:
    """The distinct ``(year, month, day)`` partitions of the rows, sorted."""
    return sorted(tuple(r) for r in rows.select(*PARTITION_COLUMNS).distinct().collect())


def _usable(existing: Optional[DataFrame], key: list[str]) -> bool:
    # An empty catalog read (first run, or no files yet) may come back without columns.
    return existing is not None and set(key) <= set(existing.columns)


#: Marks kept rows whose key is already curated.
ALREADY_CURATED = "_already_curated"
_KEY_PREFIX = "_curated_key_"


def mark_already_curated(kept: DataFrame, existing: Optional[DataFrame], spec: DatasetSpec) -> DataFrame:
    """Adds ``_already_curated`` (true when the row's key is in ``existing``) with one left join.

    The existing keys are made distinct first, so the join never multiplies a
    row; the run's invariant check would catch it if it did.
    """
    key = spec.dedup_key
    if not _usable(existing, key):
        return kept.withColumn(ALREADY_CURATED, F.lit(False))
    keys = existing.select(*[F.col(k).alias(_KEY_PREFIX + k) for k in key]).distinct().withColumn(ALREADY_CURATED, F.lit(True))
    match = reduce(lambda a, b: a & b, [kept[k].eqNullSafe(keys[_KEY_PREFIX + k]) for k in key])
    return kept.join(keys, match, "left").select(
        *[kept[c] for c in kept.columns], F.coalesce(keys[ALREADY_CURATED], F.lit(False)).alias(ALREADY_CURATED)
    )


def new_rows(marked: DataFrame) -> DataFrame:
    """Kept rows not curated before: the ones to write."""
    return marked.where(~F.col(ALREADY_CURATED)).drop(ALREADY_CURATED)


def already_curated(marked: DataFrame) -> DataFrame:
    """Kept rows an earlier run already curated: dropped as duplicates."""
    return marked.where(F.col(ALREADY_CURATED)).drop(ALREADY_CURATED)


def partition_predicate(partitions: list[tuple[str, str, str]]) -> str:
    """A Glue/Spark SQL predicate selecting exactly the given partitions (for push-down)."""
    if not partitions:
        return "false"
    return " or ".join(f"(year = '{y}' and month = '{m}' and day = '{d}')" for y, m, d in partitions)
