"""One ETL run: raw lines in, curated and rejected rows out, counts checked.

The order matters: everything is computed and counted first, the invariant is
checked, an optional quality gate looks at the new rows, and only then is
anything written. A run that fails before the writes leaves the lake as it was
(and on AWS does not commit the bookmark, so the next run sees the same files).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Optional

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from . import dedup
from .counts import RunCounts
from .derivations import DerivedColumn, add_derived_columns
from .lake_io import LakeIO
from .partitioning import add_partition_columns
from .run_metrics import id_column_warning
from .spec import PARTITION_COLUMNS, DatasetSpec
from .validation import ARRIVAL, LINE, REASONS, SOURCE_FILE, validate_lines

LOG = logging.getLogger("freshet_etl")

#: Spark settings the logic depends on; set on the session at the start of a run.
SESSION_SETTINGS = {
    # Timestamps without an offset, partitions and derived hour/date are all UTC.
    "spark.sql.session.timeZone": "UTC",
    # A JSON object with a repeated key is rejected by the validation, not a crash of from_json.
    "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
    # Invalid casts become null and are rejected with a reason; ANSI mode would fail the run instead.
    "spark.sql.ansi.enabled": "false",
}


@dataclass(frozen=True)
class EtlConfig:
    """What a run needs besides the lake: the schema, derived columns, run id and processing date."""

    spec: DatasetSpec
    run_id: str
    derived: list[DerivedColumn] = field(default_factory=list)
    processing_date: dt.date = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).date())


@dataclass
class EtlOutcome:
    """The frames a run writes (persisted) and its counts."""

    curated: DataFrame
    rejected: DataFrame
    counts: RunCounts
    partitions: list[tuple[str, str, str]]
    _persisted: list[DataFrame] = field(default_factory=list, repr=False)

    def release(self) -> None:
        """Frees the cached frames."""
        for frame in self._persisted:
            frame.unpersist()


def configure_session(spark: SparkSession) -> None:
    """Applies :data:`SESSION_SETTINGS`."""
    for key, value in SESSION_SETTINGS.items():
        spark.conf.set(key, value)


def _persist(frame: DataFrame, kept: list[DataFrame]) -> DataFrame:
    frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
    kept.append(frame)
    return frame


def curated_columns(config: EtlConfig) -> list[str]:
    """Column order of curated rows: schema columns, derived columns, then the partition columns."""
    return [*config.spec.column_names, *[d.name for d in config.derived], *PARTITION_COLUMNS]


def _count(classified: DataFrame, ranked: DataFrame, marked: DataFrame) -> RunCounts:
    """Counts each outcome from the frame that decides it, one pass per (persisted) frame.

    Rows in and rejected come from the classification, in-batch duplicates from
    the ranking, new and already-curated rows from the match with the lake; so
    a join that multiplied or lost rows breaks the invariant instead of hiding.
    """
    as_int = lambda condition: F.sum(F.when(condition, 1).otherwise(0))
    rows_in, rejected = classified.agg(F.count(F.lit(1)), as_int(F.size(F.col(REASONS)) > 0)).first()
    (in_batch,) = ranked.agg(as_int(F.col(dedup.RANK) > 1)).first()
    new, already = marked.agg(as_int(~F.col(dedup.ALREADY_CURATED)), as_int(F.col(dedup.ALREADY_CURATED))).first()
    return RunCounts(
        rows_in=rows_in,
        curated=new or 0,
        rejected=rejected or 0,
        duplicates_in_batch=in_batch or 0,
        duplicates_already_curated=already or 0,
    )


def transform(
    lines: DataFrame,
    read_curated: Callable[[list[tuple[str, str, str]]], Optional[DataFrame]],
    config: EtlConfig,
) -> EtlOutcome:
    """Classifies raw lines into new curated rows, rejected rows and duplicates, and counts each."""
    persisted: list[DataFrame] = []
    spec = config.spec
    ordered = lines.select(F.col(LINE), F.col(SOURCE_FILE), F.monotonically_increasing_id().alias(ARRIVAL))
    classified = _persist(add_partition_columns(validate_lines(ordered, spec), spec, config.processing_date), persisted)

    rejected = classified.where(F.size(F.col(REASONS)) > 0).select(
        F.col(LINE),
        F.col(REASONS),
        F.col(SOURCE_FILE),
        F.lit(spec.name).alias("dataset"),
        F.lit(config.run_id).alias("run_id"),
    )
    valid = classified.where(F.size(F.col(REASONS)) == 0)
    ranked = _persist(dedup.rank_duplicates(valid, spec), persisted)
    kept = dedup.first_arrivals(ranked)
    partitions = dedup.touched_partitions(kept)
    marked = _persist(dedup.mark_already_curated(kept, read_curated(partitions) if partitions else None, spec), persisted)
    curated = add_derived_columns(dedup.new_rows(marked), config.derived).select(*curated_columns(config))

    counts = _count(classified, ranked, marked)
    return EtlOutcome(curated=curated, rejected=rejected, counts=counts, partitions=partitions, _persisted=persisted)


def pin(rows: DataFrame) -> DataFrame:
    """The rows, computed now and cut from their lineage.

    The new rows were found by matching against the curated files. Writing to
    the curated path makes Spark re-cache every cached plan that scans it, so
    evaluating the lazy frame again after (or while) writing would match the
    rows against themselves and find nothing new. A local checkpoint fixes the
    rows before the quality gate and the write; losing an executor that holds
    it fails the run, which is safe (no bookmark commit, and the rerun drops
    what was already written).
    """
    return rows.localCheckpoint(eager=True)


def run_etl(
    spark: SparkSession,
    io: LakeIO,
    config: EtlConfig,
    quality_gate: Optional[Callable[[DataFrame], None]] = None,
) -> RunCounts:
    """Runs the whole job body against ``io`` and returns the checked counts.

    ``quality_gate`` sees the new curated rows before they are written and
    raises to stop the run (on AWS: Glue Data Quality); it is skipped when
    there are no new rows, since an idle run is not a quality failure.
    """
    configure_session(spark)
    outcome = transform(io.read_raw_lines(), io.read_curated, config)
    try:
        counts = outcome.counts.check()
        LOG.info("freshet_etl counts %s", counts.to_json())
        suspect = id_column_warning(counts, config.spec)
        if suspect:
            LOG.warning("freshet_etl idColumn: %s", suspect)
        if counts.rejected > 0 or counts.curated > 0:
            new_rows = pin(outcome.curated) if counts.curated > 0 else None
            if new_rows is not None and quality_gate is not None:
                quality_gate(new_rows)
            if counts.rejected > 0:
                io.write_rejected(outcome.rejected)
            if new_rows is not None:
                io.write_curated(new_rows)
        return counts
    finally:
        outcome.release()
