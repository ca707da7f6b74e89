import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  AwsRequestRecorder, formatDenials, MotoServer, PermissionLedger, PermissionModel, S3Emulator,
  startAwsRequestRecorder, startMotoServer, startS3Emulator,
} from '@freshet/test-utils';
import { DescribeEndpointProxy, startDescribeEndpointProxy } from './describe-endpoint-proxy';
import { BASELINE_TAG, PlannerConfig, planWindow } from '../../src/handlers/drift-planner/plan-window';
import { publishOutcome } from '../../src/handlers/drift-planner/publish-outcome';
import { publishReport } from '../../src/handlers/drift-publisher/publish-metrics';
import { buildLightMonitor, ENDPOINT } from '../fixtures/monitors';

/**
 * Issue 14: every request the drift planner and publisher send, recorded on
 * the wire in front of moto (SageMaker, CloudWatch) and s3rver, evaluated
 * against each function's role as MonitorRetrainTrigger synthesizes it. The
 * planner runs with the prefixes from its synthesized environment; the test's
 * bucket `lake` stands for the synthesized lake bucket.
 */

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const ledger = new PermissionLedger('monitor-retrain-trigger (drift planner and publisher)');
const { stack, monitor } = buildLightMonitor({ modelQuality: { metric: 'rmse', threshold: 5 } });
const model = PermissionModel.fromStack(stack);

function deployedFunction(path: string) {
  const fn = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${path}/Resource`)!;
  return fn.properties.Environment.Variables as Record<string, string>;
}

const plannerPath = monitor.driftMonitor.plannerFunction.node.path;
const publisherPath = monitor.driftMonitor.publisherFunction.node.path;
const plannerEnv = deployedFunction(plannerPath);
const names = { lake: plannerEnv.LAKE_BUCKET };

let moto: MotoServer;
let s3rver: S3Emulator;
let sagemakerRecorder: AwsRequestRecorder;
let s3Recorder: AwsRequestRecorder;
let describeProxy: DescribeEndpointProxy;

beforeAll(async () => {
  [moto, s3rver] = await Promise.all([startMotoServer(), startS3Emulator(['lake'])]);
  [sagemakerRecorder, s3Recorder] = await Promise.all([startAwsRequestRecorder(moto.endpoint), startAwsRequestRecorder(s3rver.endpoint)]);
  describeProxy = await startDescribeEndpointProxy(sagemakerRecorder.endpoint, { LastModifiedTime: Date.parse('2024-04-01T00:00:00Z') / 1000 });
});

afterAll(async () => {
  await Promise.all([sagemakerRecorder?.stop(), s3Recorder?.stop(), describeProxy?.stop()]);
  await Promise.all([moto?.stop(), s3rver?.stop()]);
  console.log(ledger.summary());
});

const recordingS3 = () => new S3Client({ endpoint: s3Recorder.endpoint, region: 'us-east-1', credentials: s3Credentials, forcePathStyle: true, maxAttempts: 1 });

test('the planner: describing the serving endpoint, reading its config tags, listing the window, writing manifests and putting its outcome metric are allowed; nothing else', async () => {
  // The serving model and its window, created on the emulators directly (not recorded).
  const direct = new SageMakerClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const directS3 = new S3Client({ endpoint: s3rver.endpoint, region: 'us-east-1', credentials: s3Credentials, forcePathStyle: true, maxAttempts: 1 });
  await direct.send(new CreateModelCommand({
    ModelName: 'ct-stocks-model-1',
    ExecutionRoleArn: 'arn:aws:iam::123456789012:role/model',
    PrimaryContainer: { Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1', ModelDataUrl: 's3://lake/models/run-7/model.tar.gz' },
  }));
  await direct.send(new CreateEndpointConfigCommand({
    EndpointConfigName: 'ct-stocks-config-1',
    ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'ct-stocks-model-1', InitialInstanceCount: 1, InstanceType: 'ml.m5.large' }],
    Tags: [{ Key: BASELINE_TAG, Value: 's3://lake/baselines/run-7/' }],
  }));
  await direct.send(new CreateEndpointCommand({ EndpointName: plannerEnv.ENDPOINT_NAME, EndpointConfigName: 'ct-stocks-config-1' }));
  for (const key of [`${plannerEnv.CAPTURE_PREFIX}AllTraffic/2024/05/01/02/a.jsonl`, `${plannerEnv.GROUND_TRUTH_PREFIX}2024/05/01/02/labels.jsonl`, 'evaluation/run-7/prediction-baseline.json']) {
    await directS3.send(new PutObjectCommand({ Bucket: 'lake', Key: key, Body: '{}' }));
  }
  direct.destroy();
  directS3.destroy();

  const config: PlannerConfig = {
    endpointName: plannerEnv.ENDPOINT_NAME,
    lakeBucket: 'lake',
    captureBucket: 'lake',
    capturePrefix: plannerEnv.CAPTURE_PREFIX,
    groundTruthPrefix: plannerEnv.GROUND_TRUTH_PREFIX || undefined,
    reportPrefix: plannerEnv.REPORT_PREFIX,
    windowHours: Number(plannerEnv.WINDOW_HOURS),
    jobNamePrefix: plannerEnv.JOB_NAME_PREFIX,
    codeUri: 's3://assets/code.zip',
    sharedCodeUri: 's3://assets/shared.zip',
    jobArguments: ['drift_job.py'],
    qualityArguments: [],
  };
  // moto dates LastModifiedTime now; the proxy (in front of the recorder) says the config took over before the 2024 window.
  const sageMaker = new SageMakerClient({ endpoint: describeProxy.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const s3 = recordingS3();
  const cloudWatch = new CloudWatchClient({ endpoint: sagemakerRecorder.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const plan = await planWindow({ sageMaker, s3 }, config, { scheduledTime: '2024-05-01T03:05:00Z', executionName: 'run-1' });
  // The handler publishes every outcome (UnmonitoredWindow), the unmonitored ones with their reason.
  await publishOutcome(cloudWatch, plan);
  await publishOutcome(cloudWatch, { ...plan, status: 'no-capture' });
  sageMaker.destroy();
  s3.destroy();
  cloudWatch.destroy();
  expect(plan).toMatchObject({ status: 'ready', captureObjects: 1, groundTruthObjects: 1 });

  const requests = [...sagemakerRecorder.requests.splice(0), ...s3Recorder.requests.splice(0)];
  const operations = new Set(requests.map((r) => `${r.service}:${r.operation}`));
  for (const expected of ['sagemaker:DescribeEndpoint', 'sagemaker:ListTags', 's3:ListObjectsV2', 's3:PutObject', 'monitoring:PutMetricData']) expect(operations).toContain(expected);
  const decisions = await ledger.evaluateRequests(model, requests, plannerPath, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);

  // Least privilege: another endpoint, and writing outside the report prefix, are denied.
  const lakeArn = `arn:aws:s3:::${names.lake}`;
  const denied = await model.evaluateAll([
    { principal: plannerPath, action: 'sagemaker:DescribeEndpoint', resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/other-endpoint', source: 'negative' },
    { principal: plannerPath, action: 'sagemaker:UpdateEndpoint', resource: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`, source: 'negative' },
    { principal: plannerPath, action: 's3:PutObject', resource: `${lakeArn}/models/run-7/model.tar.gz`, source: 'negative' },
    { principal: plannerPath, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/SageMaker' }, source: 'negative' },
  ]);
  expect(denied.filter((d) => d.allowed).map((d) => `${d.call.action} ${d.call.resource}`)).toEqual([]);
});

