"""A fake of the AWS Glue runtime API surface the entry point uses, for local tests.

``awsglue`` (and ``awsgluedq``) exist only on Glue. This fake stands at that
edge: it implements the calls ``glue_job.py`` and ``freshet_etl.glue_io``
make, delegates reads and writes to local Spark, maps ``s3://bucket/key`` to
a local folder, keeps a tiny Data Catalog (table locations and partitions),
and emulates job bookmarks for S3 sources (objects read under a
``transformation_ctx`` are skipped by later runs once the run commits). It
records calls so tests can check the wiring. None of our code is replaced.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path
from typing import Any, Optional

from pyspark.context import SparkContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T


class FakeGlue:
    """State shared by the fake modules: the local 'S3', the catalog, bookmarks and recorded calls."""

    def __init__(self, s3_root: Path) -> None:
        self.s3_root = s3_root
        self.tables: dict[tuple[str, str], str] = {}
        self.partitions: dict[tuple[str, str], set[tuple[str, ...]]] = {}
        self.bookmarks: dict[str, set[str]] = {}
        self.pending: dict[str, set[str]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.failing_rules: list[str] = []
        self.bookmarks_enabled = True

    def local(self, uri: str) -> str:
        """``s3://bucket/key`` -> ``<s3_root>/bucket/key``."""
        if not uri.startswith("s3://"):
            raise ValueError(f"the fake lake only knows s3:// URIs, got {uri}")
        return str(self.s3_root / uri[len("s3://") :])

    def add_table(self, database: str, table: str, location: str) -> None:
        self.tables[(database, table)] = location
        self.partitions[(database, table)] = set()

    def install(self, monkeypatch) -> None:
        """Puts the fake modules into ``sys.modules`` (undone by monkeypatch after the test)."""
        for name, module in self._modules().items():
            monkeypatch.setitem(sys.modules, name, module)

    def _modules(self) -> dict[str, types.ModuleType]:
        fake = self

        class DynamicFrame:
            def __init__(self, df: DataFrame, glue_ctx: Any, name: str = "") -> None:
                self._df, self.glue_ctx, self.name = df, glue_ctx, name

            @classmethod
            def fromDF(cls, dataframe: DataFrame, glue_ctx: Any, name: str) -> "DynamicFrame":
                return cls(dataframe, glue_ctx, name)

            def toDF(self) -> DataFrame:
                return self._df

            def count(self) -> int:
                return self._df.count()

        class DynamicFrameReader:
            def __init__(self, ctx: "GlueContext") -> None:
                self.ctx = ctx

            def from_options(self, connection_type, connection_options, format=None, format_options=None, transformation_ctx="", **_):
                fake.calls.append(("from_options", dict(connection_type=connection_type, connection_options=connection_options, format=format, format_options=format_options, transformation_ctx=transformation_ctx)))
                assert connection_type == "s3" and format == "csv", "the fake reads S3 CSV only"
                spark = self.ctx.spark_session
                files = self._new_files(connection_options["paths"], transformation_ctx)
                if not files:
                    # Like Glue: a source with nothing new gives a DynamicFrame without columns.
                    return DynamicFrame(spark.createDataFrame([], T.StructType([])), self.ctx)
                sep = format_options["separator"]
                assert format_options.get("quoteChar") == "-1" and not format_options.get("withHeader")
                text = spark.read.text(files)
                parts = F.split(F.col("value"), sep, -1)
                width = text.select(F.max(F.size(parts))).first()[0] or 1
                return DynamicFrame(text.select(*[parts.getItem(i).alias(f"col{i}") for i in range(width)]), self.ctx)

            def _new_files(self, uris: list[str], ctx: str) -> list[str]:
                found = sorted(str(p) for uri in uris for p in Path(fake.local(uri)).rglob("*") if p.is_file())
                if not (fake.bookmarks_enabled and ctx):
                    return found
                new = [f for f in found if f not in fake.bookmarks.get(ctx, set())]
                fake.pending.setdefault(ctx, set()).update(new)
                return new

            def from_catalog(self, database, table_name, push_down_predicate="", transformation_ctx="", **_):
                fake.calls.append(("from_catalog", dict(database=database, table_name=table_name, push_down_predicate=push_down_predicate, transformation_ctx=transformation_ctx)))
                spark = self.ctx.spark_session
                location = fake.local(fake.tables[(database, table_name)])
                if not Path(location).exists():
                    return DynamicFrame(spark.createDataFrame([], T.StructType([])), self.ctx)
                df = spark.read.option("basePath", location).parquet(location)
                return DynamicFrame(df.where(push_down_predicate) if push_down_predicate else df, self.ctx)

        class DynamicFrameWriter:
            def __init__(self, ctx: "GlueContext") -> None:
                self.ctx = ctx

            def from_options(self, frame, connection_type, connection_options, format=None, **_):
                fake.calls.append(("write_from_options", dict(connection_type=connection_type, connection_options=connection_options, format=format)))
                assert connection_type == "s3" and format == "json"
                frame.toDF().write.mode("append").json(fake.local(connection_options["path"]))

        class Sink:
            def __init__(self, options: dict) -> None:
                self.options, self.format, self.catalog = options, None, None

            def setFormat(self, format: str, **options):
                self.format = (format, options)

            def setCatalogInfo(self, catalogDatabase: str, catalogTableName: str):
                self.catalog = (catalogDatabase, catalogTableName)

            def writeFrame(self, frame):
                fake.calls.append(("sink_write", dict(options=self.options, format=self.format, catalog=self.catalog)))
                keys = self.options["partitionKeys"]
                df = frame.toDF()
                df.write.mode("append").partitionBy(*keys).option("compression", self.format[1]["compression"]).parquet(fake.local(self.options["path"]))
                if self.options.get("enableUpdateCatalog"):
                    fake.partitions[self.catalog].update(tuple(r) for r in df.select(*keys).distinct().collect())

        class GlueContext:
            def __init__(self, sc: SparkContext) -> None:
                self.spark_session = SparkSession(sc)
                self.create_dynamic_frame = DynamicFrameReader(self)
                self.write_dynamic_frame = DynamicFrameWriter(self)

            def getSink(self, connection_type: str, **options) -> Sink:
                assert connection_type == "s3"
                return Sink(options)

        class Job:
            def __init__(self, glue_context: GlueContext) -> None:
                self.glue_context = glue_context

            def init(self, name: str, args: dict) -> None:
                fake.calls.append(("job_init", dict(name=name, args=args)))

            def commit(self) -> None:
                fake.calls.append(("job_commit", None))
                for ctx, files in fake.pending.items():
                    fake.bookmarks.setdefault(ctx, set()).update(files)
                fake.pending.clear()

        def getResolvedOptions(argv: list[str], options: list[str]) -> dict[str, str]:
            parser = argparse.ArgumentParser(add_help=False)
            for name in options:
                parser.add_argument(f"--{name}", required=True)
            known, _ = parser.parse_known_args(argv[1:])
            return vars(known)

        class EvaluateDataQuality:
            @staticmethod
            def apply(frame, ruleset: str, publishing_options: Optional[dict] = None, **_):
                fake.calls.append(("evaluate_dq", dict(ruleset=ruleset, rows=frame.toDF().count(), publishing_options=publishing_options)))
                spark = frame.toDF().sparkSession
                outcomes = [(rule, "Failed", "fake failure") for rule in fake.failing_rules] or [("RowCount > 0", "Passed", None)]
                return DynamicFrame(spark.createDataFrame(outcomes, "Rule string, Outcome string, FailureReason string"), None)

        modules = {name: types.ModuleType(name) for name in ("awsglue", "awsglue.context", "awsglue.dynamicframe", "awsglue.job", "awsglue.utils", "awsgluedq", "awsgluedq.transforms")}
        modules["awsglue.context"].GlueContext = GlueContext
        modules["awsglue.dynamicframe"].DynamicFrame = DynamicFrame
        modules["awsglue.job"].Job = Job
        modules["awsglue.utils"].getResolvedOptions = getResolvedOptions
        modules["awsgluedq.transforms"].EvaluateDataQuality = EvaluateDataQuality
        return modules
