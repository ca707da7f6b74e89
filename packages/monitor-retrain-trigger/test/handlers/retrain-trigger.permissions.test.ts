import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  AwsRequestRecorder, CodePipelineEmulator, formatDenials, MotoServer, PermissionLedger, PermissionModel,
  startAwsRequestRecorder, startCodePipelineEmulator, startMotoServer,
} from '@freshet/test-utils';
import { alarmEvent, REGION } from './trigger-harness';
import { dependenciesFromEnvironment } from '../../src/handlers/retrain-trigger/environment';
import { ENVIRONMENT, PIPELINE_VARIABLES, TARGET_KINDS } from '../../src/handlers/retrain-trigger/environment-names';
import { createRetrainTriggerHandler } from '../../src/handlers/retrain-trigger/retrain-trigger';
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
const ledger = new PermissionLedger('monitor-retrain-trigger (trigger)');

let moto: MotoServer;
let codepipeline: CodePipelineEmulator;
let recorder: AwsRequestRecorder;
let pipelineRecorder: AwsRequestRecorder;
let sfn: SFNClient;
let stateMachineArn: string;

/** The synthesized function's environment and role, from one fixture stack. */
function deployed(fixture: ReturnType<typeof stateMachineTrigger> | ReturnType<typeof pipelineTrigger>) {
  const model = PermissionModel.fromStack(fixture.stack);
  const path = fixture.trigger.function.node.path;
  const fn = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${path}/Resource`)!;
  return { model, path, variables: fn.properties.Environment.Variables as Record<string, string> };
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
    AWS_ENDPOINT_URL_CODEPIPELINE: pipelineRecorder.endpoint,
  });
  // The fixtures are created on moto directly, so only the trigger's own requests are recorded.
  const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
  await dynamodb.send(new CreateTableCommand({
    TableName: TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  dynamodb.destroy();
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

test('the state machine target: start, an in-flight skip and a duplicate are allowed on its table and state machine only', async () => {
  const { model, path, variables } = deployed(stateMachineTrigger());
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
  const event = alarmEvent();
  expect(await trigger(event)).toMatchObject({ started: true });
  expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight' });
  for (const execution of (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? []) {
    await sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
  }
  clock = new Date(clock.getTime() + 120_000);
  expect(await trigger(event)).toMatchObject({ started: false, reason: 'duplicate' });

  const requests = recorder.requests.splice(0);
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'states:ListExecutions', 'states:StartExecution',
  ]));
  const names = { [TABLE]: variables[ENVIRONMENT.tableName], [stateMachineArn]: variables[ENVIRONMENT.stateMachineArn] };
  const decisions = await ledger.evaluateRequests(model, requests, path, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);

  // Least privilege: the same calls on another table or state machine are denied.
  const elsewhere = await model.evaluateAll(decisions.map((d) => ({
    ...d.call,
    resource: d.call.action.startsWith('dynamodb:')
      ? 'arn:aws:dynamodb:us-east-1:123456789012:table/other'
      : 'arn:aws:states:us-east-1:123456789012:stateMachine:Other',
  })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});

test('the CodePipeline target: start and an in-flight skip are allowed on its pipeline only', async () => {
  const { model, path, variables } = deployed(pipelineTrigger());
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
  expect(await trigger(alarmEvent())).toMatchObject({ started: true });
  expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight' });

  const requests = [...recorder.requests.splice(0), ...pipelineRecorder.requests.splice(0)];
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'codepipeline:ListPipelineExecutions', 'codepipeline:StartPipelineExecution',
  ]));
  const names = { [TABLE]: variables[ENVIRONMENT.tableName], 'retrain-pollution': variables[ENVIRONMENT.pipelineName] };
  const decisions = await ledger.evaluateRequests(model, requests, path, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  const elsewhere = await model.evaluateAll(decisions.filter((d) => d.call.action.startsWith('codepipeline:'))
    .map((d) => ({ ...d.call, resource: 'arn:aws:codepipeline:us-east-1:123456789012:other-pipeline' })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});
