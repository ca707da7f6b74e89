import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssemblyResource, AssemblyStack, flatten, readAssembly, refersTo } from '@freshet/cost';
import { AlarmSpec } from '../cloudwatch/alarm-evaluator';

/** A Lambda function of the app, with its built bundle on disk. */
export interface BundledFunction {
  readonly logicalId: string;
  /** The asset folder holding the built handler (index.js). */
  readonly bundleDir: string;
  readonly handler: string;
  /** Environment variables as synthesized; tokens stay as CloudFormation objects. */
  readonly environment: Record<string, unknown>;
}

/** A schedule of the app (EventBridge Scheduler or rule) and what it starts. */
export interface ScheduleSpec {
  readonly logicalId: string;
  readonly expression: string;
  /** The logical id of the target (a state machine or a function). */
  readonly target: string;
  readonly input?: string;
  /** An EventBridge rule's schedule (its target gets a `Scheduled Event` unless the target sets an input) or EventBridge Scheduler's. */
  readonly via: 'events-rule' | 'scheduler';
}

/** An EventBridge rule with an event pattern, and the function of the loop it invokes. */
export interface EventRuleSpec {
  readonly logicalId: string;
  /** The pattern, with resource tokens resolved to the names and ARNs the replay gives them. */
  readonly pattern: Record<string, unknown>;
  /** The logical id of the function it invokes (the trigger or the start guard). */
  readonly target: string;
  /** The target sets an Input, InputPath or InputTransformer (the replay sends events unchanged, so it refuses such a rule when it matches). */
  readonly transformsInput: boolean;
}

/** The training algorithm a retrain state machine runs, read from its training image. */
export type TrainingFlavour = 'xgboost' | 'autogluon' | 'deepar' | 'unknown';

/** One model's continuous-training loop as the stage synthesizes it. */
export interface LoopModel {
  /** The construct id prefix, e.g. `StocksMonitor`. */
  readonly monitorId: string;
  readonly endpointName: string;
  readonly windowHours: number;
  readonly driftSchedule: ScheduleSpec;
  readonly driftStateMachine: AssemblyResource;
  readonly planner: BundledFunction;
  readonly publisher: BundledFunction;
  /** The drift job's arguments (drift_job.py and its flags) from the planner's environment. */
  readonly jobArguments: string[];
  readonly qualityArguments: string[];
  /** The alarms the trigger's rule watches, with their evaluation settings. */
  readonly watchedAlarms: (AlarmSpec & { logicalId: string })[];
  /** The trigger rule's event pattern, with alarm ARNs resolved to the names the replay gives alarms. */
  readonly rulePattern: Record<string, unknown>;
  readonly trigger: BundledFunction;
  readonly targetKind: string;
  readonly cooldownSeconds: number;
  readonly dailyCap: number;
  /** The retrain state machine the trigger starts (absent for a CodePipeline target). */
  readonly retrainStateMachine?: AssemblyResource;
  readonly trainingImage?: string;
  readonly flavour: TrainingFlavour;
  readonly retrainSchedules: ScheduleSpec[];
  readonly startGuard?: BundledFunction;
  /** The schedules that invoke the trigger (its retry rule), if any. */
  readonly triggerSchedules: ScheduleSpec[];
  /**
   * Every event-pattern rule of the stage that invokes the trigger or the start guard: the alarm rule,
   * the run-end rules (Step Functions execution status changes), ... The replay sends each event it
   * makes to every rule whose pattern matches it.
   */
  readonly eventRules: EventRuleSpec[];
}

/** The app, one stage (or the whole unstaged app) of it. */
export interface AppModel {
  readonly stage: string;
  readonly stacks: AssemblyStack[];
  readonly loops: LoopModel[];
}

/** A fake alarm ARN the replay gives each alarm: the rule's pattern and the events use the same one. */
export function alarmArn(logicalId: string): string {
  return `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${logicalId}`;
}

/** The ARN the replay gives a state machine (Ref of a state machine is its ARN). */
export function stateMachineArn(logicalId: string): string {
  return `arn:aws:states:us-east-1:123456789012:stateMachine:${logicalId}`;
}

