import { SageMakerInvocation, SageMakerRuntimeEmulator, SageMakerRuntimeFaults } from '@freshet/test-utils';
import { loadProxy, predictEvent, ProxyHandler, startFakeRuntime } from './proxy-harness';
import { pollutionDeepArRequest, stocksRecords, stocksSchema } from '../fixtures/datasets';

/**
 * Capture at the API (issue 21): the proxy writes one SageMaker data-capture
 * line per forwarded request to stdout, which the log subscription carries to
 * the lake. Stdout is the edge here: the test reads what the handler wrote to
 * it, and the model is the local SageMaker Runtime fake.
 */

/** One forecast per series the request holds. */
function deepArAnswer(request: string): string {
  const series = (JSON.parse(request) as { instances: unknown[] }).instances;
  return JSON.stringify({ predictions: series.map(() => ({ mean: [1.5, 2.5], quantiles: { 0.1: [1, 2], 0.5: [1.5, 2.5], 0.9: [2, 3] } })) });
}

let runtime: SageMakerRuntimeEmulator;
let stdout: string[];
let logged: string[];
let failWrites = false;

function model(invocation: SageMakerInvocation) {
  if (invocation.contentType === 'application/json') return { body: deepArAnswer(invocation.body.toString('utf-8')), variant: 'Green', contentType: 'application/json' };
  const rows = invocation.body.toString('utf-8').trim().split('\n');
  return { body: rows.map((_, i) => String(100 + i)).join('\n') + '\n', variant: 'Blue', contentType: 'text/csv; charset=utf-8' };
}

/** Capture lines the handler wrote to stdout, parsed. */
function captured(): any[] {
  return stdout.join('').split('\n').filter((l) => l.startsWith('{"captureData"')).map((l) => JSON.parse(l));
}

/** EMF counts the handler printed for a metric. */
function counted(metric: string): number {
  return logged.map((l) => { try { return JSON.parse(l); } catch { return {}; } }).filter((m) => m._aws && m[metric] === 1).length;
}

beforeAll(async () => {
  runtime = await startFakeRuntime(model);
});
afterAll(() => runtime.stop());
beforeEach(() => {
  runtime.reset();
  runtime.setModel(model);
  stdout = [];
  logged = [];
  failWrites = false;
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => {
    if (failWrites) throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    stdout.push(String(chunk));
    return true;
  }) as never);
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logged.push(String(line)); });
  jest.spyOn(console, 'error').mockImplementation((line: string) => { logged.push(String(line)); });
});
afterEach(() => jest.restoreAllMocks());

function viaApi(body: string, requestId: string) {
  return { ...predictEvent(body), requestContext: { requestId } as any };
}

