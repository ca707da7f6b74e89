"""The job arguments the GlueEtl construct passes, parsed and checked in one place.

Glue hands them over as ``--key value`` pairs; the entry point resolves them
with ``getResolvedOptions`` into a dict and this module turns the dict into a
typed :class:`JobArguments`. The names are the contract with
``packages/glue-etl/src/glue-etl.ts`` (``defaultArguments``) and are listed
in ``scripts/README.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Mapping, Optional

from .derivations import DerivedColumn, parse_derived_columns
from .dq import parse_ruleset
from .spec import DatasetSpec

#: Arguments every run needs.
REQUIRED = ("JOB_NAME", "schema", "dataset", "lake_bucket", "database", "curated_table")
#: Arguments with a default; ``JOB_RUN_ID`` is added by Glue itself.
OPTIONAL = ("raw_prefix", "curated_prefix", "rejected_prefix", "derived_columns", "dq_ruleset", "metrics_namespace", "run_id", "JOB_RUN_ID")

#: The run id the construct passes to scheduled runs; made unique with Glue's own run id.
SCHEDULED_RUN_ID = "scheduled"
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9./#:_-]{1,255}$")


class ArgumentError(ValueError):
    """A job argument is missing or invalid."""


@dataclass(frozen=True)
class JobArguments:
    """Typed job arguments."""

    job_name: str
    spec: DatasetSpec
    lake_bucket: str
    raw_prefix: str
    curated_prefix: str
    rejected_prefix: str
    database: str
    curated_table: str
    derived: list[DerivedColumn]
    run_id: str
    dq_ruleset: Optional[str]
    #: Where the run's metrics go; ``None`` (a local run) publishes none.
    metrics_namespace: Optional[str] = None

    @property
    def lake_root(self) -> str:
        """The bucket's URI (Glue reads and writes ``s3://``)."""
        return f"s3://{self.lake_bucket}"


def _prefix(options: Mapping[str, str], key: str, default: str) -> str:
    value = options.get(key) or default
    if value.startswith("/") or not value.endswith("/"):
        raise ArgumentError(f"--{key} '{value}' must end with '/' and not start with one, e.g. '{default}'.")
    return value


def resolve_run_id(options: Mapping[str, str], today: dt.date) -> str:
    """The run id rejected rows are filed under.

    Workflow runs pass their execution name. Scheduled runs all pass
    ``scheduled``; Glue's ``JOB_RUN_ID`` (or the date) makes it unique so each
    run's rejected folder holds that run's rows only.
    """
    run_id = options.get("run_id") or SCHEDULED_RUN_ID
    if run_id == SCHEDULED_RUN_ID:
        run_id = f"{SCHEDULED_RUN_ID}-{options.get('JOB_RUN_ID') or today.isoformat()}"
    if not _RUN_ID.match(run_id):
        raise ArgumentError(f"--run_id '{run_id}' must be 1-200 letters, digits or . _ : - (it becomes a folder name).")
    return run_id


def parse_arguments(options: Mapping[str, str], today: Optional[dt.date] = None) -> JobArguments:
    """Checks and types the resolved options; raises :class:`ArgumentError` listing what to fix."""
    missing = [k for k in REQUIRED if not options.get(k)]
    if missing:
        raise ArgumentError(f"missing job argument(s) {', '.join('--' + k for k in missing)}: the GlueEtl construct sets them as default arguments.")
    spec = DatasetSpec.from_json(options["schema"])
    dataset = options["dataset"]
    if dataset != spec.name:
        raise ArgumentError(f"--dataset '{dataset}' differs from the schema name '{spec.name}': pass the same dataset to both.")
    if not _BUCKET.match(options["lake_bucket"]):
        raise ArgumentError(f"--lake_bucket '{options['lake_bucket']}' is not a bucket name (no s3:// and no slashes).")
    dq_ruleset = options.get("dq_ruleset") or None
    if dq_ruleset is not None:
        parse_ruleset(dq_ruleset)
    metrics_namespace = options.get("metrics_namespace") or None
    if metrics_namespace is not None and (not _NAMESPACE.match(metrics_namespace) or metrics_namespace.startswith("AWS/")):
        raise ArgumentError(f"--metrics_namespace '{metrics_namespace}' is not a custom CloudWatch namespace, e.g. 'Freshet/Etl'.")
    return JobArguments(
        job_name=options["JOB_NAME"],
        spec=spec,
        lake_bucket=options["lake_bucket"],
        raw_prefix=_prefix(options, "raw_prefix", f"raw/{dataset}/"),
        curated_prefix=_prefix(options, "curated_prefix", f"curated/{dataset}/"),
        rejected_prefix=_prefix(options, "rejected_prefix", f"rejected/etl/{dataset}/"),
        database=options["database"],
        curated_table=options["curated_table"],
        derived=parse_derived_columns(options.get("derived_columns") or "[]", spec),
        run_id=resolve_run_id(options, today or dt.datetime.now(dt.timezone.utc).date()),
        dq_ruleset=dq_ruleset,
        metrics_namespace=metrics_namespace,
    )