/**
 * The resource a reference names: a logical id (Ref, Fn::GetAtt) or, across the stage's
 * stacks, an export of it (`Fn::ImportValue` of `<stack>:ExportsOutputRef<id><hash>`).
 */
export function resourceOf(ref: string, resources: AssemblyResource[]): AssemblyResource | undefined {
  return resources.find((r) => r.logicalId === ref) ?? resources.find((r) => refersTo({ text: ref, refs: [ref] }, r.logicalId));
}

/**
 * Reads the stage's loops from a cloud assembly. A stage is a nested assembly
 * whose stacks' display names start with `<...>/<stage>/`; with no stage, the
 * top-level stacks are the app (an unstaged app, like the consumer's).
 */
export function readApp(cdkOut: string, stage?: string): AppModel {
  const all = readAssembly(cdkOut);
  const stacks = stage ? all.filter((s) => s.displayName.split('/').includes(stage)) : all.filter((s) => path.resolve(s.assemblyDir) === path.resolve(cdkOut));
  if (stacks.length === 0) {
    const stages = [...new Set(all.map((s) => s.displayName.split('/').slice(0, -1).join('/')).filter(Boolean))];
    throw new Error(stage
      ? `No stage '${stage}' in ${cdkOut}: its stages are ${stages.join(', ') || '(none: leave --stage out)'}.`
      : `${cdkOut} has no top-level stacks; name a stage with --stage (${stages.join(', ')}).`);
  }
  const resources = stacks.flatMap((s) => s.resources);
  const byId = new Map(resources.map((r) => [r.logicalId, r]));
  const loops: LoopModel[] = [];
  for (const trigger of resources.filter((r) => r.type === 'AWS::Lambda::Function' && r.properties.Environment?.Variables?.TARGET_KIND)) {
    loops.push(readLoop(trigger, resources, byId));
  }
  return { stage: stage ?? '(app)', stacks, loops };
}

