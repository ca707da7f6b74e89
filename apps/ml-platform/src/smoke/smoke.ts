import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { checkNoAlarmInAlarm } from './alarm-check';
import { CheckResult, runCheck } from './check-result';
import { checkPollutionForecast, checkStocksPrediction } from './predict-checks';
import { readSampleCsv } from './sample-csv';
import { SigningCredentials } from './signed-post';
import { SmokeConfig, smokeConfigFromEnv } from './smoke-config';
import { checkUploadReachesStream } from './upload-check';

/** The AWS side of the smoke tests: clients of the stage's region (or a local endpoint), and what signs the API calls. */
export interface SmokeClients {
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly cloudwatch: CloudWatchClient;
  readonly credentials: SigningCredentials;
}

/** The report of a run: it passes when no check failed (warnings pass). */
export interface SmokeReport {
  readonly passed: boolean;
  readonly results: CheckResult[];
}

/** Clients with the SDK's default credential chain (in CodeBuild: the assumed smoke-test role, via AWS_PROFILE). */
export function defaultClients(region: string): SmokeClients {
  const credentials = defaultProvider();
  return {
    s3: new S3Client({ region, credentials }),
    // HTTP/1.1, as the CSV ingest function's client: the checks only read records, they never subscribe.
    kinesis: new KinesisClient({ region, credentials, requestHandler: new NodeHttpHandler() }),
    cloudwatch: new CloudWatchClient({ region, credentials }),
    credentials,
  };
}

/** Runs every check, each even when another failed, so one run names every problem. */
export async function runSmokeTests(config: SmokeConfig, clients: SmokeClients): Promise<SmokeReport> {
  const sample = readSampleCsv(config.sampleCsvFile);
  const record = stocksRecord(sample.rows[0], config.stocksTargetColumn);
  const results = [
    await runCheck('stocks POST /predict', () => checkStocksPrediction(config.stocksApiUrl, record, config.region, clients.credentials)),
    await runCheck('pollution POST /predict', () => checkPollutionForecast(config.pollutionApiUrl, config.region, clients.credentials)),
    await runCheck('CSV upload reaches the stream', () => checkUploadReachesStream({
      s3: clients.s3,
      kinesis: clients.kinesis,
      bucket: config.landingBucket,
      uploadPrefix: config.uploadPrefix,
      stream: config.stocksStream,
      sample,
      timeoutMs: config.uploadTimeoutMs,
      pollIntervalMs: config.pollIntervalMs,
    })),
    await runCheck('ingest, ETL and retraining alarms', () => checkNoAlarmInAlarm(clients.cloudwatch, config.alarmNamePrefixes)),
  ];
  return { passed: results.every((r) => r.status !== 'fail'), results };
}

/** One line per check, then the verdict. */
export function formatReport(report: SmokeReport): string {
  const lines = report.results.map((r) => `${r.status.toUpperCase().padEnd(4)} ${r.name}: ${r.detail}`);
  const failed = report.results.filter((r) => r.status === 'fail').length;
  lines.push(report.passed ? 'Smoke tests passed.' : `Smoke tests failed: ${failed} of ${report.results.length} checks.`);
  return lines.join('\n');
}

/** A sample row as a prediction request: the target left out, numbers as numbers. */
function stocksRecord(row: Record<string, string>, target: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row)
    .filter(([column]) => column !== target)
    .map(([column, value]) => [column, value !== '' && Number.isFinite(Number(value)) ? Number(value) : value]));
}

async function main(): Promise<void> {
  const config = smokeConfigFromEnv();
  const clients = defaultClients(config.region);
  const report = await runSmokeTests(config, clients);
  console.log(formatReport(report));
  process.exitCode = report.passed ? 0 : 1;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`Smoke tests could not run: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
