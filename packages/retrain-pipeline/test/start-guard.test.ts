import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { MotoServer, SfnEmulator, startMotoServer, startSfnEmulator } from '@freshet/test-utils';
import { RUN_LOCK_KEY, RunLock, STALE_UNSTARTED_SECONDS } from '../src/handlers/start-guard/run-lock';
import { executionNameFor, releaseEnded, startUnlessRunning } from '../src/handlers/start-guard.lambda';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Retrain';
const OTHER_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Other';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let moto: MotoServer;
let dynamodb: DynamoDBClient;
let emulator: SfnEmulator;
let client: SFNClient;
let tableName: string;
let tables = 0;
let clock: Date;

/** The guard's lock as the function builds it, with the test's clock. */
const lock = () => new RunLock(dynamodb, client, tableName, STATE_MACHINE, () => clock);
const ended = (name: string, status = 'SUCCEEDED') => ({ 'detail-type': 'Step Functions Execution Status Change' as const, 'detail': { name, status } });

beforeAll(async () => {
  moto = await startMotoServer();
  dynamodb = new DynamoDBClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
});

afterAll(async () => {
  dynamodb?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  clock = new Date('2024-05-01T03:00:00Z');
  tables += 1;
  tableName = `run-lock-${tables}`;
  await dynamodb.send(new CreateTableCommand({
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  emulator = await startSfnEmulator();
  client = new SFNClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
});

afterEach(async () => {
  client.destroy();
  await emulator.stop();
});

const running = () => emulator.executions.filter((e) => e.stateMachineArn === STATE_MACHINE && e.status === 'RUNNING');

test('starts a run named after the scheduled time when nothing runs, and holds the lock for it', async () => {
  emulator.addExecution(STATE_MACHINE, 'yesterday', 'SUCCEEDED');
  emulator.addExecution(OTHER_MACHINE, 'busy-elsewhere', 'RUNNING');
  const result = await startUnlessRunning(lock(), { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' });
  expect(result).toMatchObject({ started: true, executionName: 'schedule-2024-05-01T03-00-00Z' });
  const started = emulator.executions.find((e) => e.name === 'schedule-2024-05-01T03-00-00Z')!;
  expect(started).toMatchObject({ stateMachineArn: STATE_MACHINE, status: 'RUNNING' });
  expect(JSON.parse(started.input)).toEqual({ reason: 'schedule' });
  expect(emulator.calls.map((c) => c.operation)).toEqual(['ListExecutions', 'StartExecution']);
  expect(await lock().holder()).toMatchObject({ executionName: 'schedule-2024-05-01T03-00-00Z', executionArn: started.executionArn, starter: 'schedule' });
});

test('skips while a run holds the lock; starts once the run ended and gave it back', async () => {
  const first = await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(first.started).toBe(true);
  const hidden = emulator.executions[0];
  const skipped = await startUnlessRunning(lock(), { reason: 'deployment', scheduledTime: '2024-05-01T03:00:05Z' });
  expect(skipped).toMatchObject({ started: false, skipped: 'running', runningExecutionArn: hidden.executionArn });
  expect(running()).toHaveLength(1);

  hidden.status = 'FAILED';
  expect(await releaseEnded(lock(), ended(hidden.name, 'FAILED'))).toEqual({ released: true, executionName: hidden.name });
  expect(await lock().holder()).toBeUndefined();
  const next = await startUnlessRunning(lock(), { scheduledTime: '2024-05-02T03:00:00Z' });
  expect(next).toMatchObject({ started: true, executionName: 'schedule-2024-05-02T03-00-00Z' });
});

test('a lock whose execution ended without the release event is taken over (DescribeExecution finds it ended)', async () => {
  await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:00:00Z' });
  emulator.executions[0].status = 'ABORTED';
  const next = await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T04:00:00Z' });
  expect(next).toMatchObject({ started: true, executionName: 'schedule-2024-05-01T04-00-00Z' });
  // The late release of the old run changes nothing.
  expect(await releaseEnded(lock(), ended('schedule-2024-05-01T03-00-00Z', 'ABORTED'))).toMatchObject({ released: false });
  expect(await lock().holder()).toMatchObject({ executionName: 'schedule-2024-05-01T04-00-00Z' });
});

test('a lock taken by a starter that died before StartExecution blocks until it is stale, then is taken over', async () => {
  const dead = lock();
  // The item as a killed starter leaves it: taken, no execution of that name.
  await (dead as any).take(undefined, 'trigger-dead-start', 'trigger');
  expect(await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:00:00Z' })).toMatchObject({ started: false, skipped: 'running' });
  clock = new Date(clock.getTime() + (STALE_UNSTARTED_SECONDS - 1) * 1000);
  expect(await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:10:00Z' })).toMatchObject({ started: false, skipped: 'running' });
  clock = new Date(clock.getTime() + 2000);
  expect(await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:20:00Z' })).toMatchObject({ started: true });
  expect(running()).toHaveLength(1);
});

test('is idempotent: a repeated invocation for the same scheduled time starts nothing new', async () => {
  const first = await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(first.started).toBe(true);
  // The first run finished quickly (its release not delivered yet); the scheduler retries the same event.
  emulator.executions[0].status = 'SUCCEEDED';
  const retry = await startUnlessRunning(lock(), { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(retry).toEqual({ started: false, executionName: 'schedule-2024-05-01T03-00-00Z', skipped: 'exists' });
  expect(emulator.executions.filter((e) => e.stateMachineArn === STATE_MACHINE)).toHaveLength(1);
});

test('10 starts at the same instant (schedule and deployments) start exactly one run, 20 rounds over', async () => {
  for (let round = 0; round < 20; round++) {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => startUnlessRunning(lock(), {
      reason: i % 2 === 0 ? 'schedule' : 'deployment', scheduledTime: `2024-05-${String(round + 1).padStart(2, '0')}T03:00:${String(i).padStart(2, '0')}Z`,
    })));
    expect(results.filter((r) => r.started)).toHaveLength(1);
    expect(running()).toHaveLength(1);
    const [run] = running();
    run.status = 'SUCCEEDED';
    await releaseEnded(lock(), ended(run.name));
  }
  expect(emulator.executions).toHaveLength(20);
});

test('a start the service refuses gives the lock back (no execution exists) and propagates, so the scheduler retries', async () => {
  const badClient = new SFNClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  await expect(startUnlessRunning(new RunLock(dynamodb, badClient, tableName, STATE_MACHINE, () => clock), {})).rejects.toThrow();
  badClient.destroy();
  expect(await startUnlessRunning(lock(), { reason: 'bad name!'.repeat(20), scheduledTime: 'not a time' })).toMatchObject({ started: true });
  expect((await lock().holder())?.executionName).toMatch(/^bad-name-/);
  expect(RUN_LOCK_KEY).toBe('run-lock');
});

test('an execution end event without a name is refused with a clear error', async () => {
  await expect(releaseEnded(lock(), { 'detail-type': 'Step Functions Execution Status Change', 'detail': {} } as any)).rejects.toThrow(/needs detail.name/);
});

test('execution names are valid Step Functions names', () => {
  const fixed = () => new Date('2024-01-02T03:04:05.678Z');
  expect(executionNameFor({}, fixed)).toBe('schedule-2024-01-02T03-04-05Z');
  expect(executionNameFor({ reason: 'drift alarm', scheduledTime: 'garbage' }, fixed)).toBe('drift-alarm-2024-01-02T03-04-05Z');
  const long = executionNameFor({ reason: 'x'.repeat(200) }, fixed);
  expect(long.length).toBeLessThanOrEqual(80);
  expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
});
