import { FakeServiceError, runStateMachine, StateMachineExecution, TaskCall } from '@freshet/test-utils';
import { ApprovalMode } from '../../src';
import { DeploymentOutcome, FakeAws, FakeAwsOptions, FakeModelRegistry } from './fixtures/fake-aws';
import {
  expectedName, pollutionPipeline, STOCKS_ENDPOINT, STOCKS_ROLLBACK_ALARM, stocksPipeline, stocksServerlessPipeline, stocksXgboostPipeline,
  SynthesizedPipeline,
} from './fixtures/pipelines';

/**
 * Acceptance item 4: the state machine definition exactly as written to
 * cdk.out, executed by aws-local-stepfunctions, with SageMaker, S3, SNS and
 * Lambda faked at the task boundary (the gate runs our real handler).
 */

const PREFIX = 'ct-stocks';
const RUN = 'nightly-2026-11-23';
const CHAMPION_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/7';
/** The config the endpoint runs before the update: one a previous run of this workflow created. */
const PREVIOUS_CONFIG = expectedName(PREFIX, 'config', 'nightly-2026-11-22');

const GOOD_METRICS = { rmse: 3.2, mae: 2.1, r2: 0.93, rows: 23037 };

let stocks: SynthesizedPipeline;
beforeAll(() => {
  stocks = stocksPipeline();
});

async function run(options: FakeAwsOptions, executionName = RUN, input: unknown = {}): Promise<{ run: StateMachineExecution; aws: FakeAws }> {
  const aws = new FakeAws({ currentEndpointConfig: PREVIOUS_CONFIG, ...options });
  const execution = await runStateMachine(stocks.definition, { input, executionName, taskResponses: aws.taskResponses(stocks.definition) });
  return { run: execution, aws };
}

function callsTo(execution: StateMachineExecution, state: string): TaskCall[] {
  return execution.calls.filter((c) => c.state === state);
}

function onlyCall(execution: StateMachineExecution, state: string): any {
  const calls = callsTo(execution, state);
  if (calls.length !== 1) throw new Error(`Expected one call to "${state}", got ${calls.length}; calls: ${execution.calls.map((c) => c.state).join(', ')}`);
  return calls[0].parameters;
}

const TRAINING_STATES = ['Preprocess', 'Train', 'Create candidate model', 'Transform test channel', 'Delete candidate model', 'Evaluate', 'Read evaluation'];
const ENDPOINT_STATES = ['Create model', 'Create endpoint config', 'Update endpoint', 'Check endpoint', 'Delete superseded config'];

/** The parameters every run gives the training half of the workflow, whatever the gate later decides. */
function expectTrainingParameters(execution: StateMachineExecution, executionName: string, hyperparameterOverrides: Record<string, string> = {}) {
  const lake = `s3://${stocks.lakeBucketName}`;
  const preprocess = onlyCall(execution, 'Preprocess');
  expect(preprocess.ProcessingJobName).toBe(expectedName(PREFIX, 'prep', executionName));
  expect(preprocess.RoleArn).toBe(stocks.executionRoleArn);
  expect(preprocess.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.S3Uri])).toEqual([
    ['code', expect.stringMatching(/^s3:\/\/cdk-[a-z0-9]+-assets-123456789012-us-east-1\/[0-9a-f]{64}\.zip$/)],
    ['snapshot', `${lake}/snapshots/stocks/latest/`],
  ]);
  expect(preprocess.ProcessingOutputConfig.Outputs.map((o: any) => [o.OutputName, o.S3Output.S3Uri])).toEqual([
    ['training', `${lake}/training/${executionName}/`],
    ['baseline', `${lake}/baselines/${executionName}/`],
    ['rejected', `${lake}/rejected/preprocess/stocks/${executionName}/`],
  ]);
  expect(preprocess.ProcessingOutputConfig.KmsKeyId).toBe(stocks.lakeKeyArn);
  expect(preprocess.NetworkConfig).toEqual({ EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true });
  const args: string[] = preprocess.AppSpecification.ContainerArguments;
  expect(args[0]).toBe('preprocess.py');
  expect(args[args.indexOf('--algorithm') + 1]).toBe('autogluon');
  expect(JSON.parse(args[args.indexOf('--schema') + 1])).toMatchObject({ name: 'stocks', targetColumn: 'price' });

  const train = onlyCall(execution, 'Train');
  expect(train.TrainingJobName).toBe(expectedName(PREFIX, 'train', executionName));
  expect(train.InputDataConfig.map((c: any) => [c.ChannelName, c.ContentType, c.DataSource.S3DataSource.S3Uri])).toEqual([
    ['train', 'text/csv', `${lake}/training/${executionName}/train/`],
    ['validation', 'text/csv', `${lake}/training/${executionName}/validation/`],
    // The network-isolated job's own code: the same scripts zip the processing jobs get.
    ['code', undefined, preprocess.ProcessingInputs[0].S3Input.S3Uri],
  ]);
  expect(train.AlgorithmSpecification.ContainerEntrypoint[3]).toBe('autogluon_train.py');
  expect(train.OutputDataConfig).toEqual({ S3OutputPath: `${lake}/models/${executionName}/`, KmsKeyId: stocks.lakeKeyArn });
  expect(train.EnableNetworkIsolation).toBe(true);
  expect(train.VpcConfig).toBeUndefined();
  // AutoGluon's preset: the label column and the time budget, merged with the execution input's overrides.
  expect(train.HyperParameters).toMatchObject({ label: 'price', time_limit: '1800', ...hyperparameterOverrides });
  expect(Object.values(train.HyperParameters).every((v) => typeof v === 'string')).toBe(true);

  const modelData = `${lake}/models/${executionName}/${expectedName(PREFIX, 'train', executionName)}/output/model.tar.gz`;
  expect(onlyCall(execution, 'Create candidate model')).toMatchObject({
    ModelName: expectedName(PREFIX, 'cand', executionName),
    ExecutionRoleArn: stocks.executionRoleArn,
    PrimaryContainer: { ModelDataUrl: modelData },
    EnableNetworkIsolation: true,
  });
  expect(onlyCall(execution, 'Transform test channel')).toMatchObject({
    TransformJobName: expectedName(PREFIX, 'xform', executionName),
    ModelName: expectedName(PREFIX, 'cand', executionName),
    TransformInput: { DataSource: { S3DataSource: { S3Uri: `${lake}/training/${executionName}/transform-input/` } } },
    TransformOutput: { S3OutputPath: `${lake}/evaluation/${executionName}/predictions/` },
  });
  expect(onlyCall(execution, 'Delete candidate model')).toEqual({ ModelName: expectedName(PREFIX, 'cand', executionName) });
  const evaluate = onlyCall(execution, 'Evaluate');
  expect(evaluate.ProcessingJobName).toBe(expectedName(PREFIX, 'eval', executionName));
  expect(evaluate.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toBe(`${lake}/evaluation/${executionName}/`);
  expect(evaluate.NetworkConfig.EnableNetworkIsolation).toBe(true);
  expect(onlyCall(execution, 'Read evaluation')).toEqual({ Bucket: stocks.lakeBucketName, Key: `evaluation/${executionName}/evaluation.json` });
}