function readLoop(trigger: AssemblyResource, resources: AssemblyResource[], byId: Map<string, AssemblyResource>): LoopModel {
  const env = trigger.properties.Environment.Variables;
  const monitorId = trigger.logicalId.replace(/TriggerFunction[0-9A-F]{8}$/, '');
  // The alarm rule: of the rules that invoke the trigger (alarms, retry schedule, runs ending), the one on CloudWatch alarms.
  const rule = resources.find((r) => r.type === 'AWS::Events::Rule' && (r.properties.EventPattern?.source ?? []).includes('aws.cloudwatch')
    && (r.properties.Targets ?? []).some((t: any) => refersTo(flatten(t.Arn), trigger.logicalId)));
  if (!rule) throw new Error(`The trigger ${trigger.logicalId} has no EventBridge rule on CloudWatch alarm state changes that invokes it.`);
  const watched = (rule.properties.EventPattern?.resources ?? []).map((ref: unknown) => flatten(ref).refs[0]).filter(Boolean) as string[];
  const watchedAlarms = watched.map((id) => {
    const alarm = byId.get(id);
    if (!alarm) throw new Error(`The rule ${rule.logicalId} watches ${id}, which is not in the stage.`);
    return { logicalId: id, ...alarmSpec(alarm) };
  });
  const rulePattern = resolvePattern(rule.properties.EventPattern, resources);
  // The drift side: the planner is the function whose environment names WINDOW_HOURS and the monitor's endpoint.
  const planner = resources.find((r) => r.type === 'AWS::Lambda::Function' && r.logicalId.startsWith(`${monitorId}DriftPlanner`));
  const publisher = resources.find((r) => r.type === 'AWS::Lambda::Function' && r.logicalId.startsWith(`${monitorId}DriftPublisher`));
  const driftStateMachine = resources.find((r) => r.type === 'AWS::StepFunctions::StateMachine' && r.logicalId.startsWith(`${monitorId}DriftStateMachine`));
  if (!planner || !publisher || !driftStateMachine) {
    throw new Error(`The monitor ${monitorId} has no drift monitor (planner, publisher and state machine): the replay needs the app's own drift monitor to decide anything.`);
  }
  const driftSchedule = schedulesOf(resources, driftStateMachine.logicalId)[0];
  if (!driftSchedule) throw new Error(`The drift state machine ${driftStateMachine.logicalId} has no enabled schedule.`);
  const penv = planner.properties.Environment.Variables;
  const targetRef = flatten(env.STATE_MACHINE_ARN ?? '').refs[0] ?? '';
  const retrainStateMachine = resources.find((r) => r.type === 'AWS::StepFunctions::StateMachine' && (targetRef === r.logicalId || targetRef.includes(`Ref${r.logicalId}`)));
  const definition = retrainStateMachine ? flatten(retrainStateMachine.properties.DefinitionString).text : '';
  const trainingImage = /TrainingImage":"([^"]+)"/.exec(definition)?.[1] ?? /"AlgorithmSpecification":\{[^}]*"TrainingImage":"([^"]+)"/.exec(definition)?.[1];
  const startGuard = retrainStateMachine
    ? resources.find((r) => r.type === 'AWS::Lambda::Function' && refersTo(flatten(r.properties.Environment), retrainStateMachine.logicalId))
    : undefined;
  const retrainSchedules = startGuard ? schedulesOf(resources, startGuard.logicalId) : [];
  const eventRules = [trigger, startGuard].filter((f): f is AssemblyResource => f !== undefined)
    .flatMap((fn) => eventRulesOf(resources, fn.logicalId));
  return {
    monitorId,
    endpointName: String(penv.ENDPOINT_NAME),
    windowHours: Number(penv.WINDOW_HOURS),
    driftSchedule,
    driftStateMachine,
    planner: bundled(planner),
    publisher: bundled(publisher),
    jobArguments: JSON.parse(penv.JOB_ARGUMENTS),
    qualityArguments: JSON.parse(penv.QUALITY_ARGUMENTS ?? '[]'),
    watchedAlarms,
    rulePattern,
    trigger: bundled(trigger),
    targetKind: String(env.TARGET_KIND),
    cooldownSeconds: Number(env.COOLDOWN_SECONDS),
    dailyCap: Number(env.DAILY_CAP),
    retrainStateMachine,
    trainingImage,
    flavour: flavourOf(trainingImage, definition),
    retrainSchedules,
    startGuard: startGuard ? bundled(startGuard) : undefined,
    triggerSchedules: schedulesOf(resources, trigger.logicalId),
    eventRules,
  };
}

function eventRulesOf(resources: AssemblyResource[], targetId: string): EventRuleSpec[] {
  const out: EventRuleSpec[] = [];
  for (const r of resources) {
    const p = r.properties;
    if (r.type !== 'AWS::Events::Rule' || !p.EventPattern || p.State === 'DISABLED') continue;
    for (const t of p.Targets ?? []) {
      if (!refersTo(flatten(t.Arn), targetId)) continue;
      out.push({
        logicalId: r.logicalId,
        pattern: resolvePattern(p.EventPattern, resources),
        target: targetId,
        transformsInput: Boolean(t.Input ?? t.InputPath ?? t.InputTransformer),
      });
    }
  }
  return out;
}

/** The algorithm from the training image's repository name. */
export function flavourOf(image: string | undefined, definition: string): TrainingFlavour {
  const text = `${image ?? ''} ${image ? '' : definition}`;
  if (/forecasting-deepar/.test(text)) return 'deepar';
  if (/autogluon/.test(text)) return 'autogluon';
  if (/xgboost/.test(text)) return 'xgboost';
  return 'unknown';
}

