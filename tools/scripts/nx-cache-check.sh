#!/usr/bin/env bash
# Proves the Nx cache never serves a stale bundled Lambda or cdk.out: after a
# change to the ingest handler, synth must rebuild the bundle and write the
# new code into the app's cdk.out; after the revert, the old code is back.
set -euo pipefail
cd "$(dirname "$0")/../.."
handler=packages/streaming-ingest/src/handlers/csv-ingest.lambda.ts
backup=$(mktemp)
cp "$handler" "$backup"
trap 'cp "$backup" "$handler"; rm -f "$backup"' EXIT

synth() { npx nx run @freshet/ml-platform:synth --output-style=static > /dev/null; }
probe_in_cdk_out() { grep -rlq "$1" apps/ml-platform/cdk.out --include=index.js; }

probe="nx-cache-probe-$(date +%s%N)"
synth
if probe_in_cdk_out "$probe"; then echo "probe found before the change"; exit 1; fi

printf '\nexport const cacheProbe = "%s";\n' "$probe" >> "$handler"
synth
if ! probe_in_cdk_out "$probe"; then
  echo "STALE: cdk.out does not hold the changed handler after synth"
  exit 1
fi

cp "$backup" "$handler"
synth
if probe_in_cdk_out "$probe"; then
  echo "STALE: cdk.out still holds the reverted handler after synth"
  exit 1
fi
echo "nx cache check: the handler change reached cdk.out, and its revert did too"
