/**
 * One measured producer run, in its own process so its peak RSS is its own.
 * argv: <variant> <config JSON>. Prints one JSON line of results.
 *
 * - `baseline`: the obvious way: one PutRecord per row, the row as JSON, a
 *   few calls in flight.
 * - `handler`: the real CSV ingest handler, on an object in local S3.
 */
import { readFileSync } from 'fs';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ProducerConfig {
  readonly kinesisEndpoint: string;
  readonly s3Endpoint: string;
  readonly streamName: string;
  readonly csvPath: string;
  /** Baseline only: rows sent (a prefix of the file). */
  readonly rowLimit?: number;
  /** Handler only. */
  readonly landingBucket?: string;
  readonly lakeBucket?: string;
  readonly key?: string;
  readonly schema?: unknown;
}

export interface ProducerResult {
  readonly rows: number;
  readonly seconds: number;
  readonly maxRssMiB: number;
}

async function baseline(config: ProducerConfig): Promise<number> {
  const client = new KinesisClient({ endpoint: config.kinesisEndpoint, requestHandler: new NodeHttpHandler() });
  const [header, ...lines] = readFileSync(config.csvPath, 'utf8').split('\n').filter((l) => l.length > 0);
  const columns = header.split(',');
  const rows = lines.slice(0, config.rowLimit ?? lines.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < rows.length) {
      const fields = rows[next++].split(',');
      const record = Object.fromEntries(columns.map((c, i) => [c, i >= 2 ? Number(fields[i]) : fields[i]]));
      await client.send(new PutRecordCommand({ StreamName: config.streamName, PartitionKey: fields[0], Data: Buffer.from(JSON.stringify(record)) }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return rows.length;
}

async function handler(config: ProducerConfig): Promise<number> {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KINESIS: config.kinesisEndpoint,
    AWS_ENDPOINT_URL_S3: config.s3Endpoint,
    SCHEMA: JSON.stringify(config.schema),
    STREAM_NAME: config.streamName,
    LAKE_BUCKET: config.lakeBucket,
    MAX_FILE_BYTES: String(1024 * 1024 * 1024),
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler: ingest } = require('@freshet/streaming-ingest/lib/handlers/csv-ingest.lambda') as { handler: (event: unknown) => Promise<void> };
  let ingested = 0;
  const log = console.log;
  console.log = (line: string) => {
    if (typeof line === 'string' && line.includes('"RowsIngested"')) ingested += JSON.parse(line).RowsIngested;
  };
  try {
    await ingest({ Records: [{ s3: { bucket: { name: config.landingBucket }, object: { key: encodeURIComponent(config.key!) } } }] });
  } finally {
    console.log = log;
  }
  return ingested;
}

async function main(): Promise<void> {
  const [variant, json] = process.argv.slice(2);
  const config = JSON.parse(json) as ProducerConfig;
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
  const started = process.hrtime.bigint();
  const rows = variant === 'baseline' ? await baseline(config) : await handler(config);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const result: ProducerResult = { rows, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(result) + '\n');
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
