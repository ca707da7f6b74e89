"""The lake and data quality through the AWS Glue API: the only module that imports ``awsglue``.

* Raw lines are read with a DynamicFrame source whose ``transformation_ctx``
  is the job bookmark key, so each run sees only objects new since the last
  committed run. Bookmarks support S3 sources in JSON, CSV, Avro, XML, Parquet
  and ORC, not plain text, so the lines are read as one-column CSV: the
  separator is U+0001 (valid JSON never holds a raw control character) and
  quoting is off, so the line text comes through unchanged; ``.gz`` objects are
  decompressed by Glue. A line that does contain U+0001 is split by the CSV
  reader and re-joined here, so its text survives to be rejected.
* Existing curated rows are read from the Data Catalog with a push-down
  predicate on the touched partitions, and never bookmarked (a bookmarked
  read would hide them from the next run's duplicate check).
* New curated rows go through the Glue S3 sink with ``enableUpdateCatalog``
  and ``partitionKeys``, which writes snappy Parquet and adds the new
  partitions to the curated table in the same step; ``updateBehavior=LOG``
  leaves the table schema to the construct.
* Rejected rows are written as JSON lines.
"""

from __future__ import annotations

from typing import Optional

from awsglue.context import GlueContext
from awsglue.dynamicframe import DynamicFrame
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from .dedup import partition_predicate
from .lake_io import RAW_LINES_SCHEMA, LakeLayout
from .spec import PARTITION_COLUMNS
from .validation import LINE, SOURCE_FILE

#: The bookmark key of the raw source. Renaming it resets the bookmark: every raw object is read again
#: (harmless, the duplicate check drops what is already curated, but slow).
RAW_TRANSFORMATION_CTX = "freshet_raw_lines"
#: Column separator of the one-column CSV read of raw lines.
RAW_SEPARATOR = "\u0001"


class DataQualityError(RuntimeError):
    """Glue Data Quality rules failed on the new curated rows."""


def _csv_column_order(name: str) -> int:
    return int(name[3:]) if name[3:].isdigit() else 1 << 30


class GlueLakeIO:
    """:class:`freshet_etl.lake_io.LakeIO` on AWS Glue."""

    def __init__(self, glue_context: GlueContext, layout: LakeLayout, database: str, curated_table: str) -> None:
        self.glue_context = glue_context
        self.layout = layout
        self.database = database
        self.curated_table = curated_table

    def read_raw_lines(self) -> DataFrame:
        """New raw lines (bookmarked), with the object each came from."""
        frame = self.glue_context.create_dynamic_frame.from_options(
            connection_type="s3",
            connection_options={"paths": [self.layout.raw], "recurse": True},
            format="csv",
            format_options={"separator": RAW_SEPARATOR, "quoteChar": "-1", "withHeader": False},
            transformation_ctx=RAW_TRANSFORMATION_CTX,
        )
        df = frame.toDF()
        parts = sorted((c for c in df.columns if c.startswith("col")), key=_csv_column_order)
        if not parts:
            return self.glue_context.spark_session.createDataFrame([], RAW_LINES_SCHEMA)
        line = F.concat_ws(RAW_SEPARATOR, *[F.col(c) for c in parts])
        return df.select(line.alias(LINE), F.input_file_name().alias(SOURCE_FILE))

    def read_curated(self, partitions: list[tuple[str, str, str]]) -> Optional[DataFrame]:
        """Curated rows of the touched partitions, from the catalog (not bookmarked)."""
        frame = self.glue_context.create_dynamic_frame.from_catalog(
            database=self.database,
            table_name=self.curated_table,
            push_down_predicate=partition_predicate(partitions),
        )
        df = frame.toDF()
        return df if df.columns else None

    def write_curated(self, rows: DataFrame) -> None:
        """Appends snappy Parquet and adds the new partitions to the curated table."""
        sink = self.glue_context.getSink(
            connection_type="s3",
            path=self.layout.curated,
            enableUpdateCatalog=True,
            updateBehavior="LOG",
            partitionKeys=list(PARTITION_COLUMNS),
        )
        sink.setFormat("glueparquet", compression="snappy")
        sink.setCatalogInfo(catalogDatabase=self.database, catalogTableName=self.curated_table)
        sink.writeFrame(DynamicFrame.fromDF(rows, self.glue_context, "freshet_curated"))

    def write_rejected(self, rows: DataFrame) -> None:
        """Appends JSON lines under ``run=<run id>/``."""
        self.glue_context.write_dynamic_frame.from_options(
            frame=DynamicFrame.fromDF(rows, self.glue_context, "freshet_rejected"),
            connection_type="s3",
            connection_options={"path": self.layout.rejected},
            format="json",
        )


def evaluate_data_quality(glue_context: GlueContext, ruleset: str, rows: DataFrame, context: str) -> None:
    """Evaluates the DQDL ruleset on the new rows with Glue Data Quality; raises if a rule fails.

    Results are published to the Data Quality console and CloudWatch under ``context``.
    """
    from awsgluedq.transforms import EvaluateDataQuality  # only on Glue; imported late so the module loads elsewhere

    results = EvaluateDataQuality.apply(
        frame=DynamicFrame.fromDF(rows, glue_context, "freshet_dq"),
        ruleset=ruleset,
        publishing_options={
            "dataQualityEvaluationContext": context,
            "enableDataQualityCloudWatchMetrics": True,
            "enableDataQualityResultsPublishing": True,
        },
    ).toDF()
    failed = [f"{r['Rule']}: {r['FailureReason']}" for r in results.where(F.col("Outcome") != "Passed").collect()]
    if failed:
        raise DataQualityError("data quality rules failed on the new curated rows, nothing was written:\n" + "\n".join(f"  - {f}" for f in failed))
