import { alarmEvent, executionEnded, pipelineEnded, PIPELINE, tickEvent, TriggerHarness } from './trigger-harness';
import { StormControlTable } from '../../src/handlers/retrain-trigger/storm-control';

/**
 * Issue 20, failure 1: a retrain is never lost. Drift alarms stay in ALARM
 * while drift persists and EventBridge sends one event per state change, so a
 * refused start (in flight, cooldown, daily cap) or a run that did not
 * succeed is tried again by the retry rule's ticks and by the end of the
 * target's runs, while the alarm is still in ALARM (moto's CloudWatch).
 */

let harness: TriggerHarness;

beforeAll(async () => {
  harness = await TriggerHarness.start();
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await harness.reset();
  harness.clock = new Date('2026-03-02T08:00:00Z');
});

const ALARM = 'stocks-MaxFeatureDrift';
const HOUR = 3600;
const table = () => new StormControlTable(harness.dynamodb, harness.tableName);

/** The alarm goes OK and back into ALARM now: its event, with the transition's time. */
async function realarm(): Promise<ReturnType<typeof alarmEvent>> {
  await harness.setAlarm(ALARM, 'ALARM');
  return alarmEvent({ alarmName: ALARM, at: harness.clock });
}

describe('the state machine target', () => {
  test('a start refused for the cooldown is retried once the cooldown is over, while the alarm stays in ALARM', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * HOUR });
    expect(await trigger(await realarm())).toMatchObject({ started: true });
    const [first] = await harness.executions();
    expect(await trigger(executionEnded(first.executionArn!, 'SUCCEEDED'))).toMatchObject({ started: false, reason: 'idle' });
    await harness.abort(first.executionArn!);

    harness.advance(HOUR);
    expect(await trigger(await realarm())).toMatchObject({ started: false, reason: 'cooldown' });
    harness.advance(2 * HOUR);
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'cooldown' });
    expect(await harness.executions()).toHaveLength(1);

    harness.advance(3 * HOUR);
    const retried = await trigger(tickEvent());
    expect(retried).toMatchObject({ started: true });
    const executions = await harness.executions();
    expect(executions).toHaveLength(2);
    expect(harness.decisions().at(-1)).toMatchObject({ metric: 'TriggerStarted' });
    expect(harness.decisions().at(-1)!.line.alarmReason).toMatch(/^stocks-MaxFeatureDrift: Threshold Crossed: set to ALARM by the test \(retried\)$/);
  });

  test('no retry once the alarm went OK: the pending request is dropped as alarm-ok', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * HOUR });
    expect(await trigger(await realarm())).toMatchObject({ started: true });
    const [first] = await harness.executions();
    await harness.abort(first.executionArn!);
    await trigger(executionEnded(first.executionArn!, 'SUCCEEDED'));
    harness.advance(HOUR);
    expect(await trigger(await realarm())).toMatchObject({ reason: 'cooldown' });

    await harness.setAlarm(ALARM, 'OK');
    harness.advance(6 * HOUR);
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'alarm-ok' });
    expect(harness.decisions().at(-1)).toMatchObject({ metric: 'TriggerSkipped', Reason: 'alarm-ok' });
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'idle', detail: 'no retrain request is pending' });
    expect(await harness.executions()).toHaveLength(1);
    expect((await table().readClaim())!.pendingAlarms).toEqual([]);
  });

  test('a start refused for the daily cap is retried the next UTC day, and the cap still holds', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 60, dailyCap: 2 });
    for (let run = 0; run < 2; run++) {
      expect(await trigger(await realarm())).toMatchObject({ started: true });
      const [latest] = await harness.executions('RUNNING');
      await harness.abort(latest.executionArn!);
      // Both runs succeeded (their end events say so): the cap counts them.
      await trigger(executionEnded(latest.executionArn!, 'SUCCEEDED'));
      harness.advance(120);
    }
    expect(await trigger(await realarm())).toMatchObject({ started: false, reason: 'daily-cap' });
    harness.advance(HOUR);
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'daily-cap' });
    expect(await harness.executions()).toHaveLength(2);

    harness.clock = new Date('2026-03-03T00:05:00Z');
    expect(await trigger(tickEvent())).toMatchObject({ started: true });
    expect(await harness.executions()).toHaveLength(3);
  });

  test('a start refused because a run was in flight is retried when that run ends', async () => {
    const scheduled = await harness.startScheduledRun();
    const trigger = harness.trigger('state-machine');
    expect(await trigger(await realarm())).toMatchObject({ started: false, reason: 'in-flight' });
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'in-flight' });

    await harness.abort(scheduled);
    // The schedule's run ended: its end event retries at once (no claim of the trigger's was involved).
    expect(await trigger(executionEnded(scheduled, 'SUCCEEDED'))).toMatchObject({ started: true });
    expect(await harness.executions()).toHaveLength(2);
  });

  test('a run that fails gives its cooldown and day count back and is retried at once; the failures a day are capped', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * HOUR, dailyCap: 2 });
    expect(await trigger(await realarm())).toMatchObject({ started: true });
    for (let failure = 1; failure <= 2; failure++) {
      const [running] = await harness.executions('RUNNING');
      await harness.abort(running.executionArn!);
      harness.advance(600);
      const after = await trigger(executionEnded(running.executionArn!, 'FAILED'));
      const claim = (await table().readClaim())!;
      expect(claim).toMatchObject({ failCount: failure, failDay: '2026-03-02' });
      if (failure === 1) {
        // Inside what would have been the cooldown, and still one run counted today: the failure gave both back.
        expect(after).toMatchObject({ started: true });
        expect(claim).toMatchObject({ dayCount: 1, claimState: 'started' });
      } else {
        expect(after).toMatchObject({ started: false, reason: 'daily-cap' });
        expect(harness.decisions().at(-1)!.line.detail).toBe('2 trigger-started runs failed on 2026-03-02; no more than the daily cap (2) failed runs are retried a day');
      }
    }
    expect(await harness.executions()).toHaveLength(2);
  });

  test('a tick settles a failed run whose end event was lost (DescribeExecution) and retries', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * HOUR });
    expect(await trigger(await realarm())).toMatchObject({ started: true });
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'idle' });
    const [running] = await harness.executions('RUNNING');
    await harness.abort(running.executionArn!);
    harness.advance(900);
    expect(await trigger(tickEvent())).toMatchObject({ started: true });
    expect(await harness.executions('RUNNING')).toHaveLength(1);
  });

  test('a storm of 20 alarm events starts exactly one run, and its success serves every request: no second run later', async () => {
    await harness.setAlarm(ALARM, 'ALARM');
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * HOUR });
    const decisions = await Promise.all(Array.from({ length: 20 }, () => trigger(alarmEvent({ alarmName: ALARM }))));
    expect(decisions.filter((d) => d.started)).toHaveLength(1);
    const [run] = await harness.executions();
    await harness.abort(run.executionArn!);
    harness.advance(HOUR);
    await trigger(executionEnded(run.executionArn!, 'SUCCEEDED'));
    harness.advance(7 * HOUR);
    expect(await trigger(tickEvent())).toMatchObject({ started: false, reason: 'idle', detail: 'no retrain request is pending' });
    expect(await harness.executions()).toHaveLength(1);
  });
});

