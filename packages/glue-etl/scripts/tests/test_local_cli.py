"""The shipped local CLI (``freshet_etl_local.py``): the README example as written, parity with the Glue entry point,
reruns, the id-column warning and argument errors.

The README example runs in a subprocess exactly as a user would paste it (its own JVM); the other runs call
``main`` with the suite's Spark session. The parity case runs the Glue entry point against the fake ``awsglue``
on the same raw objects.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import repo_root
from firehose import deliver
from schemas import POLLUTION, POLLUTION_DERIVED
from test_glue_entry_point import bucket, construct_argv, glue, sample  # noqa: F401 (fixtures)

SCRIPTS = Path(__file__).resolve().parents[1]
# The README-block reader shared with the other packages' job-script suites (tests only).
sys.path.insert(0, str(SCRIPTS.parents[2] / "tools" / "test-utils" / "python"))
from readme_blocks import heredoc, readme_block  # noqa: E402
READMES = (SCRIPTS / "README.md", SCRIPTS.parent / "README.md")

import freshet_etl_local  # noqa: E402  (conftest puts scripts/ on sys.path)


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def user_env(**extra: str) -> dict[str, str]:
    """The user's shell after the README's setup: scripts/ on PYTHONPATH, this venv's python first on PATH."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYSPARK")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(SCRIPTS),
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env


def rows(spark, folder: Path, columns: list[str]) -> list[tuple]:
    return sorted(tuple(r) for r in spark.read.parquet(str(folder)).select(*columns).collect())


def run_cli(*args: str, spark=None) -> int:
    return freshet_etl_local.main([str(a) for a in args], spark=spark)


def test_the_readme_example_runs_as_written_and_writes_only_under_its_output(tmp_path, spark):
    example = readme_block(READMES[0], "local-etl-example")
    assert readme_block(READMES[1], "local-etl-example") == example, "the package README and scripts/README.md show different examples"

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", example], cwd=tmp_path, env=user_env(), capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    assert printed == {"curated": 2, "duplicates_already_curated": 0, "duplicates_dropped": 0, "duplicates_in_batch": 0, "rejected": 1, "rows_in": 3}
    written = files_under(tmp_path) - {"schema.json", "readings.jsonl"}
    assert written and all(name.startswith("out/") for name in written), written
    curated = tmp_path / "out" / "curated" / "turbines"
    assert {p.parent.relative_to(curated).as_posix() for p in curated.rglob("*.snappy.parquet")} == {"year=2026/month=11/day=30"}
    got = rows(spark, curated, ["reading_id", "turbine_id", "read_at", "rpm", "power_kw"])
    assert got == [
        ("r1", "t7", dt.datetime(2026, 11, 30, 10), 14.2, 1510.5),
        ("r2", "t7", dt.datetime(2026, 11, 30, 11), 3.9, 212.0),
    ]
    lines = heredoc(example, "readings.jsonl").splitlines()
    (rejected,) = [json.loads(x) for p in (tmp_path / "out" / "rejected" / "etl" / "turbines" / "run=local").glob("part-*") for x in p.read_text("utf-8").splitlines()]
    assert (rejected["line"], rejected["reasons"], rejected["run_id"]) == (lines[2], ["column 'rpm': 'fast' is not a double"], "local")
    metrics = json.loads((tmp_path / "out" / "metrics" / "turbines" / "run=local.json").read_text("utf-8"))
    assert metrics["counts"] == {**printed}
    assert (metrics["metrics"]["RowsCurated"], metrics["metrics"]["RowsRejected"], metrics["idColumnWarning"]) == (2.0, 1.0, None)


def test_the_readme_node_command_prints_the_schema_the_example_uses(tmp_path):
    command = readme_block(READMES[0], "local-etl-schema")
    # The user's app resolves @freshet/core from its node_modules; here that is the workspace's.
    env = {**os.environ, "NODE_PATH": str(repo_root() / "node_modules")}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    example = readme_block(READMES[0], "local-etl-example")
    assert json.loads((tmp_path / "schema.json").read_text("utf-8")) == json.loads(heredoc(example, "schema.json"))


