import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { StepFunctionsEmulator } from '../src/emulators/step-functions';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Retrain';
let now = Date.UTC(2026, 0, 5);
const sfnEmulator = new StepFunctionsEmulator(() => now);
let sfn: SFNClient;

beforeAll(async () => {
  await sfnEmulator.start();
  sfnEmulator.stateMachines.add(ARN);
  sfn = new SFNClient({ endpoint: sfnEmulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
});
afterAll(async () => {
  sfn.destroy();
  await sfnEmulator.stop();
});

test('ListExecutions is eventually consistent on the simulated clock: a start is listed 1 s later', async () => {
  await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'a', input: '{}' }));
  const listed = async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN, statusFilter: 'RUNNING' }))).executions ?? [];
  expect(await listed()).toHaveLength(0);
  now += 1000;
  expect((await listed()).map((e) => e.name)).toEqual(['a']);
  sfnEmulator.finish(sfnEmulator.executions[0].executionArn, 'FAILED');
  expect(await listed()).toHaveLength(0);
});

test('names are unique per state machine, and an unknown state machine fails as Step Functions fails it', async () => {
  await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'a', input: '{"x":1}' }))).rejects.toThrow(/Execution Already Exists/);
  await expect(sfn.send(new ListExecutionsCommand({ stateMachineArn: `${ARN}Other` }))).rejects.toThrow(/State Machine Does Not Exist/);
});
