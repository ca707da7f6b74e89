/**
 * Plans one drift monitor run: which baseline belongs to the model that
 * serves now, which captured requests (and labels) fall in the window, and
 * the processing job's inputs and arguments. The plan is the state
 * machine's data, so it holds names and S3 URIs only.
 */
import { createHash } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { instancesFor } from './scale-out';

/** The tag RetrainPipeline puts on each endpoint config it creates: the s3 URI of the run's `baselines/<run>/`. */
export const BASELINE_TAG = 'freshet:baseline-uri';

/** Where the processing job finds its inputs and leaves its report (the drift job's defaults in SageMaker). */
export const JOB_PATHS = {
  code: '/opt/ml/processing/input/code',
  shared: '/opt/ml/processing/input/shared',
  capture: '/opt/ml/processing/capture',
  baseline: '/opt/ml/processing/baseline',
  groundTruth: '/opt/ml/processing/ground-truth',
  predictionBaseline: '/opt/ml/processing/prediction-baseline',
  report: '/opt/ml/processing/report',
  /** Where each instance of a sharded job writes its `counts-<host>.json`, and where the summing job finds them all. */
  counts: '/opt/ml/processing/counts',
} as const;

export interface PlannerConfig {
  readonly endpointName: string;
  readonly lakeBucket: string;
  readonly captureBucket: string;
  /** `capture/<endpoint>/`: SageMaker adds `<variant>/yyyy/mm/dd/hh/`. */
  readonly capturePrefix: string;
  /** `ground-truth/<endpoint>/`, or undefined when model quality is off. */
  readonly groundTruthPrefix?: string;
  /** `reports/drift/<endpoint>/`. */
  readonly reportPrefix: string;
  readonly windowHours: number;
  readonly jobNamePrefix: string;
  /** The s3 URIs of the two code zips: this package's scripts and retrain-pipeline's freshet_ml. */
  readonly codeUri: string;
  readonly sharedCodeUri: string;
  /** The job's fixed arguments, starting with the script name. */
  readonly jobArguments: string[];
  /** Arguments added when ground truth is in the window. */
  readonly qualityArguments: string[];
  /** The most instances a window's job may run on (1: never sharded). */
  readonly maxInstanceCount?: number;
  /** The capture bytes one instance counts before the window is split across another. */
  readonly bytesPerInstance?: number;
  /** False when the job refuses shards for every window of this monitor (DeepAR requests). */
  readonly shardable?: boolean;
}

export interface PlanEvent {
  /** `<aws.scheduler.scheduled-time>`, when the schedule started the run. */
  readonly scheduledTime?: string;
  /** The execution's start time, used when there is no scheduled time. */
  readonly startTime?: string;
  /** The execution name: the job name is derived from it. */
  readonly executionName: string;
}

export type PlanStatus = 'ready' | 'no-endpoint' | 'no-baseline' | 'foreign-baseline' | 'no-capture' | 'new-deployment';

/** The outcomes in which the endpoint may serve traffic that nothing measures (the UnmonitoredWindow metric is 1). */
export const UNMONITORED: readonly PlanStatus[] = ['no-baseline', 'foreign-baseline', 'no-capture'];

export interface WindowPlan {
  readonly status: PlanStatus;
  readonly message: string;
  readonly endpointName: string;
  /** The window's start: the scheduled window's, or the serving config's deployment when that is later. */
  readonly windowStart: string;
  readonly windowEnd: string;
  /** When the serving config took over (DescribeEndpoint LastModifiedTime); capture before it is the previous model's. */
  readonly deployedAt?: string;
  /** The production variants whose capture counts; shadow variants are listed (and reported) apart. */
  readonly productionVariants?: string[];
  readonly shadowVariants?: string[];
  /** The window's folder name under the report prefix. */
  readonly window: string;
  readonly reportUri: string;
  readonly endpointConfigName?: string;
  readonly baselineUri?: string;
  readonly captureObjects: number;
  readonly groundTruthObjects: number;
  readonly jobName?: string;
  readonly processingInputs?: unknown[];
  readonly containerArguments?: string[];
  /** The capture files' total bytes in the window. */
  readonly captureBytes?: number;
  /** The counting job's instances: above 1, the job counts shards into `countsUri` and the summing job writes the report. */
  readonly instanceCount?: number;
  /** Why the window runs on one instance although its size asks for more (work the job refuses in shards). */
  readonly singleInstanceReason?: string;
  /** Where the shards' counts go (sharded windows only). */
  readonly countsUri?: string;
  readonly sumJobName?: string;
  readonly sumInputs?: unknown[];
  readonly sumArguments?: string[];
}

