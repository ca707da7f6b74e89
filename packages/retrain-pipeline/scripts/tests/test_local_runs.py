"""Where preprocess.py and evaluate.py write: only the given folders outside SageMaker, the SageMaker paths inside.

Every run is a process, as a user (or SageMaker) starts it. ``FRESHET_OPT_ML`` (freshet_ml/job_paths.py) is the
documented override of the root the SageMaker rule looks at: pointed at a missing folder, a run is "outside
SageMaker" on any machine; pointed at a folder holding ``processing/``, it is "inside".
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1]
# The README-block reader shared with the other packages' job-script suites (tests only).
sys.path.insert(0, str(SCRIPTS.parents[2] / "tools" / "test-utils" / "python"))
from readme_blocks import heredoc, readme_block  # noqa: E402
READMES = (SCRIPTS / "README.md", SCRIPTS.parent / "README.md")
WORKFLOW = SCRIPTS.parent / "src" / "retrain-workflow.ts"
REAL_ROOT = Path("/opt/ml")


EXAMPLE = readme_block(READMES[0], "local-jobs-example")
SCHEMA = json.loads(heredoc(EXAMPLE, "schema.json"))
SNAPSHOT = heredoc(EXAMPLE, "snapshot/readings.csv")


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def env(opt_ml: Path) -> dict[str, str]:
    return {**os.environ, "FRESHET_OPT_ML": str(opt_ml), "PYTHONDONTWRITEBYTECODE": "1"}


def job(script: str, *args: str, cwd: Path, opt_ml: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, str(SCRIPTS / script), "--schema", json.dumps(SCHEMA), "--algorithm", "xgboost", "--task-type", "regression", *args]
    return subprocess.run(command, cwd=cwd, env=env(opt_ml), capture_output=True, text=True, timeout=300)


def small_ratios() -> list[str]:
    return ["--min-rows", "3", "--train-ratio", "0.67", "--validation-ratio", "0", "--test-ratio", "0.33"]


def test_the_readme_example_runs_as_written_and_writes_only_under_its_folders(tmp_path):
    assert readme_block(READMES[1], "local-jobs-example") == EXAMPLE, "the package README and scripts/README.md show different examples"
    opt_ml = tmp_path / "no-sagemaker-here"
    had_real_root = REAL_ROOT.exists()
    work = tmp_path / "work"
    work.mkdir()
    shell_env = {**env(opt_ml), "SCRIPTS": str(SCRIPTS), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    done = subprocess.run(["bash", "-euo", "pipefail", "-c", EXAMPLE], cwd=work, env=shell_env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr
    written = files_under(work) - {"schema.json", "snapshot/readings.csv", "predictions/test.csv.out"}
    assert written and all(name.split("/")[0] in ("training", "evaluation") for name in written), written
    assert {"training/summary.json", "training/encoding.json", "training/baseline/baseline.json", "training/rejected/rejected.jsonl", "evaluation/evaluation.json"} <= written
    assert not any(name.endswith("message") for name in written)
    assert files_under(tmp_path) == {f"work/{name}" for name in files_under(work)}
    assert not opt_ml.exists() and REAL_ROOT.exists() == had_real_root
    summary = json.loads((work / "training" / "summary.json").read_text("utf-8"))
    assert (summary["inputRecords"], summary["rows"]) == (3, {"train": 2, "validation": 0, "test": 1})
    # The test row is the latest reading (time-ordered split); its error against the prediction the block writes.
    latest = float(SNAPSHOT.splitlines()[-1].split(",")[-1])
    predicted = float(re.search(r"echo (\S+) > predictions/test.csv.out", EXAMPLE).group(1))
    evaluation = json.loads((work / "evaluation" / "evaluation.json").read_text("utf-8"))
    assert (evaluation["primaryMetricName"], evaluation["rowCount"]) == ("rmse", 1)
    assert evaluation["rmse"] == pytest.approx(abs(latest - predicted), abs=1e-9)


@pytest.mark.parametrize(
    "script, args, missing",
    [
        ("preprocess.py", ["--input-dir", "snapshot"], "--output-dir required"),
        ("preprocess.py", ["--output-dir", "training"], "--input-dir required"),
        ("evaluate.py", ["--test-dir", "test", "--predictions-dir", "predictions"], "--output-dir required"),
        ("evaluate.py", ["--test-dir", "test"], "--predictions-dir and --output-dir required"),
    ],
)
def test_outside_sagemaker_a_missing_folder_exits_2_saying_so_and_writes_nothing(script, args, missing, tmp_path):
    (tmp_path / "snapshot").mkdir()
    (tmp_path / "snapshot" / "readings.csv").write_text(SNAPSHOT, "utf-8")
    opt_ml = tmp_path / "opt-ml"

    done = job(script, *args, cwd=tmp_path, opt_ml=opt_ml)

    assert done.returncode == 2
    assert missing in done.stderr and f"outside SageMaker Processing (no {opt_ml / 'processing'} folder)" in done.stderr
    assert files_under(tmp_path) == {"snapshot/readings.csv"}


def test_outside_sagemaker_a_failed_run_leaves_its_reason_under_the_output_folder(tmp_path):
    (tmp_path / "snapshot").mkdir()
    (tmp_path / "snapshot" / "readings.csv").write_text(SNAPSHOT, "utf-8")

    done = job("preprocess.py", "--input-dir", "snapshot", "--output-dir", "training", cwd=tmp_path, opt_ml=tmp_path / "opt-ml")

    assert done.returncode == 1
    assert files_under(tmp_path) == {"snapshot/readings.csv", "training/message", "training/rejected/rejected.jsonl"}
    assert "fewer than --min-rows 100" in (tmp_path / "training" / "message").read_text("utf-8")


def state_machine_paths() -> dict[str, set[str]]:
    """The ProcessingInput/Output LocalPaths retrain-workflow.ts maps, per job (the text between its two job builders)."""
    source = WORKFLOW.read_text("utf-8")
    start, evaluate_at = source.index("'--schema'"), source.index("'evaluate.py'")
    paths = lambda text: set(re.findall(r"'(/opt/ml/processing/(?:input|output)/[a-z]+)'", text))
    return {"preprocess": paths(source[start:evaluate_at]), "evaluate": paths(source[evaluate_at:])}


def test_in_sagemaker_the_state_machine_arguments_use_the_paths_it_maps(tmp_path):
    """With processing/ under the root, the arguments the state machine passes (no paths) read and write its LocalPaths."""
    opt_ml = tmp_path / "opt" / "ml"
    processing = opt_ml / "processing"
    (processing / "input" / "snapshot").mkdir(parents=True)
    (processing / "input" / "snapshot" / "readings.csv").write_text(SNAPSHOT, "utf-8")
    mapped = state_machine_paths()
    cwd = tmp_path / "cwd"
    cwd.mkdir()

    # As retrain-workflow.ts builds them: schema, algorithm, task type, features, min rows, ratios, seed.
    done = job("preprocess.py", "--features", "{}", *small_ratios(), "--seed", "42", cwd=cwd, opt_ml=opt_ml)
    assert done.returncode == 0, done.stderr
    used = {"/opt/ml/processing/" + "/".join(name.split("/")[:2]) for name in files_under(processing)}
    assert used == mapped["preprocess"] == {f"/opt/ml/processing/{d}" for d in ("input/snapshot", "output/training", "output/baseline", "output/rejected")}
    assert (processing / "output" / "training" / "summary.json").is_file() and (processing / "output" / "baseline" / "baseline.json").is_file()

    # Evaluate: SageMaker maps the test channel and the predictions as inputs.
    shutil.copytree(processing / "output" / "training" / "test", processing / "input" / "test")
    (processing / "input" / "predictions").mkdir()
    (processing / "input" / "predictions" / "test.csv.out").write_text("1300.0\n", "utf-8")
    before = files_under(processing)
    done = job("evaluate.py", cwd=cwd, opt_ml=opt_ml)
    assert done.returncode == 0, done.stderr
    used = {"/opt/ml/processing/" + "/".join(name.split("/")[:2]) for name in files_under(processing) - before} | {"/opt/ml/processing/input/test", "/opt/ml/processing/input/predictions"}
    assert used == mapped["evaluate"] == {f"/opt/ml/processing/{d}" for d in ("input/test", "input/predictions", "output/evaluation")}
    assert json.loads((processing / "output" / "evaluation" / "evaluation.json").read_text("utf-8"))["rowCount"] == 1

    # A failure's reason goes where SageMaker reads the exit message.
    shutil.rmtree(processing / "input" / "predictions")
    done = job("evaluate.py", cwd=cwd, opt_ml=opt_ml)
    assert done.returncode == 1
    assert (opt_ml / "output" / "message").read_text("utf-8").strip() in done.stderr
    assert files_under(cwd) == set()
