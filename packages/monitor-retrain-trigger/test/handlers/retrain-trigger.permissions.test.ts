import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  AwsRequestRecorder, CodePipelineEmulator, formatDenials, MotoServer, PermissionLedger, PermissionModel,
  startAwsRequestRecorder, startCodePipelineEmulator, startMotoServer,
} from '@freshet/test-utils';
import { alarmEvent, executionEnded, pipelineEnded, REGION, tickEvent } from './trigger-harness';
import { dependenciesFromEnvironment } from '../../src/handlers/retrain-trigger/environment';
import { ENVIRONMENT, PIPELINE_VARIABLES, TARGET_KINDS } from '../../src/handlers/retrain-trigger/environment-names';
import { createRetrainTriggerHandler } from '../../src/handlers/retrain-trigger/retrain-trigger';
import { buildMonitor } from '../fixtures/monitors';
import { pipelineTrigger, stateMachineTrigger } from '../trigger/fixtures';

/**
 * Issue 14: every request the trigger sends, recorded on the wire in front of
 * moto (DynamoDB, Step Functions) and the CodePipeline fake, evaluated against
 * the trigger function's role as RetrainTrigger synthesizes it. The test's
 * table, state machine and pipeline names are translated to the synthesized
 * ones read from the function's environment.
 */

const CREDENTIALS = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' };
const TABLE = 'storm-permissions';
const LOCK_TABLE = 'run-lock-permissions';
const ALARM = 'stocks-MaxFeatureDrift';
const ledger = new PermissionLedger('monitor-retrain-trigger (trigger)');

let moto: MotoServer;
let codepipeline: CodePipelineEmulator;
let recorder: AwsRequestRecorder;
let pipelineRecorder: AwsRequestRecorder;
let sfn: SFNClient;
let stateMachineArn: string;