export interface PlannerClients {
  readonly sageMaker: SageMakerClient;
  readonly s3: S3Client;
}

const HOUR_MS = 3_600_000;

/** The window: whole hours ending at the hour the run was scheduled for. */
export function windowOf(event: PlanEvent, windowHours: number): { start: Date; end: Date } {
  const candidates = [event.scheduledTime, event.startTime].filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  if (candidates.length === 0) {
    throw new Error('The plan needs a scheduledTime or startTime in ISO 8601.');
  }
  const end = new Date(Math.floor(Date.parse(candidates[0]) / HOUR_MS) * HOUR_MS);
  return { start: new Date(end.getTime() - windowHours * HOUR_MS), end };
}

/** The hour partitions SageMaker writes, `yyyy/mm/dd/hh/`, of every hour in [start, end). */
export function hourPartitions(start: Date, end: Date): string[] {
  const partitions: string[] = [];
  for (let t = start.getTime(); t < end.getTime(); t += HOUR_MS) {
    const iso = new Date(t).toISOString();
    partitions.push(`${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/`);
  }
  return partitions;
}

/** A folder-safe name of the window, e.g. `2024-05-01T03-00-00Z`. */
export function windowName(end: Date): string {
  return end.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

export async function planWindow(clients: PlannerClients, config: PlannerConfig, event: PlanEvent): Promise<WindowPlan> {
  const { start, end } = windowOf(event, config.windowHours);
  const window = windowName(end);
  const reportUri = `s3://${config.lakeBucket}/${config.reportPrefix}${window}/`;
  const base = {
    endpointName: config.endpointName,
    windowStart: start.toISOString(),
    windowEnd: end.toISOString(),
    window,
    reportUri,
    captureObjects: 0,
    groundTruthObjects: 0,
  };

  const serving = await servingBaseline(clients.sageMaker, config.endpointName);
  if (!serving.endpointConfigName) {
    return { ...base, status: 'no-endpoint', message: `Endpoint ${config.endpointName} does not exist yet (its first model is still training): nothing to compare.` };
  }
  if (!serving.baselineUri) {
    return {
      ...base,
      status: 'no-baseline',
      endpointConfigName: serving.endpointConfigName,
      message: `No baseline for the serving model: endpoint config ${serving.endpointConfigName} has no ${BASELINE_TAG} tag ` +
        '(the seed model, or a config RetrainPipeline did not create). Drift is measured from the first retrained model on.',
    };
  }
  // The job may read baselines/ of the lake only, so a tag pointing elsewhere is refused here with a clear message.
  const lakeBaselines = `s3://${config.lakeBucket}/baselines/`;
  if (!serving.baselineUri.startsWith(lakeBaselines)) {
    return {
      ...base,
      status: 'foreign-baseline',
      endpointConfigName: serving.endpointConfigName,
      baselineUri: serving.baselineUri,
      message: `The ${BASELINE_TAG} tag of ${serving.endpointConfigName} is ${serving.baselineUri}, outside ${lakeBaselines}: the drift job reads baselines from the lake only.`,
    };
  }

  // The window belongs to the serving model: capture from before its config took over is the previous model's traffic.
  const deployedAt = serving.deployedAt;
  const from = deployedAt && deployedAt.getTime() > start.getTime() ? deployedAt : start;
  const production = serving.productionVariants ?? [];
  const shadows = serving.shadowVariants ?? [];
  const served = {
    ...base,
    windowStart: from.toISOString(),
    deployedAt: deployedAt?.toISOString(),
    productionVariants: production,
    shadowVariants: shadows,
  };
  if (from.getTime() >= end.getTime()) {
    return {
      ...served,
      status: 'new-deployment',
      endpointConfigName: serving.endpointConfigName,
      baselineUri: serving.baselineUri,
      message: `Endpoint config ${serving.endpointConfigName} took over at ${from.toISOString()}, after the window's end ${base.windowEnd}: nothing of the serving model to compare yet.`,
    };
  }
  const partitions = hourPartitions(new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS), end);
  // The variants the endpoint serves now (production and shadow): SageMaker captures each under its own folder.
  const variants = [...production, ...shadows];
  const captureKeys: string[] = [];
  let captureBytes = 0;
  for (const variant of variants) {
    for (const partition of partitions) {
      const listed = await listObjects(clients.s3, config.captureBucket, `${config.capturePrefix}${variant}/${partition}`);
      captureKeys.push(...listed.map((o) => o.key));
      captureBytes += listed.reduce((sum, o) => sum + o.size, 0);
    }
  }
  const groundTruthKeys: string[] = [];
  if (config.groundTruthPrefix) {
    for (const partition of partitions) {
      groundTruthKeys.push(...await listKeys(clients.s3, config.lakeBucket, `${config.groundTruthPrefix}${partition}`));
    }
  }
  const counted = {
    ...served,
    endpointConfigName: serving.endpointConfigName,
    baselineUri: serving.baselineUri,
    captureObjects: captureKeys.length,
    groundTruthObjects: groundTruthKeys.length,
    captureBytes,
  };
  if (captureKeys.length === 0) {
    return {
      ...counted,
      status: 'no-capture',
      message: `No captured requests of ${config.endpointName} between ${served.windowStart} and ${base.windowEnd} (variants: ${variants.join(', ') || 'none'}).`,
    };
  }

  const manifestPrefix = `${config.reportPrefix}${window}/manifests/`;
  const captureManifest = await writeManifest(clients.s3, config.lakeBucket, `${manifestPrefix}capture.manifest`, `s3://${config.captureBucket}/${config.capturePrefix}`, captureKeys, config.capturePrefix);
  const inputs: unknown[] = [
    s3Input('code', config.codeUri, JOB_PATHS.code, 'S3Prefix'),
    s3Input('shared', config.sharedCodeUri, JOB_PATHS.shared, 'S3Prefix'),
    s3Input('capture', captureManifest, JOB_PATHS.capture, 'ManifestFile'),
    s3Input('baseline', serving.baselineUri, JOB_PATHS.baseline, 'S3Prefix'),
  ];
  const args = [
    ...config.jobArguments,
    '--endpoint-name', config.endpointName,
    '--window-start', served.windowStart,
    '--window-end', base.windowEnd,
    '--capture-dir', JOB_PATHS.capture,
    '--baseline-dir', JOB_PATHS.baseline,
    '--report-dir', JOB_PATHS.report,
    // Only these variants' requests count toward drift and quality; the job reports shadow variants apart.
    '--production-variants', production.join(','),
  ];
  // evaluate.py records the test-channel predictions beside the run's evaluation; without it the job reports no prediction drift.
  const predictionBaselineKey = `evaluation/${serving.baselineUri.slice(lakeBaselines.length).replace(/\/$/, '')}/prediction-baseline.json`;
  if ((await listKeys(clients.s3, config.lakeBucket, predictionBaselineKey)).includes(predictionBaselineKey)) {
    inputs.push(s3Input('prediction-baseline', `s3://${config.lakeBucket}/${predictionBaselineKey}`, JOB_PATHS.predictionBaseline, 'S3Prefix'));
    args.push('--prediction-baseline-dir', JOB_PATHS.predictionBaseline);
  }
  if (config.groundTruthPrefix && groundTruthKeys.length > 0) {
    const labels = await writeManifest(clients.s3, config.lakeBucket, `${manifestPrefix}ground-truth.manifest`, `s3://${config.lakeBucket}/${config.groundTruthPrefix}`, groundTruthKeys, config.groundTruthPrefix);
    inputs.push(s3Input('ground-truth', labels, JOB_PATHS.groundTruth, 'ManifestFile'));
    args.push('--ground-truth-dir', JOB_PATHS.groundTruth, ...config.qualityArguments);
  }
  const jobName = `${config.jobNamePrefix}-drift-${createHash('md5').update(event.executionName).digest('hex')}`;
  const message = `${captureKeys.length} capture files and ${groundTruthKeys.length} ground-truth files between ${served.windowStart} and ${base.windowEnd}, against ${serving.baselineUri}.`;
  const scale = instancesFor(config, captureBytes, captureKeys.length, {
    quality: !!config.groundTruthPrefix && groundTruthKeys.length > 0,
    shadows,
  });
  if (scale.instanceCount === 1) {
    return {
      ...counted,
      status: 'ready',
      message: scale.reason ? `${message} One instance: ${scale.reason}` : message,
      jobName,
      processingInputs: inputs,
      containerArguments: args,
      instanceCount: 1,
      singleInstanceReason: scale.reason,
    };
  }
  return {
    ...counted,
    status: 'ready',
    message: `${message} Counted on ${scale.instanceCount} instances, then summed.`,
    jobName,
    instanceCount: scale.instanceCount,
    ...shardedJobs(jobName, reportUri, inputs, args),
  };
}

