import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { startJsonFaultProxy } from './json-fault-proxy';
import { alarmEvent, PIPELINE, TriggerHarness } from './trigger-harness';
import { SDK_MAX_ATTEMPTS } from '../../src/handlers/retrain-trigger/environment';
import { PIPELINE_VARIABLES } from '../../src/handlers/retrain-trigger/environment-names';
import { StormControlTable } from '../../src/handlers/retrain-trigger/storm-control';

let harness: TriggerHarness;

beforeAll(async () => {
  harness = await TriggerHarness.start();
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await harness.reset();
});

const REASON = 'Threshold Crossed: 1 out of the last 1 datapoints [0.41 (02/03/26 07:00:00)] was greater than the threshold (0.2).';

describe('the state machine target', () => {
  test('100 alarm events delivered concurrently start exactly one run', async () => {
    const trigger = harness.trigger('state-machine');
    const decisions = await Promise.all(Array.from({ length: 100 }, () => trigger(alarmEvent())));

    expect(decisions.filter((d) => d.started)).toHaveLength(1);
    const executions = await harness.executions();
    expect(executions).toHaveLength(1);
    expect(executions[0].name).toMatch(/^alarm-stocks-MaxFeatureDrift-[0-9a-f-]{36}$/);
    const described = await harness.sfn.send(new DescribeExecutionCommand({ executionArn: executions[0].executionArn }));
    // The alarm by name too: the run's approval notification says an alarm started it, and which.
    expect(JSON.parse(described.input!)).toEqual({ reason: `stocks-MaxFeatureDrift: ${REASON}`, alarm: 'stocks-MaxFeatureDrift' });

    // Every other event is skipped, logged with its reason and counted; none is dropped.
    const lines = harness.decisions();
    expect(lines).toHaveLength(100);
    expect(lines.filter((l) => l.metric === 'TriggerStarted')).toHaveLength(1);
    const skipped = lines.filter((l) => l.metric === 'TriggerSkipped');
    expect(skipped).toHaveLength(99);
    for (const line of skipped) {
      expect(['in-flight', 'cooldown']).toContain(line.Reason);
      expect(line.line).toMatchObject({ TriggerSkipped: 1, Target: 'RetrainStocks', message: `skipped: ${line.Reason}` });
      expect(line.line._aws.CloudWatchMetrics[0]).toEqual({
        Namespace: 'Freshet/RetrainTrigger', Dimensions: [['Target', 'Reason']], Metrics: [{ Name: 'TriggerSkipped', Unit: 'Count' }],
      });
    }
  });

  test('an event while a run is in flight (the schedule started it) is skipped as in-flight, then one after it ends starts', async () => {
    const scheduled = await harness.startScheduledRun();
    const trigger = harness.trigger('state-machine');

    const skipped = await trigger(alarmEvent());
    expect(skipped).toMatchObject({ started: false, reason: 'in-flight' });
    expect(skipped.started === false && skipped.detail).toContain(scheduled);
    expect(await harness.executions()).toHaveLength(1);
    expect(harness.decisions()).toEqual([expect.objectContaining({ metric: 'TriggerSkipped', Reason: 'in-flight', Target: 'RetrainStocks' })]);

    await harness.finishRuns();
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
  });

  test('an event inside the cooldown is skipped as cooldown; one after it starts', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 6 * 3600 });
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
    await harness.finishRuns();

    harness.advance(5 * 3600);
    const skipped = await trigger(alarmEvent());
    expect(skipped).toMatchObject({ started: false, reason: 'cooldown' });
    expect(harness.decisions().at(-1)).toMatchObject({ metric: 'TriggerSkipped', Reason: 'cooldown' });
    expect(harness.decisions().at(-1)!.line.detail).toBe('the last trigger-started run was 18000 s ago; the cooldown is 21600 s');

    harness.advance(3600);
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
    expect(await harness.executions()).toHaveLength(2);
  });

  test('an event over the daily cap is skipped as daily-cap; the next UTC day starts again', async () => {
    const trigger = harness.trigger('state-machine', { cooldownSeconds: 60, dailyCap: 3 });
    for (let run = 0; run < 3; run++) {
      expect(await trigger(alarmEvent())).toMatchObject({ started: true });
      await harness.finishRuns();
      harness.advance(120);
    }
    const skipped = await trigger(alarmEvent());
    expect(skipped).toMatchObject({ started: false, reason: 'daily-cap', detail: '3 trigger-started runs on 2026-03-02; the daily cap is 3' });
    expect(harness.decisions().filter((l) => l.Reason === 'daily-cap')).toHaveLength(1);
    expect(await harness.executions()).toHaveLength(3);

    harness.clock = new Date('2026-03-03T00:00:30Z');
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
    expect(await harness.executions()).toHaveLength(4);
  });

  test('a re-delivered event starts nothing new, even after the cooldown', async () => {
    const trigger = harness.trigger('state-machine');
    const event = alarmEvent();
    expect(await trigger(event)).toMatchObject({ started: true });
    await harness.finishRuns();
    harness.advance(7 * 3600);

    const again = await trigger(event);
    expect(again).toMatchObject({ started: false, reason: 'duplicate' });
    expect(await harness.executions()).toHaveLength(1);
    expect(harness.decisions().at(-1)).toMatchObject({ metric: 'TriggerSkipped', Reason: 'duplicate' });

    // A skipped event re-delivered is a duplicate too, not a second decision.
    const other = alarmEvent();
    await harness.startScheduledRun();
    expect(await trigger(other)).toMatchObject({ reason: 'in-flight' });
    await harness.finishRuns();
    expect(await trigger(other)).toMatchObject({ reason: 'duplicate' });
  });

  test('copies of one event delivered at once start one run and count it once', async () => {
    const trigger = harness.trigger('state-machine');
    const event = alarmEvent();
    const decisions = await Promise.all(Array.from({ length: 10 }, () => trigger(event)));
    expect(decisions.filter((d) => d.started)).toHaveLength(1);
    expect(await harness.executions()).toHaveLength(1);
    expect(harness.decisions().filter((l) => l.metric === 'TriggerStarted')).toHaveLength(1);
  });

  test('an attempt that died after taking the claim is finished by the retry of its event', async () => {
    const event = alarmEvent();
    // The claim as a killed invocation left it: taken, never started.
    const table = new StormControlTable(harness.dynamodb, harness.tableName);
    expect(await table.takeClaim(undefined, event.id, Math.floor(harness.clock.getTime() / 1000))).toEqual({ taken: true });

    const trigger = harness.trigger('state-machine');
    expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight' });
    expect(await trigger(event)).toMatchObject({ started: true });
    expect(await harness.executions()).toHaveLength(1);
    expect(await table.readClaim()).toMatchObject({ claimedBy: event.id, claimState: 'started', dayCount: 1 });
  });

  test('a state change into OK or INSUFFICIENT_DATA is skipped as not-alarm; a malformed event fails (and so reaches the DLQ)', async () => {
    const trigger = harness.trigger('state-machine');
    expect(await trigger(alarmEvent({ state: 'OK' }))).toMatchObject({ started: false, reason: 'not-alarm' });
    expect(harness.decisions()).toEqual([expect.objectContaining({ Reason: 'not-alarm' })]);
    await expect(trigger({ id: 'x', detail: {} } as any)).rejects.toThrow(/Not a CloudWatch alarm state change/);
    expect(await harness.executions()).toHaveLength(0);
  });

  test('a throttled StartExecution is retried by the SDK; one throttled on every attempt fails the invocation and gives the claim back', async () => {
    const proxy = await startJsonFaultProxy(harness.moto.endpoint);
    const endpoint = process.env.AWS_ENDPOINT_URL_SFN;
    process.env.AWS_ENDPOINT_URL_SFN = proxy.endpoint;
    try {
      const trigger = harness.trigger('state-machine', { cooldownSeconds: 60 });
      proxy.failNext('StartExecution', 'ThrottlingException', 2);
      expect(await trigger(alarmEvent())).toMatchObject({ started: true });
      expect(proxy.operations.filter((o) => o === 'StartExecution')).toHaveLength(3);

      await harness.finishRuns();
      harness.advance(120);
      proxy.failNext('StartExecution', 'ThrottlingException', SDK_MAX_ATTEMPTS);
      const event = alarmEvent();
      await expect(trigger(event)).rejects.toMatchObject({ name: 'ThrottlingException' });
      expect(proxy.operations.filter((o) => o === 'StartExecution')).toHaveLength(3 + SDK_MAX_ATTEMPTS);
      expect(await harness.executions()).toHaveLength(1);
      // Lambda's retry of the same event, the service recovered: neither a cooldown nor a duplicate.
      expect(await trigger(event)).toMatchObject({ started: true });
      expect(await harness.executions()).toHaveLength(2);
    } finally {
      process.env.AWS_ENDPOINT_URL_SFN = endpoint;
      await proxy.stop();
    }
  });

  test('the Lambda entry point builds its clients from the environment alone', async () => {
    Object.assign(process.env, harness.environment('state-machine'));
    jest.resetModules();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../src/handlers/retrain-trigger.lambda') as typeof import('../../src/handlers/retrain-trigger.lambda');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const decision = await handler(alarmEvent({ alarmName: 'stocks-PredictionDrift' }));
      expect(decision).toMatchObject({ started: true });
      const emf = write.mock.calls.map(([chunk]) => String(chunk)).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
      expect(emf).toEqual([expect.objectContaining({ TriggerStarted: 1, Target: 'RetrainStocks' })]);
    } finally {
      write.mockRestore();
    }
    const [execution] = await harness.executions();
    expect(execution.name).toMatch(/^alarm-stocks-PredictionDrift-/);
  });
});

