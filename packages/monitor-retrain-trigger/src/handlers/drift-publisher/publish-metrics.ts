/**
 * Publishes the drift job's metrics.json to CloudWatch. Every entry is
 * checked first (a known metric name, this endpoint's dimension, a finite
 * value): the job's output is data, and a malformed or foreign entry is
 * logged and counted in RejectedMetrics, never published, never silently dropped.
 */
import { CloudWatchClient, MetricDatum, PutMetricDataCommand, StandardUnit } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** The namespace of every drift metric (the publisher's role may put metrics in this one only). */
export const NAMESPACE = 'Freshet/ModelMonitor';

/** The metrics the drift job writes, with the dimensions each has besides Endpoint. */
export const METRIC_DIMENSIONS: Record<string, string[]> = {
  FeatureDrift: ['Feature'],
  MaxFeatureDrift: [],
  FeaturesOverThreshold: [],
  PredictionDrift: [],
  SampleSize: [],
  CorruptRecords: [],
  NullShare: ['Feature'],
  InvalidShare: ['Feature'],
  MaxNullShareIncrease: [],
  MaxInvalidShareIncrease: [],
  ModelQuality: ['Metric'],
  GroundTruthMatches: [],
  UnmatchedLabels: [],
  UnmatchedPredictions: [],
};

/** PutMetricData takes at most 1,000 metrics and 1 MB a call; 500 small ones stay well inside both. */
const BATCH = 500;
const UNITS = new Set<string>(Object.values(StandardUnit));

export interface PublishEvent {
  /** The report folder, `s3://<lake>/reports/drift/<endpoint>/<window>/`. */
  readonly reportUri: string;
  /** The window's end: the time of every datapoint. */
  readonly windowEnd: string;
}

export interface PublishResult {
  readonly published: number;
  readonly rejected: number;
  readonly rejections: string[];
}

export interface DriftMetric {
  readonly MetricName: string;
  readonly Dimensions: { Name: string; Value: string }[];
  readonly Value: number;
  readonly Unit?: string;
}

/** Splits metrics.json into what may be published and why the rest may not. */
export function checkMetrics(entries: unknown, endpointName: string): { valid: DriftMetric[]; rejections: string[] } {
  const valid: DriftMetric[] = [];
  const rejections: string[] = [];
  if (!Array.isArray(entries)) {
    return { valid, rejections: ['metrics.json is not a JSON list'] };
  }
  entries.forEach((entry, index) => {
    const m = entry as Partial<DriftMetric>;
    const extra = typeof m?.MetricName === 'string' ? METRIC_DIMENSIONS[m.MetricName] : undefined;
    const dims = Array.isArray(m?.Dimensions) ? m.Dimensions : undefined;
    const names = dims?.map((d) => d?.Name).sort();
    const problem = !extra
      ? `unknown metric name ${JSON.stringify(m?.MetricName)}`
      : !dims || dims.some((d) => typeof d?.Name !== 'string' || typeof d?.Value !== 'string' || d.Value.length === 0 || d.Value.length > 255)
        ? 'dimensions must be a list of {Name, Value} strings'
        : JSON.stringify(names) !== JSON.stringify(['Endpoint', ...extra].sort())
          ? `dimensions ${JSON.stringify(names)} are not ${JSON.stringify(['Endpoint', ...extra].sort())}`
          : dims.find((d) => d.Name === 'Endpoint')!.Value !== endpointName
            ? `the Endpoint dimension is not ${endpointName}`
            : typeof m.Value !== 'number' || !Number.isFinite(m.Value)
              ? `value ${JSON.stringify(m.Value)} is not a finite number`
              : m.Unit !== undefined && !UNITS.has(m.Unit)
                ? `unit ${JSON.stringify(m.Unit)} is not a CloudWatch unit`
                : undefined;
    if (problem) rejections.push(`entry ${index}: ${problem}`);
    else valid.push({ MetricName: m.MetricName!, Dimensions: dims!, Value: m.Value!, Unit: m.Unit });
  });
  return { valid, rejections };
}

export interface PublisherClients {
  readonly s3: S3Client;
  readonly cloudWatch: CloudWatchClient;
}

export async function publishReport(clients: PublisherClients, endpointName: string, event: PublishEvent): Promise<PublishResult> {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(event.reportUri);
  if (!match) throw new Error(`reportUri ${event.reportUri} is not an s3:// URI.`);
  const timestamp = new Date(event.windowEnd);
  if (Number.isNaN(timestamp.getTime())) throw new Error(`windowEnd ${event.windowEnd} is not a time.`);
  const [, bucket, prefix] = match;
  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix.replace(/\/?$/, '/')}metrics.json` }));
  const text = await object.Body!.transformToString('utf-8');
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch {
    entries = undefined;
  }
  const { valid, rejections } = checkMetrics(entries, endpointName);
  const data: MetricDatum[] = valid.map((m) => ({
    MetricName: m.MetricName, Dimensions: m.Dimensions, Value: m.Value, Unit: m.Unit as StandardUnit | undefined, Timestamp: timestamp,
  }));
  if (rejections.length > 0) {
    console.error(JSON.stringify({ level: 'error', message: 'Rejected drift metrics', reportUri: event.reportUri, rejected: rejections.length, rejections: rejections.slice(0, 20) }));
    data.push({ MetricName: 'RejectedMetrics', Dimensions: [{ Name: 'Endpoint', Value: endpointName }], Value: rejections.length, Unit: 'Count', Timestamp: timestamp });
  }
  for (let i = 0; i < data.length; i += BATCH) {
    await clients.cloudWatch.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData: data.slice(i, i + BATCH) }));
  }
  return { published: valid.length, rejected: rejections.length, rejections: rejections.slice(0, 20) };
}