/**
 * A window counted on several instances: each instance counts its share of the capture files
 * (ShardedByS3Key) into `counts/`; one more job sums the counts and writes the report.
 */
function shardedJobs(jobName: string, reportUri: string, inputs: unknown[], args: string[]): Partial<WindowPlan> {
  const countsUri = `${reportUri}counts/`;
  const shardInputs = inputs.map((input) => {
    const i = input as { InputName: string; S3Input: Record<string, unknown> };
    return i.InputName === 'capture' ? { ...i, S3Input: { ...i.S3Input, S3DataDistributionType: 'ShardedByS3Key' } } : i;
  });
  // Without shadow variants every listed file is production traffic, and the job refuses --production-variants in shards.
  const shardArgs = [...without(args, '--production-variants'), '--counts-output', JOB_PATHS.counts];
  const sumInputs = [
    ...inputs.filter((input) => (input as { InputName: string }).InputName !== 'capture'),
    s3Input('counts', countsUri, JOB_PATHS.counts, 'S3Prefix'),
  ];
  // The summing job reads counts, not capture.
  const sumArgs = [...without(without(args, '--production-variants'), '--capture-dir'), '--counts-input', JOB_PATHS.counts];
  return {
    processingInputs: shardInputs,
    containerArguments: shardArgs,
    countsUri,
    // The hash fills 32 of the 63 characters a job name may have; '-sum' fits after the longest prefix (20).
    sumJobName: `${jobName}-sum`,
    sumInputs,
    sumArguments: sumArgs,
  };
}

