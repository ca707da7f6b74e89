import { SageMakerInvocation, SageMakerRuntimeEmulator, SageMakerRuntimeFaults } from '@freshet/test-utils';
import { ENDPOINT_NAME, loadProxy, predictEvent, readCsvAsModel, startFakeRuntime } from './proxy-harness';
import { pollutionDeepArRequest, stocksRecords, stocksSchema } from '../fixtures/datasets';

const SECTORS = new Set(stocksRecords(2000).map((r) => r.sector));

/** What the fake stocks model predicts from one CSV row, so the test can check the mapping back. */
function fakePrice(ticker: string, change: number): number {
  return ticker.length * 10 + change;
}

/**
 * A fake XGBoost model: reads the CSV it receives as the container would,
 * refuses rows that are not exactly ticker_symbol, sector, change (so a
 * label, a header or another column order fails), and predicts from each row.
 */
function xgboostModel(invocation: SageMakerInvocation) {
  if (invocation.contentType !== 'text/csv') return { fault: SageMakerRuntimeFaults.modelError(415, `unsupported ${invocation.contentType}`) };
  const rows = readCsvAsModel(invocation.body.toString('utf-8'));
  for (const row of rows) {
    const [ticker, sector, change] = row;
    if (row.length !== 3 || !SECTORS.has(sector) || change === '' || Number.isNaN(Number(change))) {
      return { fault: SageMakerRuntimeFaults.modelError(400, `bad row ${JSON.stringify(row)}`) };
    }
    void ticker;
  }
  return { body: rows.map(([ticker, , change]) => String(fakePrice(ticker, Number(change)))).join('\n') + '\n', variant: 'Blue' };
}

