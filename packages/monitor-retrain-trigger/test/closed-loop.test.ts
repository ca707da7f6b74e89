/**
 * Acceptance 5, the closed loop executed locally: shifted capture (encoded by the proxy's real codec)
 * -> the planner, against S3 and SageMaker emulators, finds the serving model's baseline by its tag
 * -> drift_job.py runs on the planned inputs -> the publisher puts its metrics into moto's CloudWatch
 * -> the synthesized MaxFeatureDrift alarm's threshold and M-of-N decide ALARM on those datapoints
 * -> the ALARM state change matches the synthesized rule's pattern (moto's EventBridge rule engine)
 * -> H5's trigger handler starts the pipeline's state machine in moto
 * -> RetrainPipeline's synthesized definition runs in the ASL engine to a deploy, `reason` carried through.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateStateMachineCommand, DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fakeReference, runStateMachine, S3Emulator, startS3Emulator, synthesizedDefinition, templateFromAssembly } from '@freshet/test-utils';
import { buildMonitor, ENDPOINT } from './fixtures/monitors';
import { DescribeEndpointProxy, startDescribeEndpointProxy } from './handlers/describe-endpoint-proxy';
import { TriggerHarness } from './handlers/trigger-harness';
import { BASELINE_TAG, JOB_PATHS, PlannerConfig, planWindow, WindowPlan } from '../src/handlers/drift-planner/plan-window';
import { NAMESPACE, publishReport } from '../src/handlers/drift-publisher/publish-metrics';

/**
 * RetrainPipeline's own fake of SageMaker, S3, SNS and Lambda for its execution tests (required, not
 * imported: it lives outside this package's TypeScript root).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { FakeAws } = require('../../retrain-pipeline/test/execution/fixtures/fake-aws');

const PYTHON = path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'python');
const LAKE = 'lake';
const SERVING_RUN = 'nightly-2026-11-30';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const HOUR = 3_600_000;

let harness: TriggerHarness;
let s3emulator: S3Emulator;
let s3: S3Client;
let sageMaker: SageMakerClient;
let cloudWatch: CloudWatchClient;
let events: EventBridgeClient;
let sqs: SQSClient;
let work: string;
let describeProxy: DescribeEndpointProxy;

beforeAll(async () => {
  harness = await TriggerHarness.start();
  s3emulator = await startS3Emulator([LAKE]);
  s3 = new S3Client({ endpoint: s3emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true, maxAttempts: 1 });
  // moto dates the endpoint's LastModifiedTime now; the serving config took over before the test's windows.
  describeProxy = await startDescribeEndpointProxy(harness.moto.endpoint, { LastModifiedTime: Date.parse('2026-11-30T12:00:00Z') / 1000 });
  sageMaker = new SageMakerClient({ endpoint: describeProxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  cloudWatch = new CloudWatchClient({ endpoint: harness.moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  events = new EventBridgeClient({ endpoint: harness.moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  sqs = new SQSClient({ endpoint: harness.moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'closed-loop-'));
});

afterAll(async () => {
  for (const client of [s3, sageMaker, cloudWatch, events, sqs]) client.destroy();
  await Promise.all([harness.stop(), s3emulator.stop(), describeProxy.stop()]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Every file under a folder, relative to it. */
function files(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

async function upload(dir: string, prefix: string): Promise<void> {
  for (const file of files(dir)) {
    await s3.send(new PutObjectCommand({ Bucket: LAKE, Key: `${prefix}${file.split(path.sep).join('/')}`, Body: fs.readFileSync(path.join(dir, file)) }));
  }
}

async function download(bucket: string, key: string, to: string): Promise<void> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.writeFileSync(to, Buffer.from(await object.Body!.transformToByteArray()));
}

const parse = (uri: string) => /^s3:\/\/([^/]+)\/(.*)$/.exec(uri)!.slice(1) as [string, string];

/**
 * What SageMaker Processing does with the plan: stages each input in its local path (S3Prefix: the
 * objects under the prefix; ManifestFile: each listed key under the manifest's prefix), runs the job's
 * arguments, and uploads the report folder to the plan's report URI at the end of the job.
 */
