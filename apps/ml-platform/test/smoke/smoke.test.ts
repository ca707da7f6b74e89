import { spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateStreamCommand, KinesisClient, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MotoServer, startMotoServer } from '@freshet/test-utils';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { FakePredictApi } from './fake-predict-api';
import { FIRST_MODEL_TRAINING, pollutionRequest } from '../../src/smoke/predict-checks';
import { readSampleCsv } from '../../src/smoke/sample-csv';
import { SmokeClients, formatReport, runSmokeTests } from '../../src/smoke/smoke';
import { SmokeConfig, smokeConfigFromEnv } from '../../src/smoke/smoke-config';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIASMOKETESTFAKE', secretAccessKey: 'smoke-test-fake-secret' };
const SAMPLE = path.join(__dirname, '..', '..', 'src', 'smoke', 'stocks_sample.csv');
const PREFIXES = ['freshet-dev-StocksIngest-', 'freshet-dev-StocksEtl-', 'freshet-dev-StocksRetrain-'];

/** The deployed CSV ingest, as the smoke tests see it: objects under uploads/ become one JSON record per row on the stream. */
class FakeCsvIngest {
  private readonly done = new Set<string>();
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly s3: S3Client,
    private readonly kinesis: KinesisClient,
    private readonly bucket: string,
    private readonly stream: string,
  ) {}

  public start(): void {
    const loop = async () => {
      while (!this.stopped) {
        await this.ingestNewObjects();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    this.running = loop();
  }

  /** Stops, once the objects being ingested are done. */
  public async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async ingestNewObjects(): Promise<void> {
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: 'uploads/' }));
    for (const object of listed.Contents ?? []) {
      if (this.stopped || this.done.has(object.Key!)) continue;
      this.done.add(object.Key!);
      const text = await (await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: object.Key! }))).Body!.transformToString();
      const [header, ...lines] = text.trim().split('\n');
      const columns = header.split(',');
      const records = lines.map((line) => {
        const values = line.split(',');
        const row = Object.fromEntries(columns.map((c, i) => [c, c === 'change' || c === 'price' ? Number(values[i]) : values[i]]));
        return { PartitionKey: String(row.ticker_symbol), Data: Buffer.from(JSON.stringify(row)) };
      });
      await this.kinesis.send(new PutRecordsCommand({ StreamName: this.stream, Records: records }));
    }
  }
}

