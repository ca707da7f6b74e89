"""Runs the GlueEtl job on local files, in Spark local mode, with your dataset schema.

    python -m freshet_etl_local --schema schema.json --input ./raw --output ./out

(with this file's folder, the package's ``scripts/``, on ``PYTHONPATH``; or
``python <scripts>/freshet_etl_local.py ...``). It runs the same code as the
Glue job (:func:`freshet_etl.pipeline.run_etl`: validation, casting,
de-duplication, the counts invariant, the id-column check) through plain Spark
readers and writers instead of ``awsglue``, so it needs pyspark 3.5 and Java 17,
no AWS account and no network. ``--output`` is laid out like the lake:

    <output>/curated/<dataset>/year=YYYY/month=MM/day=DD/*.snappy.parquet
    <output>/rejected/etl/<dataset>/run=<run id>/part-*.json
    <output>/metrics/<dataset>/run=<run id>.json

Running again into the same ``--output`` behaves like the next Glue run with
its bookmark reset: rows already curated there count as duplicates and are not
written twice. What Glue adds and this does not: job bookmarks, Data Catalog
partitions, Glue Data Quality (``--dq_ruleset``) and CloudWatch metrics (the
metrics file holds the values the job would publish). Arguments: README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

# python/ is the Glue job's --extra-py-files asset: import it from beside this file, and leave it as shipped.
sys.dont_write_bytecode = True
_MODULES = Path(__file__).resolve().parent / "python"
if str(_MODULES) not in sys.path:
    sys.path.insert(0, str(_MODULES))

from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from freshet_etl import run_metrics  # noqa: E402
from freshet_etl.arguments import ArgumentError, resolve_run_id  # noqa: E402
from freshet_etl.counts import InvariantError, RunCounts  # noqa: E402
from freshet_etl.derivations import DerivationError, parse_derived_columns  # noqa: E402
from freshet_etl.lake_io import RAW_LINES_SCHEMA, LakeLayout, SparkLakeIO, path_exists  # noqa: E402
from freshet_etl.pipeline import EtlConfig, run_etl  # noqa: E402
from freshet_etl.spec import DatasetSpec, SchemaError  # noqa: E402
from freshet_etl.validation import LINE, SOURCE_FILE  # noqa: E402

#: The run id when none is given. Rejected rows of runs with the same id share a folder.
DEFAULT_RUN_ID = "local"
#: Exit codes: 0 done, 1 the run failed its checks, 2 bad arguments (argparse's own code).
EXIT_FAILED, EXIT_USAGE = 1, 2


class LocalFilesIO(SparkLakeIO):
    """The lake under ``--output``, with raw lines read from ``--input`` (a file or a folder) instead of ``raw/``."""

    def __init__(self, spark: SparkSession, layout: LakeLayout, input_uri: str) -> None:
        super().__init__(spark, layout)
        self.input_uri = input_uri

    def read_raw_lines(self) -> DataFrame:
        """Every line of every file under the input, recursively; ``.gz`` is decompressed, ``_``/``.`` files skipped."""
        if not path_exists(self.spark, self.input_uri):
            return self.spark.createDataFrame([], RAW_LINES_SCHEMA)
        text = self.spark.read.option("recursiveFileLookup", "true").text(self.input_uri)
        return text.select(F.col("value").alias(LINE), F.input_file_name().alias(SOURCE_FILE))


def _json_argument(value: str, flag: str, what: str) -> str:
    """Inline JSON, or the text of the file it names."""
    stripped = value.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        return value
    path = Path(value)
    if not path.is_file():
        raise ArgumentError(f"{flag} '{value}' is neither inline JSON nor a file: pass {what} as JSON or a path to a file holding it.")
    return path.read_text("utf-8")


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m freshet_etl_local",
        description="Run the Freshet GlueEtl job on local files (Spark local mode).",
    )
    parser.add_argument("--schema", required=True, help="DatasetSchema.toSpec() as JSON, or a path to a JSON file")
    parser.add_argument("--input", required=True, help="a JSON lines file, or a folder of them (e.g. the lake's raw/<dataset>/); .gz is read too")
    parser.add_argument("--output", required=True, help="folder for curated/, rejected/ and metrics/ (created; reruns de-duplicate against it)")
    parser.add_argument("--derived-columns", default="[]", help="JSON list of {name, derivation, source}, or a path to it (default: none)")
    parser.add_argument("--run-id", default=DEFAULT_RUN_ID, help=f"names the rejected folder and metrics file (default: {DEFAULT_RUN_ID})")
    parser.add_argument("--master", default="local[*]", help="Spark master (default: local[*], every core)")
    return parser.parse_args(argv)


def local_session(master: str) -> SparkSession:
    """Spark local mode as the job's tests start it: UTC, no UI, few shuffle partitions (local data is small).

    An already running session (e.g. in a notebook or a test) is reused as it is.
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master(master)
        .appName("freshet-etl-local")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _uri(path: Path) -> str:
    return path.resolve().as_uri()