test('the publisher: reading the report and putting its metrics are allowed, in its namespace only', async () => {
  const directS3 = new S3Client({ endpoint: s3rver.endpoint, region: 'us-east-1', credentials: s3Credentials, forcePathStyle: true, maxAttempts: 1 });
  const report = `reports/drift/${ENDPOINT}/2024-05-01T03-00-00Z/`;
  await directS3.send(new PutObjectCommand({
    Bucket: 'lake',
    Key: `${report}metrics.json`,
    Body: JSON.stringify([{ MetricName: 'SampleSize', Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }], Value: 512, Unit: 'Count' }]),
  }));
  directS3.destroy();
  const s3 = recordingS3();
  const cloudWatch = new CloudWatchClient({ endpoint: sagemakerRecorder.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const result = await publishReport({ s3, cloudWatch }, ENDPOINT, { reportUri: `s3://lake/${report}`, windowEnd: '2024-05-01T03:00:00Z' });
  s3.destroy();
  cloudWatch.destroy();
  expect(result).toMatchObject({ published: 1, rejected: 0 });

  const requests = [...sagemakerRecorder.requests.splice(0), ...s3Recorder.requests.splice(0)];
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set(['s3:GetObject', 'monitoring:PutMetricData']));
  const decisions = await ledger.evaluateRequests(model, requests, publisherPath, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  const [other] = await model.evaluateAll([
    { principal: publisherPath, action: 'cloudwatch:PutMetricData', resource: '*', context: { 'cloudwatch:namespace': 'AWS/SageMaker' }, source: 'negative' },
  ]);
  expect(other.allowed).toBe(false);
});
