import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DeleteEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { MotoServer, S3Emulator, startMotoServer, startS3Emulator } from '@freshet/test-utils';
import { startDescribeEndpointProxy, DescribeEndpointProxy } from './describe-endpoint-proxy';
import { BASELINE_TAG, hourPartitions, JOB_PATHS, PlannerConfig, planWindow, windowOf } from '../../src/handlers/drift-planner/plan-window';
import { OUTCOME_NAMESPACE, publishOutcome } from '../../src/handlers/drift-planner/publish-outcome';
import { DEFAULT_BYTES_PER_INSTANCE, instancesFor } from '../../src/handlers/drift-planner/scale-out';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const ENDPOINT = 'stocks-endpoint';
const config: PlannerConfig = {
  endpointName: ENDPOINT,
  lakeBucket: 'lake',
  captureBucket: 'lake',
  capturePrefix: `capture/${ENDPOINT}/`,
  groundTruthPrefix: `ground-truth/${ENDPOINT}/`,
  reportPrefix: `reports/drift/${ENDPOINT}/`,
  windowHours: 3,
  jobNamePrefix: 'dm-stocks',
  codeUri: 's3://assets/code.zip',
  sharedCodeUri: 's3://assets/shared.zip',
  jobArguments: ['drift_job.py', '--algorithm', 'xgboost'],
  qualityArguments: ['--quality-metric', 'rmse', '--quality-threshold', '5'],
};

let moto: MotoServer;
let s3emulator: S3Emulator;
let sageMaker: SageMakerClient;
let s3: S3Client;
let proxy: DescribeEndpointProxy;

/** What DescribeEndpoint says by default here: the config took over long before the test windows; one production, one shadow variant. */
const SERVING = {
  LastModifiedTime: Date.parse('2024-04-01T00:00:00Z') / 1000,
  ProductionVariants: [{ VariantName: 'AllTraffic' }],
  ShadowProductionVariants: [{ VariantName: 'Shadow' }],
};

beforeAll(async () => {
  [moto, s3emulator] = await Promise.all([startMotoServer(), startS3Emulator(['lake'])]);
  // moto sets LastModifiedTime to the wall clock and has no shadow variants: the proxy answers them at the network edge.
  proxy = await startDescribeEndpointProxy(moto.endpoint, SERVING);
  sageMaker = new SageMakerClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: s3emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, maxAttempts: 1 });
});

afterAll(async () => {
  sageMaker.destroy();
  s3.destroy();
  await Promise.all([moto.stop(), s3emulator.stop(), proxy.stop()]);
});

async function serve(configName: string, tags: { Key: string; Value: string }[], update = false): Promise<void> {
  await sageMaker.send(new CreateModelCommand({
    ModelName: `${configName}-model`,
    ExecutionRoleArn: 'arn:aws:iam::123456789012:role/model',
    PrimaryContainer: { Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: 's3://lake/models/run/model.tar.gz' },
  }));
  await sageMaker.send(new CreateEndpointConfigCommand({
    EndpointConfigName: configName,
    ProductionVariants: [
      { VariantName: 'AllTraffic', ModelName: `${configName}-model`, InitialInstanceCount: 1, InstanceType: 'ml.m5.large' },
      { VariantName: 'Shadow', ModelName: `${configName}-model`, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 0 },
    ],
    Tags: tags,
  }));
  // moto has no UpdateEndpoint: a new endpoint of the same name on the new config stands for the update.
  if (update) await sageMaker.send(new DeleteEndpointCommand({ EndpointName: ENDPOINT }));
  await sageMaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: configName }));
}

async function put(key: string, body = '{}'): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: body }));
}

async function read(uri: string): Promise<unknown> {
  const [, bucket, key] = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!;
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await object.Body!.transformToString());
}

const clients = () => ({ sageMaker, s3 });
const event = { scheduledTime: '2024-05-01T03:05:00Z', executionName: 'run-1' };

