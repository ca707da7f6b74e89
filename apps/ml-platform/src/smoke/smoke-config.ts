import * as path from 'path';

/** What the smoke tests call, from the stage's stack outputs (`envFromCfnOutputs`) and the step's environment. */
export interface SmokeConfig {
  /** The stage's region. */
  readonly region: string;
  /** The stocks API's base URL (ends with the stage path, e.g. `https://...amazonaws.com/prod/`). */
  readonly stocksApiUrl: string;
  /** The ozone forecast API's base URL. */
  readonly pollutionApiUrl: string;
  /** The bucket CSV uploads land in. */
  readonly landingBucket: string;
  /** The key prefix uploads go under, e.g. `uploads/`. */
  readonly uploadPrefix: string;
  /** The stocks stream the uploaded rows must reach. */
  readonly stocksStream: string;
  /** The stocks target column, left out of the prediction request. */
  readonly stocksTargetColumn: string;
  /** The ingest, ETL and retraining alarms, by name prefix; none may be in ALARM. */
  readonly alarmNamePrefixes: string[];
  /** The CSV uploaded (the committed copy of stocks_sample.csv). */
  readonly sampleCsvFile: string;
  /** How long the uploaded rows may take to reach the stream. */
  readonly uploadTimeoutMs: number;
  /** The pause between reads of the stream. */
  readonly pollIntervalMs: number;
}

const REQUIRED = {
  SMOKE_REGION: 'the stage region',
  STOCKS_API_URL: 'the stocks API URL (stack output StocksApiUrl)',
  POLLUTION_API_URL: 'the ozone forecast API URL (stack output PollutionApiUrl)',
  LANDING_BUCKET: 'the CSV landing bucket (stack output LandingBucketName)',
  UPLOAD_PREFIX: 'the CSV upload prefix (stack output UploadPrefix)',
  STOCKS_STREAM: 'the stocks stream (stack output StocksStreamName)',
  STOCKS_TARGET_COLUMN: 'the stocks target column',
  ALARM_NAME_PREFIXES: 'comma-separated alarm name prefixes',
} as const;

/** Reads the config from the environment; fails naming every missing variable. */
export function smokeConfigFromEnv(env: NodeJS.ProcessEnv = process.env, bundleDir: string = __dirname): SmokeConfig {
  const missing = Object.entries(REQUIRED).filter(([name]) => !env[name]).map(([name, what]) => `${name} (${what})`);
  if (missing.length > 0) throw new Error(`The smoke tests need these environment variables: ${missing.join(', ')}.`);
  return {
    region: env.SMOKE_REGION!,
    stocksApiUrl: env.STOCKS_API_URL!,
    pollutionApiUrl: env.POLLUTION_API_URL!,
    landingBucket: env.LANDING_BUCKET!,
    uploadPrefix: env.UPLOAD_PREFIX!,
    stocksStream: env.STOCKS_STREAM!,
    stocksTargetColumn: env.STOCKS_TARGET_COLUMN!,
    alarmNamePrefixes: env.ALARM_NAME_PREFIXES!.split(',').map((p) => p.trim()).filter((p) => p !== ''),
    sampleCsvFile: env.SMOKE_SAMPLE_CSV ?? path.join(bundleDir, 'stocks_sample.csv'),
    uploadTimeoutMs: Number(env.SMOKE_UPLOAD_TIMEOUT_SECONDS ?? 300) * 1000,
    pollIntervalMs: Number(env.SMOKE_POLL_INTERVAL_MS ?? 2000),
  };
}
