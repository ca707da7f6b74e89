#!/usr/bin/env node
// The consumer test's version matrix, resolved against the npm registry now:
//   newest  the newest aws-cdk-lib and constructs npm installs today (dist-tag latest)
//           and the newest cdk-nag 3, its packs applied through Validations;
//   floor   the oldest versions the packages' peer ranges accept: aws-cdk-lib and
//           constructs at the floor, cdk-nag 2 at its floor, applied through Aspects.
// Prints one JSON row a line. Without the registry the matrix cannot be known, so it
// fails with that reason instead of falling back to the workspace's versions.
const { execFileSync } = require('child_process');
const path = require('path');
const root = process.argv[2];
const semver = require(require.resolve('semver', { paths: [root] }));
const packages = process.argv.slice(3);

// Every package must declare the same peer ranges: the matrix tests one set.
const peers = {};
for (const p of packages) {
  const declared = require(path.join(root, 'packages', p, 'package.json')).peerDependencies ?? {};
  for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
    if (!declared[name]) fail(`@freshet/${p} declares no peer dependency on ${name}`);
    if (peers[name] && peers[name] !== declared[name]) fail(`the packages declare different peer ranges for ${name}: ${peers[name]} and ${declared[name]} (@freshet/${p})`);
    peers[name] = declared[name];
  }
}

function registry(name) {
  try {
    // --prefer-online: the registry's answer now, not a cached packument.
    const out = execFileSync('npm', ['view', name, 'dist-tags', 'versions', '--json', '--prefer-online', '--fetch-retries=1', '--fetch-timeout=30000'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    const view = JSON.parse(out);
    return { latest: view['dist-tags'].latest, versions: view.versions };
  } catch (error) {
    const lines = String(error.stderr || error.message).split('\n').map((l) => l.replace(/^npm error\s*/, '').trim()).filter(Boolean);
    const reason = (lines.filter((l) => /^(code [A-Z]|request to|network [a-z])/.test(l)).join('; ') || lines.slice(0, 2).join('; '));
    fail(`the npm registry could not be reached for ${name} (npm view ${name}: ${reason}); the matrix tests what the registry serves, so it cannot run without it`);
  }
}

function pick(name, version, range, what) {
  if (!version) fail(`the registry has no ${name} version for ${what} (${range})`);
  return version;
}

const cdkLib = registry('aws-cdk-lib');
const constructs = registry('constructs');
const cdkNag = registry('cdk-nag');
const nag2Range = new semver.Range(`${peers['cdk-nag']} <3.0.0`);
const rows = [
  {
    row: 'newest',
    nag: 'v3',
    'aws-cdk-lib': pick('aws-cdk-lib', cdkLib.latest, 'latest', 'the newest'),
    constructs: pick('constructs', constructs.latest, 'latest', 'the newest'),
    'cdk-nag': pick('cdk-nag', semver.maxSatisfying(cdkNag.versions, '^3.0.0'), '^3.0.0', 'the newest cdk-nag 3'),
  },
  {
    row: 'floor',
    nag: 'v2',
    'aws-cdk-lib': pick('aws-cdk-lib', semver.minSatisfying(cdkLib.versions, peers['aws-cdk-lib']), peers['aws-cdk-lib'], 'the peer floor'),
    constructs: pick('constructs', semver.minSatisfying(constructs.versions, peers.constructs), peers.constructs, 'the peer floor'),
    'cdk-nag': pick('cdk-nag', semver.minSatisfying(cdkNag.versions, nag2Range), nag2Range.raw, 'the cdk-nag 2 floor'),
  },
];
for (const row of rows) {
  for (const name of ['aws-cdk-lib', 'constructs', 'cdk-nag']) {
    if (!semver.satisfies(row[name], peers[name])) fail(`${row.row}: ${name} ${row[name]} is outside the declared peer range ${peers[name]}`);
  }
  console.log(JSON.stringify({ ...row, peers }));
}

function fail(message) {
  console.error(`consumer-test: ${message}`);
  process.exit(1);
}
