"""Shared fixtures: one local Spark session for the whole run, and the sample data."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest
from pyspark.sql import SparkSession


def repo_root() -> Path:
    """The folder holding ``.projenrc.ts``, found by walking up from this file."""
    for folder in Path(__file__).resolve().parents:
        if (folder / ".projenrc.ts").exists():
            return folder
    raise RuntimeError("no .projenrc.ts above the tests: run them inside the Freshet repository.")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` relative to the repo root (stocks_all.csv, pollution.jsonl)."""
    data = repo_root().parent / "shared" / "data"
    if not (data / "stocks_all.csv").exists():
        raise RuntimeError(f"sample data not found in {data}: the tests need ../shared/data next to the repo.")
    return data


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """Local Spark, two cores, few shuffle partitions: the data sets are small."""
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("freshet-glue-etl-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # Short test runs: a quick JIT and no adaptive re-planning cut per-job overhead (Glue keeps its defaults).
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC -XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