/** The synthesized function's environment and role, from one fixture stack. */
function deployed(fixture: { stack: any; trigger: { function: { node: { path: string } }; watchedAlarms: { node: { path: string } }[] } }) {
  const model = PermissionModel.fromStack(fixture.stack);
  const path = fixture.trigger.function.node.path;
  const fn = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${path}/Resource`)!;
  // The test's alarm is the first watched alarm, by its synthesized name.
  const alarm = model.resources.find((r) => r.type === 'AWS::CloudWatch::Alarm' && r.path === `${fixture.trigger.watchedAlarms[0].node.path}/Resource`)!;
  return { model, path, variables: fn.properties.Environment.Variables as Record<string, string>, alarmName: alarm.arn!.split(':alarm:')[1] };
}

/** Each execution's ARN, under the synthesized state machine's name. */
async function executionNames(synthesizedMachine: string): Promise<Record<string, string>> {
  const executions = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
  return Object.fromEntries(executions.map((e) => [e.executionArn!, `${synthesizedMachine.replace(':stateMachine:', ':execution:')}:${e.name}`]));
}

async function stopAll(): Promise<void> {
  for (const execution of (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }))).executions ?? []) {
    await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
  }
}

beforeAll(async () => {
  [moto, codepipeline] = await Promise.all([startMotoServer(), startCodePipelineEmulator()]);
  recorder = await startAwsRequestRecorder(moto.endpoint);
  pipelineRecorder = await startAwsRequestRecorder(codepipeline.endpoint);
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: recorder.endpoint,
    AWS_ENDPOINT_URL_SFN: recorder.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: recorder.endpoint,
    AWS_ENDPOINT_URL_CODEPIPELINE: pipelineRecorder.endpoint,
  });
  // The fixtures are created on moto directly, so only the trigger's own requests are recorded.
  const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
  for (const TableName of [TABLE, LOCK_TABLE]) {
    await dynamodb.send(new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
  }
  dynamodb.destroy();
  // The watched alarm, in ALARM: a retry reads it.
  const cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
  await cloudwatch.send(new PutMetricAlarmCommand({
    AlarmName: ALARM, Namespace: 'Freshet/Drift', MetricName: 'MaxFeatureDrift', Statistic: 'Maximum', Period: 3600, EvaluationPeriods: 1, Threshold: 0.2, ComparisonOperator: 'GreaterThanThreshold',
  }));
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: ALARM, StateValue: 'ALARM', StateReason: 'Threshold Crossed' }));
  cloudwatch.destroy();
  sfn = new SFNClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
  const machine = await sfn.send(new CreateStateMachineCommand({
    name: 'RetrainStocks',
    definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    roleArn: 'arn:aws:iam::123456789012:role/retrain',
  }));
  stateMachineArn = machine.stateMachineArn!;
  codepipeline.addPipeline('retrain-pollution', { variables: [PIPELINE_VARIABLES.alarm, PIPELINE_VARIABLES.reason] });
});

afterAll(async () => {
  sfn?.destroy();
  await Promise.all([recorder?.stop(), pipelineRecorder?.stop()]);
  await Promise.all([moto?.stop(), codepipeline?.stop()]);
  console.log(ledger.summary());
});

test('the state machine target: start, an in-flight skip, a duplicate, a failed run settled by a tick and its retry are allowed on its table, state machine and alarms only', async () => {
  const { model, path, variables, alarmName } = deployed(stateMachineTrigger());
  let clock = new Date('2026-03-02T08:00:00Z');
  const trigger = createRetrainTriggerHandler({
    ...dependenciesFromEnvironment({
      ...process.env,
      [ENVIRONMENT.tableName]: TABLE,
      [ENVIRONMENT.targetKind]: TARGET_KINDS.stateMachine,
      [ENVIRONMENT.stateMachineArn]: stateMachineArn,
      [ENVIRONMENT.cooldownSeconds]: '60',
      [ENVIRONMENT.dailyCap]: '3',
    }),
    now: () => clock,
    log: () => undefined,
  });
  const event = alarmEvent({ alarmName: ALARM });
  expect(await trigger(event)).toMatchObject({ started: true });
  expect(await trigger(alarmEvent({ alarmName: ALARM }))).toMatchObject({ started: false, reason: 'in-flight' });
  await stopAll();
  clock = new Date(clock.getTime() + 120_000);
  expect(await trigger(event)).toMatchObject({ started: false, reason: 'duplicate' });
  // The run was stopped (ABORTED) and its end event lost: the tick settles it (DescribeExecution) and retries (DescribeAlarms).
  expect(await trigger(tickEvent())).toMatchObject({ started: true });
  await stopAll();

  const requests = recorder.requests.splice(0);
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:ListExecutions', 'states:StartExecution', 'states:DescribeExecution', 'monitoring:DescribeAlarms',
  ]));
  const synthesizedMachine = variables[ENVIRONMENT.stateMachineArn];
  const names = {
    [TABLE]: variables[ENVIRONMENT.tableName],
    [stateMachineArn]: synthesizedMachine,
    [ALARM]: alarmName,
    ...(await executionNames(synthesizedMachine)),
  };
  const decisions = await ledger.evaluateRequests(model, requests, path, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);

  // Least privilege: the same calls on another table, state machine, execution or alarm are denied.
  const elsewhere = await model.evaluateAll(decisions.map((d) => ({
    ...d.call,
    resource: d.call.action.startsWith('dynamodb:') ? 'arn:aws:dynamodb:us-east-1:123456789012:table/other'
      : d.call.action === 'states:DescribeExecution' ? 'arn:aws:states:us-east-1:123456789012:execution:Other:run'
        : d.call.action === 'cloudwatch:DescribeAlarms' ? 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:other'
          : 'arn:aws:states:us-east-1:123456789012:stateMachine:Other',
  })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});

test('a RetrainPipeline target: the trigger takes the pipeline\'s run lock, and every call is allowed by the role MonitorRetrainTrigger synthesizes', async () => {
  const { monitor } = buildMonitor();
  const { model, path, variables, alarmName } = deployed({ stack: monitor.node.scope, trigger: monitor.trigger });
  expect(variables[ENVIRONMENT.runLockTableName]).toBeDefined();
  let clock = new Date('2026-03-04T08:00:00Z');
  const trigger = createRetrainTriggerHandler({
    ...dependenciesFromEnvironment({
      ...process.env,
      [ENVIRONMENT.tableName]: TABLE,
      [ENVIRONMENT.targetKind]: TARGET_KINDS.stateMachine,
      [ENVIRONMENT.stateMachineArn]: stateMachineArn,
      [ENVIRONMENT.runLockTableName]: LOCK_TABLE,
      [ENVIRONMENT.cooldownSeconds]: '60',
      [ENVIRONMENT.dailyCap]: '10',
    }, () => clock),
    now: () => clock,
    log: () => undefined,
  });
  expect(await trigger(alarmEvent({ alarmName: ALARM, at: clock }))).toMatchObject({ started: true });
  expect(await trigger(alarmEvent({ alarmName: ALARM, at: clock }))).toMatchObject({ started: false, reason: 'in-flight' });
  const [running] = (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' }))).executions!;
  await stopAll();
  clock = new Date(clock.getTime() + 120_000);
  // The run failed: its end event gives the cooldown back, and the retry takes over the ended holder's lock.
  expect(await trigger(executionEnded(running.executionArn!, 'FAILED'))).toMatchObject({ started: true });
  await stopAll();

  const requests = recorder.requests.splice(0);
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:ListExecutions', 'states:StartExecution', 'states:DescribeExecution', 'monitoring:DescribeAlarms',
  ]));
  expect(requests.filter((r) => r.service === 'dynamodb' && r.params.TableName === LOCK_TABLE).map((r) => r.operation)).toContain('PutItem');
  const synthesizedMachine = String(variables[ENVIRONMENT.stateMachineArn]);
  const names = {
    [TABLE]: variables[ENVIRONMENT.tableName],
    [LOCK_TABLE]: variables[ENVIRONMENT.runLockTableName],
    [stateMachineArn]: synthesizedMachine,
    [ALARM]: alarmName,
    ...(await executionNames(synthesizedMachine)),
  };
  const decisions = await ledger.evaluateRequests(model, requests, path, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  const elsewhere = await model.evaluateAll(decisions.filter((d) => d.call.action.startsWith('dynamodb:'))
    .map((d) => ({ ...d.call, resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/other' })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});

test('the CodePipeline target: start and an in-flight skip are allowed on its pipeline only', async () => {
  const { model, path, variables, alarmName } = deployed(pipelineTrigger());
  const trigger = createRetrainTriggerHandler({
    ...dependenciesFromEnvironment({
      ...process.env,
      [ENVIRONMENT.tableName]: TABLE,
      [ENVIRONMENT.targetKind]: TARGET_KINDS.codePipeline,
      [ENVIRONMENT.pipelineName]: 'retrain-pollution',
      [ENVIRONMENT.cooldownSeconds]: '60',
      [ENVIRONMENT.dailyCap]: '3',
    }),
    now: () => new Date('2026-03-05T08:00:00Z'),
    log: () => undefined,
  });
  expect(await trigger(alarmEvent({ alarmName: ALARM }))).toMatchObject({ started: true });
  expect(await trigger(alarmEvent({ alarmName: ALARM }))).toMatchObject({ started: false, reason: 'in-flight' });
  // A tick reads the run's status; the run failed, and its end event retries.
  expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'idle' });
  codepipeline.executions[0].status = 'Failed';
  expect(await trigger(pipelineEnded(codepipeline.executions[0].pipelineExecutionId, 'FAILED'))).toMatchObject({ started: true });

  const requests = [...recorder.requests.splice(0), ...pipelineRecorder.requests.splice(0)];
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'codepipeline:ListPipelineExecutions', 'codepipeline:StartPipelineExecution',
    'codepipeline:GetPipelineExecution', 'monitoring:DescribeAlarms',
  ]));
  const names = { [TABLE]: variables[ENVIRONMENT.tableName], 'retrain-pollution': variables[ENVIRONMENT.pipelineName], [ALARM]: alarmName };
  const decisions = await ledger.evaluateRequests(model, requests, path, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  const elsewhere = await model.evaluateAll(decisions.filter((d) => d.call.action.startsWith('codepipeline:'))
    .map((d) => ({ ...d.call, resource: 'arn:aws:codepipeline:us-east-1:123456789012:other-pipeline' })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});
