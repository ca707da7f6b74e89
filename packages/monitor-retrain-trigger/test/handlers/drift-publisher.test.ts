import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MotoServer, S3Emulator, startMotoServer, startS3Emulator } from '@freshet/test-utils';
import { checkMetrics, NAMESPACE, publishReport } from '../../src/handlers/drift-publisher/publish-metrics';

const ENDPOINT = 'stocks-endpoint';
const REPORT = `reports/drift/${ENDPOINT}/2024-05-01T03-00-00Z/`;
const WINDOW_END = '2024-05-01T03:00:00.000Z';

let moto: MotoServer;
let s3emulator: S3Emulator;
let cloudWatch: CloudWatchClient;
let s3: S3Client;

beforeAll(async () => {
  [moto, s3emulator] = await Promise.all([startMotoServer(), startS3Emulator(['lake'])]);
  cloudWatch = new CloudWatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: s3emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, maxAttempts: 1 });
});

beforeEach(() => moto.reset());

afterAll(async () => {
  cloudWatch.destroy();
  s3.destroy();
  await Promise.all([moto.stop(), s3emulator.stop()]);
});

const endpointDim = { Name: 'Endpoint', Value: ENDPOINT };
const feature = (name: string) => [endpointDim, { Name: 'Feature', Value: name }];

async function writeMetrics(entries: unknown, folder = REPORT): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: `${folder}metrics.json`, Body: typeof entries === 'string' ? entries : JSON.stringify(entries) }));
}

async function datapoint(metricName: string, dimensions: { Name: string; Value: string }[]): Promise<number | undefined> {
  const stats = await cloudWatch.send(new GetMetricStatisticsCommand({
    Namespace: NAMESPACE,
    MetricName: metricName,
    Dimensions: dimensions,
    StartTime: new Date('2024-05-01T02:00:00Z'),
    EndTime: new Date('2024-05-01T04:00:00Z'),
    Period: 3600,
    Statistics: ['Maximum'],
  }));
  return stats.Datapoints?.[0]?.Maximum;
}

test('publishes every metric of the report at the window end, with its dimensions', async () => {
  await writeMetrics([
    { MetricName: 'FeatureDrift', Dimensions: feature('change'), Value: 0.41, Unit: 'None' },
    { MetricName: 'FeatureDrift', Dimensions: feature('sector'), Value: 0.27, Unit: 'None' },
    { MetricName: 'FeatureDrift', Dimensions: feature('ticker_symbol'), Value: 0.01, Unit: 'None' },
    { MetricName: 'MaxFeatureDrift', Dimensions: [endpointDim], Value: 0.41, Unit: 'None' },
    { MetricName: 'PredictionDrift', Dimensions: [endpointDim], Value: 0.05 },
    { MetricName: 'SampleSize', Dimensions: [endpointDim], Value: 2400, Unit: 'Count' },
    { MetricName: 'ModelQuality', Dimensions: [endpointDim, { Name: 'Metric', Value: 'rmse' }], Value: 3.2 },
    // A dead sensor: what the NullShareIncrease and InvalidShareIncrease alarms read.
    { MetricName: 'MaxNullShareIncrease', Dimensions: [endpointDim], Value: 0.95, Unit: 'None' },
    { MetricName: 'MaxInvalidShareIncrease', Dimensions: [endpointDim], Value: 0, Unit: 'None' },
  ]);
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${REPORT}`, windowEnd: WINDOW_END });
  expect(result).toEqual({ published: 9, rejected: 0, rejections: [] });
  expect(await datapoint('MaxNullShareIncrease', [endpointDim])).toBeCloseTo(0.95, 9);
  expect(await datapoint('MaxInvalidShareIncrease', [endpointDim])).toBe(0);
  expect(await datapoint('FeatureDrift', feature('change'))).toBeCloseTo(0.41, 9);
  expect(await datapoint('FeatureDrift', feature('sector'))).toBeCloseTo(0.27, 9);
  expect(await datapoint('MaxFeatureDrift', [endpointDim])).toBeCloseTo(0.41, 9);
  expect(await datapoint('SampleSize', [endpointDim])).toBe(2400);
  expect(await datapoint('ModelQuality', [endpointDim, { Name: 'Metric', Value: 'rmse' }])).toBeCloseTo(3.2, 9);
  const listed = await cloudWatch.send(new ListMetricsCommand({ Namespace: NAMESPACE }));
  expect(listed.Metrics).toHaveLength(9);
});

test('"not enough data": only the sample size and corrupt count are published, so drift alarms see missing data', async () => {
  await writeMetrics([
    { MetricName: 'SampleSize', Dimensions: [endpointDim], Value: 12, Unit: 'Count' },
    { MetricName: 'CorruptRecords', Dimensions: [endpointDim], Value: 3, Unit: 'Count' },
  ]);
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${REPORT}`, windowEnd: WINDOW_END });
  expect(result.published).toBe(2);
  expect(await datapoint('MaxFeatureDrift', [endpointDim])).toBeUndefined();
  expect(await datapoint('CorruptRecords', [endpointDim])).toBe(3);
});