describe('the CodePipeline target (no schedule of its own)', () => {
  test('a start refused while an execution is in progress is retried by a tick once it has ended', async () => {
    const running = harness.codepipeline.addExecution(PIPELINE, 'InProgress');
    const trigger = harness.trigger('code-pipeline');
    expect(await trigger(await realarm())).toMatchObject({ started: false, reason: 'in-flight' });
    running.status = 'Succeeded';
    expect(await trigger(tickEvent())).toMatchObject({ started: true });
    expect(harness.codepipeline.executions).toHaveLength(2);
  });

  test('an execution that fails gives the cooldown back, and its end event retries', async () => {
    const trigger = harness.trigger('code-pipeline', { cooldownSeconds: 6 * HOUR });
    expect(await trigger(await realarm())).toMatchObject({ started: true });
    const [first] = harness.codepipeline.executions;
    first.status = 'Failed';
    harness.advance(HOUR);
    expect(await trigger(pipelineEnded(first.pipelineExecutionId, 'FAILED'))).toMatchObject({ started: true });
    expect(harness.codepipeline.executions).toHaveLength(2);
    // A success serves the request; ticks start nothing more.
    const second = harness.codepipeline.executions[1];
    second.status = 'Succeeded';
    expect(await trigger(pipelineEnded(second.pipelineExecutionId, 'SUCCEEDED'))).toMatchObject({ reason: 'idle' });
    harness.advance(7 * HOUR);
    expect(await trigger(tickEvent())).toMatchObject({ reason: 'idle' });
    expect(harness.codepipeline.executions).toHaveLength(2);
  });
});