describe('predict proxy against a local SageMaker Runtime (XGBoost)', () => {
  let runtime: SageMakerRuntimeEmulator;
  beforeAll(async () => {
    runtime = await startFakeRuntime(xgboostModel);
  });
  afterAll(() => runtime.stop());
  beforeEach(() => {
    runtime.reset();
    runtime.setModel(xgboostModel);
  });

  test('500 stocks records round-trip: CSV in schema feature order without the price, predictions mapped back in order', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const records = stocksRecords(500);
    const result = await handler(predictEvent(JSON.stringify({ instances: records })));
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.predictions).toEqual(records.map((r) => fakePrice(r.ticker_symbol, r.change)));
    expect(body.variant).toBe('Blue');
    expect(body.modelVersion).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks/3');
    expect(result.headers?.['X-Model-Variant']).toBe('Blue');

    expect(runtime.invocations).toHaveLength(1);
    const sent = runtime.invocations[0];
    expect(sent.endpointName).toBe(ENDPOINT_NAME);
    expect(sent.contentType).toBe('text/csv');
    const rows = readCsvAsModel(sent.body.toString('utf-8'));
    expect(rows).toEqual(records.map((r) => [r.ticker_symbol, r.sector, String(r.change)]));
  });

  test('every request gets an inference id: sent to InvokeEndpoint (data capture records it) and returned with the predictions', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const [record] = stocksRecords(1);
    const viaApi = { ...predictEvent(JSON.stringify(record)), requestContext: { requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef' } as any };
    const first = JSON.parse((await handler(viaApi)).body);
    expect(first.inferenceId).toBe('c6af9ac6-7b61-11e6-9a41-93e8deadbeef');
    const second = JSON.parse((await handler(predictEvent(JSON.stringify(record)))).body);
    const third = JSON.parse((await handler(predictEvent(JSON.stringify({ instances: [record, record] })))).body);
    expect(second.inferenceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(third.inferenceId).not.toBe(second.inferenceId);
    expect(runtime.invocations.map((i) => i.headers['x-amzn-sagemaker-inference-id'])).toEqual([first.inferenceId, second.inferenceId, third.inferenceId]);
  });

  test('one record in, one prediction out; property order in the request does not matter', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const result = await handler(predictEvent(JSON.stringify({ change: -1.5, sector: 'RETAIL', ticker_symbol: 'AMZN' })));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).prediction).toBe(fakePrice('AMZN', -1.5));
    expect(runtime.invocations[0].body.toString()).toBe('AMZN,RETAIL,-1.5\n');
  });

  test('strings with commas, quotes, line breaks and edge spaces are quoted so the model reads them back exactly', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const tickers = ['A,B', 'say "hi"', 'two\nlines', ' padded ', 'plain', 'ünï©ødé'];
    const result = await handler(predictEvent(JSON.stringify({ instances: tickers.map((t) => ({ ticker_symbol: t, sector: 'RETAIL', change: 0.25 })) })));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).predictions).toEqual(tickers.map((t) => fakePrice(t, 0.25)));
    expect(readCsvAsModel(runtime.invocations[0].body.toString('utf-8')).map((r) => r[0])).toEqual(tickers);
  });

  test('a base64-encoded body (binary media types) is decoded', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const body = Buffer.from(JSON.stringify({ ticker_symbol: 'IBM', sector: 'TECHNOLOGY', change: 2 })).toString('base64');
    const result = await handler(predictEvent(body, true));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).prediction).toBe(fakePrice('IBM', 2));
  });

  test.each([
    ['missing feature', { ticker_symbol: 'IBM', sector: 'TECHNOLOGY' }, 'change', 'is missing'],
    ['wrong type', { ticker_symbol: 'IBM', sector: 'TECHNOLOGY', change: '2.5' }, 'change', 'must be a number'],
    ['the target', { ticker_symbol: 'IBM', sector: 'TECHNOLOGY', change: 2, price: 10 }, 'price', 'is the target'],
    ['unknown field', { ticker_symbol: 'IBM', sector: 'TECHNOLOGY', change: 2, volume: 10 }, 'volume', 'is not a feature'],
    ['null', { ticker_symbol: null, sector: 'TECHNOLOGY', change: 2 }, 'ticker_symbol', 'is null'],
    ['batch item', { instances: [{ ticker_symbol: 'IBM', sector: 'TECHNOLOGY', change: 2 }, { ticker_symbol: 'IBM', sector: 7, change: 2 }] }, 'instances[1].sector', 'must be a string'],
    ['empty batch', { instances: [] }, 'instances', 'is empty'],
    ['not an object', [1, 2], 'body', 'is an array'],
  ])('bad input (%s) is a 400 naming the field and why, and the endpoint is never called', async (_name, request, field, problem) => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const result = await handler(predictEvent(JSON.stringify(request)));
    expect(result.statusCode).toBe(400);
    const body = JSON.parse(result.body);
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, problem: expect.stringContaining(problem) })]));
    expect(runtime.invocations).toHaveLength(0);
  });

  test('a 1e400 value (beyond a double) and non-JSON bodies are 400s', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    const huge = await handler(predictEvent('{"ticker_symbol":"IBM","sector":"TECHNOLOGY","change":1e400}'));
    expect(huge.statusCode).toBe(400);
    expect(JSON.parse(huge.body).errors[0]).toEqual({ field: 'change', problem: expect.stringContaining('too large') });
    const notJson = await handler(predictEvent('ticker_symbol=IBM'));
    expect(JSON.parse(notJson.body).errors[0]).toEqual({ field: 'body', problem: expect.stringContaining('not valid JSON') });
    const badUtf8 = await handler(predictEvent(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]).toString('base64'), true));
    expect(JSON.parse(badUtf8.body).errors[0]).toEqual({ field: 'body', problem: expect.stringContaining('UTF-8') });
    expect(runtime.invocations).toHaveLength(0);
  });

  test('more instances than MAX_INSTANCES is a 400 that says to split the request', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), MAX_INSTANCES: 10 });
    const result = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(11) })));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).errors[0].problem).toContain('split them');
  });

  describe('endpoint failures', () => {
    test('a model error is a 502 without a retry hint', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
      runtime.setModel(() => ({ fault: SageMakerRuntimeFaults.modelError(500, 'segfault in predictor') }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(502);
      expect(JSON.parse(result.body).error).toBe('ModelError');
      expect(result.headers?.['Retry-After']).toBeUndefined();
      expect(runtime.invocations).toHaveLength(1);
    });

    test.each([
      ['throttling', SageMakerRuntimeFaults.throttling(), 'ThrottlingException'],
      ['a serverless variant not ready', SageMakerRuntimeFaults.modelNotReady(), 'ModelNotReadyException'],
      ['the service unavailable', SageMakerRuntimeFaults.serviceUnavailable(), 'ServiceUnavailable'],
      ['the endpoint not there yet', SageMakerRuntimeFaults.validationError(`Endpoint ${ENDPOINT_NAME} of account 123456789012 not found.`), 'ValidationError'],
    ])('%s is a 503 with Retry-After, after at most one retry by the client', async (_name, fault, errorName) => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
      runtime.setModel(() => ({ fault }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(503);
      expect(result.headers?.['Retry-After']).toBe('7');
      expect(JSON.parse(result.body).error).toBe(errorName);
      expect(runtime.invocations.length).toBeGreaterThanOrEqual(1);
      expect(runtime.invocations.length).toBeLessThanOrEqual(2);
    });

    test('before the first model (the workflow creates the endpoint), a missing endpoint is a 503 saying a first model is still training', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), AWAITING_FIRST_MODEL: 'true', FIRST_MODEL_RETRY_AFTER_SECONDS: 600 });
      // SageMaker Runtime's answer for an endpoint name that does not exist.
      runtime.setModel((invocation) => ({ fault: SageMakerRuntimeFaults.validationError(`Endpoint ${invocation.endpointName} of account 123456789012 not found.`) }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(503);
      expect(result.headers?.['Retry-After']).toBe('600');
      expect(JSON.parse(result.body)).toEqual({
        error: 'FirstModelTraining',
        message: 'A first model is still training: the endpoint appears when the first retraining run passes its quality gate. Retry after the Retry-After delay.',
      });
      expect(runtime.invocations[0].endpointName).toBe(ENDPOINT_NAME);
      // Once the first run has created the endpoint, the same proxy serves predictions.
      runtime.setModel(xgboostModel);
      const served = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(served.statusCode).toBe(200);
    });

    test('an endpoint CloudFormation created that is missing is not reported as a first model training', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), AWAITING_FIRST_MODEL: 'false' });
      runtime.setModel(() => ({ fault: SageMakerRuntimeFaults.validationError(`Endpoint ${ENDPOINT_NAME} of account 123456789012 not found.`) }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(503);
      expect(JSON.parse(result.body).error).toBe('ValidationError');
      expect(JSON.parse(result.body).message).not.toMatch(/training/);
    });

    test('while awaiting the first model, other failures keep their own answers', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), AWAITING_FIRST_MODEL: 'true' });
      runtime.setModel(() => ({ fault: SageMakerRuntimeFaults.modelError(500, 'boom') }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(502);
      expect(JSON.parse(result.body).error).toBe('ModelError');
    });

    test('a retried throttle that then succeeds answers 200', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
      let calls = 0;
      runtime.setModel((invocation) => (++calls === 1 ? { fault: SageMakerRuntimeFaults.throttling() } : xgboostModel(invocation)));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(200);
      expect(runtime.invocations).toHaveLength(2);
    });

    test('an internal failure of the service is a 502', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), MAX_ATTEMPTS: 1 });
      runtime.setModel(() => ({ fault: SageMakerRuntimeFaults.internalFailure() }));
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(502);
      expect(JSON.parse(result.body).error).toBe('InternalFailure');
    });

    test('an answer the proxy cannot read is a 502 that says so', async () => {
      const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
      runtime.setModel(() => ({ body: 'not,a,number\n' }));
      const result = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(1) })));
      expect(result.statusCode).toBe(502);
      expect(JSON.parse(result.body).error).toBe('ModelResponseError');
    });

    test('an unreachable endpoint is a 503 with Retry-After', async () => {
      const gone = await startFakeRuntime(xgboostModel);
      await gone.stop();
      const handler = loadProxy(gone, { format: 'xgboost-csv', schema: stocksSchema().toSpec(), MAX_ATTEMPTS: 1 });
      const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
      expect(result.statusCode).toBe(503);
      expect(result.headers?.['Retry-After']).toBe('7');
    });
  });
});