test('the window is the whole hours before the scheduled hour, in the partitions SageMaker writes', () => {
  const { start, end } = windowOf({ scheduledTime: '2024-05-01T01:05:00Z', startTime: '2030-01-01T00:00:00Z', executionName: 'x' }, 3);
  expect([start.toISOString(), end.toISOString()]).toEqual(['2024-04-30T22:00:00.000Z', '2024-05-01T01:00:00.000Z']);
  expect(hourPartitions(start, end)).toEqual(['2024/04/30/22/', '2024/04/30/23/', '2024/05/01/00/']);
  // A manual start (no scheduled time) uses the execution's start time.
  expect(windowOf({ startTime: '2024-05-01T10:59:59Z', executionName: 'x' }, 1).end.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  expect(() => windowOf({ executionName: 'x' }, 1)).toThrow(/scheduledTime or startTime/);
});

describe('against SageMaker and S3 emulators', () => {
  test('no endpoint yet: a clear status, no job', async () => {
    const plan = await planWindow(clients(), config, event);
    expect(plan).toMatchObject({ status: 'no-endpoint', captureObjects: 0 });
    expect(plan.message).toMatch(/does not exist yet/);
    expect(plan.jobName).toBeUndefined();
  });

  test('the seed model (a config without the baseline tag): no baseline, no job', async () => {
    await serve('seed-config', [{ Key: 'owner', Value: 'cloudformation' }]);
    await put(`capture/${ENDPOINT}/AllTraffic/2024/05/01/02/a.jsonl`);
    const plan = await planWindow(clients(), config, event);
    expect(plan).toMatchObject({ status: 'no-baseline', endpointConfigName: 'seed-config' });
    expect(plan.message).toMatch(/No baseline for the serving model/);
    expect(plan.processingInputs).toBeUndefined();
  });

  test('a baseline outside the lake\'s baselines/ is refused', async () => {
    await serve('foreign-config', [{ Key: BASELINE_TAG, Value: 's3://elsewhere/baselines/run-0/' }], true);
    const plan = await planWindow(clients(), config, event);
    expect(plan).toMatchObject({ status: 'foreign-baseline', baselineUri: 's3://elsewhere/baselines/run-0/' });
  });

  test('the serving config\'s baseline, every variant\'s capture in the window, ground truth: manifests and job inputs', async () => {
    // The newest baseline on disk is not the serving model's: the tag decides.
    await put('baselines/run-9/statistics.json');
    await put('evaluation/run-7/prediction-baseline.json');
    await serve('ct-stocks-config-abc', [{ Key: BASELINE_TAG, Value: 's3://lake/baselines/run-7' }], true);
    const inWindow = [
      `capture/${ENDPOINT}/AllTraffic/2024/05/01/00/a.jsonl`,
      `capture/${ENDPOINT}/AllTraffic/2024/05/01/02/b.jsonl`,
      `capture/${ENDPOINT}/Shadow/2024/05/01/01/c.jsonl`,
    ];
    for (const key of inWindow) await put(key);
    // Outside the window (before it, and the scheduled hour itself), and another endpoint.
    await put(`capture/${ENDPOINT}/AllTraffic/2024/04/30/23/old.jsonl`);
    await put(`capture/${ENDPOINT}/AllTraffic/2024/05/01/03/late.jsonl`);
    await put('capture/other-endpoint/AllTraffic/2024/05/01/01/x.jsonl');
    // A variant the endpoint no longer serves.
    await put(`capture/${ENDPOINT}/Retired/2024/05/01/01/r.jsonl`);
    await put(`ground-truth/${ENDPOINT}/2024/05/01/01/labels.jsonl`);

    const plan = await planWindow(clients(), config, event);
    expect(plan).toMatchObject({
      status: 'ready',
      baselineUri: 's3://lake/baselines/run-7/',
      windowStart: '2024-05-01T00:00:00.000Z',
      windowEnd: '2024-05-01T03:00:00.000Z',
      window: '2024-05-01T03-00-00Z',
      reportUri: `s3://lake/reports/drift/${ENDPOINT}/2024-05-01T03-00-00Z/`,
      captureObjects: 4, // 3 here + the seed test's 02/a.jsonl
      groundTruthObjects: 1,
      productionVariants: ['AllTraffic'],
      shadowVariants: ['Shadow'],
    });
    expect(plan.jobName).toMatch(/^dm-stocks-drift-[0-9a-f]{32}$/);
    expect(plan.jobName!.length).toBeLessThanOrEqual(63);

    const inputs = plan.processingInputs as { InputName: string; S3Input: { S3Uri: string; LocalPath: string; S3DataType: string } }[];
    expect(inputs.map((i) => [i.InputName, i.S3Input.LocalPath, i.S3Input.S3DataType])).toEqual([
      ['code', JOB_PATHS.code, 'S3Prefix'],
      ['shared', JOB_PATHS.shared, 'S3Prefix'],
      ['capture', JOB_PATHS.capture, 'ManifestFile'],
      ['baseline', JOB_PATHS.baseline, 'S3Prefix'],
      ['prediction-baseline', JOB_PATHS.predictionBaseline, 'S3Prefix'],
      ['ground-truth', JOB_PATHS.groundTruth, 'ManifestFile'],
    ]);
    expect(inputs[4].S3Input.S3Uri).toBe('s3://lake/evaluation/run-7/prediction-baseline.json');
    expect(inputs[3].S3Input.S3Uri).toBe('s3://lake/baselines/run-7/');
    const manifest = await read(inputs[2].S3Input.S3Uri) as [{ prefix: string }, ...string[]];
    expect(manifest[0]).toEqual({ prefix: `s3://lake/capture/${ENDPOINT}/` });
    expect(manifest.slice(1).sort()).toEqual(['AllTraffic/2024/05/01/00/a.jsonl', 'AllTraffic/2024/05/01/02/a.jsonl', 'AllTraffic/2024/05/01/02/b.jsonl', 'Shadow/2024/05/01/01/c.jsonl']);
    expect(inputs[2].S3Input.S3Uri).toBe(`s3://lake/reports/drift/${ENDPOINT}/2024-05-01T03-00-00Z/manifests/capture.manifest`);
    expect(await read(inputs[5].S3Input.S3Uri)).toEqual([{ prefix: `s3://lake/ground-truth/${ENDPOINT}/` }, '2024/05/01/01/labels.jsonl']);

    expect(plan.containerArguments).toEqual([
      'drift_job.py', '--algorithm', 'xgboost',
      '--endpoint-name', ENDPOINT, '--window-start', '2024-05-01T00:00:00.000Z', '--window-end', '2024-05-01T03:00:00.000Z',
      '--capture-dir', JOB_PATHS.capture, '--baseline-dir', JOB_PATHS.baseline, '--report-dir', JOB_PATHS.report,
      '--production-variants', 'AllTraffic',
      '--prediction-baseline-dir', JOB_PATHS.predictionBaseline,
      '--ground-truth-dir', JOB_PATHS.groundTruth, '--quality-metric', 'rmse', '--quality-threshold', '5',
    ]);
  });

  test('no capture in the window: no job; without ground truth or a prediction baseline their inputs and arguments stay out', async () => {
    const empty = await planWindow(clients(), config, { scheduledTime: '2024-06-01T00:05:00Z', executionName: 'run-2' });
    expect(empty).toMatchObject({ status: 'no-capture', captureObjects: 0 });
    expect(empty.jobName).toBeUndefined();

    // A run whose evaluation left no prediction baseline (an older evaluate.py).
    await serve('ct-stocks-config-def', [{ Key: BASELINE_TAG, Value: 's3://lake/baselines/run-8/' }], true);
    const noQuality = await planWindow(clients(), { ...config, groundTruthPrefix: undefined }, { ...event, executionName: 'run-3' });
    expect(noQuality.status).toBe('ready');
    expect((noQuality.processingInputs as { InputName: string }[]).map((i) => i.InputName)).toEqual(['code', 'shared', 'capture', 'baseline']);
    expect(noQuality.containerArguments).not.toContain('--prediction-baseline-dir');
    expect(noQuality.containerArguments).not.toContain('--ground-truth-dir');
    expect(noQuality.containerArguments).not.toContain('--quality-metric');
  });

  test('a deploy mid-window: the window starts when the serving config took over, earlier hours are not listed', async () => {
    proxy.overrides = { ...SERVING, LastModifiedTime: Date.parse('2024-05-01T01:30:00Z') / 1000 };
    try {
      const plan = await planWindow(clients(), config, { ...event, executionName: 'run-mid' });
      expect(plan).toMatchObject({ status: 'ready', windowStart: '2024-05-01T01:30:00.000Z', windowEnd: '2024-05-01T03:00:00.000Z', deployedAt: '2024-05-01T01:30:00.000Z' });
      const args = plan.containerArguments!;
      expect(args[args.indexOf('--window-start') + 1]).toBe('2024-05-01T01:30:00.000Z');
      const inputs = plan.processingInputs as { InputName: string; S3Input: { S3Uri: string } }[];
      const manifest = await read(inputs.find((i) => i.InputName === 'capture')!.S3Input.S3Uri) as [{ prefix: string }, ...string[]];
      // 00/ holds only the previous model's traffic; hour 01 is listed (the job drops its requests before 01:30).
      expect(manifest.slice(1).sort()).toEqual(['AllTraffic/2024/05/01/02/a.jsonl', 'AllTraffic/2024/05/01/02/b.jsonl', 'Shadow/2024/05/01/01/c.jsonl']);
    } finally {
      proxy.overrides = SERVING;
    }
  });

  test('a config that took over after the window\'s end: new-deployment, no job, and it is not an unmonitored window', async () => {
    proxy.overrides = { ...SERVING, LastModifiedTime: Date.parse('2024-05-01T03:02:00Z') / 1000 };
    try {
      const plan = await planWindow(clients(), config, { ...event, executionName: 'run-new' });
      expect(plan).toMatchObject({ status: 'new-deployment', captureObjects: 0 });
      expect(plan.message).toMatch(/took over at 2024-05-01T03:02:00.000Z, after the window's end/);
      expect(plan.jobName).toBeUndefined();
    } finally {
      proxy.overrides = SERVING;
    }
  });

  describe('scale-out: a window past bytesPerInstance', () => {
    // Three capture files of 1,000 bytes each in a window of their own, one production variant and no shadow.
    const scaleEvent = { scheduledTime: '2024-08-01T03:05:00Z', executionName: 'run-scale' };
    const scaled = { ...config, groundTruthPrefix: undefined, maxInstanceCount: 20, bytesPerInstance: 1000 };
    beforeAll(async () => {
      for (const hour of ['00', '01', '02']) await put(`capture/${ENDPOINT}/AllTraffic/2024/08/01/${hour}/part.jsonl`, 'x'.repeat(1000));
      proxy.overrides = { ...SERVING, ShadowProductionVariants: [] };
    });
    afterAll(() => {
      proxy.overrides = SERVING;
    });

    test('is counted on ceil(bytes / bytesPerInstance) instances over ShardedByS3Key capture, and summed by a second job', async () => {
      const plan = await planWindow(clients(), scaled, scaleEvent);
      expect(plan).toMatchObject({ status: 'ready', captureObjects: 3, captureBytes: 3000, instanceCount: 3 });
      const inputs = plan.processingInputs as { InputName: string; S3Input: { S3DataDistributionType: string } }[];
      expect(inputs.map((i) => [i.InputName, i.S3Input.S3DataDistributionType])).toEqual([
        ['code', 'FullyReplicated'], ['shared', 'FullyReplicated'], ['capture', 'ShardedByS3Key'], ['baseline', 'FullyReplicated'],
      ].concat(inputs.length === 5 ? [['prediction-baseline', 'FullyReplicated']] : []));
      const args = plan.containerArguments!;
      expect(args.slice(-2)).toEqual(['--counts-output', JOB_PATHS.counts]);
      // The job refuses --production-variants in shards; with no shadow every listed file is production traffic.
      expect(args).not.toContain('--production-variants');
      expect(args[args.indexOf('--capture-dir') + 1]).toBe(JOB_PATHS.capture);

      expect(plan.countsUri).toBe(`${plan.reportUri}counts/`);
      expect(plan.sumJobName).toBe(`${plan.jobName}-sum`);
      // The longest prefix (20) still gives a valid SageMaker job name.
      expect(`${'p'.repeat(20)}${plan.sumJobName!.slice('dm-stocks'.length)}`.length).toBeLessThanOrEqual(63);
      const sumInputs = plan.sumInputs as { InputName: string; S3Input: { S3Uri: string; LocalPath: string; S3DataDistributionType: string } }[];
      expect(sumInputs.map((i) => i.InputName)).toEqual(inputs.filter((i) => i.InputName !== 'capture').map((i) => i.InputName).concat('counts'));
      expect(sumInputs.at(-1)!.S3Input).toMatchObject({ S3Uri: plan.countsUri, LocalPath: JOB_PATHS.counts, S3DataDistributionType: 'FullyReplicated' });
      const sumArgs = plan.sumArguments!;
      expect(sumArgs.slice(-2)).toEqual(['--counts-input', JOB_PATHS.counts]);
      expect(sumArgs).not.toContain('--capture-dir');
      expect(sumArgs).not.toContain('--counts-output');
      expect(sumArgs[sumArgs.indexOf('--report-dir') + 1]).toBe(JOB_PATHS.report);
      expect(sumArgs[sumArgs.indexOf('--baseline-dir') + 1]).toBe(JOB_PATHS.baseline);
    });

    test('the cap holds, and a window under the threshold stays on one instance with today\'s plan', async () => {
      expect((await planWindow(clients(), { ...scaled, maxInstanceCount: 2 }, scaleEvent)).instanceCount).toBe(2);
      const small = await planWindow(clients(), { ...scaled, bytesPerInstance: 3000 }, scaleEvent);
      const today = await planWindow(clients(), { ...config, groundTruthPrefix: undefined }, scaleEvent);
      for (const plan of [small, today]) {
        expect(plan.instanceCount).toBe(1);
        expect(plan.countsUri).toBeUndefined();
        expect(plan.sumJobName).toBeUndefined();
        expect(plan.containerArguments).toContain('--production-variants');
        expect(plan.containerArguments).not.toContain('--counts-output');
        expect((plan.processingInputs as { S3Input: { S3DataDistributionType: string } }[]).every((i) => i.S3Input.S3DataDistributionType === 'FullyReplicated')).toBe(true);
      }
      expect(small.containerArguments).toEqual(today.containerArguments);
    });

    test('shadow variants, ground truth in the window and DeepAR keep one instance, and the plan says why', async () => {
      await put(`ground-truth/${ENDPOINT}/2024/08/01/01/labels.jsonl`);
      const quality = await planWindow(clients(), { ...scaled, groundTruthPrefix: config.groundTruthPrefix }, scaleEvent);
      expect(quality).toMatchObject({ instanceCount: 1, singleInstanceReason: expect.stringMatching(/model quality .* asked for 3 instances/) });
      expect(quality.containerArguments).toContain('--ground-truth-dir');
      const deepar = await planWindow(clients(), { ...scaled, shardable: false }, scaleEvent);
      expect(deepar).toMatchObject({ instanceCount: 1, singleInstanceReason: expect.stringMatching(/DeepAR/) });
      proxy.overrides = SERVING;
      const shadow = await planWindow(clients(), scaled, scaleEvent);
      expect(shadow).toMatchObject({ instanceCount: 1, singleInstanceReason: expect.stringMatching(/shadow variants \(Shadow\)/) });
      expect(shadow.message).toMatch(/One instance: shadow variants/);
    });
  });

  test('other SageMaker errors propagate, so the run fails and the monitor-failure alarm fires', async () => {
    const broken = new SageMakerClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials, maxAttempts: 1 });
    await expect(planWindow({ sageMaker: broken, s3 }, config, event)).rejects.toThrow();
    broken.destroy();
  });
});

