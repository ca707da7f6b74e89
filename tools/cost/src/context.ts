import { AssemblyResource, AssemblyStack } from './assembly';
import { Publisher, publishers } from './custom-metrics';
import { flatten, Flattened, refersTo } from './intrinsics';
import { DAYS_PER_MONTH, LoadProfile } from './load-profile';
import { methodTraced } from './pricers/observability';
import { PricingTable } from './pricing-table';
import { runsPerMonth } from './schedule';
import { readWorkflow, Workflow } from './state-machine';

/**
 * What the pricers need to know beyond one resource's properties: how often
 * schedules start things, which functions an API or a workflow invokes, which
 * workflows wake a warehouse, what flows into a bucket. Built per stage
 * assembly, because stacks of one stage reference each other.
 */
export class PricingContext {
  private readonly byDir = new Map<string, AssemblyResource[]>();
  private readonly byAccount = new Map<string, AssemblyResource[]>();
  private readonly workflows = new Map<AssemblyResource, Workflow | Error>();
  private readonly runCache = new Map<AssemblyResource, number>();
  private readonly publisherCache = new Map<string, Publisher[]>();

  constructor(stacks: AssemblyStack[], public readonly pricing: PricingTable, public readonly load: LoadProfile) {
    for (const stack of stacks) {
      const list = this.byDir.get(stack.assemblyDir) ?? [];
      list.push(...stack.resources);
      this.byDir.set(stack.assemblyDir, list);
      const inAccount = this.byAccount.get(accountKey(stack)) ?? [];
      inAccount.push(...stack.resources);
      this.byAccount.set(accountKey(stack), inAccount);
    }
  }

  /**
   * Resources of the same account (stacks whose manifest names it), in assembly order; an
   * environment-agnostic stack counts as an account of its own stage assembly.
   */
  account(resource: AssemblyResource, type?: string): AssemblyResource[] {
    const all = this.byAccount.get(accountKey(resource.stack)) ?? [];
    return type ? all.filter((r) => r.type === type) : all;
  }

  /** Resources of the same stage assembly. */
  stage(resource: AssemblyResource, type?: string): AssemblyResource[] {
    const all = this.byDir.get(resource.stack.assemblyDir) ?? [];
    return type ? all.filter((r) => r.type === type) : all;
  }

  /**
   * The state machine's parsed definition (an Error when it cannot be read), its happy
   * path the one a run takes under this load: a workflow that plans over captured
   * requests takes its quiet path when nothing is predicted (see {@link plansOverCapture}).
   */
  workflow(resource: AssemblyResource): Workflow | Error {
    let workflow = this.workflows.get(resource);
    if (!workflow) {
      try {
        workflow = readWorkflow(resource.properties);
        if (this.load.predictionsPerMonth === 0 && this.plansOverCapture(resource, workflow)) {
          workflow = { ...workflow, happyPath: workflow.quietPath, transitionsPerRun: workflow.quietPath.length, quiet: 'no capture to compare without predictions' };
        }
      } catch (e) {
        workflow = e instanceof Error ? e : new Error(String(e));
      }
      this.workflows.set(resource, workflow);
    }
    return workflow;
  }

  /**
   * Whether a workflow's run depends on captured requests: a function on its happy path
   * lists data capture (an environment variable named `*CAPTURE_PREFIX`), as the drift
   * monitor's planner does before it chooses between the drift job and "Nothing to compare".
   */
  private plansOverCapture(machine: AssemblyResource, workflow: Workflow): boolean {
    const names = (path: Workflow['happyPath']) => path.map((s) => s.name).join('|');
    if (names(workflow.quietPath) === names(workflow.happyPath)) return false;
    return this.stage(machine, 'AWS::Lambda::Function').some((fn) => {
      const variables = fn.properties.Environment?.Variables ?? {};
      return Object.keys(variables).some((name) => /CAPTURE_PREFIX$/.test(name)) && workflow.happyPath.some((s) => refersTo(s.flat, fn.logicalId));
    });
  }

  /** Runs per month that enabled schedules (EventBridge rules, Scheduler, Glue triggers) start of `target`. */
  scheduledRuns(target: AssemblyResource): number {
    let runs = 0;
    for (const source of this.stage(target)) {
      const schedule = scheduleOf(source);
      if (schedule && schedule.targets.some((t) => refersTo(t, target.logicalId))) runs += runsPerMonth(schedule.expression);
    }
    return runs;
  }

