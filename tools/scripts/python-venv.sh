#!/usr/bin/env bash
# Creates .venv with the pinned Python tools (cfn-lint, pytest, job-script
# dependencies), and re-installs only when requirements-dev.txt changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check --requirement requirements-dev.txt
echo "$want" > "$stamp"
