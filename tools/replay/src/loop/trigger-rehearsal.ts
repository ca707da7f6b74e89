import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AssemblyResource, flatten } from '@freshet/cost';
import { startMotoServer } from '@freshet/test-utils';
import { alarmArn, AppModel, LoopModel, resourceOf, ScheduleSpec, stateMachineArn } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { fireTimes } from '../clock/schedule-expression';
import { SimulatedClock } from '../clock/simulated-clock';
import { AlarmState, evaluateAlarm } from '../cloudwatch/alarm-evaluator';
import { MetricStore } from '../cloudwatch/metric-store';
import { AlarmStatus, CloudWatchEmulator } from '../emulators/cloudwatch';
import { Execution, StepFunctionsEmulator } from '../emulators/step-functions';
import { matchesPattern } from '../events/event-pattern';
import { Handler, installSimulatedDate, loadBundledHandler } from '../runtime/bundled-handler';
import { DATA_PATH_KINDS, Injection, onsetOf, Scenario } from '../scenario/scenario';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

/** One entry of timeline.json: a decision or a state change, at its simulated time, with its reason. */
export interface TimelineEntry {
  readonly time: string;
  readonly kind: 'alarm' | 'trigger' | 'start-guard' | 'run-lock' | 'run-started' | 'run-ended' | 'model-serving' | 'drift-window' | 'traffic';
  readonly [field: string]: unknown;
}

/** What a rehearsal returns: the timeline, the metric series and the executions. */
export interface RehearsalResult {
  readonly timeline: TimelineEntry[];
  readonly series: Record<string, { time: number; value: number }[]>;
  readonly alarmStates: Record<string, { time: number; state: AlarmState }[]>;
  readonly runs: { name: string; reason: string; start: number; end?: number; status: string }[];
  readonly start: number;
  readonly end: number;
  /** Most executions RUNNING at once, over the whole replay. */
  readonly maxConcurrentRuns: number;
}

/**
 * The trigger rehearsal: the app's watched alarms, its EventBridge rules and
 * schedules, its retrain trigger and start guard (the built bundles, through
 * the real SDK, DynamoDB in moto, Step Functions and CloudWatch's
 * DescribeAlarms in the replay's emulators) on the simulated clock. Every
 * event the replay makes (an alarm's state change, an execution's status
 * change, a schedule's tick) goes to every rule of the stage whose pattern
 * matches it, as EventBridge would send it. The drift monitor's published values are the scenario's
 * metric-level injections (a stand-in for the drift path, said so in the
 * README); each retrain run lasts `retrainHours` and fails while a
 * training-fails injection has runs left (a stand-in for the state machine).
 */
