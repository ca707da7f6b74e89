#!/usr/bin/env bash
# The consumer test: packs every construct library as a release would, checks
# each tarball holds its runtime files and nothing else, installs the tarballs
# into a fresh CDK app outside the workspace (its own package.json, no
# workspace links), and synthesizes it with the CDK CLI, the nag packs on and
# no AWS credentials. The app (consumer/app.ts) is a team's own dataset.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
packages=(core streaming-ingest glue-etl redshift-warehouse model-endpoint retrain-pipeline monitor-retrain-trigger)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/tarballs" "$work/app"

for package in "${packages[@]}"; do
  (cd "packages/$package" && npm pack --silent --pack-destination "$work/tarballs" > /dev/null)
done
node tools/scripts/consumer/check-tarballs.js "$work"/tarballs/*.tgz

# The versions a consumer pins: the ones the repository develops and tests against.
version_of() { node -p "const p=require('$root/$1');(p.devDependencies||{})['$2']||(p.dependencies||{})['$2']"; }
cdk_lib=$(version_of packages/core/package.json aws-cdk-lib)
constructs=$(version_of packages/core/package.json constructs)
cdk_nag=$(version_of packages/core/package.json cdk-nag)
cdk_cli=$(version_of package.json aws-cdk)
typescript=$(version_of package.json typescript)
node - "$work" "${packages[@]}" <<NODE
const fs = require('fs');
const [work, ...packages] = process.argv.slice(2);
const dependencies = {
  'aws-cdk-lib': '${cdk_lib}', constructs: '${constructs}', 'cdk-nag': '${cdk_nag}',
};
for (const p of packages) dependencies['@freshet/' + p] = 'file:../tarballs/freshet-' + p + '-0.0.0.tgz';
fs.writeFileSync(work + '/app/package.json', JSON.stringify({
  name: 'sensor-platform', private: true, dependencies,
  devDependencies: { 'aws-cdk': '${cdk_cli}', typescript: '${typescript}', '@types/node': '^20' },
}, null, 2));
fs.writeFileSync(work + '/app/cdk.json', JSON.stringify({ app: 'node dist/app.js', notices: false, context: { 'cli-telemetry': false } }, null, 2));
NODE
cp tools/scripts/consumer/app.ts tools/scripts/consumer/tsconfig.json "$work/app/"

cd "$work/app"
npm install --no-audit --no-fund --prefer-offline --loglevel=error > npm-install.log 2>&1 || { cat npm-install.log; exit 1; }
npx tsc -p .
# No AWS account: no credentials, no instance metadata, no telemetry.
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
  AWS_EC2_METADATA_DISABLED=true CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --quiet
node -e "
const m = require('./cdk.out/manifest.json');
if (m.missing && m.missing.length) { console.error('synth needed context lookups: ' + m.missing.map((x) => x.key).join(', ')); process.exit(1); }
const t = require('./cdk.out/SensorPlatform.template.json');
console.log('consumer app: ' + Object.keys(t.Resources).length + ' resources synthesized from the tarballs, no lookups');
"