/** What serves now: the endpoint's config, its baseline tag, its variants and when it took over. */
export interface ServingModel {
  readonly endpointConfigName?: string;
  readonly baselineUri?: string;
  readonly productionVariants?: string[];
  readonly shadowVariants?: string[];
  /**
   * DescribeEndpoint's LastModifiedTime: when SageMaker last changed the endpoint, i.e. the end of the update
   * that put this config in service (a weights or capacity change moves it too, which only shortens the window).
   * The config's own CreationTime would be too early: the previous model serves until the update completes.
   */
  readonly deployedAt?: Date;
}

export async function servingBaseline(sageMaker: SageMakerClient, endpointName: string): Promise<ServingModel> {
  let endpoint;
  try {
    endpoint = await sageMaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (error) {
    // SageMaker answers a missing endpoint with a ValidationException "Could not find endpoint ...".
    const e = error as { name?: string; message?: string };
    if (e.name === 'ValidationException' && /could not find endpoint/i.test(e.message ?? '')) return {};
    throw error;
  }
  const configName = endpoint.EndpointConfigName!;
  // arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>; SageMaker ARNs hold lowercase names.
  const configArn = endpoint.EndpointArn!.replace(/:endpoint\/.*$/, `:endpoint-config/${configName.toLowerCase()}`);
  let baselineUri: string | undefined;
  let nextToken: string | undefined;
  do {
    const page = await sageMaker.send(new ListTagsCommand({ ResourceArn: configArn, NextToken: nextToken }));
    baselineUri = baselineUri ?? page.Tags?.find((t) => t.Key === BASELINE_TAG)?.Value;
    nextToken = page.NextToken;
  } while (nextToken && !baselineUri);
  const names = (list?: { VariantName?: string }[]) => (list ?? []).map((v) => v.VariantName!).filter(Boolean);
  const modified = endpoint.LastModifiedTime ? new Date(endpoint.LastModifiedTime) : undefined;
  return {
    endpointConfigName: configName,
    baselineUri: baselineUri && !baselineUri.endsWith('/') ? `${baselineUri}/` : baselineUri,
    productionVariants: names(endpoint.ProductionVariants),
    shadowVariants: names(endpoint.ShadowProductionVariants),
    deployedAt: modified && !Number.isNaN(modified.getTime()) ? modified : undefined,
  };
}

/** The arguments without `flag` and its value. */
function without(args: string[], flag: string): string[] {
  const at = args.indexOf(flag);
  return at < 0 ? args : [...args.slice(0, at), ...args.slice(at + 2)];
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix)).map((o) => o.key);
}

async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<{ key: string; size: number }[]> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    objects.push(...(page.Contents ?? []).filter((o) => o.Key && !o.Key.endsWith('/')).map((o) => ({ key: o.Key!, size: o.Size ?? 0 })));
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

/** A SageMaker manifest: the common prefix, then each key relative to it (the job sees `<variant>/yyyy/mm/dd/hh/<file>`). */
async function writeManifest(s3: S3Client, bucket: string, key: string, prefixUri: string, keys: string[], keyPrefix: string): Promise<string> {
  const body = JSON.stringify([{ prefix: prefixUri }, ...keys.map((k) => k.slice(keyPrefix.length))]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }));
  return `s3://${bucket}/${key}`;
}

function s3Input(name: string, uri: string, localPath: string, dataType: 'S3Prefix' | 'ManifestFile'): unknown {
  return {
    InputName: name,
    S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: dataType, S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
  };
}
