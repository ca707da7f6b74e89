"""The run's figures as CloudWatch metrics, and the check that the id column is a record id.

De-duplication keeps one row per key: the schema's id column, or every column
when there is none. An id column that names an entity (a device or machine id
repeated across readings) instead of a record makes the ETL keep one row per
entity and drop the rest as duplicates, which looks like success. Two guards
catch it:

* ``DuplicateShare``, the percentage of the run's valid rows dropped as
  duplicates (repeated in the batch or already curated), which the GlueEtl
  construct alarms on (default: more than 20%);
* :func:`id_column_warning`, a warning in the job log (and the
  ``SuspectIdColumn`` metric) when the id column has far fewer distinct values
  than the batch has rows, saying what to change. Synthesis cannot see the
  data, so this runs in the job.
"""

from __future__ import annotations

from typing import Any, Optional, Protocol

from .counts import RunCounts
from .spec import DatasetSpec

#: Batches smaller than this are too small to judge an id column by.
MIN_ROWS_FOR_ID_CHECK = 100
#: An id column with fewer distinct values than this share of the batch's valid rows is suspect.
MIN_DISTINCT_ID_SHARE = 0.5


class CloudWatchClient(Protocol):
    """The one call used from boto3's CloudWatch client."""

    def put_metric_data(self, **kwargs: Any) -> Any: ...


def valid_rows(counts: RunCounts) -> int:
    """Rows that passed validation: what de-duplication looks at."""
    return counts.rows_in - counts.rejected


def duplicate_share(counts: RunCounts) -> float:
    """The percentage (0-100) of the run's valid rows dropped as duplicates; 0 for a run with none."""
    valid = valid_rows(counts)
    return 100.0 * counts.duplicates_dropped / valid if valid > 0 else 0.0


def id_column_warning(counts: RunCounts, spec: DatasetSpec) -> Optional[str]:
    """What to change when the id column repeats far more than a record id would, else ``None``.

    Within the batch the id column is the whole de-duplication key, so its
    distinct values are the valid rows less the in-batch duplicates.
    """
    valid = valid_rows(counts)
    if not spec.id_column or valid < MIN_ROWS_FOR_ID_CHECK:
        return None
    distinct = valid - counts.duplicates_in_batch
    if distinct >= MIN_DISTINCT_ID_SHARE * valid:
        return None
    return (
        f"idColumn '{spec.id_column}' of dataset '{spec.name}' has {distinct} distinct values in {valid} valid rows of this run,"
        f" so the ETL kept one row per value and dropped {counts.duplicates_in_batch} rows as duplicates."
        " idColumn must name a unique record id (one value per record, such as a reading or event id), not an entity"
        " such as a device or machine id: set idColumn in the DatasetSchema to such a column, or leave it unset to"
        " de-duplicate on all columns."
    )


def metric_data(counts: RunCounts, spec: DatasetSpec) -> list[dict[str, Any]]:
    """The run's ``MetricData`` for PutMetricData, each with the ``Dataset`` dimension."""
    values = [
        ("RowsIn", counts.rows_in, "Count"),
        ("RowsCurated", counts.curated, "Count"),
        ("RowsRejected", counts.rejected, "Count"),
        ("DuplicatesInBatch", counts.duplicates_in_batch, "Count"),
        ("DuplicatesAlreadyCurated", counts.duplicates_already_curated, "Count"),
        ("DuplicatesDropped", counts.duplicates_dropped, "Count"),
        ("DuplicateShare", round(duplicate_share(counts), 3), "Percent"),
        ("SuspectIdColumn", 1 if id_column_warning(counts, spec) else 0, "Count"),
    ]
    dimensions = [{"Name": "Dataset", "Value": spec.name}]
    return [{"MetricName": name, "Dimensions": dimensions, "Value": float(value), "Unit": unit} for name, value, unit in values]


def publish(client: CloudWatchClient, namespace: str, counts: RunCounts, spec: DatasetSpec) -> None:
    """Sends the run's metrics in one PutMetricData call (at most 1000 values per call; these are 8)."""
    client.put_metric_data(Namespace=namespace, MetricData=metric_data(counts, spec))
