#!/usr/bin/env bash
# The consumer test: packs every construct library as a release would, checks
# each tarball holds its runtime files and nothing else, then runs a version
# matrix. Each row installs the same tarballs into a fresh CDK app outside the
# workspace (its own package.json, no workspace links) beside the peers a team
# would get, and synthesizes it with the CDK CLI, both nag packs on and no AWS
# credentials. The app (consumer/app.ts) is a team's own dataset.
#
# Rows (consumer/resolve-matrix.js, asked of the npm registry at test time):
#   newest  aws-cdk-lib and constructs as npm installs them today, cdk-nag's newest 3 (Validations)
#   floor   the oldest versions the packages' peer ranges accept, cdk-nag 2 at its floor (Aspects)
# Without the registry the test fails and says so: it never falls back to the workspace's pins.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
packages=(core streaming-ingest glue-etl redshift-warehouse model-endpoint retrain-pipeline monitor-retrain-trigger)
work=$(mktemp -d)
# CONSUMER_TEST_KEEP=1 keeps the apps (and their cdk.out) for a look afterwards.
trap 'if [ -n "${CONSUMER_TEST_KEEP:-}" ]; then echo "consumer-test: kept $work"; else rm -rf "$work"; fi' EXIT
mkdir -p "$work/tarballs"

started=$SECONDS
node tools/scripts/consumer/resolve-matrix.js "$root" "${packages[@]}" > "$work/rows.jsonl"
mapfile -t rows < "$work/rows.jsonl"

for package in "${packages[@]}"; do
  (cd "packages/$package" && npm pack --silent --pack-destination "$work/tarballs" > /dev/null)
done
node tools/scripts/consumer/check-tarballs.js "$work"/tarballs/*.tgz
echo "consumer-test: registry asked and ${#packages[@]} tarballs packed and checked in $((SECONDS - started)) s"

# The CLI and compiler the repository pins: the rows vary the libraries, not the tools.
version_of() { node -p "const p=require('$root/$1');(p.devDependencies||{})['$2']||(p.dependencies||{})['$2']"; }
cdk_cli=$(version_of package.json aws-cdk)
typescript=$(version_of package.json typescript)

run_row() {
  local row=$1 name nag app t0 t_install t_tsc t_synth
  name=$(node -p "JSON.parse(process.argv[1]).row" "$row")
  nag=$(node -p "JSON.parse(process.argv[1]).nag" "$row")
  app="$work/app-$name"
  mkdir -p "$app"
  echo "consumer-test [$name]: $(node -p "const r=JSON.parse(process.argv[1]);['aws-cdk-lib','constructs','cdk-nag'].map((n)=>n+' '+r[n]+' (peer '+r.peers[n]+')').join(', ')" "$row"), aws-cdk ${cdk_cli}"
  node - "$app" "$row" "$cdk_cli" "$typescript" "${packages[@]}" <<'NODE'
const fs = require('fs');
const [app, rowJson, cdkCli, typescript, ...packages] = process.argv.slice(2);
const row = JSON.parse(rowJson);
const dependencies = { 'aws-cdk-lib': row['aws-cdk-lib'], constructs: row.constructs, 'cdk-nag': row['cdk-nag'] };
for (const p of packages) dependencies['@freshet/' + p] = 'file:../tarballs/freshet-' + p + '-0.0.0.tgz';
fs.writeFileSync(app + '/package.json', JSON.stringify({
  name: 'sensor-platform', private: true, dependencies,
  devDependencies: { 'aws-cdk': cdkCli, typescript, '@types/node': '^20' },
}, null, 2));
fs.writeFileSync(app + '/cdk.json', JSON.stringify({ app: 'node dist/app.js', notices: false, context: { 'cli-telemetry': false } }, null, 2));
NODE
  cp tools/scripts/consumer/app.ts tools/scripts/consumer/tsconfig.json "$app/"
  cp "tools/scripts/consumer/nag-$nag.ts" "$app/nag.ts"
  (
    cd "$app"
    t0=$SECONDS
    npm install --prefer-offline --no-audit --no-fund --loglevel=error > npm-install.log 2>&1 || { cat npm-install.log; exit 1; }
    t_install=$((SECONDS - t0)); t0=$SECONDS
    npx tsc -p .
    t_tsc=$((SECONDS - t0)); t0=$SECONDS
    # No AWS account: no credentials, no instance metadata, no telemetry.
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
      AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --quiet
    t_synth=$((SECONDS - t0))
    node "$root/tools/scripts/consumer/verify-synth.js" "$app" "$row"
    echo "consumer-test [$name]: passed; install ${t_install} s, tsc ${t_tsc} s, cdk synth ${t_synth} s"
  )
}

for row in "${rows[@]}"; do
  run_row "$row"
done
echo "consumer-test: ${#rows[@]} rows passed in $((SECONDS - started)) s"