describe('capture at the API: SageMaker data-capture records', () => {
  test('a CSV model: the request as sent, the answer as the model gave it, with the inference id and the variant that served', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api' });
    const records = stocksRecords(3);
    const before = Date.now();
    const result = await handler(viaApi(JSON.stringify({ instances: records }), 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef'));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).predictions).toEqual([100, 101, 102]);

    const [record, ...rest] = captured();
    expect(rest).toEqual([]);
    expect(Object.keys(record)).toEqual(['captureData', 'eventMetadata', 'eventVersion', 'invokedProductionVariant']);
    expect(record.captureData).toEqual({
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: runtime.invocations[0].body.toString('utf-8'), encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: '100\n101\n102\n', encoding: 'CSV' },
    });
    expect(record.eventMetadata.inferenceId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    expect(record.eventMetadata.inferenceId).toBe(runtime.invocations[0].headers['x-amzn-sagemaker-inference-id']);
    expect(record.eventMetadata.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(record.eventMetadata.inferenceTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(record.eventMetadata.inferenceTime)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(record.eventVersion).toBe('0');
    expect(record.invokedProductionVariant).toBe('Blue');
    // One line, newline-terminated: one log event, one record.
    expect(stdout).toHaveLength(1);
    expect(stdout[0].endsWith('}\n')).toBe(true);
    expect(stdout[0].indexOf('\n')).toBe(stdout[0].length - 1);
  });

  test('a JSON model (DeepAR): the client\'s request passed through and the forecast, as JSON text, with the inference id', async () => {
    const handler = loadProxy(runtime, { format: 'deepar-json', CAPTURE: 'api' });
    const request = pollutionDeepArRequest();
    const result = await handler(viaApi(request, '0f4c5e7a-1d2b-4c3d-8e9f-0a1b2c3d4e5f'));
    expect(result.statusCode).toBe(200);
    const [record] = captured();
    expect(record.captureData.endpointInput).toEqual({ observedContentType: 'application/json', mode: 'INPUT', data: request, encoding: 'JSON' });
    expect(record.captureData.endpointOutput).toEqual({ observedContentType: 'application/json', mode: 'OUTPUT', data: deepArAnswer(request), encoding: 'JSON' });
    expect(record.eventMetadata.inferenceId).toBe('0f4c5e7a-1d2b-4c3d-8e9f-0a1b2c3d4e5f');
    expect(record.invokedProductionVariant).toBe('Green');
  });

  test('an answer of another content type is captured as BASE64, as SageMaker captures types outside its CSV and JSON lists', async () => {
    runtime.setModel(() => ({ body: '42.5\n', variant: 'Blue', contentType: 'application/octet-stream' }));
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api' });
    expect((await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])))).statusCode).toBe(200);
    const [record] = captured();
    expect(record.captureData.endpointOutput).toEqual({ observedContentType: 'application/octet-stream', mode: 'OUTPUT', data: Buffer.from('42.5\n').toString('base64'), encoding: 'BASE64' });
  });

  test('every record gets its own event id; requests the proxy refuses (400) or the model fails (502) are not captured', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api' });
    await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    await handler(predictEvent(JSON.stringify(stocksRecords(2)[1])));
    expect((await handler(predictEvent(JSON.stringify({ ticker_symbol: 'IBM' })))).statusCode).toBe(400);
    runtime.setModel(() => ({ fault: SageMakerRuntimeFaults.modelError(500, 'boom') }));
    expect((await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])))).statusCode).toBe(502);
    const records = captured();
    expect(records).toHaveLength(2);
    expect(records[0].eventMetadata.eventId).not.toBe(records[1].eventMetadata.eventId);
    expect(records[0].eventMetadata.inferenceId).not.toBe(records[1].eventMetadata.inferenceId);
  });

  test('without CAPTURE=api nothing is written to stdout', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    expect((await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])))).statusCode).toBe(200);
    expect(stdout).toEqual([]);
  });

  test('sampling: 0 percent captures nothing, 100 percent every request', async () => {
    const none = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api', CAPTURE_SAMPLING_PERCENT: 0 });
    for (let i = 0; i < 20; i++) await none(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(captured()).toHaveLength(0);
    const all = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api', CAPTURE_SAMPLING_PERCENT: 100 });
    for (let i = 0; i < 20; i++) await all(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(captured()).toHaveLength(20);
  });

  test('a sampling percentage outside 0-100 fails the proxy\'s start, naming the setting', () => {
    expect(() => loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api', CAPTURE_SAMPLING_PERCENT: 150 }))
      .toThrow("CAPTURE_SAMPLING_PERCENT must be a number from 0 to 100, got '150'.");
  });
});

describe('capture never fails a prediction, and what it drops is counted', () => {
  let handler: ProxyHandler;

  test('a record too large for one log event is dropped, counted (CaptureDropped, EMF) and logged with its size; the prediction succeeds', async () => {
    handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api', CAPTURE_MAX_LINE_BYTES: 600 });
    const small = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(small.statusCode).toBe(200);
    expect(captured()).toHaveLength(1);
    const large = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(50) })));
    expect(large.statusCode).toBe(200);
    expect(JSON.parse(large.body).predictions).toHaveLength(50);
    expect(captured()).toHaveLength(1);
    expect(counted('CaptureDropped')).toBe(1);
    const emf = logged.map((l) => JSON.parse(l)).find((m) => m._aws);
    expect(emf._aws.CloudWatchMetrics[0]).toEqual({ Namespace: 'Freshet/PredictProxy', Dimensions: [['EndpointName']], Metrics: [{ Name: 'CaptureDropped', Unit: 'Count' }] });
    expect(emf.EndpointName).toBe('stocks-endpoint');
    expect(logged.map((l) => JSON.parse(l)).find((m) => m.message === 'Capture record dropped')).toEqual(expect.objectContaining({ reason: 'too-large', maxLineBytes: 600 }));
  });

  test('a failed write to the log (EPIPE) is counted and the prediction is still answered', async () => {
    handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), CAPTURE: 'api' });
    failWrites = true;
    const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).prediction).toBe(100);
    expect(counted('CaptureDropped')).toBe(1);
    expect(logged.map((l) => JSON.parse(l)).find((m) => m.message === 'Capture record dropped')).toEqual(expect.objectContaining({ reason: 'write-failed', detail: 'write EPIPE' }));
  });
});
