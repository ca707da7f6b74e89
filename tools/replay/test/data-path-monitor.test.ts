import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MotoServer, startMotoServer } from '@freshet/test-utils';
import { preprocessStocks, startEndpointDescriber, STOCKS_CSV, STOCKS_SCHEMA } from './data-path-fixtures';
import { DEV_APP, PYTHON } from './helpers';
import { readApp } from '../src/app/app-model';
import { MetricStore } from '../src/cloudwatch/metric-store';
import { CloudWatchEmulator } from '../src/emulators/cloudwatch';
import { DriftMonitor } from '../src/monitor/drift-monitor';
import { StageResolver } from '../src/monitor/stage-resolver';
import { installSimulatedDate } from '../src/runtime/bundled-handler';
import { parseScenario } from '../src/scenario/scenario';
import { SageMakerCaptureWriter } from '../src/serving/capture-writer';
import { readHistory } from '../src/traffic/history';
import { TrafficGenerator } from '../src/traffic/traffic';

jest.setTimeout(240_000);

const HOUR = 3_600_000;
const START = Date.parse('2026-01-05T00:00:00Z');

describe('the drift monitor: the app\'s state machine, the built planner and publisher, the monitor\'s own drift job', () => {
  const app = readApp(DEV_APP, 'Dev');
  const loop = app.loops.find((l) => l.monitorId === 'StocksMonitor')!;
  const resolver = new StageResolver(app.stacks);
  const lake = resolver.environment(loop.planner.logicalId, loop.planner.environment).LAKE_BUCKET;
  const saved = { ...process.env };
  let moto: MotoServer;
  let s3: S3Client;
  let describer: Awaited<ReturnType<typeof startEndpointDescriber>>;
  let cloudwatch: CloudWatchEmulator;
  const store = new MetricStore();
  let now = START;
  let restoreDate: () => void;

  beforeAll(async () => {
    moto = await startMotoServer();
    s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
    await s3.send(new CreateBucketCommand({ Bucket: lake }));
    const run = preprocessStocks('autogluon');
    await s3.send(new PutObjectCommand({ Bucket: lake, Key: 'baselines/run-1/baseline.json', Body: fs.readFileSync(path.join(run, 'training', 'baseline', 'baseline.json')) }));
    describer = await startEndpointDescriber({
      endpointName: loop.endpointName, configName: 'cfg-1', baselineUri: `s3://${lake}/baselines/run-1/`, deployedAt: START - HOUR, variants: ['AllTraffic'],
    });
    cloudwatch = new CloudWatchEmulator(() => undefined,
      (d) => store.put({ namespace: d.namespace, metricName: d.metricName, dimensions: d.dimensions }, d.time, d.value));
    await cloudwatch.start();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'replay',
      AWS_SECRET_ACCESS_KEY: 'replay',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_S3: moto.endpoint,
      AWS_ENDPOINT_URL_SAGEMAKER: describer.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
    });
    restoreDate = installSimulatedDate(() => now);
  });
  afterAll(async () => {
    restoreDate();
    process.env = saved;
    s3.destroy();
    await Promise.all([moto.stop(), describer.stop(), cloudwatch.stop()]);
  });

  /** A day of traffic captured as the endpoint captures it (the proxy's autogluon-csv rows with their header, one answer a line). */
  async function captureDay(dayStart: number, injections: unknown[]): Promise<number> {
    const history = readHistory(STOCKS_CSV, STOCKS_SCHEMA as any);
    const scenario = parseScenario(JSON.stringify({ days: 30, start: '2026-01-05', traffic: { requestsPerHour: 150 }, injections }));
    const traffic = new TrafficGenerator(history, scenario, { seedRows: 3000 });
    const writer = new SageMakerCaptureWriter(s3, 1);
    let records = 0;
    for (let h = 0; h < 24; h++) {
      for (const batch of traffic.batchesInHour(dayStart + h * HOUR)) {
        const rows = batch.records.map((r) => `${r.features.ticker_symbol},${r.features.sector},${r.features.change ?? ''}`);
        await writer.write({
          endpointName: loop.endpointName,
          variantName: 'AllTraffic',
          time: batch.time,
          inferenceId: `req-${batch.time}`,
          input: { contentType: 'text/csv', data: `ticker_symbol,sector,change\n${rows.join('\n')}\n` },
          output: { contentType: 'text/csv', data: `${batch.records.map((r) => r.label).join('\n')}\n` },
        }, { destinationS3Uri: `s3://${lake}/capture`, samplingPercentage: 100 });
        records += batch.records.length;
      }
    }
    return records;
  }

  test('an unchanged day publishes MaxFeatureDrift under the alarm\'s threshold; a day with change shifted by 2 standard deviations publishes it over', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-monitor-'));
    const monitor = new DriftMonitor({ loop, resolver, s3, python: PYTHON, workDir: work });
    const alarm = loop.watchedAlarms.find((a) => a.metricName === 'MaxFeatureDrift')!;
    try {
      const unchanged = await captureDay(START, []);
      now = START + 24 * HOUR + 5 * 60_000;
      const first = await monitor.runWindow(now);
      expect(first).toMatchObject({ status: 'SUCCEEDED', planStatus: 'ready', sampleSize: unchanged, windowEnd: '2026-01-06T00:00:00.000Z' });
      expect(first.visited).toEqual(['Plan window', 'Window ready?', 'Run drift job', 'Publish metrics', 'Published']);
      const firstDrift = store.statistic({ ...alarm, statistic: 'Maximum' }, START + 24 * HOUR, START + 25 * HOUR);
      expect(firstDrift).toBeDefined();
      expect(firstDrift!).toBeLessThan(alarm.threshold);

      await captureDay(START + 24 * HOUR, [{ kind: 'covariate-shift', fromDay: 0, feature: 'change', stdDevs: 2 }]);
      now = START + 48 * HOUR + 5 * 60_000;
      const second = await monitor.runWindow(now);
      expect(second).toMatchObject({ status: 'SUCCEEDED', planStatus: 'ready' });
      expect(second.features!.change.psi!).toBeGreaterThan(second.features!.change.threshold!);
      const secondDrift = store.statistic({ ...alarm, statistic: 'Maximum' }, START + 48 * HOUR, START + 49 * HOUR);
      expect(secondDrift!).toBeGreaterThan(alarm.threshold);
      // The planner's outcome datum: the window was measured.
      const unmonitored = store.values({ namespace: 'Freshet/ModelMonitor', metricName: 'UnmonitoredWindow', dimensions: { Endpoint: loop.endpointName } });
      expect(unmonitored.map((p) => p.value)).toEqual([0, 0]);
    } finally {
      await monitor.stop();
    }
  });

  test('a window with no capture ends "no-capture" and publishes UnmonitoredWindow 1 (what the unmonitored-traffic alarm reads)', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-monitor-'));
    const monitor = new DriftMonitor({ loop, resolver, s3, python: PYTHON, workDir: work });
    try {
      now = START + 10 * 24 * HOUR + 5 * 60_000;
      const run = await monitor.runWindow(now);
      expect(run).toMatchObject({ status: 'SUCCEEDED', planStatus: 'no-capture' });
      const unmonitored = store.values({ namespace: 'Freshet/ModelMonitor', metricName: 'UnmonitoredWindow', dimensions: { Endpoint: loop.endpointName } });
      expect(unmonitored[unmonitored.length - 1]).toEqual({ time: START + 10 * 24 * HOUR, value: 1 });
    } finally {
      await monitor.stop();
    }
  });
});
