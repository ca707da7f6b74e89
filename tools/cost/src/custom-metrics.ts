import { AssemblyResource, constructOf } from './assembly';
import { PricingContext, round } from './context';
import { flatten, refersTo } from './intrinsics';
import { HOURS_PER_MONTH } from './load-profile';
import { glueJobRuns } from './pricers/etl';
import { Charge, charge, price } from './pricers/pricer';

/**
 * Custom metrics, billed only in the hours they are sent: CloudWatch prorates a custom
 * metric-month by the hour and meters a metric only in hours in which it receives data.
 * So each metric costs `hours sent / 730` of a metric-month, and the hours sent are the
 * hours its publisher runs in: the runs of a Glue job or a function (at most one an hour
 * counts, since schedules of an hour or longer never run twice in one hour), zero for an
 * event-driven publisher the load never starts (a CSV upload function without uploads).
 */

/** One publisher and the metrics it sends. */
export interface Publisher {
  readonly resource: AssemblyResource;
  readonly namespace: string;
  /** Metric identities (namespace, name, dimensions) it sends when it runs. */
  readonly metrics: string[];
  /** Hours a month in which it runs, so sends (at most 730). */
  readonly hours: number;
  /** Where the metric set comes from. */
  readonly source: string;
}

/** Namespaces AWS services publish into themselves (free vended metrics): `AWS/...`, and SageMaker's `/aws/sagemaker/...`. */
export function isVended(namespace: string): boolean {
  return /^(AWS\/|\/?aws\/)/.test(namespace);
}