function expectEveryNameFitsSageMaker(execution: StateMachineExecution) {
  const nameKeys = ['ProcessingJobName', 'TrainingJobName', 'TransformJobName', 'ModelName', 'EndpointConfigName'];
  const names = execution.calls.flatMap((c) => nameKeys.filter((k) => typeof c.parameters[k] === 'string').map((k) => c.parameters[k] as string));
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
}

describe('stocks (AutoGluon, deployed to an endpoint)', () => {
  test('a passing run registers, deploys with the guardrails, deletes the superseded config after InService, and notifies success', async () => {
    const { run: execution, aws } = await run(
      { evaluation: GOOD_METRICS, champion: { arn: CHAMPION_ARN, metricName: 'rmse', metricValue: 3.5 } },
      RUN,
      { hyperparameters: { presets: 'best_quality' }, reason: 'drift' },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Deployed');
    expectTrainingParameters(execution, RUN, { presets: 'best_quality' });

    // The gate's inputs: the candidate's rmse, the champion found, and the gate props.
    expect(onlyCall(execution, 'Find champion')).toMatchObject({ ModelPackageGroupName: 'stocks-models', ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending' });
    expect(onlyCall(execution, 'Describe champion')).toEqual({ ModelPackageName: CHAMPION_ARN });
    expect(onlyCall(execution, 'Gate')).toMatchObject({ metricName: 'rmse', metricValue: 3.2, higherIsBetter: false, threshold: 5, minImprovement: 0.1 });

    const register = onlyCall(execution, 'Register model');
    expect(register).toMatchObject({
      ModelPackageGroupName: 'stocks-models',
      // Approved only once it serves (below): until then it is no champion.
      ModelApprovalStatus: 'PendingManualApproval',
      ModelPackageDescription: `Run ${RUN} (drift)`,
      CustomerMetadataProperties: { gateMetricName: 'rmse', gateMetricValue: '3.2', run: RUN, trainingJob: expectedName(PREFIX, 'train', RUN) },
      ModelMetrics: { ModelQuality: { Statistics: { S3Uri: `s3://${stocks.lakeBucketName}/evaluation/${RUN}/evaluation.json` } } },
    });

    const model = expectedName(PREFIX, 'model', RUN);
    const config = expectedName(PREFIX, 'config', RUN);
    expect(onlyCall(execution, 'Create model')).toMatchObject({ ModelName: model, ExecutionRoleArn: stocks.modelRoleArn, EnableNetworkIsolation: true });
    // What the endpoint's model role must read: the artifact training wrote under models/<run>/ (recorded for the permissions tests).
    expect(aws.createdModels.map((m) => [m.state, m.executionRoleArn, m.modelDataUrl, m.enableNetworkIsolation])).toEqual([
      ['Create candidate model', stocks.executionRoleArn, `s3://${stocks.lakeBucketName}/models/${RUN}/${expectedName(PREFIX, 'train', RUN)}/output/model.tar.gz`, true],
      ['Create model', stocks.modelRoleArn, `s3://${stocks.lakeBucketName}/models/${RUN}/${expectedName(PREFIX, 'train', RUN)}/output/model.tar.gz`, true],
    ]);
    expect(onlyCall(execution, 'Create endpoint config')).toMatchObject({
      EndpointConfigName: config,
      KmsKeyId: stocks.endpointKeyArn,
      ProductionVariants: [{ VariantName: 'primary', ModelName: model, InitialVariantWeight: 1, InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }],
      // The drift monitor finds the serving model's baseline by this tag: the run's own baselines/ folder.
      Tags: [{ Key: 'freshet:baseline-uri', Value: `s3://${stocks.lakeBucketName}/baselines/${RUN}/` }],
    });
    expect(onlyCall(execution, 'Update endpoint')).toEqual({
      EndpointName: STOCKS_ENDPOINT,
      EndpointConfigName: config,
      RetainAllVariantProperties: false,
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
          TerminationWaitInSeconds: 600,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: STOCKS_ROLLBACK_ALARM }] },
      },
    });
    // Polled until InService on the new config: Updating first, then InService.
    expect(callsTo(execution, 'Check endpoint')).toHaveLength(2);
    expect(aws.endpointConfig).toBe(config);
    // The superseded config goes only after the update succeeded, and it is the one the endpoint ran before.
    expect(aws.deletedEndpointConfigs).toEqual([PREVIOUS_CONFIG]);
    const order = execution.calls.map((c) => c.state);
    expect(order.indexOf('Delete superseded config')).toBeGreaterThan(order.lastIndexOf('Check endpoint'));
    // The package is approved once the endpoint is InService on the new config, and it is now the champion.
    const packageArn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8';
    expect(onlyCall(execution, 'Approve model')).toEqual({
      ModelPackageArn: packageArn, ModelApprovalStatus: 'Approved', ApprovalDescription: `Serves ${STOCKS_ENDPOINT} since run ${RUN}`,
    });
    expect(order.indexOf('Approve model')).toBeGreaterThan(order.lastIndexOf('Check endpoint'));
    expect(aws.registry.newestApproved('stocks-models')?.arn).toBe(packageArn);

    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].topicArn).toBe(stocks.topicArn);
    expect(aws.published[0].message).toMatchObject({ outcome: 'deployed', dataset: 'stocks', run: RUN, endpoint: STOCKS_ENDPOINT, metrics: GOOD_METRICS });
    expect(aws.published[0].message.reason).toMatch(/rmse 3\.2 passes the threshold 5 and beats the champion's 3\.5/);
    expectEveryNameFitsSageMaker(execution);
  });

  test('a config CloudFormation created is not deleted after a successful update', async () => {
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, currentEndpointConfig: 'StocksEndpointConfig-AbC123' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(callsTo(execution, 'Delete superseded config')).toEqual([]);
    expect(aws.deletedEndpointConfigs).toEqual([]);
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['deployed']);
  });

  test('a run below the absolute threshold ends rejected without touching the endpoint', async () => {
    const { run: execution, aws } = await run({ evaluation: { ...GOOD_METRICS, rmse: 7.5 } });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited.slice(-3)).toEqual(['Passes gate?', 'Notify rejection', 'Rejected']);
    expect(execution.output).toMatchObject({ passed: false, metricName: 'rmse', metricValue: 7.5, championArn: null });
    expectTrainingParameters(execution, RUN);
    // No champion: the gate still ran, on the threshold alone.
    expect(callsTo(execution, 'Describe champion')).toEqual([]);
    expect(onlyCall(execution, 'Gate')).toMatchObject({ metricValue: 7.5, threshold: 5, search: { packages: [] } });
    expectEndpointUntouched(execution, aws);
    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].message).toMatchObject({ outcome: 'rejected', run: RUN, metrics: { rmse: 7.5 } });
    expect(aws.published[0].message.reason).toBe('rmse 7.5 misses the threshold 5 (lower is better)');
  });

  test('a run that passes the threshold but does not beat the champion by the margin ends rejected', async () => {
    const { run: execution, aws } = await run({ evaluation: { ...GOOD_METRICS, rmse: 3.45 }, champion: { arn: CHAMPION_ARN, metricName: 'rmse', metricValue: 3.5 } });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited.slice(-2)).toEqual(['Notify rejection', 'Rejected']);
    expect(onlyCall(execution, 'Describe champion')).toEqual({ ModelPackageName: CHAMPION_ARN });
    expect(execution.output).toMatchObject({ passed: false, championArn: CHAMPION_ARN, championValue: 3.5, metricValue: 3.45 });
    expectEndpointUntouched(execution, aws);
    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].message.outcome).toBe('rejected');
    expect(aws.published[0].message.reason).toMatch(/rmse 3\.45 does not beat the champion's 3\.5 by 0\.1/);
  });

  test('a training job that fails ends in the failure notification, and no later task runs', async () => {
    const cause = JSON.stringify({ TrainingJobName: expectedName(PREFIX, 'train', RUN), TrainingJobStatus: 'Failed', FailureReason: 'AlgorithmError: label column price not found' });
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, failures: { 'sagemaker:createTrainingJob.sync': new FakeServiceError('States.TaskFailed', cause) } });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.cause).toBe(cause);
    expect(execution.calls.map((c) => c.state)).toEqual(['Preprocess', 'Train', 'Notify failure']);
    expect(execution.visited.slice(-3)).toEqual(['Train', 'Notify failure', 'Failed']);
    expect(aws.published).toHaveLength(1);
    expect(aws.published[0].message).toMatchObject({ outcome: 'failed', run: RUN, error: 'States.TaskFailed', cause });
  });

  test('a preprocess job that refuses a snapshot too big for its instance puts the figures and the prop in the failure notification', async () => {
    // What preprocess.py writes to /opt/ml/output/message (scripts/tests/test_memory_refusal.py) reaches the
    // .sync integration's error as the DescribeProcessingJob ExitMessage and FailureReason.
    const refusal = 'preprocess refused before loading: the snapshot (5.21 GiB in 40 file(s), about 200,000,000 rows of 4 columns, deepar), '
      + 'which needs about 1,341.33 GiB of memory; the instance has 16.00 GiB (cgroup /sys/fs/cgroup/memory.max), 85% of it usable (13.60 GiB). '
      + 'Set RetrainPipeline processing.instanceType to an instance with more memory (ml.m5.2xlarge 32 GiB, ml.m5.4xlarge 64 GiB, ml.r5.2xlarge 64 GiB), or snapshot fewer rows (dataExtract).';
    const cause = JSON.stringify({
      ProcessingJobName: expectedName(PREFIX, 'prep', RUN),
      ProcessingJobStatus: 'Failed',
      ExitMessage: refusal,
      FailureReason: `AlgorithmError: ${refusal}`,
    });
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, failures: { Preprocess: new FakeServiceError('States.TaskFailed', cause) } });
    expect(execution.status).toBe('FAILED');
    expect(execution.calls.map((c) => c.state)).toEqual(['Preprocess', 'Notify failure']);
    expect(aws.published).toHaveLength(1);
    const published = aws.published[0].message;
    expect(published).toMatchObject({ outcome: 'failed', dataset: 'stocks', run: RUN, error: 'States.TaskFailed' });
    const described = JSON.parse(published.cause);
    expect(described.ExitMessage).toBe(refusal);
    expect(described.FailureReason).toContain('needs about 1,341.33 GiB of memory; the instance has 16.00 GiB');
    expect(described.FailureReason).toContain('processing.instanceType');
  });

  test('a SageMaker API error on Train is retried with backoff, then ends in the failure notification', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      failures: { 'sagemaker:createTrainingJob.sync': new FakeServiceError('SageMaker.AmazonSageMakerException', 'Rate exceeded') },
    });
    expect(execution.status).toBe('FAILED');
    // The first attempt and the 4 retries, each with the same (idempotent) job name.
    const trains = callsTo(execution, 'Train');
    expect(trains).toHaveLength(5);
    expect(new Set(trains.map((c) => c.parameters.TrainingJobName))).toEqual(new Set([expectedName(PREFIX, 'train', RUN)]));
    expect(execution.calls.map((c) => c.state).filter((s) => s !== 'Train')).toEqual(['Preprocess', 'Notify failure']);
    expect(aws.published[0].message).toMatchObject({ outcome: 'failed', error: 'SageMaker.AmazonSageMakerException', cause: 'Rate exceeded' });
  });

  test('a deployment the guardrails roll back ends in the failure notification; the new config and model go, the superseded config stays', async () => {
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, deployment: DeploymentOutcome.ROLLS_BACK });
    const config = expectedName(PREFIX, 'config', RUN);
    const model = expectedName(PREFIX, 'model', RUN);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentRolledBack');
    expect(execution.cause).toBe(`${STOCKS_ENDPOINT} rolled back to ${PREVIOUS_CONFIG} (InService) instead of ${config}`);
    expect(onlyCall(execution, 'Update endpoint').EndpointConfigName).toBe(config);
    // RollingBack is polled through: the new config is still in use until the endpoint is InService on the old one.
    expect(callsTo(execution, 'Check endpoint')).toHaveLength(3);
    expect(execution.visited.slice(-7)).toEqual(['Endpoint updated?', 'Deployment rolled back', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(onlyCall(execution, 'Discard new config')).toEqual({ EndpointConfigName: config });
    expect(onlyCall(execution, 'Discard new model')).toEqual({ ModelName: model });
    expect(callsTo(execution, 'Delete superseded config')).toEqual([]);
    expect(aws.deletedEndpointConfigs).toEqual([config]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', RUN), model]);
    expect(aws.endpointConfig).toBe(PREVIOUS_CONFIG);
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['failed']);
    expect(aws.published[0].message).toMatchObject({ error: 'DeploymentRolledBack', run: RUN });
  });

  test('a failed UpdateEndpoint discards the new config and model, and the notification carries the update\'s error', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      failures: { 'sagemaker:updateEndpoint': new FakeServiceError('SageMaker.ValidationException', 'Cannot update in-progress endpoint') },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('SageMaker.ValidationException');
    expect(execution.visited.slice(-6)).toEqual(['Update endpoint', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(aws.deletedEndpointConfigs).toEqual([expectedName(PREFIX, 'config', RUN)]);
    expect(aws.deletedModels).toContain(expectedName(PREFIX, 'model', RUN));
    expect(aws.published[0].message).toMatchObject({ outcome: 'failed', error: 'SageMaker.ValidationException', cause: 'Cannot update in-progress endpoint' });
  });

  test('a failed CreateEndpointConfig discards the new model only', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      failures: { 'sagemaker:createEndpointConfig': new FakeServiceError('SageMaker.ResourceLimitExceeded', 'endpoint configs') },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.visited.slice(-5)).toEqual(['Create endpoint config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(callsTo(execution, 'Discard new config')).toEqual([]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', RUN), expectedName(PREFIX, 'model', RUN)]);
    expect(aws.published[0].message).toMatchObject({ error: 'SageMaker.ResourceLimitExceeded' });
  });

  test('a transform that fails discards the candidate model, and no later task runs', async () => {
    const cause = JSON.stringify({ TransformJobStatus: 'Failed', FailureReason: 'ClientError: See job logs' });
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, failures: { 'sagemaker:createTransformJob.sync': new FakeServiceError('States.TaskFailed', cause) } });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.cause).toBe(cause);
    expect(execution.calls.map((c) => c.state)).toEqual(['Preprocess', 'Train', 'Create candidate model', 'Transform test channel', 'Discard candidate model', 'Notify failure']);
    expect(onlyCall(execution, 'Discard candidate model')).toEqual({ ModelName: expectedName(PREFIX, 'cand', RUN) });
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', RUN)]);
    expect(aws.published[0].message).toMatchObject({ outcome: 'failed', error: 'States.TaskFailed', cause });
  });

  test('a discard that fails still ends in the failure notification with the original error', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      failures: {
        'sagemaker:createTransformJob.sync': new FakeServiceError('States.TaskFailed', 'transform failed'),
        'Discard candidate model': new FakeServiceError('SageMaker.AccessDeniedException', 'not authorized to perform sagemaker:DeleteModel'),
      },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.TaskFailed');
    expect(execution.visited.slice(-3)).toEqual(['Discard candidate model', 'Notify failure', 'Failed']);
    expect(aws.published[0].message).toMatchObject({ error: 'States.TaskFailed', cause: 'transform failed' });
  });

  test('an endpoint that ends Failed ends in the failure notification, and the superseded config is kept', async () => {
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, deployment: DeploymentOutcome.FAILS });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentFailed');
    expect(execution.visited.slice(-4)).toEqual(['Deployment failed', 'Reject model', 'Notify failure', 'Failed']);
    // A Failed endpoint may still reference the new config and model: they stay for diagnosis.
    expect(aws.deletedEndpointConfigs).toEqual([]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', RUN)]);
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['failed']);
  });

  test('an endpoint still Updating after the deployment timeout ends in the failure notification, polled once per interval', async () => {
    const { run: execution, aws } = await run({ evaluation: GOOD_METRICS, deployment: DeploymentOutcome.HANGS });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentTimedOut');
    expect(execution.cause).toBe(`${STOCKS_ENDPOINT} was still Updating after 2 hours`);
    // The default 2-hour deployment timeout at the default 1-minute poll interval: 120 polls, none waited for in wall-clock time.
    expect(callsTo(execution, 'Check endpoint')).toHaveLength(120);
    expect(execution.visited.filter((s) => s === 'Wait for endpoint')).toHaveLength(120);
    // Still updating to the new config: nothing of it is deleted.
    expect(aws.deletedEndpointConfigs).toEqual([]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', RUN)]);
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['failed']);
  });

  test('two executions with different names give every job, model and config different names', async () => {
    const first = await run({ evaluation: GOOD_METRICS }, 'run-a');
    const second = await run({ evaluation: GOOD_METRICS }, 'run-b');
    const names = (execution: StateMachineExecution) => execution.calls
      .filter((c) => ['Preprocess', 'Train', 'Transform test channel', 'Evaluate', 'Create model', 'Create endpoint config'].includes(c.state))
      .map((c) => ['ProcessingJobName', 'TrainingJobName', 'TransformJobName', 'ModelName', 'EndpointConfigName'].map((k) => c.parameters[k]).find((v) => v !== undefined));
    expect(names(first.run)).toHaveLength(6);
    expect(new Set([...names(first.run), ...names(second.run)]).size).toBe(12);
    expect(onlyCall(first.run, 'Train').TrainingJobName).toBe(expectedName(PREFIX, 'train', 'run-a'));
    expect(onlyCall(second.run, 'Train').TrainingJobName).toBe(expectedName(PREFIX, 'train', 'run-b'));
  });

  test('an 80-character execution name still gives SageMaker names of at most 63 characters, and lake keys with the full name', async () => {
    const longName = `retrain-after-drift-alarm_${'x'.repeat(80)}`.slice(0, 80);
    expect(longName).toHaveLength(80);
    const { run: execution } = await run({ evaluation: GOOD_METRICS }, longName);
    expect(execution.status).toBe('SUCCEEDED');
    expectEveryNameFitsSageMaker(execution);
    expectTrainingParameters(execution, longName);
    expect(onlyCall(execution, 'Create endpoint config').EndpointConfigName).toBe(expectedName(PREFIX, 'config', longName));
  });

  test('the execution input can point at another snapshot', async () => {
    const dataUri = `s3://${'other-bucket'}/exports/stocks/2026-11-01/`;
    const { run: execution } = await run({ evaluation: GOOD_METRICS }, RUN, { dataUri });
    expect(execution.visited).toContain('Use given data');
    expect(onlyCall(execution, 'Preprocess').ProcessingInputs[1].S3Input.S3Uri).toBe(dataUri);
  });
});

