import { execFile, fork } from 'child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'fs';
import { cpus, loadavg } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { stocksSchema } from '@freshet/examples';
import { REPO_ROOT } from '@freshet/test-utils';
import type { OverheadRun } from './overhead-run';

/** The proxy bundle the model-endpoint build writes (esbuild, the SDK inside it). */
const MODEL_ENDPOINT = path.join(REPO_ROOT, 'packages', 'model-endpoint');
const PROXY_BUNDLE = path.join(MODEL_ENDPOINT, 'assets', 'handlers', 'predict-proxy.lambda', 'index.js');
/** The projen task whose esbuild command writes PROXY_BUNDLE; the floor is bundled with the same command. */
const PROXY_BUNDLE_TASK = 'bundle:handlers/predict-proxy.lambda';
const PROXY_ENTRY = 'src/handlers/predict-proxy.lambda.ts';
/** The proxy function's construct, which names its Lambda runtime. */
const PROXY_FUNCTION_SOURCE = path.join(MODEL_ENDPOINT, 'src', 'handlers', 'predict-proxy-function.ts');
const FLOOR_SOURCE = path.join(__dirname, '..', '..', 'src', 'proxy', 'sdk-floor.ts');
const FLOOR_BUNDLE = path.join(__dirname, 'sdk-floor-bundle', 'index.js');
const BASELINE_SOURCE = path.join(__dirname, '..', '..', 'src', 'proxy', 'baseline', 'obvious-proxy.ts');
/** Inside the repo, so the bundle's external AWS SDK imports resolve from node_modules as they do in Lambda's runtime. */
const BASELINE_BUNDLE = path.join(__dirname, 'baseline-bundle', 'index.js');
const INIT_SAMPLES = 15;
const WARMUP_REQUESTS = 300;
const MEASURED_REQUESTS = 3000;
/**
 * The proxy and its floor each run this many fresh processes, taking turns. The
 * target compares the medians of their per-process figures, so one process that
 * a busy spell on the shared machine hit does not decide it.
 */
const ROUNDS = 5;
/** The per-request target: the proxy's overhead p99 within this factor of the SDK floor's, measured in the same run. */
const FLOOR_FACTOR = 1.25;
/** What the proxy function sets in NODE_OPTIONS (predict-api.ts); both handlers start under it. */
const FUNCTION_NODE_OPTIONS = ['--enable-source-maps'];

/** An overhead run and what the subject wrote to stdout (the proxy's capture lines). */
type MeasuredRun = OverheadRun & { readonly stdoutBytes: number };

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
    // Capture at the API on, as a serverless endpoint's proxy runs: one capture line per request on stdout.
    CAPTURE: 'api',
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

/**
 * Bundles the floor (sdk-floor.ts) with the esbuild command of the proxy's own
 * bundle task, only the entry and the output file replaced: same SDK module
 * builds, aliases, minification, source map and target.
 */
