import { execFile } from 'child_process';
import { existsSync, mkdirSync, statSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { REPO_ROOT, SageMakerRuntimeEmulator, startSageMakerRuntimeEmulator } from '@freshet/test-utils';

/** The proxy bundle the model-endpoint build writes (esbuild, with the AWS SDK left external). */
const PROXY_BUNDLE = path.join(REPO_ROOT, 'packages', 'model-endpoint', 'assets', 'handlers', 'predict-proxy.lambda', 'index.js');
const BASELINE_SOURCE = path.join(__dirname, '..', '..', 'src', 'proxy', 'baseline', 'obvious-proxy.ts');
/** Inside the repo, so the bundle's external AWS SDK imports resolve from node_modules as they do in Lambda's runtime. */
const BASELINE_BUNDLE = path.join(__dirname, 'baseline-bundle', 'index.js');
const INIT_SAMPLES = 15;
const WARMUP_REQUESTS = 300;
const MEASURED_REQUESTS = 3000;

const SCHEMA = {
  name: 'stocks',
  columns: [
    { name: 'ticker_symbol', type: 'string', nullable: false },
    { name: 'sector', type: 'string', nullable: false },
    { name: 'change', type: 'double', nullable: false },
    { name: 'price', type: 'double', nullable: false },
  ],
  targetColumn: 'price',
};

type Handler = (event: any) => Promise<{ statusCode: number; body: string }>;

interface HandlerFigures {
  readonly bundleBytes: number;
  readonly initMedianMs: number;
  readonly overheadP50Ms: number;
  readonly overheadP99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function environment(endpoint: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoint,
    ENDPOINT_NAME: 'stocks-endpoint',
    PAYLOAD_FORMAT: 'xgboost-csv',
    SCHEMA: JSON.stringify(SCHEMA),
    MODEL_VERSION: 'bench',
    // Quiets the SDK's Node 20 notice so it does not count as init work.
    AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE: '1',
  };
}

/* external. */
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
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return Number(stdout.trim());
}

/** Per-request time of the handler minus the fake endpoint's own service time, sorted. */
async function overheads(handler: Handler, runtime: SageMakerRuntimeEmulator): Promise<number[]> {
  const event = { body: JSON.stringify({ ticker_symbol: 'AMZN', sector: 'RETAIL', change: -1.25 }), isBase64Encoded: false };
  for (let i = 0; i < WARMUP_REQUESTS; i++) {
    const result = await handler(event);
    if (result.statusCode !== 200) throw new Error(`warm-up answered ${result.statusCode}: ${result.body}`);
  }
  const samples: number[] = [];
  for (let i = 0; i < MEASURED_REQUESTS; i++) {
    runtime.reset();
    const started = process.hrtime.bigint();
    await handler(event);
    const total = Number(process.hrtime.bigint() - started) / 1e6;
    // The fake records its service time when the response is flushed, which may land after the client resolved.
    await new Promise((resolve) => setImmediate(resolve));
    samples.push(total - (runtime.serviceTimesMs[0] ?? 0));
  }
  return samples.sort((a, b) => a - b);
}

/**
 * The floor: a bare keep-alive HTTP POST to the same fake, measured the same
 * way. Whatever it shows is the loopback and the machine, not a handler.
 */
function rawHttpHandler(endpoint: string): Handler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const http = require('http') as typeof import('http');
  const agent = new http.Agent({ keepAlive: true });
  const url = `${endpoint}/endpoints/stocks-endpoint/invocations`;
  return (event) => new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers: { 'authorization': 'AWS4-HMAC-SHA256 floor', 'x-amz-date': '20260101T000000Z', 'content-type': 'text/csv' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(event.body);
  });
}

function loadHandler(bundle: string): Handler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(bundle).handler as Handler;
}

function row(name: string, f: HandlerFigures): string {
  return `${name.padEnd(10)} ${(f.bundleBytes / 1024).toFixed(1).padStart(10)} ${f.initMedianMs.toFixed(1).padStart(14)} ${f.overheadP50Ms.toFixed(3).padStart(14)} ${f.overheadP99Ms.toFixed(3).padStart(14)}`;
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
  const runtime = await startSageMakerRuntimeEmulator(() => ({ body: '42.5\n', variant: 'primary', contentType: 'text/csv' }));
  try {
    const env = environment(runtime.endpoint);
    const init = { proxy: [] as number[], baseline: [] as number[] };
    // Interleaved, so load on the shared machine hits both alike.
    for (let i = 0; i < INIT_SAMPLES; i++) {
      init.proxy.push(await coldInitMs(PROXY_BUNDLE, env));
      init.baseline.push(await coldInitMs(BASELINE_BUNDLE, env));
    }
    Object.assign(process.env, env);
    const floor = await overheads(rawHttpHandler(runtime.endpoint), runtime);
    const proxy = await overheads(loadHandler(PROXY_BUNDLE), runtime);
    const baseline = await overheads(loadHandler(BASELINE_BUNDLE), runtime);
    const figures = (bundle: string, inits: number[], samples: number[]): HandlerFigures => ({
      bundleBytes: statSync(bundle).size,
      initMedianMs: percentile([...inits].sort((a, b) => a - b), 50),
      overheadP50Ms: percentile(samples, 50),
      overheadP99Ms: percentile(samples, 99),
    });
    const ours = figures(PROXY_BUNDLE, init.proxy, proxy);
    const theirs = figures(BASELINE_BUNDLE, init.baseline, baseline);

    console.log('\n== Prediction proxy: bundle, cold init, per-request overhead against a local SageMaker Runtime ==');
    console.log(`${INIT_SAMPLES} cold inits each (median), ${MEASURED_REQUESTS} requests each after ${WARMUP_REQUESTS} warm-up; overhead = handler time - fake endpoint service time`);
    console.log(`${'handler'.padEnd(10)} ${'bundle KiB'.padStart(10)} ${'init ms (p50)'.padStart(14)} ${'overhead p50'.padStart(14)} ${'overhead p99'.padStart(14)}`);
    console.log(row('proxy', ours));
    console.log(row('baseline', theirs));
    console.log(`${'raw HTTP'.padEnd(10)} ${'-'.padStart(10)} ${'-'.padStart(14)} ${percentile(floor, 50).toFixed(3).padStart(14)} ${percentile(floor, 99).toFixed(3).padStart(14)}  (floor: bare keep-alive POST to the fake, no SDK, no handler)`);
    const overheadPass = ours.overheadP99Ms < 1;
    const initPass = ours.initMedianMs < theirs.initMedianMs / 2;
    console.log(`${overheadPass ? 'PASS' : 'FAIL'} per-request overhead p99 ${ours.overheadP99Ms.toFixed(3)} ms < 1 ms`);
    console.log(`${initPass ? 'PASS' : 'FAIL'} cold init ${ours.initMedianMs.toFixed(1)} ms < half the baseline's ${theirs.initMedianMs.toFixed(1)} ms (ratio ${(ours.initMedianMs / theirs.initMedianMs).toFixed(2)})`);
  } finally {
    await runtime.stop();
  }
}