test('foreign, malformed and unknown entries are rejected, logged and counted, and the rest still published', async () => {
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  await writeMetrics([
    { MetricName: 'MaxFeatureDrift', Dimensions: [endpointDim], Value: 0.3 },
    { MetricName: 'MaxFeatureDrift', Dimensions: [{ Name: 'Endpoint', Value: 'pollution-endpoint' }], Value: 9 },
    { MetricName: 'FeatureDrift', Dimensions: [endpointDim], Value: 0.2 },
    { MetricName: 'Bitcoin', Dimensions: [endpointDim], Value: 1 },
    { MetricName: 'PredictionDrift', Dimensions: [endpointDim], Value: 'NaN' },
    { MetricName: 'SampleSize', Dimensions: [endpointDim], Value: 10, Unit: 'Parsecs' },
  ]);
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${REPORT}`, windowEnd: WINDOW_END });
  expect(result.published).toBe(1);
  expect(result.rejected).toBe(5);
  expect(result.rejections).toEqual([
    'entry 1: the Endpoint dimension is not stocks-endpoint',
    'entry 2: dimensions ["Endpoint"] are not ["Endpoint","Feature"]',
    'entry 3: unknown metric name "Bitcoin"',
    'entry 4: value "NaN" is not a finite number',
    'entry 5: unit "Parsecs" is not a CloudWatch unit',
  ]);
  expect(await datapoint('RejectedMetrics', [endpointDim])).toBe(5);
  expect(await datapoint('MaxFeatureDrift', [endpointDim])).toBeCloseTo(0.3, 9);
  expect(errors.mock.calls.some(([line]) => JSON.parse(String(line)).rejected === 5)).toBe(true);
  errors.mockRestore();
});

test('a metrics.json that is not a list is rejected as a whole and counted', async () => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  await writeMetrics('{"oops": ');
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${REPORT}`, windowEnd: WINDOW_END });
  expect(result).toMatchObject({ published: 0, rejected: 1 });
  expect(await datapoint('RejectedMetrics', [endpointDim])).toBe(1);
  expect(checkMetrics(null, ENDPOINT).rejections).toEqual(['metrics.json is not a JSON list']);
});

test('a missing report fails the run (so the monitor-failure alarm fires) and a bad URI says what is wrong', async () => {
  await expect(publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: 's3://lake/reports/drift/none/', windowEnd: WINDOW_END })).rejects.toThrow();
  await expect(publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: 'lake/x', windowEnd: WINDOW_END })).rejects.toThrow(/not an s3:\/\/ URI/);
});

test('more metrics than one PutMetricData call takes are sent in batches', async () => {
  const many = Array.from({ length: 1200 }, (_, i) => ({ MetricName: 'NullShare', Dimensions: feature(`f${i}`), Value: i / 1200 }));
  await writeMetrics(many);
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${REPORT}`, windowEnd: WINDOW_END });
  expect(result.published).toBe(1200);
  expect(await datapoint('NullShare', feature('f1199'))).toBeCloseTo(1199 / 1200, 9);
});