async function bundleFloor(): Promise<void> {
  const tasks = JSON.parse(readFileSync(path.join(MODEL_ENDPOINT, '.projen', 'tasks.json'), 'utf8')) as { tasks: Record<string, { steps?: { execArgs?: string[] }[] }> };
  const args = tasks.tasks[PROXY_BUNDLE_TASK]?.steps?.[0]?.execArgs;
  if (!args || args[0] !== 'esbuild' || !args.includes(PROXY_ENTRY)) {
    throw new Error(`${PROXY_BUNDLE_TASK} in model-endpoint's tasks.json is no longer one esbuild command over ${PROXY_ENTRY}: update bundleFloor().`);
  }
  const floorArgs = args.slice(1).map((arg) => (arg === PROXY_ENTRY ? FLOOR_SOURCE : arg.startsWith('--outfile=') ? `--outfile=${FLOOR_BUNDLE}` : arg));
  await promisify(execFile)(path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'), [...floorArgs, '--log-level=warning'], { cwd: MODEL_ENDPOINT });
}

/** The proxy function's Lambda runtime (`nodejs24.x`), as its construct names it. */
function proxyRuntime(): string {
  return /Runtime\('(nodejs\d+\.x)'/.exec(readFileSync(PROXY_FUNCTION_SOURCE, 'utf8'))?.[1] ?? 'unknown';
}

/** The median over runs of one percentile of each run. */
function medianOf(runs: OverheadRun[], p: number): number {
  return percentile(runs.map((run) => percentile(run.samples, p)).sort((a, b) => a - b), 50);
}

/** Runs of the same subject, pooled: samples re-sorted, scavenges summed. */
function pooled(runs: OverheadRun[]): OverheadRun {
  const scavenges = runs.reduce((sum, run) => sum + run.scavenges, 0);
  return {
    samples: runs.flatMap((run) => run.samples).sort((a, b) => a - b),
    scavenges,
    scavengeMeanMs: scavenges ? runs.reduce((sum, run) => sum + run.scavengeMeanMs * run.scavenges, 0) / scavenges : 0,
  };
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
function overheads(subject: string, env: Record<string, string>): Promise<MeasuredRun> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'overhead-run.js'), [subject, String(WARMUP_REQUESTS), String(MEASURED_REQUESTS)], {
      env: { ...process.env, ...env },
      execArgv: ['--no-warnings', ...(subject.endsWith('.js') ? FUNCTION_NODE_OPTIONS : [])],
      // stdout is a pipe that another process drains, as Lambda's runtime reads the function's stdout.
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let stdoutBytes = 0;
    child.stdout!.on('data', (chunk: Buffer) => { stdoutBytes += chunk.length; });
    child.once('message', (message: Partial<OverheadRun> & { error?: string }) => {
      if (message.samples) resolve({ ...(message as OverheadRun), stdoutBytes });
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
  await bundleFloor();
  const env = environment();
  const init = { proxy: [] as number[], baseline: [] as number[] };
  // Interleaved, so load on the shared machine hits both alike.
  for (let i = 0; i < INIT_SAMPLES; i++) {
    init.proxy.push(await coldInitMs(PROXY_BUNDLE, env));
    init.baseline.push(await coldInitMs(BASELINE_BUNDLE, env));
  }
  const rawHttp = await overheads('raw-http', env);
  const noSocket = await overheads('no-socket', env);
  // The proxy and its floor take turns, ROUNDS fresh processes each, so a busy spell on the machine hits both.
  const floorRuns: MeasuredRun[] = [];
  const proxyRuns: MeasuredRun[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    floorRuns.push(await overheads(FLOOR_BUNDLE, env));
    proxyRuns.push(await overheads(PROXY_BUNDLE, env));
  }
  const floor = pooled(floorRuns);
  const proxy = pooled(proxyRuns);
  const baseline = await overheads(BASELINE_BUNDLE, env);
  const figures = (bundle: string, inits: number[]): HandlerFigures => ({
    bundleBytes: statSync(bundle).size,
    initMedianMs: percentile([...inits].sort((a, b) => a - b), 50),
  });
  const ours = figures(PROXY_BUNDLE, init.proxy);
  const theirs = figures(BASELINE_BUNDLE, init.baseline);
  const ourP99 = medianOf(proxyRuns, 99);
  const floorP99 = medianOf(floorRuns, 99);

  console.log('\n== Prediction proxy: bundle, cold init, per-request overhead against a local SageMaker Runtime ==');
  console.log(`Node ${process.version}; the proxy function runs on ${proxyRuntime()} (predict-proxy-function.ts);`
    + ` load average ${loadavg().map((l) => l.toFixed(2)).join(', ')} on ${cpus().length} CPUs`);
  console.log(`${INIT_SAMPLES} cold inits each (median); ${MEASURED_REQUESTS} requests per process after ${WARMUP_REQUESTS} warm-up, each subject in a fresh process with the fake;`
    + ` proxy and SDK alone: ${ROUNDS} processes each, taking turns, samples pooled in the table;`
    + ' overhead = handler time - fake endpoint service time; scavenges = young-generation GCs during the measured requests');
  const headings = ['bundle KiB', 'init ms (p50)', 'overhead p50', 'overhead p99', 'scavenges/1k', 'mean pause ms'];
  console.log(`${'handler'.padEnd(10)} ${headings.map((h) => h.padStart(14)).join(' ')}`);
  console.log(row('proxy', proxy, ours));
  console.log(row('SDK alone', floor, undefined, '(floor: the proxy\'s client (createRuntimeClient), bundled by the proxy\'s esbuild command, same request, same fake, no handler code)'));
  console.log(row('baseline', baseline, theirs));
  console.log(row('raw HTTP', rawHttp, undefined, '(bare keep-alive POST to the fake, no SDK, no handler)'));
  console.log(row('no socket', noSocket, undefined, '(the SDK client from node_modules with an in-memory transport: no socket, no fake, no handler)'));
  const requests = WARMUP_REQUESTS + MEASURED_REQUESTS;
  console.log(`capture at the API on (CAPTURE=api): the proxy wrote ${(proxyRuns[0].stdoutBytes / requests).toFixed(0)} bytes per request to stdout`
    + ` (one SageMaker capture line), drained through a pipe; the SDK alone ${(floorRuns[0].stdoutBytes / requests).toFixed(0)}`);
  console.log(`per-process overhead p99 (ms): proxy ${proxyRuns.map((run) => percentile(run.samples, 99).toFixed(3)).join(', ')};`
    + ` SDK alone ${floorRuns.map((run) => percentile(run.samples, 99).toFixed(3)).join(', ')}`);
  const overheadPass = ourP99 <= FLOOR_FACTOR * floorP99;
  const initPass = ours.initMedianMs < theirs.initMedianMs / 2;
  console.log(`${overheadPass ? 'PASS' : 'FAIL'} per-request overhead p99, capture on, ${ourP99.toFixed(3)} ms <= ${FLOOR_FACTOR} x the SDK-alone floor's ${floorP99.toFixed(3)} ms`
    + ` (medians of the per-process p99s; ratio ${(ourP99 / floorP99).toFixed(2)}; p50 ${medianOf(proxyRuns, 50).toFixed(3)} against ${medianOf(floorRuns, 50).toFixed(3)} ms)`);
  console.log(`${initPass ? 'PASS' : 'FAIL'} cold init ${ours.initMedianMs.toFixed(1)} ms < half the baseline's ${theirs.initMedianMs.toFixed(1)} ms (ratio ${(ours.initMedianMs / theirs.initMedianMs).toFixed(2)})`);
}