describe('only a model that served becomes champion (issue 20, failure 3)', () => {
  const CHAMPION = { arn: CHAMPION_ARN, metricName: 'rmse', metricValue: 3.5 };
  /** rmse 3.3 beats the serving champion (3.5) by the 0.1 margin, but not a 3.2 candidate that never served. */
  const NEXT_METRICS = { ...GOOD_METRICS, rmse: 3.3 };

  const FAILED_DEPLOYMENTS: [string, Partial<FakeAwsOptions>, string][] = [
    ['rolled back by the guardrails', { deployment: DeploymentOutcome.ROLLS_BACK }, 'DeploymentRolledBack'],
    ['ends Failed', { deployment: DeploymentOutcome.FAILS }, 'DeploymentFailed'],
    ['UpdateEndpoint refused', { failures: { 'sagemaker:updateEndpoint': new FakeServiceError('SageMaker.ValidationException', 'bad config') } }, 'SageMaker.ValidationException'],
    ['still Updating at the deployment timeout', { deployment: DeploymentOutcome.HANGS }, 'DeploymentTimedOut'],
    ['CreateModel refused', { failures: { 'Create model': new FakeServiceError('SageMaker.ResourceLimitExceeded', 'models') } }, 'SageMaker.ResourceLimitExceeded'],
  ];

  test.each(FAILED_DEPLOYMENTS)('a deployment %s rejects the package, and the next run is gated against the model that still serves', async (_name, outcome, error) => {
    const registry = new FakeModelRegistry(CHAMPION);
    const first = await run({ evaluation: GOOD_METRICS, registry, ...outcome }, 'run-1');
    expect(first.run.status).toBe('FAILED');
    expect(first.run.error).toBe(error);
    const second = await run({ evaluation: NEXT_METRICS, registry, currentEndpointConfig: first.aws.endpointConfig }, 'run-2');
    // The next run's gate compares with the model that still serves, not with the first run's candidate.
    expect(onlyCall(second.run, 'Describe champion')).toEqual({ ModelPackageName: CHAMPION_ARN });
    expect(onlyCall(second.run, 'Gate').search.champion.ModelPackageArn).toBe(CHAMPION_ARN);
    expect(second.run.status).toBe('SUCCEEDED');
    expect(second.run.visited[second.run.visited.length - 1]).toBe('Deployed');
    expect(second.aws.published[0].message.reason).toBe("rmse 3.3 passes the threshold 5 and beats the champion's 3.5 by at least 0.1");
    // The second run's model serves: its package is the champion now.
    expect(registry.newestApproved('stocks-models')?.arn).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/9');

    // Why: the first run's package was rejected, naming the endpoint, the run and the error.
    const candidate = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8';
    expect(onlyCall(first.run, 'Reject model')).toEqual({
      ModelPackageArn: candidate, ModelApprovalStatus: 'Rejected', ApprovalDescription: `Not serving ${STOCKS_ENDPOINT}: run run-1 ended with ${error}`,
    });
    expect(callsTo(first.run, 'Approve model')).toEqual([]);
    expect(registry.find(candidate)).toMatchObject({ status: 'Rejected', approvalDescription: `Not serving ${STOCKS_ENDPOINT}: run run-1 ended with ${error}` });
    // The notification still carries the deployment's own error.
    expect(first.aws.published.map((m) => [m.message.outcome, m.message.error])).toEqual([['failed', error]]);
  });

  test('a rejection that fails still notifies the deployment\'s own error', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      deployment: DeploymentOutcome.ROLLS_BACK,
      failures: { 'Reject model': new FakeServiceError('SageMaker.AccessDeniedException', 'not authorized to perform sagemaker:UpdateModelPackage') },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentRolledBack');
    expect(execution.visited.slice(-3)).toEqual(['Reject model', 'Notify failure', 'Failed']);
    expect(aws.published[0].message).toMatchObject({ outcome: 'failed', error: 'DeploymentRolledBack' });
    // Still pending: never Approved, so still never a champion.
    expect(aws.registry.packages.map((p) => p.status)).toEqual(['PendingManualApproval']);
  });

  test('an approval that fails after the model serves ends in the failure notification; the package stays pending, not rejected', async () => {
    const { run: execution, aws } = await run({
      evaluation: GOOD_METRICS,
      champion: CHAMPION,
      failures: { 'Approve model': new FakeServiceError('SageMaker.ValidationException', 'Model package is in use') },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.visited.slice(-3)).toEqual(['Approve model', 'Notify failure', 'Failed']);
    expect(callsTo(execution, 'Reject model')).toEqual([]);
    expect(aws.endpointConfig).toBe(expectedName(PREFIX, 'config', RUN));
    expect(aws.registry.packages.map((p) => [p.arn.split('/').pop(), p.status])).toEqual([['7', 'Approved'], ['8', 'PendingManualApproval']]);
  });

  describe('with manual approval (the Prod flow)', () => {
    let manual: SynthesizedPipeline;
    beforeAll(() => {
      manual = stocksPipeline(false, ApprovalMode.MANUAL);
    });

    async function runManual(options: Partial<FakeAwsOptions>, executionName: string) {
      const aws = new FakeAws({ evaluation: GOOD_METRICS, currentEndpointConfig: PREVIOUS_CONFIG, ...options });
      const execution = await runStateMachine(manual.definition, { executionName, taskResponses: aws.taskResponses(manual.definition) });
      return { run: execution, aws };
    }

    test('a reviewer approves, the model deploys and serves: no workflow approval on top of the reviewer\'s', async () => {
      const { run: execution, aws } = await runManual({ champion: CHAMPION, approvalStatuses: ['PendingManualApproval', 'Approved'] }, 'prod-1');
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.visited[execution.visited.length - 1]).toBe('Deployed');
      expect(onlyCall(execution, 'Register model').ModelApprovalStatus).toBe('PendingManualApproval');
      expect(callsTo(execution, 'Check approval')).toHaveLength(2);
      expect(callsTo(execution, 'Approve model')).toEqual([]);
      expect(execution.calls.filter((c) => c.resource.endsWith(':sagemaker:updateModelPackage'))).toEqual([]);
      expect(aws.endpointConfig).toBe(expectedName(PREFIX, 'config', 'prod-1'));
      expect(aws.registry.newestApproved('stocks-models')?.arn).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8');
    });

    test('a reviewer-approved model that rolls back is rejected, and the next run is gated against the serving model', async () => {
      const registry = new FakeModelRegistry(CHAMPION);
      const first = await runManual({ registry, deployment: DeploymentOutcome.ROLLS_BACK, approvalStatuses: ['Approved'] }, 'prod-1');
      expect(first.run.status).toBe('FAILED');
      const second = await runManual({ registry, evaluation: NEXT_METRICS, approvalStatuses: ['Approved'] }, 'prod-2');
      expect(onlyCall(second.run, 'Describe champion')).toEqual({ ModelPackageName: CHAMPION_ARN });
      expect(second.run.status).toBe('SUCCEEDED');
      expect(registry.newestApproved('stocks-models')?.arn).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/9');
      expect(first.run.visited.slice(-4)).toEqual(['Discard new model', 'Reject model', 'Notify failure', 'Failed']);
      expect(registry.packages.map((p) => p.status)).toEqual(['Approved', 'Rejected', 'Approved']);
      expect(registry.packages[1].approvalDescription).toBe(`Not serving ${STOCKS_ENDPOINT}: run prod-1 ended with DeploymentRolledBack`);
    });

    test('a package nobody approved in time is withdrawn (Rejected), so a late approval cannot make it a champion', async () => {
      const { run: execution, aws } = await runManual({ champion: CHAMPION, approvalStatuses: ['PendingManualApproval'] }, 'prod-3');
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.visited.slice(-4)).toEqual(['Approval timed out', 'Withdraw model', 'Notify rejection', 'Rejected']);
      expect(onlyCall(execution, 'Withdraw model')).toEqual({
        ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8',
        ModelApprovalStatus: 'Rejected',
        ApprovalDescription: 'Not approved within 1 hour: run prod-3 did not deploy it',
      });
      expect(aws.registry.packages.map((p) => p.status)).toEqual(['Approved', 'Rejected']);
      expect(callsTo(execution, 'Create model')).toEqual([]);
      expect(aws.published.map((m) => m.message.outcome)).toEqual(['approval-needed', 'rejected']);
    });

    test('a run an alarm started: the approval request says so and names the alarm, before the first poll', async () => {
      const aws = new FakeAws({ evaluation: GOOD_METRICS, currentEndpointConfig: PREVIOUS_CONFIG, champion: CHAMPION, approvalStatuses: ['Approved'] });
      const alarm = 'freshet-prod-StocksMonitor-MaxFeatureDrift';
      const reason = `${alarm}: Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (0.2).`;
      const execution = await runStateMachine(manual.definition, {
        executionName: 'drift-1', input: { reason, alarm }, taskResponses: aws.taskResponses(manual.definition),
      });
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.visited).toContain('Started by alarm');
      expect(execution.visited).not.toContain('Started otherwise');
      // Sent before the workflow waits for the reviewer.
      expect(execution.visited.indexOf('Notify approval needed')).toBeLessThan(execution.visited.indexOf('Wait for approval'));
      expect(aws.published.map((m) => m.message.outcome)).toEqual(['approval-needed', 'deployed']);
      const [request] = aws.published;
      expect(request.topicArn).toBe(manual.topicArn);
      expect(request.message).toMatchObject({
        outcome: 'approval-needed',
        dataset: 'stocks',
        run: 'drift-1',
        startedByAlarm: alarm,
        reason,
        modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8',
        metrics: GOOD_METRICS,
        endpoint: STOCKS_ENDPOINT,
      });
      expect(request.message.message).toBe(`Run drift-1 was started by the alarm ${alarm} (${reason}). Its model passed the gate: approve or reject model package `
        + 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8 in SageMaker Model Registry within 1 hour.');
    });

    test('a run the schedule started: the approval request says it was not an alarm, and names no alarm', async () => {
      const aws = new FakeAws({ evaluation: GOOD_METRICS, currentEndpointConfig: PREVIOUS_CONFIG, champion: CHAMPION, approvalStatuses: ['Approved'] });
      const execution = await runStateMachine(manual.definition, {
        executionName: 'weekly-1', input: { reason: 'schedule' }, taskResponses: aws.taskResponses(manual.definition),
      });
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.visited).toContain('Started otherwise');
      const [request] = aws.published;
      expect(request.message).toMatchObject({ outcome: 'approval-needed', startedByAlarm: '', reason: 'schedule' });
      expect(request.message.message).toMatch(/^Run weekly-1 was started by schedule, not by an alarm\. Its model passed the gate: approve or reject model package .*stocks-models\/8/);
    });
  });
});

