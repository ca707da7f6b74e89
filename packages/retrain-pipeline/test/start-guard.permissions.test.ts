import { SFNClient } from '@aws-sdk/client-sfn';
import { AwsRequestRecorder, formatDenials, PermissionLedger, PermissionModel, SfnEmulator, startAwsRequestRecorder, startSfnEmulator } from '@freshet/test-utils';
import { Stack } from 'aws-cdk-lib';
import { startUnlessRunning } from '../src/handlers/start-guard.lambda';
import { pollutionPipeline } from './execution/fixtures/pipelines';

/**
 * Issue 14: every request the start guard sends to the Step Functions fake,
 * recorded on the wire, evaluated against the guard's role as RetrainPipeline
 * synthesizes it (the state machine ARN translated to the one in the
 * function's environment). The schedule and the deployment rule that invoke
 * the guard are proven in apps/ml-platform.
 */

const TEST_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:Retrain';
const synthesized = pollutionPipeline();
const model = PermissionModel.fromStack(Stack.of(synthesized.pipeline));
const ledger = new PermissionLedger('retrain-pipeline (start guard)');
const guardPath = synthesized.pipeline.startGuardFunction.node.path;
const deployed = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${guardPath}/Resource`)!;
const names = { [TEST_MACHINE]: String(deployed.properties.Environment.Variables.STATE_MACHINE_ARN) };

let emulator: SfnEmulator;
let recorder: AwsRequestRecorder;
let client: SFNClient;

beforeAll(async () => {
  emulator = await startSfnEmulator();
  recorder = await startAwsRequestRecorder(emulator.endpoint);
  client = new SFNClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await recorder.stop();
  await emulator.stop();
  console.log(ledger.summary());
});

test('starting, skipping while a run is in flight, and the idempotent retry: every call is allowed on its own state machine only', async () => {
  await startUnlessRunning(client, TEST_MACHINE, { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' });
  emulator.executions[0].status = 'RUNNING';
  await startUnlessRunning(client, TEST_MACHINE, { scheduledTime: '2024-05-02T03:00:00Z' });
  emulator.executions[0].status = 'SUCCEEDED';
  await startUnlessRunning(client, TEST_MACHINE, { reason: 'schedule', scheduledTime: '2024-05-01T03:00:00Z' });
  expect(new Set(recorder.requests.map((r) => r.operation))).toEqual(new Set(['ListExecutions', 'StartExecution']));
  const decisions = await ledger.evaluateRequests(model, recorder.requests, guardPath, names);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  // The same calls on another state machine are denied.
  const elsewhere = await model.evaluateAll(decisions.map((d) => ({ ...d.call, resource: 'arn:aws:states:us-east-1:123456789012:stateMachine:Other' })));
  expect(elsewhere.every((d) => !d.allowed)).toBe(true);
});
