#!/usr/bin/env bash
# Creates .venv-checkov with the pinned checkov (tools/scripts/checkov-requirements.txt),
# apart from .venv because checkov's pins conflict with cfn-lint's, and
# re-installs only when that file changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
requirements=tools/scripts/checkov-requirements.txt
stamp=.venv-checkov/.requirements.sha256
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ -x .venv-checkov/bin/checkov ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3 -m venv .venv-checkov
.venv-checkov/bin/pip install --quiet --disable-pip-version-check --requirement "$requirements"
echo "$want" > "$stamp"