describe('predict proxy (AutoGluon)', () => {
  let runtime: SageMakerRuntimeEmulator;
  afterAll(() => runtime.stop());

  test('sends CSV with a feature header and no label; reads a one-column answer and a class-probability answer', async () => {
    let header: string[] = [];
    runtime = await startFakeRuntime((invocation) => {
      const [head, ...rows] = readCsvAsModel(invocation.body.toString('utf-8'));
      header = head;
      return { body: `price\n${rows.map(([t, , c]) => fakePrice(t, Number(c))).join('\n')}\n`, variant: 'Green' };
    });
    const handler = loadProxy(runtime, { format: 'autogluon-csv', schema: stocksSchema().toSpec() });
    const records = stocksRecords(20);
    const result = await handler(predictEvent(JSON.stringify({ instances: records })));
    expect(result.statusCode).toBe(200);
    expect(header).toEqual(['ticker_symbol', 'sector', 'change']);
    expect(JSON.parse(result.body)).toEqual({
      predictions: records.map((r) => fakePrice(r.ticker_symbol, r.change)),
      modelVersion: expect.any(String),
      variant: 'Green',
      inferenceId: expect.any(String),
    });

    runtime.setModel(() => ({ body: 'down,up\n0.25,0.75\n"0.5",0.5\n' }));
    const probabilities = await handler(predictEvent(JSON.stringify({ instances: records.slice(0, 2) })));
    expect(JSON.parse(probabilities.body).predictions).toEqual([{ down: 0.25, up: 0.75 }, { down: 0.5, up: 0.5 }]);
  });
});

