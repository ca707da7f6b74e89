import { SageMakerFakeModel, SageMakerRuntimeEmulator } from '@freshet/test-utils';
import type { Context } from 'aws-lambda';
import { loadProxy, predictEvent, startFakeRuntime } from './proxy-harness';
import { stocksRecords, stocksSchema } from '../fixtures/datasets';

/** The proxy's EMF lines on stdout that carry `metric`. */
function emfLines(log: jest.SpyInstance, metric: string): any[] {
  return log.mock.calls.map(([line]) => {
    try {
      return JSON.parse(String(line));
    } catch {
      return undefined;
    }
  }).filter((entry) => entry?._aws?.CloudWatchMetrics?.[0]?.Metrics?.some((m: { Name: string }) => m.Name === metric));
}

/**
 * A slow model: the emulator answers only after `delayMs`. The timeouts under test are set far
 * below it through the proxy's configuration; nothing here measures elapsed time.
 */
describe('predict proxy: a slow model gets the proxy\'s 504, with a JSON body and Retry-After', () => {
  let runtime: SageMakerRuntimeEmulator;
  const timers = new Set<NodeJS.Timeout>();
  const slowModel = (delayMs: number): SageMakerFakeModel => () => new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve({ body: '42\n' });
    }, delayMs);
    timers.add(timer);
  });
  let log: jest.SpyInstance;

  beforeAll(async () => {
    runtime = await startFakeRuntime(slowModel(5000));
  });
  afterAll(() => runtime.stop());
  beforeEach(() => {
    runtime.reset();
    log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    jest.restoreAllMocks();
  });

  test('every attempt times out: 504 ModelTimeout with Retry-After, and the ModelTimeouts metric counts it (EMF)', async () => {
    runtime.setModel(slowModel(5000));
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), ATTEMPT_TIMEOUT_MS: 150, DEADLINE_MS: 4000, MAX_ATTEMPTS: 2 });
    const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(result.statusCode).toBe(504);
    expect(result.headers).toEqual({ 'Content-Type': 'application/json', 'Retry-After': '7' });
    expect(JSON.parse(result.body)).toEqual({
      error: 'ModelTimeout',
      message: 'The model did not answer in time (the proxy waits 4000 ms at most); retry after the Retry-After delay, or send fewer instances.',
    });
    // The SDK retried the timed-out attempt once (MAX_ATTEMPTS 2).
    expect(runtime.invocations).toHaveLength(2);
    const metrics = emfLines(log, 'ModelTimeouts');
    expect(metrics).toHaveLength(1);
    expect(metrics[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'Freshet/PredictProxy', Dimensions: [['EndpointName']], Metrics: [{ Name: 'ModelTimeouts', Unit: 'Count' }] }] },
      EndpointName: 'stocks-endpoint',
      ModelTimeouts: 1,
    });
  });

  test('the total deadline stops the retries: with 5 attempts allowed, the deadline ends the request after at most 2', async () => {
    runtime.setModel(slowModel(5000));
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), ATTEMPT_TIMEOUT_MS: 250, DEADLINE_MS: 300, MAX_ATTEMPTS: 5 });
    const result = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(3) })));
    expect(result.statusCode).toBe(504);
    expect(result.headers?.['Retry-After']).toBe('7');
    expect(JSON.parse(result.body).error).toBe('ModelTimeout');
    expect(runtime.invocations.length).toBeGreaterThanOrEqual(1);
    expect(runtime.invocations.length).toBeLessThanOrEqual(2);
    expect(emfLines(log, 'ModelTimeouts')).toHaveLength(1);
  });

  test('the deadline also leaves the Lambda time to answer: a context with little time left ends the call early', async () => {
    runtime.setModel(slowModel(5000));
    // Defaults (11 s per attempt, 25 s in all): only the Lambda's remaining time can end this call in time.
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const context = { getRemainingTimeInMillis: () => 1200 } as unknown as Context;
    const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])), context);
    expect(result.statusCode).toBe(504);
    expect(JSON.parse(result.body).error).toBe('ModelTimeout');
  });

  test('a model that answers within the timeouts is served, and counts no timeout', async () => {
    runtime.setModel(slowModel(10));
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), ATTEMPT_TIMEOUT_MS: 3000, DEADLINE_MS: 4000 });
    const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).prediction).toBe(42);
    expect(emfLines(log, 'ModelTimeouts')).toHaveLength(0);
  });

  test('an attempt timeout above the deadline is refused when the proxy starts', () => {
    expect(() => loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), ATTEMPT_TIMEOUT_MS: 5000, DEADLINE_MS: 1000 }))
      .toThrow('ATTEMPT_TIMEOUT_MS (5000) must not exceed DEADLINE_MS (1000).');
  });
});

/**
 * The deadline must not cost every request its SDK middleware cache: the SDK reuses its resolved
 * middleware stack (`cacheMiddleware`) only for sends without options, so passing the deadline's
 * abort signal to `send()` rebuilt the whole stack on each request (issue 21: it doubled the
 * proxy's allocation per request, and the benchmark's p99 followed the extra collections).
 */
describe('predict proxy: the deadline keeps the SDK\'s cached middleware', () => {
  let runtime: SageMakerRuntimeEmulator;
  beforeAll(async () => {
    runtime = await startFakeRuntime(() => ({ body: '42\n' }));
  });
  afterAll(() => runtime.stop());

  test('20 requests resolve the InvokeEndpoint middleware stack once, and each is still served under its deadline', async () => {
    // Sets the environment (and checks it loads); the handler below is loaded beside its own spied SDK.
    loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), ATTEMPT_TIMEOUT_MS: 3000, DEADLINE_MS: 4000 });
    let handler: ((event: unknown) => Promise<{ statusCode: number }>) | undefined;
    let resolved: jest.SpyInstance | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const sdk = require('@aws-sdk/client-sagemaker-runtime');
      resolved = jest.spyOn(sdk.InvokeEndpointCommand.prototype, 'resolveMiddleware');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/handlers/predict-proxy.lambda').handler;
    });
    for (let i = 0; i < 20; i++) {
      expect((await handler!(predictEvent(JSON.stringify(stocksRecords(1)[0])))).statusCode).toBe(200);
    }
    expect(runtime.invocations).toHaveLength(20);
    expect(resolved!).toHaveBeenCalledTimes(1);
    resolved!.mockRestore();
  });
});
