"""Where the job reads and writes, behind one small interface.

The pipeline never builds a path or calls a reader itself: it asks a
:class:`LakeIO`. :class:`SparkLakeIO` does it with plain Spark (any file
system Hadoop knows: local disk in the tests, s3a:// elsewhere); on AWS the
Glue entry point uses :class:`freshet_etl.glue_io.GlueLakeIO`, which reads raw
through a bookmarked DynamicFrame and writes curated through the Glue sink
that adds the catalog partitions. Both hand the pipeline the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from .spec import PARTITION_COLUMNS
from .validation import LINE, SOURCE_FILE

#: Columns of the raw-lines frame every LakeIO returns.
RAW_LINES_SCHEMA = T.StructType([T.StructField(LINE, T.StringType()), T.StructField(SOURCE_FILE, T.StringType())])


class LakeIO(Protocol):
    """The four lake operations of a run."""

    def read_raw_lines(self) -> DataFrame:
        """New raw lines: ``line`` (the text, one JSON record) and ``source_file`` (the object's URI)."""

    def read_curated(self, partitions: list[tuple[str, str, str]]) -> Optional[DataFrame]:
        """Curated rows of the given ``(year, month, day)`` partitions, or None when there are none."""

    def write_curated(self, rows: DataFrame) -> None:
        """Appends new curated rows, partitioned by year/month/day, as snappy Parquet."""

    def write_rejected(self, rows: DataFrame) -> None:
        """Appends rejected rows as JSON lines under ``run=<run id>/``."""


@dataclass(frozen=True)
class LakeLayout:
    """The lake's URIs for one dataset and run, from the bucket URI and the job's prefixes."""

    root: str
    raw_prefix: str
    curated_prefix: str
    rejected_prefix: str
    run_id: str

    def _join(self, prefix: str) -> str:
        return f"{self.root.rstrip('/')}/{prefix.lstrip('/')}"

    @property
    def raw(self) -> str:
        """Where Firehose writes: ``<root>/raw/<dataset>/``."""
        return self._join(self.raw_prefix)

    @property
    def curated(self) -> str:
        """The curated table's location: ``<root>/curated/<dataset>/``."""
        return self._join(self.curated_prefix)

    @property
    def rejected(self) -> str:
        """This run's rejected rows: ``<root>/rejected/etl/<dataset>/run=<run id>/``."""
        return self._join(f"{self.rejected_prefix.rstrip('/')}/run={self.run_id}/")

    def curated_partition(self, year: str, month: str, day: str) -> str:
        """One curated partition's folder."""
        return f"{self.curated.rstrip('/')}/year={year}/month={month}/day={day}/"


def path_exists(spark: SparkSession, uri: str) -> bool:
    """Whether a file or folder exists, through the Hadoop file system of its scheme."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path)


class SparkLakeIO:
    """The lake through plain Spark readers and writers (no bookmarks: every raw file is read)."""

    def __init__(self, spark: SparkSession, layout: LakeLayout) -> None:
        self.spark = spark
        self.layout = layout

    def read_raw_lines(self) -> DataFrame:
        """Every line of every object under the raw prefix; ``.gz`` objects are decompressed by Spark."""
        if not path_exists(self.spark, self.layout.raw):
            return self.spark.createDataFrame([], RAW_LINES_SCHEMA)
        # recursiveFileLookup: walk year=/month=/day=/hour=/ without turning them into columns.
        text = self.spark.read.option("recursiveFileLookup", "true").text(self.layout.raw)
        return text.select(F.col("value").alias(LINE), F.input_file_name().alias(SOURCE_FILE))

    def read_curated(self, partitions: list[tuple[str, str, str]]) -> Optional[DataFrame]:
        """The existing curated partitions among ``partitions``, read with their partition columns."""
        paths = [self.layout.curated_partition(*p) for p in partitions]
        paths = [p for p in paths if path_exists(self.spark, p)]
        if not paths:
            return None
        return self.spark.read.option("basePath", self.layout.curated).parquet(*paths)

    def write_curated(self, rows: DataFrame) -> None:
        """Appends snappy Parquet partitioned by year/month/day."""
        rows.write.mode("append").partitionBy(*PARTITION_COLUMNS).option("compression", "snappy").parquet(self.layout.curated)

    def write_rejected(self, rows: DataFrame) -> None:
        """Appends JSON lines under this run's rejected folder."""
        rows.write.mode("append").json(self.layout.rejected)