describe('the outcome metric against the CloudWatch emulator', () => {
  let cloudWatch: CloudWatchClient;
  beforeAll(() => {
    cloudWatch = new CloudWatchClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  });
  afterAll(() => cloudWatch.destroy());

  // Maximum: moto also matches datums whose dimensions include more than the ones asked for (CloudWatch does not).
  async function value(end: string, dimensions: { Name: string; Value: string }[]): Promise<number | undefined> {
    const answer = await cloudWatch.send(new GetMetricStatisticsCommand({
      Namespace: OUTCOME_NAMESPACE,
      MetricName: 'UnmonitoredWindow',
      Dimensions: dimensions,
      StartTime: new Date(Date.parse(end) - 60_000),
      EndTime: new Date(Date.parse(end) + 60_000),
      Period: 60,
      Statistics: ['Maximum'],
    }));
    return answer.Datapoints?.[0]?.Maximum;
  }

  test('no capture, no baseline and a foreign baseline publish 1 (with the reason); a ready window publishes 0', async () => {
    const endpoint = [{ Name: 'Endpoint', Value: ENDPOINT }];
    const base = { endpointName: ENDPOINT, window: 'w', reportUri: 's3://lake/r/', captureObjects: 0, groundTruthObjects: 0, message: 'm', windowStart: '2024-07-01T00:00:00.000Z' };
    const cases = [['no-capture', '2024-07-01T01:00:00.000Z', 1], ['no-baseline', '2024-07-01T02:00:00.000Z', 1], ['foreign-baseline', '2024-07-01T03:00:00.000Z', 1],
      ['ready', '2024-07-01T04:00:00.000Z', 0], ['new-deployment', '2024-07-01T05:00:00.000Z', 0], ['no-endpoint', '2024-07-01T06:00:00.000Z', 0]] as const;
    for (const [status, windowEnd, expected] of cases) {
      const published = await publishOutcome(cloudWatch, { ...base, status, windowEnd });
      expect(published).toBe(expected === 1 ? 2 : 1);
      expect(await value(windowEnd, endpoint)).toBe(expected);
      expect(await value(windowEnd, [...endpoint, { Name: 'Reason', Value: status }])).toBe(expected === 1 ? 1 : undefined);
    }
  });
});

test('the instance count: one per bytesPerInstance, at most the cap and one per capture file', () => {
  const work = { quality: false, shadows: [] };
  expect(instancesFor({}, 10 * DEFAULT_BYTES_PER_INSTANCE, 100, work)).toEqual({ instanceCount: 1 });
  expect(instancesFor({ maxInstanceCount: 20 }, DEFAULT_BYTES_PER_INSTANCE, 100, work)).toEqual({ instanceCount: 1 });
  expect(instancesFor({ maxInstanceCount: 20 }, DEFAULT_BYTES_PER_INSTANCE + 1, 100, work)).toEqual({ instanceCount: 2 });
  expect(instancesFor({ maxInstanceCount: 5 }, 100 * DEFAULT_BYTES_PER_INSTANCE, 100, work)).toEqual({ instanceCount: 5 });
  // ShardedByS3Key deals whole files: 2 files feed 2 instances at most.
  expect(instancesFor({ maxInstanceCount: 20 }, 100 * DEFAULT_BYTES_PER_INSTANCE, 2, work)).toEqual({ instanceCount: 2 });
});
