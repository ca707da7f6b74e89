import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MotoServer, startMotoServer } from '@freshet/test-utils';
import { servingXgboost, STOCKS_CSV, STOCKS_SCHEMA, trainStocksXgboost } from './data-path-fixtures';
import { DEV_APP, PYTHON } from './helpers';
import { readApp } from '../src/app/app-model';
import { installSimulatedDate } from '../src/runtime/bundled-handler';
import { parseScenario } from '../src/scenario/scenario';
import { SageMakerCaptureWriter } from '../src/serving/capture-writer';
import { EndpointRuntime } from '../src/serving/endpoint-runtime';
import { PredictApi, predictProxyOf } from '../src/serving/predict-api';
import { readHistory } from '../src/traffic/history';
import { TrafficGenerator } from '../src/traffic/traffic';

jest.setTimeout(240_000);

const ENDPOINT = 'devserving-stocksendpoint-a6b4fbe2';
const START = Date.parse('2026-01-05T00:00:00Z');

describe('serving: the built predict proxy, the model\'s own inference.py, capture as SageMaker writes it', () => {
  let moto: MotoServer;
  let s3: S3Client;
  let modelDir: string;
  let now = START;
  const saved = { ...process.env };

  beforeAll(async () => {
    ({ modelDir } = trainStocksXgboost(3000));
    moto = await startMotoServer();
    s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'replay', AWS_SECRET_ACCESS_KEY: 'replay', AWS_MAX_ATTEMPTS: '1' });
  });
  afterAll(async () => {
    process.env = saved;
    s3.destroy();
    await moto.stop();
  });

  test('an hour of stocks traffic is answered by the model through the proxy, and every invocation is captured under capture/<endpoint>/<variant>/yyyy/mm/dd/hh/', async () => {
    const history = readHistory(STOCKS_CSV, STOCKS_SCHEMA as any);
    const scenario = parseScenario(JSON.stringify({ days: 1, start: '2026-01-05', traffic: { requestsPerHour: 150 }, injections: [] }));
    const traffic = new TrafficGenerator(history, scenario, { seedRows: 3000 });
    const capture = new SageMakerCaptureWriter(s3, 1);
    const model = servingXgboost(modelDir, ENDPOINT, START, { destinationS3Uri: 's3://lake/capture', samplingPercentage: 100 });
    const source = { servingModels: (name: string) => (name === ENDPOINT ? [model] : []) };
    const runtime = new EndpointRuntime({ source, capture, clock: () => now, python: () => PYTHON });
    await runtime.start();
    const restore = installSimulatedDate(() => now);
    try {
      process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = runtime.endpoint;
      // The Dev stage's proxy bundle as built; its payload format set to the model's (Dev serves AutoGluon).
      const proxy = predictProxyOf(readApp(DEV_APP, 'Dev'), ENDPOINT);
      const api = new PredictApi({ ...proxy, environment: { ...proxy.environment, PAYLOAD_FORMAT: 'xgboost-csv' } });
      const batches = traffic.batchesInHour(START + 9 * 3_600_000);
      expect(batches).toHaveLength(1);
      now = batches[0].time;
      const answer = await api.send(batches[0], 'req-0009-0');
      if (answer.statusCode !== 200) process.stderr.write(`${JSON.stringify(answer)} ${JSON.stringify(runtime.modelErrors)}\n`);
      expect(answer).toMatchObject({ statusCode: 200 });
      expect(answer.predictions).toHaveLength(batches[0].records.length);
      // A regression model of prices: finite predictions in the history's price range, not one constant.
      const predictions = answer.predictions as number[];
      expect(predictions.every((p) => Number.isFinite(p) && p > 0 && p < 1000)).toBe(true);
      expect(new Set(predictions.map((p) => p.toFixed(3))).size).toBeGreaterThan(5);
      expect(answer.variant).toBe('AllTraffic');
      expect(runtime.served).toEqual([expect.objectContaining({ inferenceId: 'req-0009-0', modelName: model.modelName, variantName: 'AllTraffic' })]);

      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: `capture/${ENDPOINT}/AllTraffic/2026/01/05/09/` }));
      expect(listed.Contents).toHaveLength(1);
      const object = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: listed.Contents![0].Key! }));
      const line = JSON.parse((await object.Body!.transformToString()).trim());
      expect(line.eventVersion).toBe('0');
      expect(line.eventMetadata).toEqual({ eventId: expect.any(String), inferenceId: 'req-0009-0', inferenceTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z') });
      expect(line.captureData.endpointInput).toEqual({ observedContentType: 'text/csv', mode: 'INPUT', encoding: 'CSV', data: expect.any(String) });
      expect(line.captureData.endpointInput.data.trim().split('\n')).toHaveLength(batches[0].records.length);
      const first = batches[0].records[0].features;
      expect(line.captureData.endpointInput.data.split('\n')[0]).toBe(`${first.ticker_symbol},${first.sector},${first.change}`);
      expect(line.captureData.endpointOutput.mode).toBe('OUTPUT');
      expect(line.captureData.endpointOutput.data.trim().split('\n').map(Number)).toEqual(predictions.map((p) => expect.closeTo(p, 4)));

      // Capture stops (the injection): traffic is still answered, nothing more is written.
      capture.stopped = true;
      const next = traffic.batchesInHour(START + 10 * 3_600_000)[0];
      now = next.time;
      expect((await api.send(next, 'req-0010-0')).statusCode).toBe(200);
      const after = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: `capture/${ENDPOINT}/` }));
      expect(after.Contents).toHaveLength(1);
      expect(runtime.served).toHaveLength(2);
    } finally {
      restore();
      await runtime.stop();
    }
  });

  test('before the first model serves, the proxy answers 503 FirstModelTraining (the endpoint does not exist yet)', async () => {
    const capture = new SageMakerCaptureWriter(s3, 1);
    const runtime = new EndpointRuntime({ source: { servingModels: () => [] }, capture, clock: () => now, python: () => PYTHON });
    await runtime.start();
    try {
      process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = runtime.endpoint;
      const proxy = predictProxyOf(readApp(DEV_APP, 'Dev'), ENDPOINT);
      const api = new PredictApi(proxy);
      const record = { features: { ticker_symbol: 'ELY', sector: 'FINANCIAL', change: 0.5 }, label: '99', row: [], injectedNull: false };
      const answer = await api.send({ time: now, records: [record] }, 'req-x');
      expect(answer).toMatchObject({ statusCode: 503 });
      expect(answer.error).toBe('FirstModelTraining');
    } finally {
      await runtime.stop();
    }
  });
});
