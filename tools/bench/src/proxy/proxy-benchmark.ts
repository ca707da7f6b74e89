import { execFile, fork } from 'child_process';
import { existsSync, mkdirSync, statSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { stocksSchema } from '@freshet/examples';
import { REPO_ROOT } from '@freshet/test-utils';
import type { OverheadRun } from './overhead-run';

/** The proxy bundle the model-endpoint build writes (esbuild, the SDK inside it). */
const PROXY_BUNDLE = path.join(REPO_ROOT, 'packages', 'model-endpoint', 'assets', 'handlers', 'predict-proxy.lambda', 'index.js');
const BASELINE_SOURCE = path.join(__dirname, '..', '..', 'src', 'proxy', 'baseline', 'obvious-proxy.ts');
/** Inside the repo, so the bundle's external AWS SDK imports resolve from node_modules as they do in Lambda's runtime. */
const BASELINE_BUNDLE = path.join(__dirname, 'baseline-bundle', 'index.js');
const INIT_SAMPLES = 15;
const WARMUP_REQUESTS = 300;
const MEASURED_REQUESTS = 3000;
/** What the proxy function sets in NODE_OPTIONS (predict-api.ts); both handlers start under it. */
const FUNCTION_NODE_OPTIONS = ['--enable-source-maps'];

/** A handler's bundle and cold init, beside its overhead run. */
interface HandlerFigures {
  readonly bundleBytes: number;
  readonly initMedianMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The function's environment; overhead-run.ts points the endpoint at its own fake. */
function environment(): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    // Init never calls the endpoint.
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: 'http://127.0.0.1:9',
    ENDPOINT_NAME: 'stocks-endpoint',
    PAYLOAD_FORMAT: 'xgboost-csv',
    SCHEMA: JSON.stringify(stocksSchema().toSpec()),
    MODEL_VERSION: 'bench',
    // Quiets the SDK's Node 20 notice so it does not count as init work.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
}

/** Bundles the baseline as an obvious handler ships: the AWS SDK left external, loaded from the runtime's copy. */
async function bundleBaseline(): Promise<void> {
  mkdirSync(path.dirname(BASELINE_BUNDLE), { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports, import/no-extraneous-dependencies -- esbuild is the workspace's bundler, hoisted
  const esbuild = require('esbuild') as { build(options: Record<string, unknown>): Promise<unknown> };
  await esbuild.build({
    entryPoints: [BASELINE_SOURCE],
    bundle: true,
    platform: 'node',
    target: 'node22',
    outfile: BASELINE_BUNDLE,
    external: ['@aws-sdk/*'],
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Time to require a bundle in a fresh Node process: module loading and the handler's own init. */
async function coldInitMs(bundle: string, env: Record<string, string>): Promise<number> {
  const script = `const t = process.hrtime.bigint(); require(${JSON.stringify(bundle)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', ...FUNCTION_NODE_OPTIONS, '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return Number(stdout.trim());
}

/**
 * Per-request time of one subject minus the fake endpoint's own service
 * time, sorted, measured in a fresh process (overhead-run.ts).
 */
function overheads(subject: string, env: Record<string, string>): Promise<OverheadRun> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'overhead-run.js'), [subject, String(WARMUP_REQUESTS), String(MEASURED_REQUESTS)], {
      env: { ...process.env, ...env },
      execArgv: ['--no-warnings', ...(subject.endsWith('.js') ? FUNCTION_NODE_OPTIONS : [])],
    });
    child.once('message', (message: Partial<OverheadRun> & { error?: string }) => {
      if (message.samples) resolve(message as OverheadRun);
      else reject(new Error(`overhead run of ${subject} failed: ${message.error}`));
    });
    child.once('exit', (code) => reject(new Error(`overhead run of ${subject} exited with ${code} before reporting`)));
  });
}

/** One line of the table; a floor has no bundle and no init. */
function row(name: string, run: OverheadRun, handler?: HandlerFigures, note = ''): string {
  const cells = [
    handler ? (handler.bundleBytes / 1024).toFixed(1) : '-',
    handler ? handler.initMedianMs.toFixed(1) : '-',
    percentile(run.samples, 50).toFixed(3),
    percentile(run.samples, 99).toFixed(3),
    (run.scavenges * 1000 / run.samples.length).toFixed(1),
    run.scavengeMeanMs.toFixed(2),
  ];
  return `${name.padEnd(10)} ${cells.map((c) => c.padStart(14)).join(' ')}${note ? `  ${note}` : ''}`;
}

/**
 * The prediction proxy against a local SageMaker Runtime: bundle size, cold
 * init (median of fresh processes requiring the bundle) and per-request
 * overhead p50/p99 (handler time minus the fake endpoint's service time),
 * beside a baseline written the obvious way, measured in the same run.
 */
export async function runProxyBenchmark(): Promise<void> {
  if (!existsSync(PROXY_BUNDLE)) {
    throw new Error(`${PROXY_BUNDLE} is missing: build the package first (npx nx run @freshet/model-endpoint:build).`);
  }
  await bundleBaseline();
  const env = environment();
  const init = { proxy: [] as number[], baseline: [] as number[] };
  // Interleaved, so load on the shared machine hits both alike.
  for (let i = 0; i < INIT_SAMPLES; i++) {
    init.proxy.push(await coldInitMs(PROXY_BUNDLE, env));
    init.baseline.push(await coldInitMs(BASELINE_BUNDLE, env));
  }
  const floor = await overheads('raw-http', env);
  const sdkAlone = await overheads('sdk-alone', env);
  const proxy = await overheads(PROXY_BUNDLE, env);
  const baseline = await overheads(BASELINE_BUNDLE, env);
  const figures = (bundle: string, inits: number[]): HandlerFigures => ({
    bundleBytes: statSync(bundle).size,
    initMedianMs: percentile([...inits].sort((a, b) => a - b), 50),
  });
  const ours = figures(PROXY_BUNDLE, init.proxy);
  const theirs = figures(BASELINE_BUNDLE, init.baseline);
  const ourP99 = percentile(proxy.samples, 99);

  console.log('\n== Prediction proxy: bundle, cold init, per-request overhead against a local SageMaker Runtime ==');
  console.log(`${INIT_SAMPLES} cold inits each (median), ${MEASURED_REQUESTS} requests each after ${WARMUP_REQUESTS} warm-up, each subject in a fresh process with the fake;`
    + ' overhead = handler time - fake endpoint service time; scavenges = young-generation GCs during the measured requests');
  const headings = ['bundle KiB', 'init ms (p50)', 'overhead p50', 'overhead p99', 'scavenges/1k', 'mean pause ms'];
  console.log(`${'handler'.padEnd(10)} ${headings.map((h) => h.padStart(14)).join(' ')}`);
  console.log(row('proxy', proxy, ours));
  console.log(row('baseline', baseline, theirs));
  console.log(row('raw HTTP', floor, undefined, '(floor: bare keep-alive POST to the fake, no SDK, no handler)'));
  console.log(row('SDK alone', sdkAlone, undefined, '(floor: the same SDK client and command, in-memory transport, no socket, no handler)'));
  const overheadPass = ourP99 < 1;
  const initPass = ours.initMedianMs < theirs.initMedianMs / 2;
  console.log(`${overheadPass ? 'PASS' : 'FAIL'} per-request overhead p99 ${ourP99.toFixed(3)} ms < 1 ms`
    + ` (the SDK client alone, with no socket and no handler, measures p99 ${percentile(sdkAlone.samples, 99).toFixed(3)} ms here)`);
  console.log(`${initPass ? 'PASS' : 'FAIL'} cold init ${ours.initMedianMs.toFixed(1)} ms < half the baseline's ${theirs.initMedianMs.toFixed(1)} ms (ratio ${(ours.initMedianMs / theirs.initMedianMs).toFixed(2)})`);
}
