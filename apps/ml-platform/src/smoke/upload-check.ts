import { randomUUID } from 'crypto';
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CheckResult } from './check-result';
import { SampleCsv, rowKey } from './sample-csv';

/** Where the sample goes and which stream its rows must reach, within what bound. */
export interface UploadCheckOptions {
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
  readonly bucket: string;
  readonly uploadPrefix: string;
  readonly stream: string;
  readonly sample: SampleCsv;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
}

// The CSV ingest writes KPL-aggregated records; plain records come through unchanged.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const agg = require('aws-kinesis-agg') as {
  deaggregateSync: (record: unknown, checksums: boolean, done: (error: Error | null, users?: { data: string }[]) => void) => void;
};

/**
 * Uploads the sample under `<prefix>smoke-tests/` and reads the stream from
 * just before the upload until every sample row has arrived, or the bound passes.
 */
export async function checkUploadReachesStream(options: UploadCheckOptions): Promise<Omit<CheckResult, 'name'>> {
  const { kinesis, stream, sample } = options;
  // Iterators taken before the upload see exactly what arrives after it.
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const iterators = new Map<string, string | undefined>();
  for (const shard of shards) {
    const answer = await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId!, ShardIteratorType: 'LATEST' }));
    iterators.set(shard.ShardId!, answer.ShardIterator);
  }
  const key = `${options.uploadPrefix}smoke-tests/${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.csv`;
  try {
    await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: sample.text, ContentType: 'text/csv' }));
  } catch (error) {
    return { status: 'fail', detail: `the upload of s3://${options.bucket}/${key} was refused: ${(error as Error).message}` };
  }

  const missing = new Map<string, number>();
  for (const row of sample.rows) missing.set(rowKey(sample.columns, row), (missing.get(rowKey(sample.columns, row)) ?? 0) + 1);
  const started = Date.now();
  while (missing.size > 0 && Date.now() - started < options.timeoutMs) {
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      iterators.set(shardId, page.NextShardIterator);
      for (const record of page.Records ?? []) for (const user of userRecords(record)) seen(missing, rowKey(sample.columns, user));
    }
    if (missing.size > 0) await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
  }
  const rows = sample.rows.length;
  if (missing.size > 0) {
    const left = [...missing.values()].reduce((a, b) => a + b, 0);
    return {
      status: 'fail',
      detail: `s3://${options.bucket}/${key} was accepted, but ${left} of its ${rows} rows had not reached the stream ${stream} within ${options.timeoutMs / 1000} s `
        + `(first missing: ${[...missing.keys()][0]}): look at the CSV ingest function's logs and dead-letter queue.`,
    };
  }
  return { status: 'pass', detail: `s3://${options.bucket}/${key} was accepted and its ${rows} rows reached ${stream} in ${((Date.now() - started) / 1000).toFixed(1)} s` };
}

function userRecords(record: { Data?: Uint8Array; PartitionKey?: string; SequenceNumber?: string }): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  agg.deaggregateSync({ data: Buffer.from(record.Data ?? []).toString('base64'), partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber }, true, (error, users) => {
    if (error) throw error;
    for (const user of users ?? []) {
      try {
        parsed.push(JSON.parse(Buffer.from(user.data, 'base64').toString('utf8')) as Record<string, unknown>);
      } catch {
        // Someone else's record, not JSON: not ours.
      }
    }
  });
  return parsed;
}

function seen(missing: Map<string, number>, key: string): void {
  const count = missing.get(key);
  if (count === undefined) return;
  if (count <= 1) missing.delete(key);
  else missing.set(key, count - 1);
}
