"""AWS Glue 5.0 entry point of the GlueEtl job: parse arguments, wire the modules, commit the bookmark.

Deliberately thin: the logic lives in ``freshet_etl`` (shipped as
``--extra-py-files``), which runs on plain Spark and is tested locally. See
``README.md`` next to this file for the arguments and the lake layout.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

import boto3
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

from freshet_etl import run_metrics
from freshet_etl.arguments import OPTIONAL, REQUIRED, parse_arguments
from freshet_etl.counts import RunCounts
from freshet_etl.glue_io import GlueLakeIO, evaluate_data_quality
from freshet_etl.lake_io import LakeLayout
from freshet_etl.pipeline import EtlConfig, run_etl


def resolve_options(argv: Sequence[str]) -> dict[str, str]:
    """Resolves the required arguments and those optional ones that were passed.

    getResolvedOptions fails on any listed name that is absent, so optional
    names are listed only when present.
    """
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    return getResolvedOptions(list(argv), [*REQUIRED, *present])


def main(argv: Optional[Sequence[str]] = None) -> RunCounts:
    """Runs the job; raises (a failed Glue run, bookmark not committed) on bad arguments, data quality or counts.

    With ``--metrics_namespace`` it then publishes the run's counts and duplicate share to CloudWatch.
    """
    options = resolve_options(sys.argv if argv is None else argv)
    args = parse_arguments(options)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args.job_name, options)

    layout = LakeLayout(args.lake_root, args.raw_prefix, args.curated_prefix, args.rejected_prefix, args.run_id)
    lake = GlueLakeIO(glue_context, layout, args.database, args.curated_table)
    ruleset = args.dq_ruleset
    quality_gate = (
        (lambda rows: evaluate_data_quality(glue_context, ruleset, rows, f"{args.spec.name}-{args.run_id}")) if ruleset else None
    )
    counts = run_etl(glue_context.spark_session, lake, EtlConfig(args.spec, args.run_id, args.derived), quality_gate)
    print(f"freshet_etl run {args.run_id}: {counts.to_json()}")
    job.commit()
    if args.metrics_namespace:
        # After the commit: a failed call fails the run (and its alarm) without re-reading committed files.
        run_metrics.publish(boto3.client("cloudwatch"), args.metrics_namespace, counts, args.spec)
    return counts


if __name__ == "__main__":
    main()
