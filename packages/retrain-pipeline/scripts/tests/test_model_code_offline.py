"""Serving does not depend on the image's luck (issue 22): the model's code/ installs offline.

The SageMaker XGBoost container imports ``code/`` as the user module after ``pip install .``
(sagemaker-containers ``_modules.install``; a setup.py is generated when there is none). On a
network-isolated endpoint that works only if pip needs nothing from the network:

* no file in code/ may send pip there (requirements.txt, pyproject.toml, setup.py, ...);
* build isolation must be off, or pip downloads setuptools/wheel to build the module. The
  model's environment (core's ``AlgorithmImages.servingEnvironment``) sets
  ``PIP_NO_BUILD_ISOLATION=0``: pip reads its ``--no-*`` switches from the environment inverted,
  so ``0`` turns isolation OFF. The test runs pip's own option parser to prove it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict

import pytest

from conftest import SCRIPTS, repo_root
from freshet_ml.serving import ENCODING_FILE, PIP_NETWORK_FILES, SERVING_FILE, files_sending_pip_to_the_network


def serving_environment(algorithm: str) -> Dict[str, str]:
    """The model environment core declares (the built @freshet/core), as every CreateModel, model package and seed gets it."""
    core = repo_root() / "packages" / "core" / "lib" / "index.js"
    if not core.is_file() or shutil.which("node") is None:
        pytest.fail(f"build @freshet/core first (npx nx run @freshet/core:build): missing {core if not core.is_file() else 'node on PATH'}.")
    script = "process.stdout.write(JSON.stringify(require(process.argv[1]).AlgorithmImages.servingEnvironment(process.argv[2])))"
    done = subprocess.run(["node", "-e", script, str(core), algorithm], capture_output=True, text=True, timeout=120, cwd=core.parent.parent)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def xgboost_train():
    spec = importlib.util.spec_from_file_location(f"xgboost_train_{uuid.uuid4().hex}", SCRIPTS / "xgboost_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_xgboost_model_code_holds_nothing_that_sends_pip_to_the_network(tmp_path: Path) -> None:
    serving = tmp_path / "serving"
    serving.mkdir()
    (serving / ENCODING_FILE).write_text("{}")
    (serving / SERVING_FILE).write_text("{}")
    code = xgboost_train().package_code(tmp_path / "model", serving)
    assert (code / "inference.py").is_file() and (code / "freshet_ml").is_dir()
    assert files_sending_pip_to_the_network(code) == []
    # Nor anywhere below, should a later copy move a folder's files up.
    assert sorted(p.name for p in code.rglob("*") if p.name in PIP_NETWORK_FILES) == []


@pytest.mark.parametrize("name", PIP_NETWORK_FILES)
def test_the_guard_names_each_file_that_would_send_pip_to_the_network(name: str, tmp_path: Path) -> None:
    (tmp_path / "inference.py").write_text("")
    assert files_sending_pip_to_the_network(tmp_path) == []
    (tmp_path / name).write_text("")
    assert files_sending_pip_to_the_network(tmp_path) == [name]


@pytest.mark.parametrize("algorithm", ["xgboost", "autogluon"])
def test_the_serving_environment_turns_pips_build_isolation_off(algorithm: str) -> None:
    environment = serving_environment(algorithm)
    assert environment["PIP_NO_BUILD_ISOLATION"] == "0"
    probe = (
        "from pip._internal.commands import create_command\n"
        "options, _ = create_command('install').parse_args(['.'])\n"
        "print(bool(options.build_isolation))\n"
    )

    def build_isolation(value: str) -> str:
        env = {**os.environ, "PIP_NO_BUILD_ISOLATION": value}
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    # pip's inverted reading: the value the model ships turns isolation off; "1" would leave it on.
    assert build_isolation(environment["PIP_NO_BUILD_ISOLATION"]) == "False"
    assert build_isolation("1") == "True"


def test_deepar_models_get_no_script_environment() -> None:
    assert serving_environment("deepar") == {}