async function playProcessingJob(plan: WindowPlan, code: string): Promise<void> {
  const root = fs.mkdtempSync(path.join(work, 'job-'));
  const local = (p: string) => p.replace('/opt/ml/processing', root);
  for (const input of plan.processingInputs as { InputName: string; S3Input: { S3Uri: string; LocalPath: string; S3DataType: string } }[]) {
    // The code inputs are the CDK assets; the job's code folder stands for their unpacked zips.
    if (input.InputName === 'code' || input.InputName === 'shared') continue;
    const [bucket, key] = parse(input.S3Input.S3Uri);
    if (input.S3Input.S3DataType === 'ManifestFile') {
      const manifestPath = path.join(root, 'manifest.json');
      await download(bucket, key, manifestPath);
      const [{ prefix }, ...keys] = JSON.parse(fs.readFileSync(manifestPath, 'utf-8')) as [{ prefix: string }, ...string[]];
      const [prefixBucket, prefixKey] = parse(prefix);
      for (const k of keys) await download(prefixBucket, `${prefixKey}${k}`, path.join(local(input.S3Input.LocalPath), k));
    } else {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
      for (const object of listed.Contents ?? []) {
        const relative = object.Key === key ? path.basename(key) : object.Key!.slice(key.length);
        await download(bucket, object.Key!, path.join(local(input.S3Input.LocalPath), relative));
      }
    }
  }
  const [script, ...args] = plan.containerArguments!;
  execFileSync(PYTHON, ['-B', path.join(code, script), ...args.map(local), '--failure-file', path.join(root, 'message')], { cwd: root, encoding: 'utf-8' });
  const [reportBucket, reportKey] = parse(plan.reportUri);
  for (const file of files(local(JOB_PATHS.report))) {
    await s3.send(new PutObjectCommand({ Bucket: reportBucket, Key: `${reportKey}${file}`, Body: fs.readFileSync(path.join(local(JOB_PATHS.report), file)) }));
  }
}

/**
 * CloudWatch's alarm evaluation on the datapoints: the last EvaluationPeriods periods, missing data
 * as the alarm treats it, ALARM when at least DatapointsToAlarm of them breach.
 */
async function evaluateAlarm(alarm: any, end: Date): Promise<{ state: string; breaching: { time: Date; value: number }[] }> {
  const period = alarm.Period as number;
  const start = new Date(end.getTime() - alarm.EvaluationPeriods * period * 1000);
  const stats = await cloudWatch.send(new GetMetricStatisticsCommand({
    Namespace: alarm.Namespace,
    MetricName: alarm.MetricName,
    Dimensions: alarm.Dimensions,
    StartTime: start,
    EndTime: end,
    Period: period,
    Statistics: [alarm.Statistic],
  }));
  const compare: Record<string, (v: number) => boolean> = {
    GreaterThanThreshold: (v) => v > alarm.Threshold,
    GreaterThanOrEqualToThreshold: (v) => v >= alarm.Threshold,
    LessThanThreshold: (v) => v < alarm.Threshold,
    LessThanOrEqualToThreshold: (v) => v <= alarm.Threshold,
  };
  const breaching = (stats.Datapoints ?? [])
    .map((d) => ({ time: d.Timestamp!, value: (d as any)[alarm.Statistic] as number }))
    .filter((d) => compare[alarm.ComparisonOperator](d.value));
  // notBreaching: a period without a datapoint counts as good, so only datapoints can breach.
  expect(alarm.TreatMissingData).toBe('notBreaching');
  return { state: breaching.length >= alarm.DatapointsToAlarm ? 'ALARM' : 'OK', breaching };
}