  /** The custom-metric publishers of the resource's stage (computed once per stage). */
  publishersOf(resource: AssemblyResource): Publisher[] {
    let list = this.publisherCache.get(resource.stack.assemblyDir);
    if (!list) {
      // Set first: finding publishers prices runs, which never asks for publishers again.
      this.publisherCache.set(resource.stack.assemblyDir, []);
      list = publishers(resource, this);
      this.publisherCache.set(resource.stack.assemblyDir, list);
    }
    return list;
  }

  /** Runs per month of a state machine: the training override, its schedules, or functions that start it. */
  workflowRuns(machine: AssemblyResource): number {
    const cached = this.runCache.get(machine);
    if (cached !== undefined) return cached;
    const workflow = this.workflow(machine);
    let runs: number;
    if (!(workflow instanceof Error) && this.load.retrainsPerDay !== null
      && workflow.happyPath.some((s) => /createTrainingJob|createAutoMLJob/.test(s.resource))) {
      runs = this.load.retrainsPerDay * DAYS_PER_MONTH;
    } else {
      runs = this.scheduledRuns(machine);
      // A scheduled function that names the state machine in its environment starts it (a start guard),
      // unless alarm state changes invoke it too: then it starts runs on alarms, and its schedule only
      // retries a pending request (a retrain trigger), which no schedule alone creates.
      for (const fn of this.stage(machine, 'AWS::Lambda::Function')) {
        if (refersTo(flatten(fn.properties.Environment), machine.logicalId) && !this.alarmDriven(fn)) runs += this.scheduledRuns(fn);
      }
    }
    this.runCache.set(machine, runs);
    return runs;
  }

  /** Whether an EventBridge rule on CloudWatch alarm state changes invokes the function. */
  alarmDriven(fn: AssemblyResource): boolean {
    return this.stage(fn, 'AWS::Events::Rule').some((rule) => {
      const pattern = rule.properties.EventPattern;
      return pattern && [pattern.source ?? []].flat().includes('aws.cloudwatch')
        && (rule.properties.Targets ?? []).some((t: unknown) => refersTo(flatten(t), fn.logicalId));
    });
  }

  /** Invocations per month of a function, with where they come from. */
  functionInvocations(fn: AssemblyResource): { count: number; from: string[]; viaTracedApi: number } {
    const from: string[] = [];
    let count = 0;
    let viaTracedApi = 0;
    const scheduled = this.scheduledRuns(fn);
    if (scheduled > 0) {
      count += scheduled;
      from.push(`${round(scheduled)} scheduled`);
    }
    for (const method of this.stage(fn, 'AWS::ApiGateway::Method')) {
      if (refersTo(flatten(method.properties.Integration), fn.logicalId)) {
        count += this.load.predictionsPerMonth;
        if (methodTraced(method, this)) viaTracedApi += this.load.predictionsPerMonth;
        from.push(`${round(this.load.predictionsPerMonth)} API requests`);
      }
    }
    for (const machine of this.stage(fn, 'AWS::StepFunctions::StateMachine')) {
      const workflow = this.workflow(machine);
      if (workflow instanceof Error) continue;
      const calls = workflow.happyPath.filter((s) => refersTo(s.flat, fn.logicalId)).length;
      if (calls > 0) {
        const runs = this.workflowRuns(machine) * calls;
        count += runs;
        from.push(`${round(runs)} from ${machine.logicalId}`);
      }
    }
    return { count, from, viaTracedApi };
  }
}

function accountKey(stack: AssemblyStack): string {
  return stack.account ? `account:${stack.account}` : `assembly:${stack.assemblyDir}`;
}

/** An enabled schedule and the targets it starts. */
export function scheduleOf(resource: AssemblyResource): { expression: string; targets: Flattened[] } | undefined {
  const p = resource.properties;
  if (resource.type === 'AWS::Events::Rule' && typeof p.ScheduleExpression === 'string' && p.State !== 'DISABLED') {
    return { expression: p.ScheduleExpression, targets: (p.Targets ?? []).map((t: any) => flatten(t)) };
  }
  if (resource.type === 'AWS::Scheduler::Schedule' && typeof p.ScheduleExpression === 'string' && p.State !== 'DISABLED') {
    return { expression: p.ScheduleExpression, targets: [flatten(p.Target?.Arn)] };
  }
  if (resource.type === 'AWS::Glue::Trigger' && p.Type === 'SCHEDULED' && typeof p.Schedule === 'string') {
    return { expression: p.Schedule, targets: (p.Actions ?? []).map((a: any) => flatten(a.JobName)) };
  }
  return undefined;
}

/** Rounds a figure for the detail text. */
export function round(value: number): string {
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 1) return value.toFixed(1).replace(/\.0$/, '');
  return value.toPrecision(2);
}