/** An alarm's evaluation settings from its properties, CloudWatch's defaults where the template leaves them out. */
export function alarmSpec(alarm: AssemblyResource): AlarmSpec {
  const p = alarm.properties;
  if (p.Metrics) throw new Error(`The alarm ${alarm.logicalId} uses metric math, which the replay's CloudWatch does not evaluate.`);
  if (p.ExtendedStatistic) throw new Error(`The alarm ${alarm.logicalId} uses the percentile ${p.ExtendedStatistic}, which the replay's CloudWatch does not evaluate.`);
  const dimensions: Record<string, string> = {};
  for (const d of p.Dimensions ?? []) dimensions[d.Name] = typeof d.Value === 'string' ? d.Value : flatten(d.Value).text;
  return {
    name: alarm.logicalId,
    namespace: p.Namespace,
    metricName: p.MetricName,
    dimensions,
    statistic: p.Statistic,
    periodSeconds: Number(p.Period),
    evaluationPeriods: Number(p.EvaluationPeriods),
    datapointsToAlarm: Number(p.DatapointsToAlarm ?? p.EvaluationPeriods),
    threshold: Number(p.Threshold),
    comparison: p.ComparisonOperator,
    treatMissingData: p.TreatMissingData ?? 'missing',
  };
}

function schedulesOf(resources: AssemblyResource[], targetId: string): ScheduleSpec[] {
  const out: ScheduleSpec[] = [];
  for (const r of resources) {
    const p = r.properties;
    if (r.type === 'AWS::Scheduler::Schedule' && p.State !== 'DISABLED' && refersTo(flatten(p.Target?.Arn), targetId)) {
      out.push({ logicalId: r.logicalId, expression: p.ScheduleExpression, target: targetId, input: p.Target?.Input, via: 'scheduler' });
    }
    if (r.type === 'AWS::Events::Rule' && p.ScheduleExpression && p.State !== 'DISABLED') {
      for (const t of p.Targets ?? []) {
        if (!refersTo(flatten(t.Arn), targetId)) continue;
        out.push({ logicalId: r.logicalId, expression: p.ScheduleExpression, target: targetId, input: t.Input, via: 'events-rule' });
      }
    }
  }
  return out;
}

/**
 * A rule's pattern with the resources it names resolved as the replay names them: an alarm's ARN
 * (alarmArn), a state machine's ARN (stateMachineArn), across stacks through their exports.
 */
function resolvePattern(value: unknown, resources: AssemblyResource[]): any {
  if (Array.isArray(value)) return value.map((v) => resolvePattern(v, resources));
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('Fn::GetAtt' in obj || 'Ref' in obj || 'Fn::ImportValue' in obj) {
      const flat = flatten(obj);
      const resource = resourceOf(flat.refs[0] ?? '', resources);
      if (resource?.type === 'AWS::CloudWatch::Alarm') return alarmArn(resource.logicalId);
      if (resource?.type === 'AWS::StepFunctions::StateMachine') return stateMachineArn(resource.logicalId);
      if ('Fn::GetAtt' in obj) {
        const [id, attr] = obj['Fn::GetAtt'] as [string, string];
        if (attr === 'Arn') return alarmArn(id);
        return `${id}.${attr}`;
      }
      if ('Ref' in obj) return String(obj.Ref);
      return flat.text;
    }
    if ('Fn::Join' in obj) return flatten(obj).text;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolvePattern(v, resources)]));
  }
  return value;
}

/** The asset folder of a function's bundle: manifest assets map the S3 key's hash to a folder in cdk.out. */
function bundled(fn: AssemblyResource): BundledFunction {
  const key = String(fn.properties.Code?.S3Key ?? '');
  const hash = key.replace(/\.zip$/, '');
  const dir = fs.readdirSync(fn.stack.assemblyDir).map((f) => path.join(fn.stack.assemblyDir, f));
  const parent = fs.readdirSync(path.dirname(fn.stack.assemblyDir)).map((f) => path.join(path.dirname(fn.stack.assemblyDir), f));
  const bundleDir = [...dir, ...parent].find((f) => path.basename(f).startsWith(`asset.${hash}`) && fs.statSync(f).isDirectory());
  if (!bundleDir) throw new Error(`The bundle of ${fn.logicalId} (asset ${hash}) is not in the cloud assembly: synthesize the app again.`);
  const environment = fn.properties.Environment?.Variables ?? {};
  return { logicalId: fn.logicalId, bundleDir, handler: String(fn.properties.Handler), environment };
}

/** A function of the stage with its built bundle (the run executor's Lambda tasks, e.g. the gate). */
export function bundledFunction(fn: AssemblyResource): BundledFunction {
  return bundled(fn);
}