describe('the post-deployment smoke tests, against local fakes at the HTTP edge', () => {
  let moto: MotoServer;
  let api: FakePredictApi;
  let clients: SmokeClients;
  let ingest: FakeCsvIngest;
  let config: SmokeConfig;

  beforeAll(async () => {
    moto = await startMotoServer();
    api = await FakePredictApi.start(REGION, CREDENTIALS);
    const options = { region: REGION, endpoint: moto.endpoint, credentials: CREDENTIALS };
    clients = {
      s3: new S3Client({ ...options, forcePathStyle: true }),
      kinesis: new KinesisClient({ ...options, requestHandler: new NodeHttpHandler() }),
      cloudwatch: new CloudWatchClient(options),
      credentials: CREDENTIALS,
    };
  }, 60_000);

  afterAll(async () => {
    clients.s3.destroy();
    clients.kinesis.destroy();
    clients.cloudwatch.destroy();
    await api.stop();
    await moto.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    api.received.length = 0;
    const bucket = 'freshet-dev-landing';
    const stream = 'freshet-dev-stocks';
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
    await waitUntilStreamExists({ client: clients.kinesis, maxWaitTime: 30 }, { StreamName: stream });
    for (const prefix of PREFIXES) {
      await clients.cloudwatch.send(new PutMetricAlarmCommand({
        AlarmName: `${prefix}Failures`,
        Namespace: 'Freshet',
        MetricName: 'Failures',
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: ['arn:aws:sns:us-east-1:123456789012:alarms'],
      }));
    }
    api.answer('stocks', () => ({ status: 200, body: { prediction: 42.5, modelVersion: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks/1', variant: 'primary' } }));
    api.answer('pollution', () => ({ status: 200, body: { predictions: [{ mean: Array.from({ length: 24 }, (_, h) => 30 + h / 10) }], variant: 'primary' } }));
    ingest = new FakeCsvIngest(clients.s3, clients.kinesis, bucket, stream);
    ingest.start();
    config = smokeConfigFromEnv({
      SMOKE_REGION: REGION,
      STOCKS_API_URL: api.url('stocks'),
      POLLUTION_API_URL: api.url('pollution'),
      LANDING_BUCKET: bucket,
      UPLOAD_PREFIX: 'uploads/',
      STOCKS_STREAM: stream,
      STOCKS_TARGET_COLUMN: 'price',
      ALARM_NAME_PREFIXES: PREFIXES.join(','),
      SMOKE_SAMPLE_CSV: SAMPLE,
      SMOKE_UPLOAD_TIMEOUT_SECONDS: '20',
      SMOKE_POLL_INTERVAL_MS: '100',
    });
  }, 60_000);

  afterEach(async () => ingest?.stop());

  function result(report: Awaited<ReturnType<typeof runSmokeTests>>, name: string) {
    return report.results.find((r) => r.name === name)!;
  }

  test('a healthy stage passes every check, with signed requests in the documented shapes', async () => {
    const report = await runSmokeTests(config, clients);
    expect(formatReport(report)).toMatch(/Smoke tests passed\.$/);
    expect(report.results.map((r) => [r.name, r.status])).toEqual([
      ['stocks POST /predict', 'pass'],
      ['pollution POST /predict', 'pass'],
      ['CSV upload reaches the stream', 'pass'],
      ['ingest, ETL and retraining alarms', 'pass'],
    ]);
    expect(result(report, 'CSV upload reaches the stream').detail).toMatch(/its 10 rows reached freshet-dev-stocks/);
    expect(result(report, 'ingest, ETL and retraining alarms').detail).toBe('3 alarms under 3 prefixes, none in ALARM');
    // Both calls were signed for execute-api with the credentials, and verified; the stocks record leaves out the target.
    expect(api.received.map((r) => [r.path, r.signatureValid])).toEqual([['/stocks/prod/predict', true], ['/pollution/prod/predict', true]]);
    const firstRow = readSampleCsv(SAMPLE).rows[0];
    expect(api.received[0].body).toEqual({ ticker_symbol: firstRow.ticker_symbol, sector: firstRow.sector, change: Number(firstRow.change) });
    expect(api.received[1].body).toEqual(pollutionRequest());
  });

  test('a 5xx from the API fails with the status and the API\'s message', async () => {
    api.answer('stocks', () => ({ status: 502, body: { message: 'The model failed: ModelError' } }));
    const report = await runSmokeTests(config, clients);
    expect(report.passed).toBe(false);
    expect(result(report, 'stocks POST /predict')).toEqual({
      name: 'stocks POST /predict',
      status: 'fail',
      detail: `POST ${api.url('stocks')}predict answered 502: The model failed: ModelError`,
    });
    expect(formatReport(report)).toContain('Smoke tests failed: 1 of 4 checks.');
  });

  test('predictions in the wrong shape fail, saying which field is wrong', async () => {
    api.answer('stocks', () => ({ status: 200, body: { prediction: 'high', modelVersion: 'v1', variant: 'primary' } }));
    api.answer('pollution', () => ({ status: 200, body: { predictions: [{ quantiles: { 0.5: [1, 2] } }] } }));
    const report = await runSmokeTests(config, clients);
    expect(report.passed).toBe(false);
    expect(result(report, 'stocks POST /predict').detail).toBe(`POST ${api.url('stocks')}predict answered 200 in the wrong shape: 'prediction' must be a number, got "high"`);
    expect(result(report, 'pollution POST /predict').detail).toBe(`POST ${api.url('pollution')}predict answered 200 in the wrong shape: 'predictions[0].mean' must be a non-empty array of numbers, got undefined`);
  });

  test('an alarm in ALARM fails, naming the alarm and its reason', async () => {
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: 'freshet-dev-StocksEtl-Failures', StateValue: 'ALARM', StateReason: 'Threshold Crossed: 1 failed job run' }));
    const report = await runSmokeTests(config, clients);
    expect(report.passed).toBe(false);
    expect(result(report, 'ingest, ETL and retraining alarms')).toMatchObject({
      status: 'fail',
      detail: 'in ALARM: freshet-dev-StocksEtl-Failures (Threshold Crossed: 1 failed job run)',
    });
  });

  test('a prefix that names no alarm fails: the stage\'s alarms are missing', async () => {
    const report = await runSmokeTests({ ...config, alarmNamePrefixes: [...PREFIXES, 'freshet-dev-Nothing-'] }, clients);
    expect(result(report, 'ingest, ETL and retraining alarms').detail).toBe('no alarm is named freshet-dev-Nothing-*: the stage\'s alarms are missing or renamed');
  });

  test('rows that never reach the stream fail once the bound passes', async () => {
    await ingest.stop();
    const report = await runSmokeTests({ ...config, uploadTimeoutMs: 1_000 }, clients);
    const upload = result(report, 'CSV upload reaches the stream');
    expect(upload.status).toBe('fail');
    expect(upload.detail).toMatch(/^s3:\/\/freshet-dev-landing\/uploads\/smoke-tests\/.+\.csv was accepted, but 10 of its 10 rows had not reached the stream freshet-dev-stocks within 1 s/);
  });

  test('while no model has served, the proxy\'s 503 "first model is still training" passes with a warning; any other 503 fails', async () => {
    const training = 'A first model is still training: the endpoint appears when the first retraining run passes its quality gate. Retry after the Retry-After delay.';
    expect(training).toMatch(FIRST_MODEL_TRAINING);
    api.answer('stocks', () => ({ status: 503, body: { message: training } }));
    api.answer('pollution', () => ({ status: 503, body: { message: 'The model endpoint is busy or updating; retry after the Retry-After delay.' } }));
    const report = await runSmokeTests(config, clients);
    expect(result(report, 'stocks POST /predict').status).toBe('warn');
    expect(result(report, 'stocks POST /predict').detail).toContain('no model has served yet');
    expect(result(report, 'pollution POST /predict')).toMatchObject({ status: 'fail', detail: expect.stringContaining('answered 503: The model endpoint is busy') });
    expect(report.passed).toBe(false);
  });

  test('a request signed with other credentials is refused by the API, and the check fails', async () => {
    const report = await runSmokeTests(config, { ...clients, credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } });
    expect(result(report, 'stocks POST /predict').detail).toMatch(/answered 403: The request signature we calculated does not match/);
  });
});

