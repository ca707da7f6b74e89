import { AssemblyResource } from '../assembly';
import { PricingContext, scheduleOf } from '../context';
import { publishedMetricCharges } from '../custom-metrics';
import { flatten, refersTo } from '../intrinsics';
import { runsPerMonth } from '../schedule';
import { Charge, charge, price, Unpriced } from './pricer';

const DPU_PER_WORKER: Record<string, number> = { 'G.025X': 0.25, 'G.1X': 1, 'G.2X': 2, 'G.4X': 4, 'G.8X': 8, 'Z.2X': 2, 'Standard': 1 };

/** The DPUs a Glue job runs with, from its worker type and count (or MaxCapacity). */
export function glueDpus(properties: Record<string, any>): number {
  if (properties.WorkerType) {
    const perWorker = DPU_PER_WORKER[properties.WorkerType];
    if (perWorker === undefined) throw new Unpriced(`unknown Glue worker type ${properties.WorkerType}`);
    return perWorker * Number(properties.NumberOfWorkers ?? 1);
  }
  if (properties.Command?.Name === 'pythonshell') return Number(properties.MaxCapacity ?? 0.0625);
  return Number(properties.MaxCapacity ?? properties.AllocatedCapacity ?? 10);
}

/** Glue jobs: DPU-hours per run (one minute minimum) times the runs its schedules and workflows start. */
export function glueJob(resource: AssemblyResource, context: PricingContext): Charge[] {
  const dpus = glueDpus(resource.properties);
  const runs = glueJobRuns(resource, context);
  const minutes = Math.max(1, context.load.glueRunMinutes);
  const key = resource.properties.ExecutionClass === 'FLEX' ? 'glue.flexDpuHour' : 'glue.dpuHour';
  return [
    charge(runs * dpus * (minutes / 60), price(context, key), `DPU-hours (${dpus} DPU x ${minutes} min x ${Math.round(runs)} runs)`),
    ...publishedMetricCharges(resource, context),
  ];
}

/** Runs a month of a Glue job: its schedules, and the workflows that start it. */
export function glueJobRuns(resource: AssemblyResource, context: PricingContext): number {
  let runs = context.scheduledRuns(resource);
  for (const machine of context.stage(resource, 'AWS::StepFunctions::StateMachine')) {
    const workflow = context.workflow(machine);
    if (workflow instanceof Error) continue;
    const starts = workflow.happyPath
      .filter((s) => /glue:startJobRun/.test(s.resource) && s.flat.refs.some((r) => r.includes(resource.logicalId))).length;
    runs += starts * context.workflowRuns(machine);
  }
  return runs;
}

/** AWS Batch on Fargate: vCPU- and GB-hours of the jobs schedules submit with this definition. */
export function batchJobDefinition(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  if (!(p.PlatformCapabilities ?? []).includes('FARGATE')) throw new Unpriced('Batch on EC2 is priced by its instances, which the template does not fix');
  const requirements: any[] = p.ContainerProperties?.ResourceRequirements ?? [];
  const vcpu = Number(requirements.find((r) => r.Type === 'VCPU')?.Value ?? 1);
  const gb = Number(requirements.find((r) => r.Type === 'MEMORY')?.Value ?? 2048) / 1024;
  let runs = 0;
  for (const rule of context.stage(resource, 'AWS::Events::Rule')) {
    const schedule = scheduleOf(rule);
    if (!schedule) continue;
    const submits = (rule.properties.Targets ?? [])
      .filter((t: any) => refersTo(flatten(t.BatchParameters?.JobDefinition), resource.logicalId)).length;
    runs += submits * runsPerMonth(schedule.expression);
  }
  const hours = runs * (context.load.batchJobMinutes / 60);
  return [
    charge(hours * vcpu, price(context, 'fargate.vcpuHour'), `vCPU-hours (${Math.round(runs)} jobs x ${context.load.batchJobMinutes} min x ${vcpu} vCPU)`),
    charge(hours * gb, price(context, 'fargate.gbHour'), `GB-hours (${gb} GB)`),
  ];
}
