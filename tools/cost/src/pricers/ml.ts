import { AssemblyResource } from '../assembly';
import { PricingContext, round } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { HOURS_PER_MONTH } from '../load-profile';
import { runsPerMonth } from '../schedule';
import { PathState } from '../state-machine';
import { Charge, charge, price, Unpriced } from './pricer';

/** Hosting charges of an endpoint's production variants (instances all month; serverless per inference). */
export function variantCharges(variants: any[], context: PricingContext, what: string): Charge[] {
  if (!Array.isArray(variants) || variants.length === 0) throw new Unpriced(`${what} has no ProductionVariants`);
  const totalWeight = variants.reduce((sum, v) => sum + Number(v.InitialVariantWeight ?? 1), 0) || 1;
  const charges: Charge[] = [];
  for (const variant of variants) {
    const share = Number(variant.InitialVariantWeight ?? 1) / totalWeight;
    if (variant.ServerlessConfig) {
      const gb = Number(variant.ServerlessConfig.MemorySizeInMB) / 1024;
      const inferences = context.load.predictionsPerMonth * share;
      charges.push(charge(inferences * context.load.serverlessSecondsPerInference * gb, price(context, 'sagemaker.serverlessGbSecond'), `serverless GB-seconds (${variant.VariantName ?? 'variant'})`));
      charges.push(charge((inferences * context.load.predictionBytes) / 1e9, price(context, 'sagemaker.serverlessDataGb'), 'serverless GB in/out'));
      if (variant.ServerlessConfig.ProvisionedConcurrency) {
        throw new Unpriced('serverless provisioned concurrency is not in the pricing table');
      }
      continue;
    }
    const type = String(variant.InstanceType ?? '');
    if (!type.startsWith('ml.')) throw new Unpriced(`${what}: instance type '${type}' is not literal in the template`);
    const count = Number(variant.InitialInstanceCount ?? 1);
    charges.push(charge(count * HOURS_PER_MONTH, price(context, `sagemaker.hosting.${type}`), `${type} endpoint instance-hours`));
  }
  return charges;
}

/** A SageMaker endpoint, priced from the endpoint config it names. */
export function endpoint(resource: AssemblyResource, context: PricingContext): Charge[] {
  const configRef = flatten(resource.properties.EndpointConfigName);
  const config = context.stage(resource, 'AWS::SageMaker::EndpointConfig').find((c) => refersTo(configRef, c.logicalId));
  if (!config) throw new Unpriced('its endpoint config is not in the assembly');
  return variantCharges(config.properties.ProductionVariants, context, config.logicalId);
}

interface Job {
  readonly kind: 'training' | 'processing' | 'transform';
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxMinutes?: number;
}

/** The SageMaker job a workflow state starts, from its literal parameters. */
function jobOf(state: PathState): Job | undefined {
  const p = state.parameters;
  const max = p.StoppingCondition?.MaxRuntimeInSeconds;
  const maxMinutes = typeof max === 'number' ? max / 60 : undefined;
  if (/sagemaker:createTrainingJob/.test(state.resource)) {
    return { kind: 'training', instanceType: p.ResourceConfig?.InstanceType, instanceCount: Number(p.ResourceConfig?.InstanceCount ?? 1), maxMinutes };
  }
  if (/sagemaker:createProcessingJob/.test(state.resource)) {
    const cluster = p.ProcessingResources?.ClusterConfig ?? {};
    return { kind: 'processing', instanceType: cluster.InstanceType, instanceCount: Number(cluster.InstanceCount ?? 1), maxMinutes };
  }
  if (/sagemaker:createTransformJob/.test(state.resource)) {
    const resources = p.TransformResources ?? {};
    return { kind: 'transform', instanceType: resources.InstanceType, instanceCount: Number(resources.InstanceCount ?? 1) };
  }
  return undefined;
}

