#!/usr/bin/env node
// Checks that each packed tarball holds what a consumer's runtime needs and
// nothing else: no tests, TypeScript sources, test configuration or stray maps.
const { execFileSync } = require('child_process');
const path = require('path');

/** Top-level entries a Freshet tarball may hold. */
const ALLOWED_TOP = new Set(['package.json', 'README.md', 'LICENSE', 'API.md', '.jsii', 'lib', 'assets', 'scripts', 'docs']);
/** Files no tarball may hold, wherever they are. */
const FORBIDDEN = [/\/test\//, /\/src\//, /tsconfig[^/]*\.json$/, /\.eslintrc/, /conftest\.py$/, /pytest\.ini$/, /__pycache__\//, /\.pyc$/, /\.tsbuildinfo$/, /\.test\.(js|ts)$/];
/** Source maps ship only beside bundles whose function enables them (the proxy sets --enable-source-maps). */
const MAPS_ALLOWED = new Set(['model-endpoint:assets/handlers/predict-proxy.lambda/index.js.map']);
/** Packages with Lambda handlers or job scripts, and what their runtime needs. */
const NEEDS = {
  'streaming-ingest': ['assets/handlers/csv-ingest.lambda/index.js'],
  'redshift-warehouse': ['assets/handlers/table-ddl.lambda/index.js'],
  'model-endpoint': ['assets/handlers/predict-proxy.lambda/index.js'],
  'retrain-pipeline': ['assets/handlers/gate.lambda/index.js', 'scripts/preprocess.py', 'scripts/evaluate.py', 'scripts/freshet_ml/__init__.py', 'scripts/freshet_ml/job_paths.py'],
  'glue-etl': ['scripts/glue_job.py', 'scripts/freshet_etl_local.py'],
};

const problems = [];
for (const tarball of process.argv.slice(2)) {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter((f) => f && !f.endsWith('/')).map((f) => f.replace(/^package\//, ''));
  const name = JSON.parse(execFileSync('tar', ['xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })).name.replace('@freshet/', '');
  const required = ['package.json', 'README.md', 'LICENSE', '.jsii', 'lib/index.js', 'lib/index.d.ts', ...(NEEDS[name] ?? [])];
  for (const file of required) if (!files.includes(file)) problems.push(`${name}: missing ${file}`);
  for (const file of files) {
    if (!ALLOWED_TOP.has(file.split('/')[0])) problems.push(`${name}: unexpected ${file}`);
    if (FORBIDDEN.some((pattern) => pattern.test(`/${file}`))) problems.push(`${name}: test or build file ${file}`);
    if (file.endsWith('.map') && !MAPS_ALLOWED.has(`${name}:${file}`)) problems.push(`${name}: source map ${file} beside a function that does not enable source maps`);
  }
  const bytes = require('fs').statSync(tarball).size;
  console.log(`${path.basename(tarball)}: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB packed`);
}
if (problems.length > 0) {
  console.error(`tarball check failed:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('tarball check: every tarball holds its runtime files and nothing else');
