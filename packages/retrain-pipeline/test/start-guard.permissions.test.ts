import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  AwsRequestRecorder, formatDenials, MotoServer, PermissionLedger, PermissionModel, SfnEmulator,
  startAwsRequestRecorder, startMotoServer, startSfnEmulator,
} from '@freshet/test-utils';
import { Stack } from 'aws-cdk-lib';
import { RunLock } from '../src/handlers/start-guard/run-lock';
import { releaseEnded, startUnlessRunning } from '../src/handlers/start-guard.lambda';
import { pollutionPipeline } from './execution/fixtures/pipelines';

/**
 * Issue 14: every request the start guard sends to the Step Functions fake,
 * recorded on the wire, evaluated against the guard's role as RetrainPipeline
 * synthesizes it (the state machine ARN translated to the one in the
 * function's environment), and every request to its run lock table (moto),
 * the test's table name translated to the synthesized one. The schedule and
 * the deployment rule that invoke the guard are proven in apps/ml-platform.
 */

const TEST_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Retrain';
const synthesized = pollutionPipeline();
const model = PermissionModel.fromStack(Stack.of(synthesized.pipeline));
const ledger = new PermissionLedger('retrain-pipeline (start guard)');
const guardPath = synthesized.pipeline.startGuardFunction.node.path;
const deployed = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${guardPath}/Resource`)!;
const TEST_TABLE = 'run-lock-permissions';
const variables = deployed.properties.Environment.Variables;
const names = { [TEST_MACHINE]: String(variables.STATE_MACHINE_ARN), [TEST_TABLE]: variables.RUN_LOCK_TABLE_NAME };
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let emulator: SfnEmulator;
let moto: MotoServer;
let recorder: AwsRequestRecorder;
let tableRecorder: AwsRequestRecorder;
let client: SFNClient;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  [emulator, moto] = await Promise.all([startSfnEmulator(), startMotoServer()]);
  recorder = await startAwsRequestRecorder(emulator.endpoint);
  tableRecorder = await startAwsRequestRecorder(moto.endpoint);
  client = new SFNClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  // The table is created on moto directly, so only the guard's own requests are recorded.
  const setup = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  await setup.send(new CreateTableCommand({
    TableName: TEST_TABLE,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  setup.destroy();
  dynamodb = new DynamoDBClient({ endpoint: tableRecorder.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  dynamodb.destroy();
  await Promise.all([recorder.stop(), tableRecorder.stop()]);
  await Promise.all([emulator.stop(), moto.stop()]);
  console.log(ledger.summary());
});

test('starting under the lock, skipping while the holder runs, the idempotent retry, a takeover and the release: every call is allowed on its own state machine and lock table only', async () => {
  const lock = new RunLock(dynamodb, client, TEST_TABLE, TEST_MACHINE);
  expect(await startUnlessRunning(lock, { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' })).toMatchObject({ started: true });
  expect(await startUnlessRunning(lock, { reason: 'deployment', scheduledTime: '2024-05-02T03:00:00Z' })).toMatchObject({ skipped: 'running' });
  emulator.executions[0].status = 'SUCCEEDED';
  expect(await startUnlessRunning(lock, { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' })).toMatchObject({ skipped: 'exists' });
  // Taken over from the ended holder, then given back when the new run ends.
  expect(await startUnlessRunning(lock, { reason: 'schedule', scheduledTime: '2024-05-03T03:00:00Z' })).toMatchObject({ started: true });
  emulator.executions[1].status = 'FAILED';
  expect(await releaseEnded(lock, { 'detail-type': 'Step Functions Execution Status Change', 'detail': { name: emulator.executions[1].name, status: 'FAILED' } }))
    .toMatchObject({ released: true });

  const requests = [...recorder.requests.splice(0), ...tableRecorder.requests.splice(0)];
  expect(new Set(requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'states:ListExecutions', 'states:StartExecution', 'states:DescribeExecution', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem',
  ]));
  // Each execution's ARN, under the synthesized state machine's name.
  const executionNames = Object.fromEntries(emulator.executions.map((e) => [e.executionArn, `${names[TEST_MACHINE].replace(':stateMachine:', ':execution:')}:${e.name}`]));
  const decisions = await ledger.evaluateRequests(model, requests, guardPath, { ...names, ...executionNames });
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  // The same calls on another state machine (and its executions) or another table are denied.
  const elsewhere = await model.evaluateAll(decisions.map((d) => ({
    ...d.call,
    resource: d.call.action.startsWith('dynamodb:') ? 'arn:aws:dynamodb:us-east-1:123456789012:table/other'
      : d.call.action === 'states:DescribeExecution' ? 'arn:aws:states:us-east-1:123456789012:execution:Other:run' : 'arn:aws:states:us-east-1:123456789012:stateMachine:Other',
  })));
  expect(elsewhere.filter((d) => d.allowed)).toEqual([]);
});
