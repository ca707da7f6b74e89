import { SFNClient } from '@aws-sdk/client-sfn';
import { RunLock } from '@freshet/retrain-pipeline/lib/handlers/start-guard/run-lock';
import { releaseEnded, startUnlessRunning } from '@freshet/retrain-pipeline/lib/handlers/start-guard.lambda';
import { startJsonFaultProxy } from './json-fault-proxy';
import { alarmEvent, executionEnded, REGION, TriggerHarness } from './trigger-harness';

/**
 * Issue 20, failure 2: the schedule's start guard and the trigger share
 * RetrainPipeline's run lock, so two executions never run at once. Both
 * starters run as built (the guard's module from retrain-pipeline, the
 * trigger from its environment) against moto's DynamoDB and Step Functions,
 * started at the same instant, round after round.
 */

let harness: TriggerHarness;
let sfn: SFNClient;

beforeAll(async () => {
  harness = await TriggerHarness.start();
  sfn = new SFNClient({ endpoint: harness.moto.endpoint, region: REGION, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' } });
});

afterAll(async () => {
  sfn?.destroy();
  await harness?.stop();
});

beforeEach(async () => {
  await harness.reset();
  harness.clock = new Date('2026-03-02T08:00:00Z');
});

const guardLock = () => new RunLock(harness.dynamodb, sfn, harness.lockTableName, harness.stateMachineArn, () => harness.clock);

test('the schedule guard and an alarm started at the same instant, 20 rounds: never two RUNNING executions, and one starts each round', async () => {
  const trigger = harness.trigger('state-machine', { cooldownSeconds: 0, dailyCap: 1000 }, { lock: true });
  for (let round = 0; round < 20; round++) {
    const scheduledTime = new Date(harness.clock.getTime()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const [guarded, triggered] = await Promise.all([
      startUnlessRunning(guardLock(), { reason: 'schedule', scheduledTime }),
      trigger(alarmEvent({ at: harness.clock })),
    ]);
    const running = await harness.executions('RUNNING');
    expect(running).toHaveLength(1);
    expect(Number(guarded.started) + Number(triggered.started)).toBe(1);
    // The run ends; the release reaches the guard (the pipeline's rule) and the trigger (its own rule).
    await harness.abort(running[0].executionArn!);
    await releaseEnded(guardLock(), { 'detail-type': 'Step Functions Execution Status Change', 'detail': { name: running[0].name!, status: 'ABORTED' } });
    await trigger(executionEnded(running[0].executionArn!, 'ABORTED'));
    // Whatever the retry started, it ends too before the next round.
    for (const extra of await harness.executions('RUNNING')) {
      await harness.abort(extra.executionArn!);
      await releaseEnded(guardLock(), { 'detail-type': 'Step Functions Execution Status Change', 'detail': { name: extra.name!, status: 'ABORTED' } });
    }
    harness.advance(3600);
  }
});

test('a deployment start and a storm of 20 alarm events at once: one run, under the lock', async () => {
  const trigger = harness.trigger('state-machine', {}, { lock: true });
  const results = await Promise.all([
    startUnlessRunning(guardLock(), { reason: 'deployment', scheduledTime: '2026-03-02T08:00:00Z' }),
    ...Array.from({ length: 20 }, () => trigger(alarmEvent())),
  ]);
  expect(results.filter((r) => r.started)).toHaveLength(1);
  expect(await harness.executions('RUNNING')).toHaveLength(1);
  expect(await harness.executions()).toHaveLength(1);
});

test('a throttled guard start and an alarm at once (the issue\'s interleaving): the guard holds the lock while the SDK retries, so the alarm skips', async () => {
  const proxy = await startJsonFaultProxy(harness.moto.endpoint);
  const throttled = new SFNClient({ endpoint: proxy.endpoint, region: REGION, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' } });
  try {
    const trigger = harness.trigger('state-machine', {}, { lock: true });
    proxy.failNext('StartExecution', 'ThrottlingException', 1);
    const throttledLock = new RunLock(harness.dynamodb, throttled, harness.lockTableName, harness.stateMachineArn, () => harness.clock);
    const guarding = startUnlessRunning(throttledLock, { reason: 'schedule', scheduledTime: '2026-03-02T08:00:00Z' });
    // The guard has the lock and its StartExecution was throttled (the SDK backs off): the alarm comes now.
    while (!(await throttledLock.holder()) || proxy.operations.filter((o) => o === 'StartExecution').length === 0) await new Promise((r) => setTimeout(r, 5));
    const triggered = await trigger(alarmEvent({ at: harness.clock }));
    const guarded = await guarding;
    expect(triggered).toMatchObject({ started: false, reason: 'in-flight' });
    expect(guarded).toMatchObject({ started: true });
    expect(proxy.operations.filter((o) => o === 'StartExecution')).toHaveLength(2);
    expect(await harness.executions('RUNNING')).toHaveLength(1);
  } finally {
    throttled.destroy();
    await proxy.stop();
  }
});