export async function rehearseTrigger(app: AppModel, loop: LoopModel, scenario: Scenario, hooks?: DataPathHooks): Promise<RehearsalResult> {
  const dataPath = scenario.injections.filter((i) => DATA_PATH_KINDS.includes(i.kind));
  if (dataPath.length > 0 && !hooks) {
    throw new RefusalError(`The scenario injects ${[...new Set(dataPath.map((i) => i.kind))].join(', ')}, which need the data path (serving, capture, the drift job); `
      + 'this build of the replay does not run it yet. Rehearse the alarms, the trigger and the start guard with metric-level injections.');
  }
  const watchedMetrics = new Set(loop.watchedAlarms.map((a) => a.metricName));
  for (const inj of scenario.injections) {
    if (inj.kind === 'metric-level' && !watchedMetrics.has(inj.metric)) {
      throw new RefusalError(`A metric-level injection names ${inj.metric}; the alarms ${loop.monitorId}'s rule watches are on ${[...watchedMetrics].join(', ')}.`);
    }
  }
  const start = Date.parse(`${scenario.start}T00:00:00Z`);
  const end = start + scenario.days * DAY;
  const clock = new SimulatedClock(start, end);
  const sfn = new StepFunctionsEmulator(() => clock.now);
  await sfn.start();
  // What the alarm evaluator holds for each watched alarm; the trigger reads it through DescribeAlarms.
  const statuses = new Map<string, AlarmStatus>(loop.watchedAlarms.map((a) => [a.logicalId, { state: 'INSUFFICIENT_DATA', reason: 'the replay started', since: start }]));
  // The data path's publisher and planner put their datums here; the alarms read them.
  const store = new MetricStore();
  const cloudwatch = new CloudWatchEmulator((name) => statuses.get(name),
    (d) => store.put({ namespace: d.namespace, metricName: d.metricName, dimensions: d.dimensions }, d.time, d.value));
  await cloudwatch.start();
  const moto = await startMotoServer();
  const restoreDate = installSimulatedDate(() => clock.now);
  const timeline: TimelineEntry[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  const record = (entry: Omit<TimelineEntry, 'time'>) => timeline.push({ time: new Date(clock.now).toISOString(), ...entry } as TimelineEntry);
  try {
    const retrainArn = stateMachineArn(loop.retrainStateMachine!.logicalId);
    const sdkEnv = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'replay',
      AWS_SECRET_ACCESS_KEY: 'replay',
      AWS_SESSION_TOKEN: '',
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
      // The data path's handlers talk to several local servers under load: the SDK's default retry of transient
      // socket errors (3 attempts), as in Lambda. The rehearsal alone keeps 1, so an emulator's error surfaces.
      AWS_MAX_ATTEMPTS: hooks ? '3' : '1',
    };
    const resources = app.stacks.flatMap((s) => s.resources);
    const tables = new Map<string, string>();
    // A handler's variables: literal values as they are; a reference to the retrain state machine becomes the
    // replay's ARN for it, a reference to a DynamoDB table (the storm-control table, the run lock, ...) a table
    // created in moto from the template's key schema. Anything else is refused, never guessed.
    const resolveEnv = async (environment: Record<string, unknown>): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(environment)) {
        if (typeof v === 'string') {
          out[k] = v;
          continue;
        }
        const flat = flatten(v);
        const resource = resourceOf(flat.refs[0] ?? '', resources);
        if (resource?.type === 'AWS::StepFunctions::StateMachine' && resource.logicalId === loop.retrainStateMachine!.logicalId) {
          out[k] = retrainArn;
        } else if (resource?.type === 'AWS::DynamoDB::Table') {
          if (!tables.has(resource.logicalId)) tables.set(resource.logicalId, await createTable(resource, moto.endpoint));
          out[k] = tables.get(resource.logicalId)!;
        } else {
          throw new RefusalError(`Cannot resolve ${k} (${flat.text}) of a handler for the replay.`);
        }
      }
      return out;
    };
    // The SDK resolves region, credentials and endpoints at the first call, and some handlers read their variables
    // per invocation: the union of the functions' environments stays set for the replay (a clash is an error).
    const environment: Record<string, string> = { ...sdkEnv };
    for (const fn of [loop.trigger, loop.startGuard]) {
      if (!fn) continue;
      for (const [k, v] of Object.entries(await resolveEnv(fn.environment))) {
        if (k in environment && environment[k] !== v) throw new RefusalError(`The replay runs handlers in one process; ${k} differs between them (${environment[k]} and ${v}).`);
        environment[k] = v;
      }
    }
    for (const [k, v] of Object.entries(environment)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    sfn.stateMachines.add(retrainArn);
    const trigger = loadBundledHandler(loop.trigger, {});
    const guard = loop.startGuard ? loadBundledHandler(loop.startGuard, {}) : undefined;
    const handlers = new Map<string, Handler>([[loop.trigger.logicalId, trigger]]);
    if (guard) handlers.set(loop.startGuard!.logicalId, guard);

    // What each function answered, in the timeline. A trigger tick or run end that found nothing to do is not a decision.
    const recordResult = (target: string, event: any, result: any, context: Record<string, unknown>) => {
      if (target === loop.trigger.logicalId) {
        if (result?.reason === 'idle') return;
        record({ kind: 'trigger', event: event.id, ...context, ...result });
      } else if (result && 'released' in result) {
        record({ kind: 'run-lock', run: result.executionName, released: result.released, reason: result.released ? 'the run ended: the start guard gave the lock back' : 'the run ended; it did not hold the lock' });
      } else {
        record({ kind: 'start-guard', ...result, ...context, reason: result.started ? `scheduled start (${String(context.input ?? '')})` : `skipped: ${result.skipped}` });
      }
    };
    let eventCount = 0;
    const envelope = (detailType: string, source: string, resourceArns: string[], detail: Record<string, unknown>) => ({
      'version': '0',
      'id': `replay-event-${++eventCount}`,
      'detail-type': detailType,
      'source': source,
      'account': ACCOUNT,
      'time': new Date(clock.now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'region': REGION,
      'resources': resourceArns,
      'detail': detail,
    });
    // EventBridge: an event goes to every rule whose pattern matches it; each target is invoked (asynchronously in
    // AWS, concurrently here) with the event itself.
    const deliver = (event: any, context: Record<string, unknown> = {}): (() => Promise<void>)[] => loop.eventRules
      .filter((rule) => handlers.has(rule.target) && matchesPattern(rule.pattern, event))
      .map((rule) => {
        if (rule.transformsInput) {
          throw new RefusalError(`The rule ${rule.logicalId} transforms its target's input; the replay sends events unchanged and does not run input transformers.`);
        }
        return async () => recordResult(rule.target, event, await handlers.get(rule.target)!(event), { ...context, rule: rule.logicalId });
      });
    const runAll = async (invocations: (() => Promise<void>)[]) => {
      await Promise.all(invocations.map((i) => i()));
    };
    // Step Functions sends an "Execution Status Change" event for each status an execution takes.
    const statusChange = (execution: Execution) => envelope('Step Functions Execution Status Change', 'aws.states', [execution.executionArn], {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate,
      stopDate: execution.stopDate ?? null,
      input: execution.input,
      output: null,
    });

    // Runs: each lasts retrainHours; training-fails injections fail their next runs.
    const failuresLeft = new Map<Injection, number>();
    const runs: RehearsalResult['runs'] = [];
    let running = 0;
    let maxConcurrentRuns = 0;
    sfn.onStart = (execution) => {
      if (hooks) {
        onRealRun(execution);
        return;
      }
      const reason = String(JSON.parse(execution.input).reason ?? '');
      const run = { name: execution.name, reason, start: clock.now, status: 'RUNNING' as string, end: undefined as number | undefined };
      runs.push(run);
      running++;
      maxConcurrentRuns = Math.max(maxConcurrentRuns, running);
      record({ kind: 'run-started', run: execution.name, reason, running });
      const started = statusChange(execution);
      clock.at(clock.now, `${execution.name} RUNNING`, () => runAll(deliver(started, { via: 'run-started' })), 5);
      clock.at(clock.now + scenario.retrainHours * HOUR, `end ${execution.name}`, async () => {
        // A run fails when a training-fails injection was in force at its start and has failures left.
        const failing = scenario.injections.find((i) => i.kind === 'training-fails' && run.start >= onsetOf(scenario, i) && (failuresLeft.get(i) ?? (i.runs ?? Infinity)) > 0);
        if (failing) failuresLeft.set(failing, (failuresLeft.get(failing) ?? (failing.kind === 'training-fails' ? failing.runs ?? Infinity : 0)) - 1);
        const status = failing ? 'FAILED' : 'SUCCEEDED';
        sfn.finish(execution.executionArn, status);
        run.status = status;
        run.end = clock.now;
        running--;
        record({ kind: 'run-ended', run: execution.name, status, reason: failing ? 'the scenario fails this training run (training-fails)' : 'the run deployed its model' });
        await runAll(deliver(statusChange(execution), { via: 'run-end' }));
      }, 10);
    };

    // A run of the real retrain workflow (the data path): it runs at its start on the labels landed by then; its
    // simulated duration decides when the execution ends and its status change is sent.
    const onRealRun = (execution: Execution) => {
      const reason = String(JSON.parse(execution.input).reason ?? '');
      const run = { name: execution.name, reason, start: clock.now, status: 'RUNNING' as string, end: undefined as number | undefined };
      runs.push(run);
      running++;
      maxConcurrentRuns = Math.max(maxConcurrentRuns, running);
      record({ kind: 'run-started', run: execution.name, reason, running });
      const started = statusChange(execution);
      clock.at(clock.now, `${execution.name} RUNNING`, () => runAll(deliver(started, { via: 'run-started' })), 5);
      clock.at(clock.now, `run ${execution.name}`, async () => {
        const outcome = await hooks!.runRetrain(execution, run.start);
        clock.at(run.start + Math.max(1000, outcome.durationMs), `end ${execution.name}`, async () => {
          sfn.finish(execution.executionArn, outcome.status);
          run.status = outcome.status;
          run.end = clock.now;
          running--;
          record({ kind: 'run-ended', run: execution.name, status: outcome.status, ...outcome.entry });
          await hooks!.afterRun?.(execution.name, outcome);
          await runAll(deliver(statusChange(execution), { via: 'run-end' }));
        }, 10);
      }, 6);
    };
    // The drift monitor's datapoints: one per watched metric at each drift window end (the publisher's timestamp).
    const level = (metric: string, time: number): number => {
      const inForce = scenario.injections.filter((i) => i.kind === 'metric-level' && i.metric === metric && time >= onsetOf(scenario, i)).pop() as Extract<Injection, { kind: 'metric-level' }> | undefined;
      return inForce ? inForce.value : scenario.baselineLevels[metric] ?? 0;
    };
    const alarmStates: RehearsalResult['alarmStates'] = Object.fromEntries(loop.watchedAlarms.map((a) => [a.logicalId, [{ time: start, state: 'INSUFFICIENT_DATA' as AlarmState }]]));

    const driftTimes = new Set(fireTimes(loop.driftSchedule.expression, start, end));
    // The schedules that invoke the loop's functions: the start guard's (retrain schedules) and the trigger's (retry rule).
    const scheduled = new Map<number, { schedule: ScheduleSpec; handler: string }[]>();
    const schedules = [
      ...(loop.startGuard ? loop.retrainSchedules.map((schedule) => ({ schedule, handler: loop.startGuard!.logicalId })) : []),
      ...loop.triggerSchedules.map((schedule) => ({ schedule, handler: loop.trigger.logicalId })),
    ];
    for (const s of schedules) for (const t of fireTimes(s.schedule.expression, start, end)) scheduled.set(t, [...(scheduled.get(t) ?? []), s]);
    const periodEnds = new Set<number>();
    for (const alarm of loop.watchedAlarms) {
      const period = alarm.periodSeconds * 1000;
      for (let t = start + period; t < end; t += period) periodEnds.add(t);
    }
    const ticks = [...new Set([...driftTimes, ...scheduled.keys(), ...periodEnds, ...(hooks?.ticks(start, end) ?? [])])].sort((a, b) => a - b);

    for (const t of ticks) {
      clock.at(t, 'tick', async () => {
        if (hooks) {
          await hooks.onTick(t, { driftTick: driftTimes.has(t), record, at: (time, label, run) => clock.at(time, label, run, 20) });
        } else if (driftTimes.has(t)) {
          const windowEnd = Math.floor(t / HOUR) * HOUR;
          for (const alarm of loop.watchedAlarms) store.put(alarm, windowEnd, level(alarm.metricName, t));
        }
        const invocations: (() => Promise<void>)[] = [];
        if (periodEnds.has(t)) {
          for (const alarm of loop.watchedAlarms) {
            if ((t - start) % (alarm.periodSeconds * 1000) !== 0) continue;
            const previous = statuses.get(alarm.logicalId)!.state;
            const result = evaluateAlarm(alarm, store, t, previous);
            if (result.state === previous) continue;
            statuses.set(alarm.logicalId, { state: result.state, reason: result.reason, since: t });
            alarmStates[alarm.logicalId].push({ time: t, state: result.state });
            record({ kind: 'alarm', alarm: alarm.logicalId, metric: alarm.metricName, state: result.state, previous, reason: result.reason });
            const event = envelope('CloudWatch Alarm State Change', 'aws.cloudwatch', [alarmArn(alarm.logicalId)], {
              alarmName: alarm.logicalId,
              state: { value: result.state, reason: result.reason, timestamp: new Date(t).toISOString() },
              previousState: { value: previous },
            });
            invocations.push(...deliver(event, { via: 'alarm', alarm: alarm.logicalId }));
          }
        }
        for (const { schedule, handler } of scheduled.get(t) ?? []) {
          const payload = scheduledPayload(schedule, t, envelope);
          const invoke = handlers.get(handler);
          if (!invoke) continue;
          invocations.push(async () => recordResult(handler, payload, await invoke(payload), {
            via: 'schedule', rule: schedule.logicalId, ...(handler === loop.trigger.logicalId ? {} : { input: (payload as any).reason }),
          }));
        }
        // Starters that fire at the same instant run concurrently, as Lambda would run them.
        await runAll(invocations);
      }, 50);
    }
    await quietly(() => clock.run());
    return { timeline, series: seriesOf(loop, store), alarmStates, runs, start, end, maxConcurrentRuns };
  } finally {
    restoreDate();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await Promise.all([sfn.stop(), cloudwatch.stop(), moto.stop()]);
  }
}

