#!/usr/bin/env bash
# Creates .venv-autogluon with autogluon.tabular (tools/replay/requirements-autogluon.txt, every pin), for the
# replay's AutoGluon training and transform jobs (the run executor's autogluonPython: .venv-autogluon/bin/python).
# Its own venv: autogluon 1.1.1 needs numpy < 2, the job scripts' .venv pins numpy 2.1.0. Re-installs only
# when the requirements file changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
requirements=tools/replay/requirements-autogluon.txt
stamp=.venv-autogluon/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x .venv-autogluon/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3 -m venv .venv-autogluon
.venv-autogluon/bin/pip install --quiet --disable-pip-version-check --requirement "$requirements"
echo "$want" > "$stamp"
