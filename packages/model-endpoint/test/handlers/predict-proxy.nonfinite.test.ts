import { SageMakerRuntimeEmulator } from '@freshet/test-utils';
import { loadProxy, predictEvent, startFakeRuntime } from './proxy-harness';
import { stocksRecords, stocksSchema } from '../fixtures/datasets';

/** A NaN or infinite prediction is the model failing on that record: 502 ModelError naming it, never 200 with null. */
describe('predict proxy: a non-finite prediction is a ModelError naming the record', () => {
  let runtime: SageMakerRuntimeEmulator;
  beforeAll(async () => {
    runtime = await startFakeRuntime(() => ({ body: '' }));
  });
  afterAll(() => runtime.stop());
  beforeEach(() => runtime.reset());

  test.each([
    ['nan on a line of its own', '1.5\nnan\n3.25\n', 1, 'NaN'],
    ['-Infinity', '1.5\n2\n-Infinity\n', 2, '-Infinity'],
    ['inf on the one-line form', '1.5,inf,3\n', 1, 'Infinity'],
    ['NaN among class probabilities', '0.2,0.8\n0.5,0.5\nNaN,0.1\n', 2, 'NaN'],
  ])('XGBoost CSV: %s', async (_name, answer, record, value) => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    runtime.setModel(() => ({ body: answer }));
    const result = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(3) })));
    expect(result.statusCode).toBe(502);
    const body = JSON.parse(result.body);
    expect(body).toEqual({
      error: 'ModelError',
      record,
      message: `The model answered ${value} for record ${record} (instances[${record}]): a prediction must be a finite number; see the endpoint's logs.`,
    });
    expect(body).not.toHaveProperty('predictions');
  });

  test('XGBoost CSV: one record answered inf is a 502 for the record, not {"prediction": null}', async () => {
    const handler = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    runtime.setModel(() => ({ body: 'inf\n' }));
    const result = await handler(predictEvent(JSON.stringify(stocksRecords(1)[0])));
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body)).toEqual({ error: 'ModelError', record: 0, message: expect.stringContaining('answered Infinity for the record') });
  });

  test('AutoGluon CSV: a NaN value or class probability names its record', async () => {
    const handler = loadProxy(runtime, { format: 'autogluon-csv', schema: stocksSchema().toSpec() });
    runtime.setModel(() => ({ body: 'price\n10\nNaN\n' }));
    const value = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(2) })));
    expect([value.statusCode, JSON.parse(value.body).record, JSON.parse(value.body).error]).toEqual([502, 1, 'ModelError']);
    runtime.setModel(() => ({ body: 'down,up\n0.5,0.5\n0.1,0.9\n-inf,1\n' }));
    const probabilities = await handler(predictEvent(JSON.stringify({ instances: stocksRecords(3) })));
    expect([probabilities.statusCode, JSON.parse(probabilities.body).record]).toEqual([502, 2]);
  });

  test.each([
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['-Infinity', '-Infinity'],
  ])('DeepAR JSON (Python\'s json writes bare %s): the forecast holding it names its record', async (token, value) => {
    const handler = loadProxy(runtime, { format: 'deepar-json' });
    const answer = `{"predictions": [{"mean": [1.0, 2.0], "note": "NaN, Infinity in a string are text"}, {"mean": [1.5, ${token}]}]}`;
    runtime.setModel(() => ({ body: answer, contentType: 'application/json' }));
    const request = { instances: [{ start: '2026-08-01 00:00:00', target: [1, 2] }, { start: '2026-08-01 00:00:00', target: [3, 4] }] };
    const result = await handler(predictEvent(JSON.stringify(request)));
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body)).toEqual({ error: 'ModelError', record: 1, message: expect.stringContaining(`answered ${value} for record 1 (instances[1])`) });
  });

  test('finite answers still pass, text that spells NaN inside a JSON string included', async () => {
    const handler = loadProxy(runtime, { format: 'deepar-json' });
    runtime.setModel(() => ({ body: '{"predictions": [{"mean": [1e308, -0.0], "note": "NaN"}]}', contentType: 'application/json' }));
    const result = await handler(predictEvent(JSON.stringify({ instances: [{ start: '2026-08-01 00:00:00', target: [1] }] })));
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).predictions).toEqual([{ mean: [1e308, 0], note: 'NaN' }]);
    const xgboost = loadProxy(runtime, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
    runtime.setModel(() => ({ body: '1e308\n-2.5\n' }));
    const ok = await xgboost(predictEvent(JSON.stringify({ instances: stocksRecords(2) })));
    expect(JSON.parse(ok.body).predictions).toEqual([1e308, -2.5]);
  });
});
