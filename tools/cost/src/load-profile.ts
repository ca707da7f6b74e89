import * as fs from 'fs';

/** Hours in an average month (8,760 / 12). */
export const HOURS_PER_MONTH = 730;
/** Days in an average month. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
/** Seconds in an average month. */
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/**
 * The load the variable part of the estimate assumes. Volumes are per dataset:
 * each stream, each API and each endpoint gets the same figures.
 */
export interface LoadProfile {
  /** Records ingested per second into each stream. */
  readonly recordsPerSecond: number;
  /** Size of one ingested record, in bytes. */
  readonly recordBytes: number;
  /** How much smaller GZIP/Parquet objects in the lake are than the records. */
  readonly compressionRatio: number;
  /** Predictions per month through each prediction API and endpoint. */
  readonly predictionsPerMonth: number;
  /** Bytes of one prediction request plus its response (data capture, serverless data). */
  readonly predictionBytes: number;
  /** Retraining runs per day of each workflow that trains a model; null keeps the synthesized schedules. */
  readonly retrainsPerDay: number | null;
  /** Pushes to the pipeline's branch per month (CodePipeline and CodeBuild). */
  readonly pushesPerMonth: number;
  /** The month after launch whose storage is priced (the lake grows month by month). */
  readonly storageMonth: number;
  /** Minutes one Glue job run takes (billed per second, one minute minimum). */
  readonly glueRunMinutes: number;
  /** Seconds one Redshift Data API statement keeps the workgroup busy (billed at 60 s minimum per wake-up). */
  readonly redshiftStatementSeconds: number;
  /** Minutes a training job runs (capped by its synthesized MaxRuntimeInSeconds). */
  readonly trainingMinutes: number;
  /** Minutes a processing job runs (capped by its MaxRuntimeInSeconds). */
  readonly processingMinutes: number;
  /** Minutes a batch transform job runs. */
  readonly transformMinutes: number;
  /** Minutes one AWS Batch job runs (Fargate). */
  readonly batchJobMinutes: number;
  /** Seconds of compute per serverless inference. */
  readonly serverlessSecondsPerInference: number;
  /** Duration of one Lambda invocation, in milliseconds. */
  readonly lambdaDurationMs: number;
  /** Build minutes of a CodeBuild project per push, unless `codeBuildMinutesByPath` names it. */
  readonly codeBuildMinutes: number;
  /** Build minutes per push of the projects whose construct path contains the key. */
  readonly codeBuildMinutesByPath: Record<string, number>;
  /** Minutes of a pipeline action that is not a CodeBuild project (CloudFormation deploys, source). */
  readonly pipelineActionMinutes: number;
  /** GB of logs each log group ingests per month. */
  readonly logGbPerGroup: number;
  /** KMS requests per key per month beyond what bucket keys and data-key caching absorb. */
  readonly kmsRequestsPerKey: number;
  /**
   * Bytes of API Gateway execution logs per request at the INFO level: about ten lines of
   * about 100 B (request id prefix, method, resource path, integration latency, status).
   * The ERROR level logs failed requests only: none at a healthy load.
   */
  readonly apiExecutionLogBytes: number;
  /**
   * Bytes data tracing (DataTraceEnabled) adds per request besides the bodies: the method,
   * endpoint and response headers, about 1 KB each. Each body is logged twice (before and
   * after transformation), so `2 x predictionBytes` comes on top.
   */
  readonly apiDataTraceBytes: number;
  /**
   * Bytes of one access-log line; null takes the length of the stage's AccessLogSetting
   * format (each `$context` variable is replaced by a value of about its own length).
   */
  readonly apiAccessLogBytes: number | null;
  /**
   * Datasets for the per-dataset table: name to a regular expression on the construct id.
   * Null groups constructs by the first word of their id (`StocksIngest` -> `Stocks`).
   */
  readonly datasets: Record<string, string> | null;
}

/** The seed's load: 1 record/s, 1 M predictions a month, one retrain a day, schedules as synthesized. */
export const DEFAULT_LOAD: LoadProfile = {
  recordsPerSecond: 1,
  recordBytes: 200,
  compressionRatio: 4,
  predictionsPerMonth: 1_000_000,
  predictionBytes: 400,
  retrainsPerDay: 1,
  pushesPerMonth: 20,
  storageMonth: 12,
  glueRunMinutes: 2,
  redshiftStatementSeconds: 20,
  trainingMinutes: 30,
  processingMinutes: 5,
  transformMinutes: 5,
  batchJobMinutes: 5,
  serverlessSecondsPerInference: 0.2,
  lambdaDurationMs: 100,
  codeBuildMinutes: 3,
  codeBuildMinutesByPath: { '/Synth/': 20 },
  pipelineActionMinutes: 2,
  logGbPerGroup: 0.05,
  kmsRequestsPerKey: 0,
  apiExecutionLogBytes: 1000,
  apiDataTraceBytes: 3000,
  apiAccessLogBytes: null,
  datasets: null,
};

/**
 * The same profile with no traffic: nothing ingested, predicted or pushed, no
 * stored data, a minimal log trickle. Schedules still run: they are what idle costs.
 */
export function idleOf(load: LoadProfile): LoadProfile {
  return {
    ...load,
    recordsPerSecond: 0,
    predictionsPerMonth: 0,
    pushesPerMonth: 0,
    storageMonth: 0,
    // Without predictions nothing drifts, so no alarm retrains: the workflows train as scheduled.
    retrainsPerDay: null,
    glueRunMinutes: Math.min(load.glueRunMinutes, 1),
    logGbPerGroup: load.logGbPerGroup / 10,
  };
}

/** Reads a load profile JSON: any subset of {@link LoadProfile}'s fields over the defaults. */
export function loadProfile(file?: string): LoadProfile {
  if (!file) return DEFAULT_LOAD;
  const given = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const unknown = Object.keys(given).filter((key) => !(key in DEFAULT_LOAD));
  if (unknown.length > 0) {
    throw new Error(`Load profile ${file}: unknown field(s) ${unknown.join(', ')}; the fields are ${Object.keys(DEFAULT_LOAD).join(', ')}.`);
  }
  return { ...DEFAULT_LOAD, ...given } as LoadProfile;
}
