import { AssemblyResource } from '../assembly';
import { PricingContext } from '../context';
import { alarmedMetrics } from '../custom-metrics';
import { flatten, refersTo } from '../intrinsics';
import { DAYS_PER_MONTH, HOURS_PER_MONTH } from '../load-profile';
import { Charge, charge, price, Unpriced } from './pricer';

/** Rotations KMS bills: each of the first two adds a key-month; later ones are free (the 2024 price cap). */
export const BILLED_ROTATIONS = 2;

/** Automatic rotations of a key by the end of the load's storage month (`RotationPeriodInDays`, 365 by default). */
export function rotationsBy(properties: Record<string, any>, storageMonth: number): number {
  if (properties.EnableKeyRotation !== true) return 0;
  const period = Number(properties.RotationPeriodInDays ?? 365);
  // The epsilon keeps month 12 of a 365-day period (365.0 days, within rounding) at one rotation.
  return Math.floor((storageMonth * DAYS_PER_MONTH) / period + 1e-9);
}

/**
 * KMS: a key-month per customer-managed key, a key-month for each of the first two
 * rotated key versions (rotations by the end of the storage month), and the requests
 * the load makes beyond data-key caching.
 */
export function kmsKey(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  if (p.Enabled === false) return [];
  const charges = [
    charge(1, price(context, 'kms.keyMonth'), 'key-months'),
    charge(context.load.kmsRequestsPerKey / 1e4, price(context, 'kms.requestTenThousand'), 'ten-thousand requests'),
  ];
  if (p.EnableKeyRotation === true) {
    const rotations = rotationsBy(p, context.load.storageMonth);
    const period = Number(p.RotationPeriodInDays ?? 365);
    charges.push(charge(Math.min(rotations, BILLED_ROTATIONS), price(context, 'kms.rotatedKeyVersionMonth'),
      `rotated key versions billed (${rotations} rotation${rotations === 1 ? '' : 's'} by month ${context.load.storageMonth}, every ${period} days; from the third on, free)`));
  }
  return charges;
}

/**
 * CloudWatch alarms: one alarm metric-month per metric they evaluate (metric math alarms
 * count each metric), high resolution under 60 s. The custom metrics they watch are billed
 * where they are published (custom-metrics.ts, for the hours they are sent); a watched
 * custom metric with no publisher in the templates is billed all month on the first
 * alarm of the stage that watches it. AWS-vended namespaces are free.
 */
export function cloudWatchAlarm(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  const metrics = p.Metrics ? p.Metrics.filter((m: any) => m.MetricStat).length || 1 : 1;
  const period = Number(p.Period ?? p.Metrics?.find((m: any) => m.MetricStat)?.MetricStat?.Period ?? 60);
  const key = period < 60 ? 'cloudwatch.highResAlarmMetricMonth' : 'cloudwatch.alarmMetricMonth';
  const charges = [charge(metrics, price(context, key), 'alarm metric-months')];
  const published = new Set(context.publishersOf(resource).flatMap((pub) => pub.metrics));
  const seen = new Set<string>();
  for (const other of context.stage(resource, 'AWS::CloudWatch::Alarm')) {
    if (other === resource) break;
    alarmedMetrics(other).forEach((m) => seen.add(m.key));
  }
  const orphans = [...new Set(alarmedMetrics(resource).map((m) => m.key))].filter((m) => !seen.has(m) && !published.has(m));
  if (orphans.length > 0) {
    charges.push(charge(orphans.length, price(context, 'cloudwatch.customMetricMonth'), 'custom metric-months (no publisher in the templates: billed all month)'));
  }
  return charges;
}

/** CloudWatch composite alarms. */
export function compositeAlarm(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(1, price(context, 'cloudwatch.compositeAlarmMonth'), 'composite alarm-months')];
}

/** Dashboards of an account that are free: the first three of up to 50 metrics each. */
export const FREE_DASHBOARDS = { count: 3, maxMetrics: 50 };

/** The metrics a dashboard body graphs: each row of a widget's `metrics` list (an expression row counts too). */
export function dashboardMetrics(resource: AssemblyResource): number {
  const body = flatten(resource.properties.DashboardBody).text;
  let parsed: any;
  try {
    parsed = JSON.parse(body.replace(/<(ref:[^>]+|Fn::\w+)>/g, 'token'));
  } catch {
    return Infinity;
  }
  return (parsed.widgets ?? []).reduce((sum: number, w: any) => sum + (Array.isArray(w.properties?.metrics) ? w.properties.metrics.length : 0)
    + (Array.isArray(w.properties?.alarms) ? w.properties.alarms.length : 0), 0);
}

/**
 * CloudWatch dashboards: a dashboard-month each, less the account's free three (of up
 * to 50 metrics each), shared evenly by the account's dashboards that qualify so that
 * no stack or dataset gets them all by the order of the assembly.
 */
export function dashboard(resource: AssemblyResource, context: PricingContext): Charge[] {
  const metrics = dashboardMetrics(resource);
  const unit = price(context, 'cloudwatch.dashboardMonth');
  if (metrics > FREE_DASHBOARDS.maxMetrics) {
    return [charge(1, unit, `dashboard-months (${Number.isFinite(metrics) ? metrics : 'uncounted'} metrics: over the free tier's ${FREE_DASHBOARDS.maxMetrics})`)];
  }
  const qualifying = context.account(resource, 'AWS::CloudWatch::Dashboard').filter((d) => dashboardMetrics(d) <= FREE_DASHBOARDS.maxMetrics).length;
  const free = Math.min(FREE_DASHBOARDS.count, qualifying) / qualifying;
  const account = resource.stack.account ? `account ${resource.stack.account}` : 'the account';
  return [charge(1 - free, unit, `dashboard-months (${account}: ${qualifying} dashboards of <= ${FREE_DASHBOARDS.maxMetrics} metrics share the free ${FREE_DASHBOARDS.count})`)];
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