/** Instance-hours of the SageMaker jobs one run of a workflow starts, per job. */
export function jobCharges(happyPath: PathState[], runs: number, context: PricingContext): Charge[] {
  const charges: Charge[] = [];
  const expected = { training: context.load.trainingMinutes, processing: context.load.processingMinutes, transform: context.load.transformMinutes };
  for (const state of happyPath) {
    const job = jobOf(state);
    if (!job) continue;
    if (typeof job.instanceType !== 'string' || !job.instanceType.startsWith('ml.')) {
      charges.push({ usd: 0, detail: `'${state.name}': the ${job.kind} job takes its instance type at run time`, unpriced: true });
      continue;
    }
    const minutes = Math.min(expected[job.kind], job.maxMinutes ?? Infinity);
    const hours = runs * job.instanceCount * (minutes / 60);
    charges.push({
      ...charge(hours, price(context, `sagemaker.${job.kind}.${job.instanceType}`), `${job.instanceType} ${job.kind} instance-hours`),
      detail: `'${state.name}': ${job.instanceType} ${job.kind} instance-hours ${round(hours)} (${round(runs)} runs x ${round(minutes)} min) x $${price(context, `sagemaker.${job.kind}.${job.instanceType}`)}`,
    });
  }
  return charges;
}

/** Whether a workflow creates an endpoint itself (on any branch: the first run creates, later runs update). */
export function createsEndpoint(states: PathState[]): boolean {
  return states.some((s) => /sagemaker:createEndpoint$/.test(s.resource.replace(/\.sync$/, '')));
}

/** The endpoint config a workflow creates, if any. */
export function createdEndpointConfig(states: PathState[]): PathState | undefined {
  return states.find((s) => /sagemaker:createEndpointConfig/.test(s.resource));
}

/** Endpoints a workflow creates itself: hosted all month at the config it creates. */
export function createdEndpointCharges(states: PathState[], context: PricingContext): Charge[] {
  if (!createsEndpoint(states)) return [];
  const config = createdEndpointConfig(states);
  if (!config) return [{ usd: 0, detail: 'the workflow creates an endpoint from a config it does not create', unpriced: true }];
  try {
    return variantCharges(config.parameters.ProductionVariants, context, `'${config.name}'`)
      .map((c) => ({ ...c, detail: `endpoint the workflow creates: ${c.detail}` }));
  } catch (e) {
    return [{ usd: 0, detail: `endpoint the workflow creates: ${e instanceof Error ? e.message : String(e)}`, unpriced: true }];
  }
}

/** The cluster of a monitoring job: inline in the schedule, or in the job definition it names. */
function monitoringCluster(resource: AssemblyResource, context: PricingContext): { cluster: any; maxSeconds?: number } {
  const config = resource.properties.MonitoringScheduleConfig ?? {};
  const inline = config.MonitoringJobDefinition;
  if (inline) return { cluster: inline.MonitoringResources?.ClusterConfig, maxSeconds: inline.StoppingCondition?.MaxRuntimeInSeconds };
  const name = flatten(config.MonitoringJobDefinitionName);
  const definition = context.stage(resource).find((r) => /^AWS::SageMaker::\w+JobDefinition$/.test(r.type) && refersTo(name, r.logicalId));
  if (!definition) throw new Unpriced('its monitoring job definition is not in the assembly');
  return { cluster: definition.properties.JobResources?.ClusterConfig, maxSeconds: definition.properties.StoppingCondition?.MaxRuntimeInSeconds };
}

/** SageMaker Model Monitor schedules: a processing job per scheduled run. */
export function monitoringSchedule(resource: AssemblyResource, context: PricingContext): Charge[] {
  const expression = resource.properties.MonitoringScheduleConfig?.ScheduleConfig?.ScheduleExpression;
  if (typeof expression !== 'string') throw new Unpriced('ScheduleExpression is not literal');
  const { cluster, maxSeconds } = monitoringCluster(resource, context);
  const type = cluster?.InstanceType;
  if (typeof type !== 'string' || !type.startsWith('ml.')) throw new Unpriced('the monitoring job\'s instance type is not literal');
  const runs = /^cron\(|^rate\(/.test(expression) ? runsPerMonth(expression) : 0;
  const minutes = Math.min(context.load.processingMinutes, typeof maxSeconds === 'number' ? maxSeconds / 60 : Infinity);
  const hours = runs * Number(cluster.InstanceCount ?? 1) * (minutes / 60);
  return [{
    ...charge(hours, price(context, `sagemaker.processing.${type}`), `${type} processing instance-hours`),
    detail: `${type} processing instance-hours ${round(hours)} (${round(runs)} runs x ${round(minutes)} min) x $${price(context, `sagemaker.processing.${type}`)}`,
  }];
}