def metrics_document(counts: RunCounts, spec: DatasetSpec, run_id: str, layout: LakeLayout) -> dict:
    """The run's counts, the values the Glue job would publish to CloudWatch, and the id-column warning."""
    return {
        "dataset": spec.name,
        "runId": run_id,
        "counts": json.loads(counts.to_json()),
        "metrics": {m["MetricName"]: m["Value"] for m in run_metrics.metric_data(counts, spec)},
        "idColumnWarning": run_metrics.id_column_warning(counts, spec),
        "curated": layout.curated,
        "rejected": layout.rejected if counts.rejected else None,
    }


def run(args: argparse.Namespace, spark: Optional[SparkSession] = None) -> dict:
    """Checks the arguments, runs the job body, writes the metrics file; returns the metrics document."""
    spec = DatasetSpec.from_json(_json_argument(args.schema, "--schema", "DatasetSchema.toSpec()"))
    derived = parse_derived_columns(_json_argument(args.derived_columns, "--derived-columns", "a list of {name, derivation, source}"), spec)
    try:
        run_id = resolve_run_id({"run_id": args.run_id}, dt.datetime.now(dt.timezone.utc).date())
    except ArgumentError as error:
        raise ArgumentError(f"--run-id '{args.run_id}' must be 1-200 letters, digits or . _ : - (it names a folder and a file).") from error
    source = Path(args.input)
    if not source.exists():
        raise ArgumentError(f"--input '{args.input}' does not exist: pass a JSON lines file or a folder of them.")
    output = Path(args.output)
    if source.is_dir() and output.resolve().is_relative_to(source.resolve()):
        # The input is read recursively: a second run would read the first one's outputs as raw lines.
        raise ArgumentError(f"--output '{args.output}' is inside --input '{args.input}': put the output folder elsewhere.")
    output.mkdir(parents=True, exist_ok=True)
    dataset = spec.name
    layout = LakeLayout(_uri(output), f"raw/{dataset}/", f"curated/{dataset}/", f"rejected/etl/{dataset}/", run_id)

    session = spark or local_session(args.master)
    counts = run_etl(session, LocalFilesIO(session, layout, _uri(source)), EtlConfig(spec, run_id, derived))
    document = metrics_document(counts, spec, run_id, layout)
    metrics_file = output / "metrics" / dataset / f"run={run_id}.json"
    metrics_file.parent.mkdir(parents=True, exist_ok=True)
    metrics_file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def main(argv: Optional[Sequence[str]] = None, spark: Optional[SparkSession] = None) -> int:
    """Exit code 0 when the run completed (rows may still be rejected: see the metrics), 1 or 2 with the reason on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(levelname)s: %(message)s")
    args = parse_args(argv)
    try:
        document = run(args, spark)
    except (ArgumentError, SchemaError, DerivationError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return EXIT_USAGE
    except InvariantError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(document["counts"], sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
