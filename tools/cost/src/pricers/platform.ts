import { AssemblyResource } from '../assembly';
import { PricingContext } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { HOURS_PER_MONTH } from '../load-profile';
import { Charge, charge, price, Unpriced } from './pricer';

/** KMS: a key-month per customer-managed key, and the requests the load makes beyond data-key caching. */
export function kmsKey(resource: AssemblyResource, context: PricingContext): Charge[] {
  if (resource.properties.Enabled === false) return [];
  return [
    charge(1, price(context, 'kms.keyMonth'), 'key-months'),
    charge(context.load.kmsRequestsPerKey / 1e4, price(context, 'kms.requestTenThousand'), 'ten-thousand requests'),
  ];
}

/** A custom metric an alarm watches: namespace, name and dimensions. */
export function customMetricsOf(alarm: AssemblyResource): string[] {
  const p = alarm.properties;
  const stats = p.Metrics
    ? p.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric)
    : [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }];
  return stats
    .filter((m: any) => typeof m.Namespace === 'string' && !m.Namespace.startsWith('AWS/'))
    .map((m: any) => flatten([m.Namespace, m.MetricName, m.Dimensions ?? []]).text);
}

/**
 * CloudWatch alarms: one alarm metric-month per metric they evaluate (metric
 * math alarms count each metric), high resolution under 60 s; plus the custom
 * metrics the alarm is the first in its stage to watch.
 */
export function cloudWatchAlarm(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  const metrics = p.Metrics ? p.Metrics.filter((m: any) => m.MetricStat).length || 1 : 1;
  const period = Number(p.Period ?? p.Metrics?.find((m: any) => m.MetricStat)?.MetricStat?.Period ?? 60);
  const key = period < 60 ? 'cloudwatch.highResAlarmMetricMonth' : 'cloudwatch.alarmMetricMonth';
  const charges = [charge(metrics, price(context, key), 'alarm metric-months')];
  const seen = new Set<string>();
  for (const other of context.stage(resource, 'AWS::CloudWatch::Alarm')) {
    if (other === resource) break;
    customMetricsOf(other).forEach((m) => seen.add(m));
  }
  const fresh = [...new Set(customMetricsOf(resource))].filter((m) => !seen.has(m));
  if (fresh.length > 0) charges.push(charge(fresh.length, price(context, 'cloudwatch.customMetricMonth'), 'custom metric-months'));
  return charges;
}

/** CloudWatch composite alarms. */
export function compositeAlarm(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(1, price(context, 'cloudwatch.compositeAlarmMonth'), 'composite alarm-months')];
}

/** CloudWatch dashboards (the first three of an account are free; not counted here). */
export function dashboard(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(1, price(context, 'cloudwatch.dashboardMonth'), 'dashboard-months')];
}

/** VPC endpoints: interface endpoints bill per AZ-hour; gateway endpoints are free. */
export function vpcEndpoint(resource: AssemblyResource, context: PricingContext): Charge[] {
  const type = resource.properties.VpcEndpointType ?? 'Gateway';
  if (type === 'Gateway') return [{ usd: 0, detail: 'gateway endpoint: no charge' }];
  if (type !== 'Interface') throw new Unpriced(`${type} endpoints are not in the pricing table`);
  const azs = (resource.properties.SubnetIds ?? []).length || 1;
  return [charge(azs * HOURS_PER_MONTH, price(context, 'vpc.interfaceEndpointAzHour'), `endpoint AZ-hours (${azs} AZ)`)];
}

/** NAT gateways: hours. */
export function natGateway(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(HOURS_PER_MONTH, price(context, 'vpc.natGatewayHour'), 'gateway-hours')];
}

/** Secrets Manager secrets. */
export function secret(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(1, price(context, 'secretsmanager.secretMonth'), 'secret-months')];
}

/** Build minutes of a CodeBuild project per push, from the load profile. */
export function buildMinutes(project: AssemblyResource, context: PricingContext): number {
  const match = Object.entries(context.load.codeBuildMinutesByPath).find(([fragment]) => project.path.includes(fragment));
  return match ? match[1] : context.load.codeBuildMinutes;
}

/** CodeBuild: build minutes per push at the project's compute type. */
export function codeBuildProject(resource: AssemblyResource, context: PricingContext): Charge[] {
  const env = resource.properties.Environment ?? {};
  if (env.Type && env.Type !== 'LINUX_CONTAINER') throw new Unpriced(`${env.Type} builds are not in the pricing table`);
  const minutes = buildMinutes(resource, context);
  return [charge(context.load.pushesPerMonth * minutes, price(context, `codebuild.minute.${env.ComputeType}`), `${env.ComputeType} build-minutes (${minutes} per push)`)];
}

/** CodePipeline: V2 bills action-minutes (manual approvals free); V1 a month per active pipeline. */
export function pipeline(resource: AssemblyResource, context: PricingContext): Charge[] {
  const pushes = context.load.pushesPerMonth;
  if (resource.properties.PipelineType !== 'V2') {
    return [charge(pushes > 0 ? 1 : 0, price(context, 'codepipeline.v1PipelineMonth'), 'active V1 pipeline-months')];
  }
  const projects = context.stage(resource, 'AWS::CodeBuild::Project');
  let minutes = 0;
  let actions = 0;
  for (const stage of resource.properties.Stages ?? []) {
    for (const action of stage.Actions ?? []) {
      const category = action.ActionTypeId?.Category;
      if (category === 'Approval') continue;
      actions += 1;
      const project = category === 'Build' || category === 'Test'
        ? projects.find((p) => refersTo(flatten(action.Configuration?.ProjectName), p.logicalId))
        : undefined;
      minutes += Math.ceil(project ? buildMinutes(project, context) : context.load.pipelineActionMinutes);
    }
  }
  return [charge(pushes * minutes, price(context, 'codepipeline.v2ActionMinute'), `action-minutes (${actions} actions, ${minutes} min per push)`)];
}
