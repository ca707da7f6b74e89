import { SFNClient } from '@aws-sdk/client-sfn';
import { SfnEmulator, startSfnEmulator } from '@freshet/test-utils';
import { executionNameFor, startUnlessRunning } from '../src/handlers/start-guard.lambda';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Retrain';
const OTHER_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Other';

let emulator: SfnEmulator;
let client: SFNClient;

beforeEach(async () => {
  emulator = await startSfnEmulator();
  client = new SFNClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

afterEach(async () => {
  client.destroy();
  await emulator.stop();
});

test('starts a run named after the scheduled time when nothing runs', async () => {
  emulator.addExecution(STATE_MACHINE, 'yesterday', 'SUCCEEDED');
  emulator.addExecution(OTHER_MACHINE, 'busy-elsewhere', 'RUNNING');
  const result = await startUnlessRunning(client, STATE_MACHINE, { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' });
  expect(result).toMatchObject({ started: true, executionName: 'schedule-2024-05-01T03-00-00Z' });
  const started = emulator.executions.find((e) => e.name === 'schedule-2024-05-01T03-00-00Z')!;
  expect(started).toMatchObject({ stateMachineArn: STATE_MACHINE, status: 'RUNNING' });
  expect(JSON.parse(started.input)).toEqual({ reason: 'schedule' });
  expect(emulator.calls.map((c) => c.operation)).toEqual(['ListExecutions', 'StartExecution']);
  expect(emulator.calls[0].body).toMatchObject({ stateMachineArn: STATE_MACHINE, statusFilter: 'RUNNING' });
});

test('skips while a run is in flight, and starts once it has ended', async () => {
  const running = emulator.addExecution(STATE_MACHINE, 'drift-run', 'RUNNING');
  const skipped = await startUnlessRunning(client, STATE_MACHINE, { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(skipped).toMatchObject({ started: false, skipped: 'running', runningExecutionArn: running.executionArn });
  expect(emulator.calls.map((c) => c.operation)).toEqual(['ListExecutions']);
  expect(emulator.executions).toHaveLength(1);

  running.status = 'SUCCEEDED';
  const started = await startUnlessRunning(client, STATE_MACHINE, { scheduledTime: '2024-05-02T03:00:00Z' });
  expect(started).toMatchObject({ started: true, executionName: 'schedule-2024-05-02T03-00-00Z' });
});

test('is idempotent: a repeated invocation for the same scheduled time starts nothing new', async () => {
  const first = await startUnlessRunning(client, STATE_MACHINE, { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(first.started).toBe(true);
  // The first run finished quickly; the scheduler retries the same event.
  emulator.executions[0].status = 'SUCCEEDED';
  const retry = await startUnlessRunning(client, STATE_MACHINE, { scheduledTime: '2024-05-01T03:00:00Z' });
  expect(retry).toEqual({ started: false, executionName: 'schedule-2024-05-01T03-00-00Z', skipped: 'exists' });
  expect(emulator.executions.filter((e) => e.stateMachineArn === STATE_MACHINE)).toHaveLength(1);
});

test('other service errors propagate (so the scheduler retries and the DLQ keeps the event)', async () => {
  await expect(startUnlessRunning(client, STATE_MACHINE, { reason: 'bad name!'.repeat(20), scheduledTime: 'not a time' }))
    .resolves.toMatchObject({ started: true });
  const badClient = new SFNClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  await expect(startUnlessRunning(badClient, STATE_MACHINE, {})).rejects.toThrow();
  badClient.destroy();
});

test('execution names are valid Step Functions names', () => {
  const fixed = () => new Date('2024-01-02T03:04:05.678Z');
  expect(executionNameFor({}, fixed)).toBe('schedule-2024-01-02T03-04-05Z');
  expect(executionNameFor({ reason: 'drift alarm', scheduledTime: 'garbage' }, fixed)).toBe('drift-alarm-2024-01-02T03-04-05Z');
  const long = executionNameFor({ reason: 'x'.repeat(200) }, fixed);
  expect(long.length).toBeLessThanOrEqual(80);
  expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
});
