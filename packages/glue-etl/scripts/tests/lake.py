"""Runs the job body on a local lake folder and reads its outputs back, for the tests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

from pyspark.sql import DataFrame, SparkSession

from freshet_etl.counts import RunCounts
from freshet_etl.derivations import parse_derived_columns
from freshet_etl.lake_io import LakeLayout, SparkLakeIO
from freshet_etl.pipeline import EtlConfig, run_etl
from freshet_etl.spec import DatasetSpec


def layout(root: Path, dataset: str, run_id: str) -> LakeLayout:
    """The default prefixes the construct passes, under a local folder."""
    return LakeLayout(root.as_uri(), f"raw/{dataset}/", f"curated/{dataset}/", f"rejected/etl/{dataset}/", run_id)


def run_job(
    spark: SparkSession,
    root: Path,
    spec_dict: dict,
    run_id: str,
    derived: Optional[list] = None,
    processing_date: dt.date = dt.date(2026, 11, 23),
) -> RunCounts:
    """One run of the pipeline over ``root`` with plain-Spark IO."""
    spec = DatasetSpec.from_dict(spec_dict)
    config = EtlConfig(spec, run_id, parse_derived_columns(json.dumps(derived or []), spec), processing_date)
    return run_etl(spark, SparkLakeIO(spark, layout(root, spec.name, run_id)), config)


def read_curated(spark: SparkSession, root: Path, dataset: str) -> DataFrame:
    """All curated rows, partition columns kept as the strings they are in the folder names."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    return spark.read.parquet(str(root / "curated" / dataset))


def read_rejected(root: Path, dataset: str, run_id: str) -> list[dict]:
    """The rejected rows of a run, parsed with Python's json module (not Spark)."""
    folder = root / "rejected" / "etl" / dataset / f"run={run_id}"
    rows = []
    for part in sorted(folder.glob("part-*")):
        rows.extend(json.loads(line) for line in part.read_text("utf-8").splitlines() if line.strip())
    return rows


def curated_files(root: Path, dataset: str) -> list[Path]:
    """The curated Parquet data files."""
    return sorted((root / "curated" / dataset).rglob("*.parquet"))
