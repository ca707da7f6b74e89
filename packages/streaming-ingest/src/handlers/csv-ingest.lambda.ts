import { randomUUID } from 'crypto';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Context, S3Event } from 'aws-lambda';
import { IngestConfig, readIngestConfig } from './csv-ingest/ingest-config';
import { emitIngestMetrics } from './csv-ingest/ingest-metrics';
import { IngestClients, ingestObject } from './csv-ingest/ingest-object';

/**
 * The CSV upload handler of StreamingIngest. For each `ObjectCreated` record
 * it streams the CSV, sends valid rows to Kinesis as KPL-aggregated JSON
 * records (not newline-terminated: Firehose appends the newline when it
 * writes the lake, so raw objects are NDJSON), and writes bad rows to the
 * lake's `rejected/ingest/` prefix. Any error fails the invocation, so Lambda
 * retries it and finally sends it to the DLQ; nothing is dropped silently.
 */
let cached: { config: IngestConfig; clients: IngestClients } | undefined;

function setup(): { config: IngestConfig; clients: IngestClients } {
  // Built once per container and reused across invocations.
  cached ??= {
    config: readIngestConfig(process.env),
    clients: {
      s3: new S3Client({}),
      // PutRecords needs no HTTP/2 (only SubscribeToShard does); HTTP/1.1 keep-alive is what Kinesis-compatible endpoints all speak.
      kinesis: new KinesisClient({ maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 5000, requestTimeout: 30000 }) }),
    },
  };
  return cached;
}

/** Lambda's longest timeout: the lease bound when no context tells the deadline (only outside Lambda). */
const MAX_LAMBDA_MS = 15 * 60 * 1000;

export async function handler(event: S3Event, context?: Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>): Promise<void> {
  const { config, clients } = setup();
  const invocation = {
    id: context?.awsRequestId ?? randomUUID(),
    deadline: Date.now() + (context?.getRemainingTimeInMillis() ?? MAX_LAMBDA_MS),
  };
  for (const record of event.Records ?? []) {
    // S3 event keys are URL-encoded with '+' for spaces.
    const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
    const counts = await ingestObject(config, clients, {
      bucket: record.s3.bucket.name,
      key,
      versionId: record.s3.object.versionId || undefined,
      eTag: record.s3.object.eTag || undefined,
    }, invocation);
    emitIngestMetrics(config.schema.name, counts);
  }
}