function expectEndpointUntouched(execution: StateMachineExecution, aws: FakeAws) {
  const states = execution.calls.map((c) => c.state);
  for (const state of ['Register model', ...ENDPOINT_STATES]) expect(states).not.toContain(state);
  // By API, not only by state name: the only CreateModel is the candidate the batch transform used (deleted after it).
  const createModels = execution.calls.filter((c) => c.resource.endsWith(':sagemaker:createModel')).map((c) => c.parameters.ModelName);
  expect(createModels).toEqual([expectedName(PREFIX, 'cand', RUN)]);
  expect(execution.calls.filter((c) => /:sagemaker:(createEndpointConfig|updateEndpoint|deleteEndpointConfig)$/.test(c.resource))).toEqual([]);
  expect(states.slice(0, TRAINING_STATES.length)).toEqual(TRAINING_STATES);
  expect(aws.endpointConfig).toBe(PREVIOUS_CONFIG);
  expect(aws.deletedEndpointConfigs).toEqual([]);
}

describe('stocks, first model: an account with no endpoint and no model package yet (ModelSource.fromFirstTraining)', () => {
  let first: SynthesizedPipeline;
  beforeAll(() => {
    first = stocksPipeline(true);
  });

  async function runFirst(options: Partial<FakeAwsOptions> = {}, executionName = 'first-run'): Promise<{ run: StateMachineExecution; aws: FakeAws }> {
    const aws = new FakeAws({ evaluation: GOOD_METRICS, endpointExists: false, ...options });
    const execution = await runStateMachine(first.definition, { executionName, taskResponses: aws.taskResponses(first.definition) });
    return { run: execution, aws };
  }

  test('the first passing run registers the model, creates the endpoint with it, polls to InService and notifies deployed', async () => {
    const { run: execution, aws } = await runFirst();
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Deployed');
    // No champion: the gate decides on the threshold alone, and the package is the group's first.
    expect(callsTo(execution, 'Describe champion')).toEqual([]);
    expect(onlyCall(execution, 'Gate').search).toEqual({ packages: [] });
    expect(onlyCall(execution, 'Register model').ModelApprovalStatus).toBe('PendingManualApproval');
    expect(onlyCall(execution, 'Approve model')).toMatchObject({ ModelApprovalStatus: 'Approved' });
    expect(aws.registry.packages.map((p) => p.status)).toEqual(['Approved']);

    const model = expectedName(PREFIX, 'model', 'first-run');
    const config = expectedName(PREFIX, 'config', 'first-run');
    const artifact = `s3://${first.lakeBucketName}/models/first-run/${expectedName(PREFIX, 'train', 'first-run')}/output/model.tar.gz`;
    expect(onlyCall(execution, 'Create model')).toMatchObject({
      ModelName: model, ExecutionRoleArn: first.modelRoleArn, EnableNetworkIsolation: true, PrimaryContainer: { ModelDataUrl: artifact },
    });
    expect(onlyCall(execution, 'Find endpoint')).toEqual({ NameContains: STOCKS_ENDPOINT, MaxResults: 100 });
    expect(execution.visited).toContain('No endpoint yet');
    expect(onlyCall(execution, 'Create endpoint config')).toMatchObject({
      EndpointConfigName: config, ProductionVariants: [{ VariantName: 'primary', ModelName: model, InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }],
    });
    expect(onlyCall(execution, 'Create endpoint')).toEqual({ EndpointName: STOCKS_ENDPOINT, EndpointConfigName: config });
    expect(aws.createdEndpoints).toEqual([{ name: STOCKS_ENDPOINT, config }]);
    for (const state of ['Describe endpoint', 'Update endpoint', 'Delete superseded config']) expect(callsTo(execution, state)).toEqual([]);
    // Creating first, then InService on the new config.
    expect(callsTo(execution, 'Check endpoint')).toHaveLength(2);
    expect(aws.endpointConfig).toBe(config);
    expect(aws.deletedEndpointConfigs).toEqual([]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', 'first-run')]);
    expect(aws.published.map((m) => m.message)).toEqual([expect.objectContaining({ outcome: 'deployed', endpoint: STOCKS_ENDPOINT })]);
    expect(aws.createdModels.map((m) => m.modelDataUrl)).toEqual([artifact, artifact]);
    expectEveryNameFitsSageMaker(execution);
  });

  test('an endpoint whose name only contains the target\'s is not taken for it: the run still creates the target', async () => {
    const { run: execution, aws } = await runFirst({ otherEndpoints: [`${STOCKS_ENDPOINT}-canary`, `old-${STOCKS_ENDPOINT}`] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(callsTo(execution, 'Create endpoint')).toHaveLength(1);
    expect(callsTo(execution, 'Update endpoint')).toEqual([]);
    expect(aws.createdEndpoints.map((e) => e.name)).toEqual([STOCKS_ENDPOINT]);
  });

  test('once the endpoint exists, the next run updates it with the guardrails and deletes the config the first run created', async () => {
    const firstConfig = expectedName(PREFIX, 'config', 'first-run');
    const { run: execution, aws } = await runFirst({ endpointExists: true, currentEndpointConfig: firstConfig, otherEndpoints: [`${STOCKS_ENDPOINT}-canary`] }, 'second-run');
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited).not.toContain('No endpoint yet');
    expect(callsTo(execution, 'Create endpoint')).toEqual([]);
    expect(onlyCall(execution, 'Update endpoint')).toMatchObject({
      EndpointName: STOCKS_ENDPOINT,
      EndpointConfigName: expectedName(PREFIX, 'config', 'second-run'),
      DeploymentConfig: { AutoRollbackConfiguration: { Alarms: [{ AlarmName: STOCKS_ROLLBACK_ALARM }] } },
    });
    expect(aws.deletedEndpointConfigs).toEqual([firstConfig]);
  });

  test('a created endpoint that ends Failed is deleted with its config and model, so the next run creates it again', async () => {
    const { run: execution, aws } = await runFirst({ deployment: DeploymentOutcome.FAILS });
    const config = expectedName(PREFIX, 'config', 'first-run');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentFailed');
    expect(execution.cause).toBe(`${STOCKS_ENDPOINT} is Failed after creation with ${config}`);
    expect(execution.visited.slice(-7)).toEqual(['First deployment failed', 'Discard new endpoint', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(aws.deletedEndpoints).toEqual([STOCKS_ENDPOINT]);
    expect(aws.endpointExists).toBe(false);
    expect(aws.deletedEndpointConfigs).toEqual([config]);
    expect(aws.deletedModels).toEqual([expectedName(PREFIX, 'cand', 'first-run'), expectedName(PREFIX, 'model', 'first-run')]);
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['failed']);
    // The first model never served: it is no champion, so the next run is gated on the threshold alone and creates the endpoint.
    expect(aws.registry.packages.map((p) => p.status)).toEqual(['Rejected']);
    const next = await runFirst({ registry: aws.registry, evaluation: { ...GOOD_METRICS, rmse: 3.4 } }, 'second-run');
    expect(callsTo(next.run, 'Describe champion')).toEqual([]);
    expect(next.run.status).toBe('SUCCEEDED');
    expect(next.aws.createdEndpoints.map((e) => e.name)).toEqual([STOCKS_ENDPOINT]);
    expect(aws.registry.packages.map((p) => p.status)).toEqual(['Rejected', 'Approved']);
  });

  test('a failed CreateEndpoint discards the new config and model, and the notification carries its error', async () => {
    const { run: execution, aws } = await runFirst({ failures: { 'sagemaker:createEndpoint': new FakeServiceError('SageMaker.ResourceLimitExceededException', 'ml.m5.large for endpoint usage') } });
    expect(execution.status).toBe('FAILED');
    expect(execution.visited.slice(-6)).toEqual(['Create endpoint', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(aws.deletedEndpoints).toEqual([]);
    expect(aws.published[0].message).toMatchObject({ error: 'SageMaker.ResourceLimitExceededException' });
  });
});

describe('stocks on a serverless endpoint (EndpointCompute.serverless with ModelSource.fromFirstTraining; issue 21, section 2)', () => {
  let serverless: SynthesizedPipeline;
  beforeAll(() => {
    serverless = stocksServerlessPipeline();
  });
  const CHAMPION = { arn: CHAMPION_ARN, metricName: 'rmse', metricValue: 3.5 };

  async function runServerless(options: Partial<FakeAwsOptions>, executionName: string): Promise<{ run: StateMachineExecution; aws: FakeAws }> {
    const aws = new FakeAws({ evaluation: GOOD_METRICS, endpointExists: false, ...options });
    const execution = await runStateMachine(serverless.definition, { executionName, taskResponses: aws.taskResponses(serverless.definition) });
    return { run: execution, aws };
  }

  test('the first passing run creates a serverless endpoint: ServerlessConfig from the endpoint\'s compute, no key, capture, isolation or VPC', async () => {
    const { run: execution, aws } = await runServerless({}, 'first-run');
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Deployed');
    const model = expectedName(PREFIX, 'model', 'first-run');
    const config = expectedName(PREFIX, 'config', 'first-run');
    const createModel = onlyCall(execution, 'Create model');
    expect(createModel).toMatchObject({ ModelName: model, ExecutionRoleArn: serverless.modelRoleArn });
    // SageMaker refuses both on serverless endpoints.
    expect(createModel.EnableNetworkIsolation).toBeUndefined();
    expect(createModel.VpcConfig).toBeUndefined();
    // The batch-transform candidate is still isolated: only the serving model is not.
    expect(onlyCall(execution, 'Create candidate model').EnableNetworkIsolation).toBe(true);
    expect(onlyCall(execution, 'Create endpoint config')).toEqual({
      EndpointConfigName: config,
      ProductionVariants: [{ VariantName: 'primary', ModelName: model, InitialVariantWeight: 1, ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 5 } }],
      Tags: [{ Key: 'freshet:baseline-uri', Value: `s3://${serverless.lakeBucketName}/baselines/first-run/` }],
    });
    expect(onlyCall(execution, 'Create endpoint')).toEqual({ EndpointName: STOCKS_ENDPOINT, EndpointConfigName: config });
    expect(aws.createdEndpoints).toEqual([{ name: STOCKS_ENDPOINT, config }]);
    expect(onlyCall(execution, 'Approve model')).toMatchObject({ ModelApprovalStatus: 'Approved' });
    expect(aws.published.map((m) => m.message)).toEqual([expect.objectContaining({ outcome: 'deployed', endpoint: STOCKS_ENDPOINT })]);
  });

  test('a later run updates it all at once: UpdateEndpoint has no DeploymentConfig, and the run waits for InService on the new config', async () => {
    const firstConfig = expectedName(PREFIX, 'config', 'first-run');
    const { run: execution, aws } = await runServerless({ endpointExists: true, currentEndpointConfig: firstConfig, champion: CHAMPION }, 'second-run');
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Deployed');
    expect(onlyCall(execution, 'Update endpoint')).toEqual({
      EndpointName: STOCKS_ENDPOINT, EndpointConfigName: expectedName(PREFIX, 'config', 'second-run'), RetainAllVariantProperties: false,
    });
    expect(onlyCall(execution, 'Create endpoint config').ProductionVariants[0].ServerlessConfig).toEqual({ MemorySizeInMB: 3072, MaxConcurrency: 5 });
    // Updating, then InService on the new config.
    expect(callsTo(execution, 'Check endpoint')).toHaveLength(2);
    expect(aws.endpointConfig).toBe(expectedName(PREFIX, 'config', 'second-run'));
    expect(aws.deletedEndpointConfigs).toEqual([firstConfig]);
    expect(aws.registry.newestApproved('stocks-models')?.arn).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8');
  });

  test('an update that fails leaves the endpoint InService on its previous config: the run discards the new config and model, rejects the package, '
    + 'notifies the failure, and the next run is gated against the model that still serves', async () => {
    const firstConfig = expectedName(PREFIX, 'config', 'first-run');
    const registry = new FakeModelRegistry(CHAMPION);
    const { run: execution, aws } = await runServerless({
      endpointExists: true, currentEndpointConfig: firstConfig, registry, deployment: DeploymentOutcome.FAILS_KEEPS_PREVIOUS,
    }, 'bad-run');
    const config = expectedName(PREFIX, 'config', 'bad-run');
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DeploymentFailed');
    expect(execution.cause).toBe(`${STOCKS_ENDPOINT} stayed on ${firstConfig} (InService): the update to ${config} failed (DescribeEndpoint FailureReason says why)`);
    expect(execution.visited.slice(-7)).toEqual(['Endpoint updated?', 'Deployment rolled back', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']);
    expect(onlyCall(execution, 'Update endpoint').DeploymentConfig).toBeUndefined();
    expect(aws.endpointConfig).toBe(firstConfig);
    expect(aws.deletedEndpointConfigs).toEqual([config]);
    expect(registry.packages.map((p) => p.status)).toEqual(['Approved', 'Rejected']);
    expect(aws.published.map((m) => [m.message.outcome, m.message.error])).toEqual([['failed', 'DeploymentFailed']]);

    const next = await runServerless({ endpointExists: true, currentEndpointConfig: firstConfig, registry, evaluation: { ...GOOD_METRICS, rmse: 3.3 } }, 'next-run');
    expect(onlyCall(next.run, 'Describe champion')).toEqual({ ModelPackageName: CHAMPION_ARN });
    expect(next.run.status).toBe('SUCCEEDED');
  });

  test('an endpoint that ends Failed after the update rejects the package too', async () => {
    const { run: execution, aws } = await runServerless({
      endpointExists: true, currentEndpointConfig: expectedName(PREFIX, 'config', 'first-run'), champion: CHAMPION, deployment: DeploymentOutcome.FAILS,
    }, 'failed-run');
    expect(execution.status).toBe('FAILED');
    expect(execution.visited.slice(-4)).toEqual(['Deployment failed', 'Reject model', 'Notify failure', 'Failed']);
    expect(aws.registry.packages.map((p) => p.status)).toEqual(['Approved', 'Rejected']);
  });

  test('a serverless target that asks for guardrails is refused at synth, naming what to change', () => {
    expect(() => stocksPipeline(false, ApprovalMode.AUTOMATIC, { serverless: true })).toThrow(/is serverless.*remove guardrails, or use a real-time endpoint/s);
  });
});

describe('pollution (DeepAR, registered without an endpoint)', () => {
  let pollution: SynthesizedPipeline;
  beforeAll(() => {
    pollution = pollutionPipeline();
  });

  test('a passing run trains DeepAR on JSON lines, gates on wQL, registers the model and notifies, with no endpoint step', async () => {
    const aws = new FakeAws({ evaluation: { wql: 0.12, mape: 0.18 }, champion: { arn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/pollution-models/3', metricName: 'wql', metricValue: 0.15 } });
    const execution = await runStateMachine(pollution.definition, {
      executionName: 'hourly-1',
      input: { hyperparameters: { epochs: '20' } },
      taskResponses: aws.taskResponses(pollution.definition),
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Registered');
    const lake = `s3://${pollution.lakeBucketName}`;
    const preprocess = onlyCall(execution, 'Preprocess');
    const args: string[] = preprocess.AppSpecification.ContainerArguments;
    expect(['--algorithm', '--freq', '--prediction-length', '--series-id-column'].map((flag) => args[args.indexOf(flag) + 1])).toEqual(['deepar', 'H', '24', 'device_id']);
    const train = onlyCall(execution, 'Train');
    expect(train.TrainingJobName).toBe(expectedName('ct-pollution', 'train', 'hourly-1'));
    expect(train.InputDataConfig.map((c: any) => [c.ChannelName, c.ContentType, c.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', 'application/jsonlines', `${lake}/training/hourly-1/train/`],
      ['test', 'application/jsonlines', `${lake}/training/hourly-1/test/`],
    ]);
    expect(train.HyperParameters).toMatchObject({ time_freq: 'H', context_length: '72', prediction_length: '24', epochs: '20' });
    expect(onlyCall(execution, 'Gate')).toMatchObject({ metricName: 'wql', metricValue: 0.12, higherIsBetter: false, threshold: 0.3, minImprovement: 0.01 });
    expect(onlyCall(execution, 'Register model')).toMatchObject({ ModelPackageGroupName: 'pollution-models', CustomerMetadataProperties: { gateMetricName: 'wql', gateMetricValue: '0.12' } });
    expect(execution.calls.map((c) => c.state)).not.toContain('Update endpoint');
    expect(aws.published.map((m) => m.message.outcome)).toEqual(['registered']);
  });

  describe('with manual approval', () => {
    let manual: SynthesizedPipeline;
    beforeAll(() => {
      manual = pollutionPipeline(ApprovalMode.MANUAL);
    });
    const evaluation = { wql: 0.12, mape: 0.18 };

    test('registers as PendingManualApproval and waits, polling, until a reviewer approves', async () => {
      const aws = new FakeAws({ evaluation, approvalStatuses: ['PendingManualApproval', 'PendingManualApproval', 'Approved'] });
      const execution = await runStateMachine(manual.definition, { executionName: 'hourly-2', taskResponses: aws.taskResponses(manual.definition) });
      expect(execution.status).toBe('SUCCEEDED');
      expect(onlyCall(execution, 'Register model').ModelApprovalStatus).toBe('PendingManualApproval');
      const checks = callsTo(execution, 'Check approval');
      expect(checks).toHaveLength(3);
      expect(new Set(checks.map((c) => c.parameters.ModelPackageName))).toEqual(new Set(['arn:aws:sagemaker:us-east-1:123456789012:model-package/pollution-models/2']));
      expect(execution.visited[execution.visited.length - 1]).toBe('Registered');
      expect(aws.published.map((m) => m.message.outcome)).toEqual(['approval-needed', 'registered']);
    });

    test('a reviewer\'s rejection ends the run rejected, saying so', async () => {
      const aws = new FakeAws({ evaluation, approvalStatuses: ['PendingManualApproval', 'Rejected'] });
      const execution = await runStateMachine(manual.definition, { executionName: 'hourly-3', taskResponses: aws.taskResponses(manual.definition) });
      expect(execution.status).toBe('SUCCEEDED');
      expect(execution.visited.slice(-4)).toEqual(['Approval decided?', 'Approval rejected', 'Notify rejection', 'Rejected']);
      expect(aws.published).toHaveLength(2);
      expect(aws.published[1].message).toMatchObject({
        outcome: 'rejected',
        reason: 'a reviewer rejected the model package arn:aws:sagemaker:us-east-1:123456789012:model-package/pollution-models/2',
      });
    });

    test('no decision within the approval timeout ends the run rejected after the last poll', async () => {
      const aws = new FakeAws({ evaluation, approvalStatuses: ['PendingManualApproval'] });
      const execution = await runStateMachine(manual.definition, { executionName: 'hourly-4', taskResponses: aws.taskResponses(manual.definition) });
      expect(execution.status).toBe('SUCCEEDED');
      // One hour at the default one-minute poll interval.
      expect(callsTo(execution, 'Check approval')).toHaveLength(60);
      expect(execution.visited.slice(-4)).toEqual(['Approval timed out', 'Withdraw model', 'Notify rejection', 'Rejected']);
      expect(aws.registry.packages.map((p) => p.status)).toEqual(['Rejected']);
      expect(aws.published[1].message.reason).toMatch(/^nobody approved the model package .* within 1 hour$/);
    });
  });
});

describe('stocks (XGBoost, registered without an endpoint)', () => {
  test('training gets the scripts zip and the run\'s serving files as channels; every model runs the artifact\'s inference.py', async () => {
    const xgb = stocksXgboostPipeline();
    const aws = new FakeAws({ evaluation: GOOD_METRICS });
    const execution = await runStateMachine(xgb.definition, { executionName: 'xgb-1', input: {}, taskResponses: aws.taskResponses(xgb.definition) });
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.visited[execution.visited.length - 1]).toBe('Registered');
    const lake = `s3://${xgb.lakeBucketName}`;
    const preprocessCode = onlyCall(execution, 'Preprocess').ProcessingInputs.find((i: any) => i.InputName === 'code').S3Input.S3Uri;
    const train = onlyCall(execution, 'Train');
    expect(train.InputDataConfig.map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3Uri])).toEqual([
      ['train', `${lake}/training/xgb-1/train/`],
      ['validation', `${lake}/training/xgb-1/validation/`],
      ['code', preprocessCode],
      ['serving', `${lake}/training/xgb-1/serving/`],
    ]);
    expect(train.AlgorithmSpecification.ContainerEntrypoint[3]).toBe('xgboost_train.py');
    expect(train.HyperParameters).toMatchObject({ num_round: '100', objective: 'reg:squarederror' });
    // With the offline code/ install (PIP_NO_BUILD_ISOLATION=0) and the text/csv default accept (issue 22).
    const env = {
      SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    };
    expect(onlyCall(execution, 'Create candidate model').PrimaryContainer.Environment).toEqual(env);
    expect(onlyCall(execution, 'Register model').InferenceSpecification.Containers[0].Environment).toEqual(env);
    // Batch Transform reads the raw request rows preprocess writes, as text/csv lines.
    expect(onlyCall(execution, 'Transform test channel').TransformInput).toMatchObject({
      DataSource: { S3DataSource: { S3Uri: `${lake}/training/xgb-1/transform-input/` } }, ContentType: 'text/csv', SplitType: 'Line',
    });
  });
});