/** A DynamoDB table as the template declares it (its key schema), in moto; its name is its logical id. */
async function createTable(resource: AssemblyResource, endpoint: string): Promise<string> {
  const client = new DynamoDBClient({ endpoint, region: REGION, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
  try {
    await client.send(new CreateTableCommand({
      TableName: resource.logicalId,
      KeySchema: resource.properties.KeySchema,
      AttributeDefinitions: resource.properties.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } finally {
    client.destroy();
  }
  return resource.logicalId;
}

/** Builds an EventBridge event (the rehearsal's envelope: account, region, id, simulated time). */
type Envelope = (detailType: string, source: string, resources: string[], detail: Record<string, unknown>) => unknown;

/**
 * What a schedule sends its target at `t`: EventBridge Scheduler sends the target's Input (with its
 * context attributes filled in); an EventBridge rule's schedule sends the target's Input, or else a
 * `Scheduled Event`.
 */
function scheduledPayload(schedule: ScheduleSpec, t: number, envelope: Envelope): unknown {
  if (schedule.input !== undefined) {
    return JSON.parse(schedule.input.replace('<aws.scheduler.scheduled-time>', new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')));
  }
  if (schedule.via === 'scheduler') return {};
  return envelope('Scheduled Event', 'aws.events', [`arn:aws:events:${REGION}:${ACCOUNT}:rule/${schedule.logicalId}`], {});
}

function seriesOf(loop: LoopModel, store: MetricStore): RehearsalResult['series'] {
  return Object.fromEntries(loop.watchedAlarms.map((a) => [a.metricName, store.values(a)]));
}

/** The handlers log JSON lines to stdout; the replay keeps its own output readable. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  const log = console.log;
  process.stdout.write = (() => true) as any;
  console.log = () => undefined;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    console.log = log;
  }
}

/**
 * What the data path adds to the rehearsal (src/loop/data-path-replay.ts): its own ticks (traffic hours), the work
 * at each tick (traffic, the drift monitor: its publisher's PutMetricData reaches the rehearsal's CloudWatch, whose
 * alarms read it), and the real retrain run in place of the stand-in.
 */
export interface DataPathHooks {
  /** Times (epoch ms) the data path needs the clock at, besides the rehearsal's. */
  ticks(start: number, end: number): number[];
  /** At each tick, before alarms are evaluated; `driftTick` when the drift schedule fires then. */
  onTick(t: number, context: {
    driftTick: boolean;
    record: (entry: Omit<TimelineEntry, 'time'>) => void;
    at: (time: number, label: string, run: () => Promise<void> | void) => void;
  }): Promise<void>;
  /** Runs an execution the trigger or the guard started, at its start. */
  runRetrain(execution: Execution, startTime: number): Promise<{ status: 'SUCCEEDED' | 'FAILED'; durationMs: number; entry: Record<string, unknown> }>;
  /** After a run's end (before its status change is sent): switch what serves. */
  afterRun?(name: string, outcome: { status: 'SUCCEEDED' | 'FAILED'; durationMs: number; entry: Record<string, unknown> }): Promise<void>;
}