def test_the_cli_does_not_load_awsglue():
    probe = "import sys, freshet_etl_local; print(sorted(m for m in sys.modules if m.startswith(('awsglue', 'freshet_etl.glue_io'))))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=SCRIPTS.parent, env=user_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_lake_raw_layout_gives_what_the_glue_job_curates(glue, sample, spark, tmp_path):
    fake, glue_job = glue
    deliver(bucket(fake), "pollution", sample + ["not json", sample[3]], [dt.datetime(2026, 9, 30, 0), dt.datetime(2026, 9, 30, 1)], gzip_index=1)
    on_glue = glue_job.main(construct_argv("exec-1"))

    local = tmp_path / "local"
    derived = tmp_path / "derived.json"
    derived.write_text(json.dumps(POLLUTION_DERIVED), "utf-8")
    code = run_cli("--schema", json.dumps(POLLUTION), "--input", bucket(fake) / "raw" / "pollution", "--output", local, "--derived-columns", derived, "--run-id", "exec-1", spark=spark)

    assert code == 0
    metrics = json.loads((local / "metrics" / "pollution" / "run=exec-1.json").read_text("utf-8"))
    assert metrics["counts"] == json.loads(on_glue.to_json())
    assert (on_glue.rows_in, on_glue.rejected, on_glue.duplicates_in_batch) == (602, 1, 1)
    columns = [*(c["name"] for c in POLLUTION["columns"]), *(d["name"] for d in POLLUTION_DERIVED), "year", "month", "day"]
    assert rows(spark, local / "curated" / "pollution", columns) == rows(spark, bucket(fake) / "curated" / "pollution", columns)

    def rejected(root: Path) -> list[tuple]:
        found = [json.loads(x) for p in root.glob("part-*") for x in p.read_text("utf-8").splitlines()]
        return sorted((r["line"], tuple(r["reasons"])) for r in found)

    glue_rejected = rejected(bucket(fake) / "rejected" / "etl" / "pollution" / "run=exec-1")
    assert glue_rejected == rejected(local / "rejected" / "etl" / "pollution" / "run=exec-1") == [("not json", ("malformed JSON: the line is not a JSON object",))]


def test_a_rerun_into_the_same_output_adds_nothing_and_an_entity_id_is_flagged(sample, spark, tmp_path):
    plain = tmp_path / "in" / "readings.jsonl"
    plain.parent.mkdir()
    plain.write_text("\n".join(sample) + "\n", "utf-8")
    out = tmp_path / "out"

    assert run_cli("--schema", json.dumps(POLLUTION), "--input", plain, "--output", out, spark=spark) == 0
    assert run_cli("--schema", json.dumps(POLLUTION), "--input", plain.parent, "--output", out, "--run-id", "again", spark=spark) == 0

    first = json.loads((out / "metrics" / "pollution" / "run=local.json").read_text("utf-8"))
    again = json.loads((out / "metrics" / "pollution" / "run=again.json").read_text("utf-8"))
    assert (first["counts"]["curated"], first["counts"]["duplicates_dropped"]) == (len(sample), 0)
    assert (again["counts"]["curated"], again["counts"]["duplicates_already_curated"], again["metrics"]["DuplicateShare"]) == (0, len(sample), 100.0)
    assert spark.read.parquet(str(out / "curated" / "pollution")).count() == len(sample)

    by_device = copy.deepcopy(POLLUTION)
    by_device["idColumn"] = "device_id"
    schema = tmp_path / "by-device.json"
    schema.write_text(json.dumps(by_device), "utf-8")
    assert run_cli("--schema", schema, "--input", plain, "--output", tmp_path / "by-device", spark=spark) == 0
    flagged = json.loads((tmp_path / "by-device" / "metrics" / "pollution" / "run=local.json").read_text("utf-8"))
    devices = len({json.loads(line)["device_id"] for line in sample})
    assert (flagged["counts"]["curated"], flagged["counts"]["duplicates_in_batch"]) == (devices, len(sample) - devices)
    assert flagged["metrics"]["SuspectIdColumn"] == 1.0
    assert f"idColumn 'device_id' of dataset 'pollution' has {devices} distinct values in {len(sample)} valid rows" in flagged["idColumnWarning"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"input": "missing.jsonl"}, "--input 'missing.jsonl' does not exist"),
        ({"schema": "nope.json"}, "--schema 'nope.json' is neither inline JSON nor a file"),
        ({"input": "."}, "--output 'out' is inside --input '.'"),
        ({"schema": json.dumps({**POLLUTION, "targetColumn": "price"})}, "price"),
        ({"derived": json.dumps([{"name": "minute", "derivation": "minute_of", "source": "timestamp"}])}, "unknown derivation 'minute_of'"),
        ({"run_id": "a/b"}, "--run-id 'a/b' must be 1-200 letters"),
    ],
)
def test_bad_arguments_exit_2_with_the_reason_before_writing_anything(change, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.jsonl").write_text("{}\n", "utf-8")
    options = {"schema": json.dumps(POLLUTION), "input": "in.jsonl", "derived": "[]", "run_id": "local", **change}
    code = run_cli("--schema", options["schema"], "--input", options["input"], "--output", "out", "--derived-columns", options["derived"], "--run-id", options["run_id"])
    assert code == 2
    assert message in capsys.readouterr().err
    assert files_under(tmp_path) == {"in.jsonl"}