/** A metric's identity: namespace, name and its dimensions sorted by name. */
export function metricKey(namespace: string, name: string, dimensions: Record<string, string>): string {
  const dims = Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`);
  return [namespace, name, ...dims].join('|');
}

/** The custom metrics an alarm watches (vended namespaces excluded). */
export function alarmedMetrics(alarm: AssemblyResource): Array<{ key: string; namespace: string; name: string; dimensions: Record<string, string> }> {
  const p = alarm.properties;
  const stats = p.Metrics
    ? p.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric)
    : [{ Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: p.Dimensions }];
  return stats
    .filter((m: any) => typeof m.Namespace === 'string' && !isVended(m.Namespace))
    .map((m: any) => {
      const dimensions: Record<string, string> = Object.fromEntries((m.Dimensions ?? []).map((d: any) => [d.Name, flatten(d.Value).text]));
      return { key: metricKey(m.Namespace, String(m.MetricName), dimensions), namespace: m.Namespace, name: String(m.MetricName), dimensions };
    });
}

/**
 * What Freshet's own publishers send per run, from their source:
 * - `Freshet/ModelMonitor`: packages/monitor-retrain-trigger drift-publisher/publish-metrics.ts
 *   publishes the drift job's metrics.json (scripts/freshet_drift/report.py): SampleSize and
 *   CorruptRecords; NullShare, InvalidShare and FeatureDrift per feature (the schema's columns
 *   but the target, read from the planner's `--schema` argument); MaxFeatureDrift,
 *   FeaturesOverThreshold and PredictionDrift; model quality (ModelQuality, GroundTruthMatches,
 *   UnmatchedLabels, UnmatchedPredictions) only in windows with ground truth, which the load
 *   profile does not upload.
 * - `Freshet/Etl`: glue-etl's run_metrics.py, eight metrics per run with the Dataset dimension.
 * - `Freshet/Ingest`: streaming-ingest's csv-ingest ingest-metrics.ts, six metrics per uploaded
 *   file with the Dataset dimension (Embedded Metric Format, no IAM grant to find it by).
 */
const FRESHET_RUN_METRICS: Record<string, string[]> = {
  'Freshet/Etl': ['RowsIn', 'RowsCurated', 'RowsRejected', 'DuplicatesInBatch', 'DuplicatesAlreadyCurated', 'DuplicatesDropped', 'DuplicateShare', 'SuspectIdColumn'],
  'Freshet/Ingest': ['RowsIngested', 'RowsRejected', 'BlankLinesSkipped', 'FilesRejected', 'PutRecordsRetries', 'DuplicateDeliveries'],
};
const DRIFT_NAMESPACE = 'Freshet/ModelMonitor';

/** The drift publisher's metrics for one endpoint, from the planner beside it (the schema in its job arguments). */
function driftMetrics(publisher: AssemblyResource, context: PricingContext): { perRun: string[]; quality: string[] } | undefined {
  const endpoint = flatten(publisher.properties.Environment?.Variables?.ENDPOINT_NAME).text;
  const planner = context.stage(publisher, 'AWS::Lambda::Function').find((fn) => fn !== publisher
    && constructOf(fn) === constructOf(publisher) && fn.stack === publisher.stack
    && flatten(fn.properties.Environment?.Variables?.ENDPOINT_NAME).text === endpoint && fn.properties.Environment?.Variables?.JOB_ARGUMENTS);
  if (!endpoint || !planner) return undefined;
  let schema: { columns: Array<{ name: string }>; targetColumn?: string };
  try {
    const args = JSON.parse(flatten(planner.properties.Environment.Variables.JOB_ARGUMENTS).text) as string[];
    schema = JSON.parse(args[args.indexOf('--schema') + 1]);
  } catch {
    return undefined;
  }
  const features = schema.columns.map((c) => c.name).filter((name) => name !== schema.targetColumn);
  const key = (name: string, extra: Record<string, string> = {}) => metricKey(DRIFT_NAMESPACE, name, { Endpoint: endpoint, ...extra });
  let qualityMetric: string | undefined;
  try {
    const quality = JSON.parse(flatten(planner.properties.Environment.Variables.QUALITY_ARGUMENTS ?? '[]').text) as string[];
    qualityMetric = quality.includes('--quality-metric') ? quality[quality.indexOf('--quality-metric') + 1] : undefined;
  } catch {
    qualityMetric = undefined;
  }
  return {
    perRun: [
      ...['SampleSize', 'CorruptRecords', 'MaxFeatureDrift', 'FeaturesOverThreshold', 'PredictionDrift'].map((name) => key(name)),
      ...features.flatMap((feature) => ['NullShare', 'InvalidShare', 'FeatureDrift'].map((name) => key(name, { Feature: feature }))),
    ],
    quality: qualityMetric
      ? [key('ModelQuality', { Metric: qualityMetric }), ...['GroundTruthMatches', 'UnmatchedLabels', 'UnmatchedPredictions'].map((name) => key(name))]
      : [],
  };
}

/** The role a function or Glue job runs as (its logical id), if the template names one. */
function roleOf(resource: AssemblyResource): string | undefined {
  return flatten(resource.properties.Role).refs[0];
}

/** The namespaces a role's policies let it PutMetricData into (a `cloudwatch:namespace` condition). */
function grantedNamespaces(role: string, resource: AssemblyResource, context: PricingContext): string[] {
  const namespaces: string[] = [];
  const statements = [
    ...context.stage(resource, 'AWS::IAM::Policy').filter((p) => (p.properties.Roles ?? []).some((r: unknown) => refersTo(flatten(r), role)))
      .flatMap((p) => p.properties.PolicyDocument?.Statement ?? []),
    ...(context.stage(resource, 'AWS::IAM::Role').find((r) => r.logicalId === role)?.properties.Policies ?? [])
      .flatMap((p: any) => p.PolicyDocument?.Statement ?? []),
  ];
  for (const statement of statements) {
    const actions = [statement.Action].flat();
    if (statement.Effect !== 'Allow' || !actions.includes('cloudwatch:PutMetricData')) continue;
    for (const operator of ['StringEquals', 'StringLike']) {
      const value = statement.Condition?.[operator]?.['cloudwatch:namespace'];
      for (const ns of [value ?? []].flat()) if (typeof ns === 'string' && !isVended(ns) && ns !== 'Glue') namespaces.push(ns);
    }
  }
  return [...new Set(namespaces)];
}

/** Runs a month of a publisher (function invocations or Glue job runs). */
function runsOf(resource: AssemblyResource, context: PricingContext): number {
  return resource.type === 'AWS::Glue::Job' ? glueJobRuns(resource, context) : context.functionInvocations(resource).count;
}

/**
 * Every custom-metric publisher of the resource's stage: functions and Glue jobs granted
 * PutMetricData in a namespace, and, for a namespace an alarm watches that no grant names
 * (Embedded Metric Format), the functions of the alarm's construct.
 */
export function publishers(anyResource: AssemblyResource, context: PricingContext): Publisher[] {
  const alarmed = context.stage(anyResource, 'AWS::CloudWatch::Alarm').map((alarm) => ({ alarm, metrics: alarmedMetrics(alarm) }));
  const result: Publisher[] = [];
  const found = new Set<string>();
  const add = (resource: AssemblyResource, namespace: string, alarmsOf: (a: AssemblyResource) => boolean, via: string) => {
    const watched = alarmed.filter(({ alarm }) => alarmsOf(alarm)).flatMap(({ metrics }) => metrics).filter((m) => m.namespace === namespace);
    let metrics = watched.map((m) => m.key);
    let source = `the ${metrics.length} metric(s) alarms watch`;
    const plannerEndpoint = namespace === DRIFT_NAMESPACE && resource.properties.Environment?.Variables?.JOB_ARGUMENTS
      ? flatten(resource.properties.Environment.Variables.ENDPOINT_NAME).text : undefined;
    if (plannerEndpoint) {
      // The drift planner sends its outcome only (publish-outcome.ts): UnmonitoredWindow {Endpoint} every run,
      // and {Endpoint, Reason} when blind, as it is without predictions (no capture). The drift metrics its
      // construct's alarms watch are the publisher's.
      metrics = [metricKey(namespace, 'UnmonitoredWindow', { Endpoint: plannerEndpoint })];
      if (context.load.predictionsPerMonth === 0) metrics.push(metricKey(namespace, 'UnmonitoredWindow', { Endpoint: plannerEndpoint, Reason: 'no-capture' }));
      source = 'the planner\'s outcome (UnmonitoredWindow, with its Reason when nothing is captured)';
    } else if (namespace === DRIFT_NAMESPACE) {
      const drift = driftMetrics(resource, context);
      if (drift) {
        // Model quality is sent only for windows with ground truth, which the load does not upload.
        const quality = [...new Set([...drift.quality, ...metrics.filter((m) => !drift.perRun.includes(m))])];
        quality.forEach((m) => found.add(m));
        result.push({ resource, namespace, metrics: quality, hours: 0, source: 'model quality: sent only for windows with ground truth, none at this load' });
        metrics = drift.perRun;
        source = 'the drift report\'s metrics for the planner\'s schema';
      }
    } else if (FRESHET_RUN_METRICS[namespace]) {
      const dimensionSets = [...new Set(watched.map((m) => JSON.stringify(m.dimensions)))].map((d) => JSON.parse(d));
      metrics = [...metrics, ...dimensionSets.flatMap((d) => FRESHET_RUN_METRICS[namespace].map((name) => metricKey(namespace, name, d)))];
      source = `${FRESHET_RUN_METRICS[namespace].length} metrics per run for each dimension set alarms watch`;
    }
    metrics = [...new Set(metrics)];
    if (metrics.length === 0) return;
    metrics.forEach((m) => found.add(m));
    const runs = runsOf(resource, context);
    result.push({ resource, namespace, metrics, hours: Math.min(HOURS_PER_MONTH, runs), source: `${source}; ${via}, ${round(runs)} runs a month` });
  };
  for (const resource of context.stage(anyResource).filter((r) => r.type === 'AWS::Lambda::Function' || r.type === 'AWS::Glue::Job')) {
    const role = roleOf(resource);
    if (!role) continue;
    for (const namespace of grantedNamespaces(role, resource, context)) {
      // The publisher's own construct's alarms: another construct's alarms on the namespace have their own publisher.
      add(resource, namespace, (alarm) => alarm.stack === resource.stack && constructOf(alarm) === constructOf(resource), 'granted PutMetricData');
    }
  }
  // Embedded Metric Format: the alarm's construct's functions send what no grant explains.
  for (const { alarm, metrics } of alarmed) {
    for (const namespace of [...new Set(metrics.filter((m) => !found.has(m.key)).map((m) => m.namespace))]) {
      const functions = context.stage(alarm, 'AWS::Lambda::Function').filter((fn) => fn.stack === alarm.stack && constructOf(fn) === constructOf(alarm));
      if (functions.length === 0 || result.some((p) => p.namespace === namespace && functions.includes(p.resource))) continue;
      // The construct's busiest function sends them (its hours bound the hours sent).
      const busiest = functions.reduce((a, b) => (runsOf(b, context) > runsOf(a, context) ? b : a));
      add(busiest, namespace, (a) => a.stack === alarm.stack && constructOf(a) === constructOf(alarm), 'a function of the alarm\'s construct (Embedded Metric Format)');
    }
  }
  return result;
}

/** The custom metric-months a publisher's metrics cost: each metric for the hours it is sent. */
export function publishedMetricCharges(resource: AssemblyResource, context: PricingContext): Charge[] {
  return context.publishersOf(resource).filter((p) => p.resource === resource && p.metrics.length > 0).map((p) => charge(
    (p.metrics.length * p.hours) / HOURS_PER_MONTH, price(context, 'cloudwatch.customMetricMonth'),
    `custom metric-months (${p.metrics.length} ${p.namespace} metrics sent in ${round(p.hours)} of ${HOURS_PER_MONTH} hours: ${p.source})`,
  ));
}
