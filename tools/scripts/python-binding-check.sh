#!/usr/bin/env bash
# The Python binding check: packages core and streaming-ingest with jsii-pacmak,
# installs the wheels into .venv-binding, and synthesizes a Python CDK app
# that uses StreamingIngest (tools/python-binding).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1
for package in core streaming-ingest; do
  (cd "packages/$package" && rm -rf dist/python && npx jsii-pacmak --target python > /dev/null)
done
stamp=.venv-binding/.requirements.sha256
want=$(sha256sum tools/python-binding/requirements.txt | cut -d' ' -f1)
if ! { [ -x .venv-binding/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }; then
  rm -rf .venv-binding
  python3 -m venv .venv-binding
  .venv-binding/bin/pip install --quiet --disable-pip-version-check --requirement tools/python-binding/requirements.txt
  echo "$want" > "$stamp"
fi
# Reinstall our wheels with their declared requirements checked against the pinned aws-cdk-lib.
.venv-binding/bin/pip uninstall --quiet --yes freshet.core freshet.streaming_ingest > /dev/null 2>&1 || true
.venv-binding/bin/pip install --quiet --disable-pip-version-check packages/core/dist/python/*.whl packages/streaming-ingest/dist/python/*.whl
cd tools/python-binding
../../.venv-binding/bin/python -m pytest -q -p no:cacheprovider test_binding.py
