#!/usr/bin/env bash
# The Python binding check: packages every construct library with jsii-pacmak,
# installs the wheels into .venv-binding, and synthesizes Python CDK apps that
# use them: StreamingIngest alone, the whole stocks flow, and monitored models
# (MonitorRetrainTrigger with a RetrainPipeline and a CodePipeline target) synthesized
# with cdk-nag 3's packs from PyPI (tools/python-binding).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1
packages=(core streaming-ingest glue-etl redshift-warehouse model-endpoint retrain-pipeline monitor-retrain-trigger)
for package in "${packages[@]}"; do rm -rf "packages/$package/dist/python"; done
# One pacmak run for all of them: it builds them in dependency order and shares the work.
npx jsii-pacmak "${packages[@]/#/packages/}" --target python > /dev/null
stamp=.venv-binding/.requirements.sha256
want=$(sha256sum tools/python-binding/requirements.txt | cut -d' ' -f1)
if ! { [ -x .venv-binding/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; }; then
  rm -rf .venv-binding
  python3 -m venv .venv-binding
  .venv-binding/bin/pip install --quiet --disable-pip-version-check --requirement tools/python-binding/requirements.txt
  echo "$want" > "$stamp"
fi
# Reinstall our wheels with their declared requirements checked against the pinned aws-cdk-lib.
.venv-binding/bin/pip uninstall --quiet --yes "${packages[@]/#/freshet.}" > /dev/null 2>&1 || true
wheels=()
for package in "${packages[@]}"; do wheels+=("packages/$package"/dist/python/*.whl); done
.venv-binding/bin/pip install --quiet --disable-pip-version-check "${wheels[@]}"
cd tools/python-binding
../../.venv-binding/bin/python -m pytest -q -p no:cacheprovider test_binding.py