describe('the CodePipeline target', () => {
  test('100 alarm events delivered concurrently start exactly one execution, with the alarm in its variables', async () => {
    const trigger = harness.trigger('code-pipeline');
    const decisions = await Promise.all(Array.from({ length: 100 }, () => trigger(alarmEvent({ alarmName: 'pollution-MaxFeatureDrift' }))));

    expect(decisions.filter((d) => d.started)).toHaveLength(1);
    expect(harness.codepipeline.executions).toHaveLength(1);
    expect(harness.codepipeline.calls.filter((c) => c.operation === 'StartPipelineExecution')).toHaveLength(1);
    expect(harness.codepipeline.executions[0].variables).toEqual([
      { name: PIPELINE_VARIABLES.alarm, value: 'pollution-MaxFeatureDrift' },
      { name: PIPELINE_VARIABLES.reason, value: `pollution-MaxFeatureDrift: ${REASON}` },
    ]);
    const lines = harness.decisions();
    expect(lines.filter((l) => l.metric === 'TriggerStarted')).toEqual([expect.objectContaining({ Target: PIPELINE })]);
    expect(lines.filter((l) => l.metric === 'TriggerSkipped')).toHaveLength(99);
  });

  test('an execution in progress skips the event as in-flight', async () => {
    const running = harness.codepipeline.addExecution(PIPELINE, 'InProgress');
    const trigger = harness.trigger('code-pipeline');
    expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight', detail: `${running.pipelineExecutionId} is running` });
    running.status = 'Succeeded';
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
  });

  test('an old execution still in progress behind 39 newer ones (40 in all) skips the event as in-flight (issue 22 item 8)', async () => {
    const oldest = harness.codepipeline.addExecution(PIPELINE, 'InProgress');
    for (let i = 0; i < 39; i++) harness.codepipeline.addExecution(PIPELINE, i % 2 === 0 ? 'Succeeded' : 'Failed');
    const trigger = harness.trigger('code-pipeline');
    expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight', detail: `${oldest.pipelineExecutionId} is running` });
    expect(harness.codepipeline.executions).toHaveLength(40);
    // Paged until it was seen: no execution was left unread.
    const lists = harness.codepipeline.calls.filter((c) => c.operation === 'ListPipelineExecutions');
    expect(lists.length).toBeGreaterThanOrEqual(1);
    oldest.status = 'Succeeded';
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
    expect(harness.codepipeline.executions).toHaveLength(41);
  });

  test('the in-flight check follows nextToken across pages: 250 ended executions, the oldest in progress', async () => {
    const oldest = harness.codepipeline.addExecution(PIPELINE, 'InProgress');
    for (let i = 0; i < 250; i++) harness.codepipeline.addExecution(PIPELINE, 'Superseded');
    const trigger = harness.trigger('code-pipeline');
    expect(await trigger(alarmEvent())).toMatchObject({ started: false, reason: 'in-flight', detail: `${oldest.pipelineExecutionId} is running` });
    const lists = harness.codepipeline.calls.filter((c) => c.operation === 'ListPipelineExecutions');
    expect(lists).toHaveLength(3);
    expect(lists[1].body.nextToken).toBeDefined();
  });

  test('a throttled start is retried by the SDK and succeeds', async () => {
    harness.codepipeline.failNext('StartPipelineExecution', 'ThrottlingException', 2);
    const trigger = harness.trigger('code-pipeline');
    expect(await trigger(alarmEvent())).toMatchObject({ started: true });
    expect(harness.codepipeline.calls.filter((c) => c.operation === 'StartPipelineExecution')).toHaveLength(3);
    expect(harness.codepipeline.executions).toHaveLength(1);
  });

  test('a target that keeps throttling fails the invocation, gives the claim back, and the retried event starts once it recovers', async () => {
    harness.codepipeline.failNext('StartPipelineExecution', 'ThrottlingException', SDK_MAX_ATTEMPTS);
    const trigger = harness.trigger('code-pipeline');
    const event = alarmEvent();
    await expect(trigger(event)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(harness.codepipeline.calls.filter((c) => c.operation === 'StartPipelineExecution')).toHaveLength(SDK_MAX_ATTEMPTS);
    expect(harness.codepipeline.executions).toHaveLength(0);
    expect(harness.lines.map((l) => JSON.parse(l)).find((l) => l.error)).toMatchObject({ error: 'ThrottlingException', released: true });

    // Lambda's async retry delivers the same event: the claim was given back, so it is neither a cooldown nor a duplicate.
    expect(await trigger(event)).toMatchObject({ started: true });
    expect(harness.codepipeline.executions).toHaveLength(1);
  });

  test('a target that refuses access fails every attempt with the error, so the event ends in the DLQ', async () => {
    harness.codepipeline.failNext('StartPipelineExecution', 'AccessDeniedException', Infinity);
    const trigger = harness.trigger('code-pipeline');
    const event = alarmEvent();
    // The invocation and Lambda's two async retries.
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(trigger(event)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    }
    expect(harness.codepipeline.executions).toHaveLength(0);
    expect(harness.decisions()).toHaveLength(0);
  });

  test('an undeclared pipeline variable is refused by the pipeline, and the error says so', async () => {
    harness.codepipeline.addPipeline(PIPELINE, { variables: [] });
    const trigger = harness.trigger('code-pipeline');
    await expect(trigger(alarmEvent())).rejects.toThrow(/RetrainAlarm, RetrainReason are not declared/);
  });
});