describe('predict proxy (DeepAR)', () => {
  let runtime: SageMakerRuntimeEmulator;
  afterAll(() => runtime.stop());

  test('the IoT example request passes through byte for byte as JSON, and the forecasts come back', async () => {
    const request = pollutionDeepArRequest();
    runtime = await startFakeRuntime((invocation) => {
      const parsed = JSON.parse(invocation.body.toString('utf-8'));
      const predictions = parsed.instances.map((series: { target: number[] }) => ({
        mean: [series.target[series.target.length - 1]],
        quantiles: { 0.1: [0], 0.5: [1], 0.9: [2] },
      }));
      return { body: JSON.stringify({ predictions }), contentType: 'application/json' };
    });
    const handler = loadProxy(runtime, { format: 'deepar-json' });
    const result = await handler(predictEvent(request));
    expect(result.statusCode).toBe(200);
    expect(runtime.invocations[0].contentType).toBe('application/json');
    expect(runtime.invocations[0].body.equals(Buffer.from(request, 'utf-8'))).toBe(true);
    const parsedRequest = JSON.parse(request);
    expect(JSON.parse(result.body).predictions.map((p: { mean: number[] }) => p.mean[0]))
      .toEqual(parsedRequest.instances.map((s: { target: number[] }) => s.target[71]));
    expect(parsedRequest.instances).toHaveLength(3);
  });

  test.each([
    ['a series without target', { instances: [{ start: '2026-08-01 00:00:00' }] }, 'instances[0].target'],
    ['a bad start', { instances: [{ start: 'yesterday', target: [1] }] }, 'instances[0].start'],
    ['a non-number target', { instances: [{ start: '2026-08-01 00:00:00', target: [1, 'x'] }] }, 'instances[0].target[1]'],
    ['a bad output type', { instances: [{ start: '2026-08-01 00:00:00', target: [1] }], configuration: { output_types: ['median'] } }, 'configuration.output_types'],
  ])('%s is a 400 naming the field', async (_name, request, field) => {
    runtime.reset();
    const handler = loadProxy(runtime, { format: 'deepar-json' });
    const result = await handler(predictEvent(JSON.stringify(request)));
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(runtime.invocations).toHaveLength(0);
  });
});
