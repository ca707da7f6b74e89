import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { flatten } from '@freshet/cost';
import { startMotoServer } from '@freshet/test-utils';
import { alarmArn, AppModel, LoopModel } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { fireTimes } from '../clock/schedule-expression';
import { SimulatedClock } from '../clock/simulated-clock';
import { AlarmState, evaluateAlarm } from '../cloudwatch/alarm-evaluator';
import { MetricStore } from '../cloudwatch/metric-store';
import { StepFunctionsEmulator } from '../emulators/step-functions';
import { matchesPattern } from '../events/event-pattern';
import { installSimulatedDate, loadBundledHandler } from '../runtime/bundled-handler';
import { DATA_PATH_KINDS, Injection, onsetOf, Scenario } from '../scenario/scenario';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** One entry of timeline.json: a decision or a state change, at its simulated time, with its reason. */
export interface TimelineEntry {
  readonly time: string;
  readonly kind: 'alarm' | 'trigger' | 'start-guard' | 'run-started' | 'run-ended';
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
 * The trigger rehearsal: the app's watched alarms, its EventBridge rule, its
 * retrain trigger and start guard (the built bundles, through the real SDK,
 * DynamoDB in moto, Step Functions in the replay's emulator) on the simulated
 * clock. The drift monitor's published values are the scenario's
 * metric-level injections (a stand-in for the drift path, said so in the
 * README); each retrain run lasts `retrainHours` and fails while a
 * training-fails injection has runs left (a stand-in for the state machine).
 */
export async function rehearseTrigger(app: AppModel, loop: LoopModel, scenario: Scenario): Promise<RehearsalResult> {
  const dataPath = scenario.injections.filter((i) => DATA_PATH_KINDS.includes(i.kind));
  if (dataPath.length > 0) {
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
  const moto = await startMotoServer();
  const restoreDate = installSimulatedDate(() => clock.now);
  const timeline: TimelineEntry[] = [];
  const savedEnv: Record<string, string | undefined> = {};
  const record = (entry: Omit<TimelineEntry, 'time'>) => timeline.push({ time: new Date(clock.now).toISOString(), ...entry } as TimelineEntry);
  try {
    const retrainArn = `arn:aws:states:us-east-1:123456789012:stateMachine:${loop.retrainStateMachine!.logicalId}`;
    const tableName = await createStormTable(app, loop, moto.endpoint);
    const sdkEnv = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'replay',
      AWS_SECRET_ACCESS_KEY: 'replay',
      AWS_SESSION_TOKEN: '',
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_MAX_ATTEMPTS: '1',
    };
    type Pair = [string, string];
    const resolveEnv = (environment: Record<string, unknown>): Record<string, string> => Object.fromEntries(
      Object.entries(environment).map(([k, v]): Pair => {
        if (typeof v === 'string') return [k, v];
        const flat = flatten(v);
        if (flat.refs.some((r) => r.includes(loop.retrainStateMachine!.logicalId))) return [k, retrainArn];
        if (k === 'STORM_TABLE_NAME') return [k, tableName];
        throw new RefusalError(`Cannot resolve ${k} (${flat.text}) of a handler for the replay.`);
      }));
    // The SDK resolves region, credentials and endpoints at the first call, and some handlers read their variables
    // per invocation: the union of the functions' environments stays set for the replay (a clash is an error).
    const environment: Record<string, string> = { ...sdkEnv };
    for (const fn of [loop.trigger, loop.startGuard]) {
      if (!fn) continue;
      for (const [k, v] of Object.entries(resolveEnv(fn.environment))) {
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

    // Runs: each lasts retrainHours; training-fails injections fail their next runs.
    const failuresLeft = new Map<Injection, number>();
    const runs: RehearsalResult['runs'] = [];
    let running = 0;
    let maxConcurrentRuns = 0;
    sfn.onStart = (execution) => {
      const reason = String(JSON.parse(execution.input).reason ?? '');
      const run = { name: execution.name, reason, start: clock.now, status: 'RUNNING' as string, end: undefined as number | undefined };
      runs.push(run);
      running++;
      maxConcurrentRuns = Math.max(maxConcurrentRuns, running);
      record({ kind: 'run-started', run: execution.name, reason, running });
      clock.at(clock.now + scenario.retrainHours * HOUR, `end ${execution.name}`, () => {
        // A run fails when a training-fails injection was in force at its start and has failures left.
        const failing = scenario.injections.find((i) => i.kind === 'training-fails' && run.start >= onsetOf(scenario, i) && (failuresLeft.get(i) ?? (i.runs ?? Infinity)) > 0);
        if (failing) failuresLeft.set(failing, (failuresLeft.get(failing) ?? (failing.kind === 'training-fails' ? failing.runs ?? Infinity : 0)) - 1);
        const status = failing ? 'FAILED' : 'SUCCEEDED';
        sfn.finish(execution.executionArn, status);
        run.status = status;
        run.end = clock.now;
        running--;
        record({ kind: 'run-ended', run: execution.name, status, reason: failing ? 'the scenario fails this training run (training-fails)' : 'the run deployed its model' });
      }, 10);
    };

    // The drift monitor's datapoints: one per watched metric at each drift window end (the publisher's timestamp).
    const store = new MetricStore();
    const level = (metric: string, time: number): number => {
      const inForce = scenario.injections.filter((i) => i.kind === 'metric-level' && i.metric === metric && time >= onsetOf(scenario, i)).pop() as Extract<Injection, { kind: 'metric-level' }> | undefined;
      return inForce ? inForce.value : scenario.baselineLevels[metric] ?? 0;
    };
    const states = new Map<string, AlarmState>(loop.watchedAlarms.map((a) => [a.logicalId, 'INSUFFICIENT_DATA']));
    const alarmStates: RehearsalResult['alarmStates'] = Object.fromEntries(loop.watchedAlarms.map((a) => [a.logicalId, [{ time: start, state: 'INSUFFICIENT_DATA' as AlarmState }]]));
    let eventCount = 0;

    const driftTimes = new Set(fireTimes(loop.driftSchedule.expression, start, end));
    const guardTimes = new Map<number, string | undefined>();
    for (const schedule of loop.retrainSchedules) for (const t of fireTimes(schedule.expression, start, end)) guardTimes.set(t, schedule.input);
    const periodEnds = new Set<number>();
    for (const alarm of loop.watchedAlarms) {
      const period = alarm.periodSeconds * 1000;
      for (let t = start + period; t < end; t += period) periodEnds.add(t);
    }
    const ticks = [...new Set([...driftTimes, ...guardTimes.keys(), ...periodEnds])].sort((a, b) => a - b);

    for (const t of ticks) {
      clock.at(t, 'tick', async () => {
        if (driftTimes.has(t)) {
          const windowEnd = Math.floor(t / HOUR) * HOUR;
          for (const alarm of loop.watchedAlarms) store.put(alarm, windowEnd, level(alarm.metricName, t));
        }
        const invocations: (() => Promise<void>)[] = [];
        if (periodEnds.has(t)) {
          for (const alarm of loop.watchedAlarms) {
            if ((t - start) % (alarm.periodSeconds * 1000) !== 0) continue;
            const previous = states.get(alarm.logicalId)!;
            const result = evaluateAlarm(alarm, store, t, previous);
            if (result.state === previous) continue;
            states.set(alarm.logicalId, result.state);
            alarmStates[alarm.logicalId].push({ time: t, state: result.state });
            record({ kind: 'alarm', alarm: alarm.logicalId, metric: alarm.metricName, state: result.state, previous, reason: result.reason });
            const event = {
              'version': '0',
              'id': `replay-event-${++eventCount}`,
              'detail-type': 'CloudWatch Alarm State Change',
              'source': 'aws.cloudwatch',
              'account': '123456789012',
              'time': new Date(t).toISOString(),
              'region': 'us-east-1',
              'resources': [alarmArn(alarm.logicalId)],
              'detail': { alarmName: alarm.logicalId, state: { value: result.state, reason: result.reason, timestamp: new Date(t).toISOString() }, previousState: { value: previous } },
            };
            if (!matchesPattern(loop.rulePattern, event)) continue;
            invocations.push(async () => {
              const decision = await trigger(event);
              record({ kind: 'trigger', alarm: alarm.logicalId, event: event.id, ...decision });
            });
          }
        }
        if (guardTimes.has(t) && guard) {
          const input = JSON.parse((guardTimes.get(t) ?? '{}').replace('<aws.scheduler.scheduled-time>', new Date(t).toISOString()));
          invocations.push(async () => {
            const result = await guard(input);
            record({ kind: 'start-guard', ...result, reason: result.started ? `scheduled start (${input.reason})` : `skipped: ${result.skipped}` });
          });
        }
        // Starters that fire at the same instant run concurrently, as Lambda would run them.
        await Promise.all(invocations.map((i) => i()));
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
    await Promise.all([sfn.stop(), moto.stop()]);
  }
}

/** The storm-control table as the template declares it, in moto. */
async function createStormTable(app: AppModel, loop: LoopModel, endpoint: string): Promise<string> {
  const ref = flatten(loop.trigger.environment.STORM_TABLE_NAME).refs[0];
  const resource = app.stacks.flatMap((s) => s.resources).find((r) => r.logicalId === ref && r.type === 'AWS::DynamoDB::Table');
  if (!resource) throw new RefusalError(`The trigger's storm-control table (${ref}) is not in the stage.`);
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
  try {
    await client.send(new CreateTableCommand({
      TableName: ref,
      KeySchema: resource.properties.KeySchema,
      AttributeDefinitions: resource.properties.AttributeDefinitions,
      BillingMode: 'PAY_PER_REQUEST',
    }));
  } finally {
    client.destroy();
  }
  return ref;
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
