import { SageMakerRuntimeEmulator } from '@freshet/test-utils';
import type { APIGatewayProxyResult } from 'aws-lambda';
import * as fc from 'fast-check';
import { loadProxy, predictEvent, ProxyHandler, readCsvAsModel, startFakeRuntime } from './proxy-harness';
import { stocksSchema } from '../fixtures/datasets';

/**
 * Thousands of generated bad bodies: the handler answers each with a 400 and
 * never a 5xx of its own. The fake endpoint is healthy, so a body that turns
 * out valid gets a 200; anything else must be refused before the endpoint.
 */
describe('predict proxy fuzzing', () => {
  let runtime: SageMakerRuntimeEmulator;
  let handler: ProxyHandler;
  let deepAr: ProxyHandler;
  const counts = { refused: 0, served: 0 };

  beforeAll(async () => {
    runtime = await startFakeRuntime((invocation) => {
      if (invocation.contentType === 'application/json') {
        const { instances } = JSON.parse(invocation.body.toString('utf-8'));
        return { body: JSON.stringify({ predictions: instances.map(() => ({ mean: [1] })) }) };
      }
      const rows = readCsvAsModel(invocation.body.toString('utf-8'));
      return { body: rows.map(() => '1.5').join('\n') };
    });
    deepAr = loadProxy(runtime, { format: 'deepar-json' });
    handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
  });
  afterAll(() => runtime.stop());

  /** The property every answer must have; `mayBeValid` says a generated body could be a valid request. */
  function expectNoHandlerFault(result: APIGatewayProxyResult, calledBefore: number, mayBeValid: boolean): void {
    const called = runtime.invocations.length > calledBefore;
    if (result.statusCode === 400 || result.statusCode === 413) {
      counts.refused++;
      expect(called).toBe(false);
      const body = JSON.parse(result.body);
      expect(body.errors.length).toBeGreaterThan(0);
      for (const error of body.errors) {
        expect(typeof error.field).toBe('string');
        expect(error.problem.length).toBeGreaterThan(5);
      }
      return;
    }
    counts.served++;
    expect({ status: result.statusCode, mayBeValid, called }).toEqual({ status: 200, mayBeValid: true, called: true });
  }

  async function check(run: ProxyHandler, body: string | null, isBase64 = false, mayBeValid = false): Promise<void> {
    const before = runtime.invocations.length;
    const result = await run(predictEvent(body, isBase64));
    expectNoHandlerFault(result, before, mayBeValid);
  }

  const validRecord = fc.record({
    ticker_symbol: fc.string({ maxLength: 8 }),
    sector: fc.constantFrom('RETAIL', 'ENERGY', 'TECHNOLOGY'),
    change: fc.double({ noNaN: true, noDefaultInfinity: true }),
  });
  /** One field replaced, removed or added: a wrong type, a missing feature, the target, or junk. */
  const brokenRecord = fc.tuple(validRecord, fc.constantFrom('ticker_symbol', 'sector', 'change', 'price', 'extra'), fc.oneof(fc.anything(), fc.constant(undefined)))
    .map(([record, key, value]) => {
      const copy: Record<string, unknown> = { ...record };
      if (value === undefined) delete copy[key];
      else copy[key] = value;
      return copy;
    });

  test('random strings and bytes (non-JSON, invalid UTF-8) are refused', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), (text) => check(handler, text)), { numRuns: 1000 });
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), (bytes) => check(handler, Buffer.from(bytes).toString('base64'), true)), { numRuns: 1000 });
  });

  test('random JSON values are refused', async () => {
    await fc.assert(fc.asyncProperty(fc.json({ maxDepth: 6 }), (json) => check(handler, json)), { numRuns: 1500 });
  });

  test('records and batches with one field wrong, missing, the target, or extra are refused unless still valid', async () => {
    await fc.assert(fc.asyncProperty(brokenRecord, (record) => check(handler, JSON.stringify(record), false, true)), { numRuns: 1000 });
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(validRecord, brokenRecord, fc.anything()), { maxLength: 8 }), (instances) =>
      check(handler, JSON.stringify({ instances }), false, true)), { numRuns: 1000 });
  });

  test('huge numbers and deep nesting are refused without a crash', async () => {
    const hugeNumber = fc.oneof(
      fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '1e-400', '9'.repeat(400)),
      fc.bigInt({ min: 10n ** 20n, max: 10n ** 300n }).map(String),
    );
    await fc.assert(fc.asyncProperty(hugeNumber, fc.constantFrom('ticker_symbol', 'change', 'sector'), (number, key) =>
      check(handler, `{"ticker_symbol":"IBM","sector":"RETAIL","change":1,"${key}":${number}}`, false, true)), { numRuns: 300 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
      const close = open === '[' ? ']' : '}';
      return check(handler, `{"ticker_symbol":"IBM","sector":"RETAIL","change":${open.repeat(depth)}1${close.repeat(depth)}}`);
    }), { numRuns: 100 });
  });

  test('DeepAR: random JSON and broken series are refused', async () => {
    await fc.assert(fc.asyncProperty(fc.json({ maxDepth: 5 }), (json) => check(deepAr, json, false, true)), { numRuns: 1000 });
    const series = fc.record({ start: fc.oneof(fc.constant('2026-08-01 00:00:00'), fc.string()), target: fc.array(fc.oneof(fc.double(), fc.string(), fc.constant(null))) }, { requiredKeys: [] });
    await fc.assert(fc.asyncProperty(fc.array(series, { maxLength: 4 }), fc.option(fc.anything()), (instances, configuration) =>
      check(deepAr, JSON.stringify(configuration === null ? { instances } : { instances, configuration }), false, true)), { numRuns: 1000 });
  });

  afterAll(() => {
    // The generators must mostly produce bad bodies, or the property proves little.
    expect(counts.refused).toBeGreaterThan(6000);
    console.log(`fuzz: ${counts.refused} refused with 400/413, ${counts.served} valid bodies served with 200`);
  });
});