test('shifted capture -> drift job -> metrics -> alarm -> rule -> trigger -> RetrainPipeline deploys, with the reason', async () => {
  // The app as synthesized: the monitor retrains through RetrainPipeline's state machine.
  const built = buildMonitor();
  const template = templateFromAssembly(built.stack);
  const resources = template.Resources!;
  const planner = Object.values(resources).find((r) => r.Type === 'AWS::Lambda::Function' && String(r.Properties?.Description).startsWith('Plans each'))!;
  const env = planner.Properties!.Environment.Variables;
  const [alarmId, alarm] = Object.entries(resources).find(([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.startsWith('MonitorAlarmsMaxFeatureDrift'))!;
  const rule = Object.values(resources).find((r) => r.Type === 'AWS::Events::Rule' && r.Properties?.EventPattern?.source?.[0] === 'aws.cloudwatch')!;

  // The serving model: an endpoint config RetrainPipeline created, tagged with its run's baseline.
  const world = JSON.parse(execFileSync(PYTHON, [path.join(__dirname, 'fixtures', 'stocks_world.py'), path.join(work, 'world'), 'shifted'], { encoding: 'utf-8' }));
  await upload(world.baseline, `baselines/${SERVING_RUN}/`);
  await upload(world.evaluation, `evaluation/${SERVING_RUN}/`);
  await upload(world.capture, 'capture/');
  await sageMaker.send(new CreateModelCommand({ ModelName: 'serving', ExecutionRoleArn: 'arn:aws:iam::123456789012:role/model', PrimaryContainer: { Image: 'image', ModelDataUrl: `s3://${LAKE}/models/${SERVING_RUN}/model.tar.gz` } }));
  await sageMaker.send(new CreateEndpointConfigCommand({
    EndpointConfigName: 'ct-stocks-config-serving',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'serving', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    Tags: [{ Key: BASELINE_TAG, Value: `s3://${LAKE}/baselines/${SERVING_RUN}/` }],
  }));
  await sageMaker.send(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'ct-stocks-config-serving' }));

  // Two hourly runs of the drift monitor, planned and published by the handlers with the synthesized configuration.
  const config: PlannerConfig = {
    endpointName: env.ENDPOINT_NAME,
    lakeBucket: LAKE,
    captureBucket: LAKE,
    capturePrefix: env.CAPTURE_PREFIX,
    groundTruthPrefix: env.GROUND_TRUTH_PREFIX || undefined,
    reportPrefix: env.REPORT_PREFIX,
    windowHours: Number(env.WINDOW_HOURS),
    jobNamePrefix: env.JOB_NAME_PREFIX,
    codeUri: 's3://assets/code.zip',
    sharedCodeUri: 's3://assets/shared.zip',
    jobArguments: JSON.parse(env.JOB_ARGUMENTS),
    qualityArguments: JSON.parse(env.QUALITY_ARGUMENTS),
  };
  const firstEnd = new Date('2026-12-02T00:00:00Z');
  for (const [index, end] of [firstEnd, new Date(firstEnd.getTime() + HOUR)].entries()) {
    const plan = await planWindow({ sageMaker, s3 }, config, { scheduledTime: new Date(end.getTime() + 5 * 60_000).toISOString(), executionName: `drift-${index}` });
    expect(plan).toMatchObject({ status: 'ready', baselineUri: `s3://${LAKE}/baselines/${SERVING_RUN}/`, windowEnd: end.toISOString() });
    await playProcessingJob(plan, world.code);
    const published = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: plan.reportUri, windowEnd: plan.windowEnd });
    expect(published).toMatchObject({ rejected: 0 });
    expect(published.published).toBeGreaterThan(5);
  }
  const change = await cloudWatch.send(new GetMetricStatisticsCommand({
    Namespace: NAMESPACE,
    MetricName: 'FeatureDrift',
    Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }, { Name: 'Feature', Value: 'change' }],
    StartTime: new Date(firstEnd.getTime() - HOUR),
    EndTime: new Date(firstEnd.getTime() + 2 * HOUR),
    Period: 3600,
    Statistics: ['Maximum'],
  }));
  expect(change.Datapoints).toHaveLength(2);

  // The synthesized alarm (2 of 3 at PSI 0.2) on those datapoints; one run alone would not have alarmed.
  const props = alarm.Properties!;
  expect([props.EvaluationPeriods, props.DatapointsToAlarm, props.Threshold]).toEqual([3, 2, 0.2]);
  const afterOne = await evaluateAlarm(props, new Date(firstEnd.getTime() + HOUR));
  expect(afterOne.state).toBe('OK');
  const afterTwo = await evaluateAlarm(props, new Date(firstEnd.getTime() + 2 * HOUR));
  expect(afterTwo.state).toBe('ALARM');

  // The state change CloudWatch sends, matched against the rule's pattern as EventBridge matches it.
  const resolve = (value: any): any => (value?.['Fn::GetAtt'] ? fakeReference(value['Fn::GetAtt'][0], resources[value['Fn::GetAtt'][0]].Type, value['Fn::GetAtt'][1])
    : value?.Ref ? fakeReference(value.Ref, resources[value.Ref].Type, undefined)
      : Array.isArray(value) ? value.map(resolve) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)])) : value);
  const pattern = resolve(rule.Properties!.EventPattern);
  const alarmName = fakeReference(alarmId, 'AWS::CloudWatch::Alarm', undefined);
  const datapoints = afterTwo.breaching.map((d) => `${d.value} (${d.time.toISOString()})`).join(', ');
  const stateChange = (forAlarmId: string) => ({
    'version': '0',
    'id': 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    'source': 'aws.cloudwatch',
    'account': '123456789012',
    'time': '2026-12-02T02:00:00Z',
    'region': 'us-east-1',
    'resources': [fakeReference(forAlarmId, 'AWS::CloudWatch::Alarm', 'Arn')],
    'detail': {
      alarmName: fakeReference(forAlarmId, 'AWS::CloudWatch::Alarm', undefined),
      state: { value: 'ALARM', reason: `Threshold Crossed: 2 out of the last 3 datapoints [${datapoints}] were greater than the threshold (0.2) (minimum 2 datapoints for OK -> ALARM transition).`, timestamp: '2026-12-02T02:00:00.000+0000' },
      previousState: { value: 'OK' },
    },
  });
  const event = stateChange(alarmId);
  // moto's TestEventPattern is a stub, so its rule engine matches: a rule with the pattern, a queue as target.
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'matched' }));
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await events.send(new PutRuleCommand({ Name: 'retrain-alarms', EventPattern: JSON.stringify(pattern) }));
  await events.send(new PutTargetsCommand({ Rule: 'retrain-alarms', Targets: [{ Id: 'queue', Arn: queueArn }] }));
  const deliver = async (e: ReturnType<typeof stateChange>) => {
    await events.send(new PutEventsCommand({ Entries: [{ Source: e.source, DetailType: e['detail-type'], Resources: e.resources, Detail: JSON.stringify(e.detail), Time: new Date(e.time) }] }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    return (received.Messages ?? []).map((m) => JSON.parse(m.Body!));
  };
  const matched = await deliver(event);
  expect(matched).toHaveLength(1);
  expect(matched[0]).toMatchObject({ 'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', 'resources': event.resources, 'detail': event.detail });
  // The monitor's own failure alarm is not one that retrains, and an OK transition starts nothing.
  const failureAlarmId = Object.keys(resources).find((id) => id.startsWith('MonitorAlarmsMonitorFailures'))!;
  expect(await deliver(stateChange(failureAlarmId))).toHaveLength(0);
  expect(await deliver({ ...event, detail: { ...event.detail, state: { ...event.detail.state, value: 'OK' } } })).toHaveLength(0);

  // The trigger starts the pipeline's state machine (its synthesized definition, in moto).
  await harness.reset();
  const definition = synthesizedDefinition(template, (id) => id.startsWith('RetrainStateMachine'));
  const machine = await harness.sfn.send(new CreateStateMachineCommand({ name: 'StocksRetrain', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::123456789012:role/retrain' }));
  harness.stateMachineArn = machine.stateMachineArn!;
  const decision = await harness.trigger('state-machine')(event);
  expect(decision).toMatchObject({ started: true });
  const [execution] = await harness.executions();
  const described = await harness.sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
  const input = JSON.parse(described.input!);
  expect(input.reason).toBe(`${alarmName}: ${event.detail.state.reason}`);
  expect(input.alarm).toBe(alarmName);

  // That execution, run by the ASL engine on RetrainPipeline's synthesized definition, deploys.
  const aws = new FakeAws({ evaluation: { rmse: 3.2, mae: 2.1, r2: 0.93, rows: 20000 }, currentEndpointConfig: 'ct-stocks-config-serving' }, ENDPOINT);
  const run = await runStateMachine(definition, { input, executionName: execution.name!, taskResponses: aws.taskResponses(definition) });
  expect(run.status).toBe('SUCCEEDED');
  expect(run.visited.at(-1)).toBe('Deployed');
  const register = run.calls.find((c) => c.state === 'Register model')!.parameters;
  expect(register.ModelPackageDescription).toBe(`Run ${execution.name} (${input.reason})`);
  // The new endpoint config names this run's baseline, so the next drift run compares with the retrained model's.
  const created = run.calls.find((c) => c.state === 'Create endpoint config')!.parameters;
  expect(created.Tags).toEqual([{ Key: BASELINE_TAG, Value: expect.stringMatching(new RegExp(`/baselines/${execution.name}/$`)) }]);
}, 240_000);