describe('the smoke-test config', () => {
  test('names every missing environment variable', () => {
    expect(() => smokeConfigFromEnv({ SMOKE_REGION: 'us-east-1', STOCKS_API_URL: 'https://x/prod/' })).toThrow(
      'The smoke tests need these environment variables: POLLUTION_API_URL (the ozone forecast API URL (stack output PollutionApiUrl)), '
      + 'LANDING_BUCKET (the CSV landing bucket (stack output LandingBucketName)), UPLOAD_PREFIX (the CSV upload prefix (stack output UploadPrefix)), '
      + 'STOCKS_STREAM (the stocks stream (stack output StocksStreamName)), STOCKS_TARGET_COLUMN (the stocks target column), '
      + 'ALARM_NAME_PREFIXES (comma-separated alarm name prefixes).',
    );
  });
});

describe('the bundle the pipeline runs', () => {
  const bundleDir = path.join(__dirname, '..', '..', 'smoke-dist');

  test('smoke-dist holds smoke.js and the same sample CSV; run without its outputs, it exits 1 naming them', () => {
    expect(existsSync(path.join(bundleDir, 'smoke.js'))).toBe(true); // the build (npx projen compile) writes it
    expect(readFileSync(path.join(bundleDir, 'stocks_sample.csv'), 'utf8')).toBe(readFileSync(SAMPLE, 'utf8'));
    const run = spawnSync(process.execPath, [path.join(bundleDir, 'smoke.js')], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Smoke tests could not run: The smoke tests need these environment variables: SMOKE_REGION (the stage region)');
  });
});
