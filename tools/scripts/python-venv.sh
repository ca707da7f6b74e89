#!/usr/bin/env bash
# Creates .venv with the pinned Python tools (cfn-lint, pytest) and the pinned
# requirements of every job-script folder (packages/*/scripts/requirements.txt),
# and re-installs only when one of those files changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t requirements < <(ls requirements-dev.txt packages/*/scripts/requirements.txt 2>/dev/null | sort)
stamp=.venv/.requirements.sha256
want=$(cat "${requirements[@]}" | sha256sum | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
python3 -m venv .venv
args=()
for file in "${requirements[@]}"; do args+=(--requirement "$file"); done
.venv/bin/pip install --quiet --disable-pip-version-check "${args[@]}"
echo "$want" > "$stamp"
