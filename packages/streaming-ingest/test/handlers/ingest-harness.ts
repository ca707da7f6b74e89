import { createHash } from 'crypto';
import { readFileSync } from 'fs';
import * as path from 'path';
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import type { DatasetSchemaSpec } from '@freshet/core';
import { SAMPLE_DATA_DIR } from '@freshet/examples';
import { KinesisEmulator, S3Emulator, startKinesisEmulator, startMotoServer, startS3Emulator } from '@freshet/test-utils';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { S3Event } from 'aws-lambda';

/** The part of Lambda's context the handler reads. */
export type HandlerContext = { awsRequestId: string; getRemainingTimeInMillis: () => number };

export const LANDING_BUCKET = 'landing';
export const LAKE_BUCKET = 'lake';

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Where the harness's S3 runs: s3rver, or moto server, which implements S3
 * conditional writes (`If-None-Match: *`, `If-Match`) as AWS does, atomically
 * (its serial mode); s3rver ignores them, so lease tests need moto.
 */
export type S3Backend = 's3rver' | 'moto';

/** Local Kinesis and S3 emulators with the buckets and a stream, and clients for the test's own reads. */
export class IngestHarness {
  public static async start(shards = 2, s3Backend: S3Backend = 's3rver'): Promise<IngestHarness> {
    const [kinesis, s3] = await Promise.all([startKinesisEmulator(), s3Backend === 'moto' ? startMotoS3() : startS3Emulator([LANDING_BUCKET, LAKE_BUCKET])]);
    const harness = new IngestHarness(kinesis, s3);
    if (s3Backend === 'moto') {
      for (const bucket of [LANDING_BUCKET, LAKE_BUCKET]) await harness.s3Client.send(new CreateBucketCommand({ Bucket: bucket }));
    }
    await harness.createStream(shards);
    return harness;
  }

  public readonly streamName = 'ingest-test';
  public readonly kinesisClient: KinesisClient;
  public readonly s3Client: S3Client;

  private constructor(public readonly kinesis: KinesisEmulator, public readonly s3: S3Emulator) {
    this.kinesisClient = new KinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
    this.s3Client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
  }

  /**
   * Points the handler's own SDK clients at the emulators through the standard
   * `AWS_ENDPOINT_URL_*` variables, and loads a fresh copy of the handler.
   */
  public loadHandler(
    schema: DatasetSchemaSpec,
    env: Record<string, string> = {},
    kinesisEndpoint = this.kinesis.endpoint,
  ): (event: S3Event, context?: HandlerContext) => Promise<void> {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: this.s3.endpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint,
      SCHEMA: JSON.stringify(schema),
      STREAM_NAME: this.streamName,
      LAKE_BUCKET: LAKE_BUCKET,
      MAX_FILE_BYTES: String(64 * 1024 * 1024),
      PUT_RETRY_BASE_MS: '5',
      ...env,
    });
    let handler: ((event: S3Event, context?: HandlerContext) => Promise<void>) | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../src/handlers/csv-ingest.lambda').handler;
    });
    return handler!;
  }

  public async upload(key: string, body: string | Buffer | 'stocks_all', extra: Partial<PutObjectCommandInput> = {}): Promise<void> {
    // A buffer, not a stream: s3rver cannot read the aws-chunked encoding SDK v3 uses for streams of unknown length.
    const content = body === 'stocks_all' ? readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv')) : Buffer.from(body);
    await this.s3Client.send(new PutObjectCommand({ ...extra, Bucket: LANDING_BUCKET, Key: key, Body: content }));
  }

  /** The event S3 sends for an upload, with the key URL-encoded as S3 does. */
  public event(key: string): S3Event {
    return {
      Records: [{
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'test' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: { 'x-amz-request-id': 'r', 'x-amz-id-2': 'i' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'ingest',
          bucket: { name: LANDING_BUCKET, ownerIdentity: { principalId: 'test' }, arn: `arn:aws:s3:::${LANDING_BUCKET}` },
          object: { key: encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/'), size: 0, eTag: '', sequencer: '0' },
        },
      }],
    };
  }

  /** Every user record in the stream, de-aggregated, as parsed JSON. */
  public async readStream(): Promise<Record<string, unknown>[]> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const agg = require('aws-kinesis-agg') as { deaggregateSync: (r: unknown, checksums: boolean, cb: (err: Error | null, records?: { data: string }[]) => void) => void };
    const shards = (await this.kinesisClient.send(new ListShardsCommand({ StreamName: this.streamName }))).Shards ?? [];
    const rows: Record<string, unknown>[] = [];
    for (const shard of shards) {
      let iterator = (await this.kinesisClient.send(new GetShardIteratorCommand({ StreamName: this.streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      while (iterator) {
        const page = await this.kinesisClient.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
        for (const record of page.Records ?? []) {
          agg.deaggregateSync({ data: Buffer.from(record.Data!).toString('base64'), partitionKey: record.PartitionKey, sequenceNumber: record.SequenceNumber }, true, (err, users) => {
            if (err) throw err;
            for (const user of users ?? []) rows.push(JSON.parse(Buffer.from(user.data, 'base64').toString('utf8')));
          });
        }
        if ((page.Records ?? []).length === 0) break;
        iterator = page.NextShardIterator;
      }
    }
    return rows;
  }

  public async listLake(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3Client.send(new ListObjectsV2Command({ Bucket: LAKE_BUCKET, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys.sort();
  }

  public async readLake(key: string): Promise<string> {
    const response = await this.s3Client.send(new GetObjectCommand({ Bucket: LAKE_BUCKET, Key: key }));
    return response.Body!.transformToString();
  }

  /** The rejected rows written for all files, parsed. */
  public async rejectedRows(): Promise<{ line: number; reason: string; raw: string; source: string }[]> {
    const keys = (await this.listLake('rejected/ingest/')).filter((k) => k.endsWith('.jsonl'));
    const rows = [];
    for (const key of keys) {
      rows.push(...(await this.readLake(key)).trim().split('\n').map((l) => JSON.parse(l)));
    }
    return rows;
  }

  public async stop(): Promise<void> {
    this.kinesisClient.destroy();
    this.s3Client.destroy();
    await Promise.all([this.kinesis.stop(), this.s3.stop()]);
  }

  private async createStream(shards: number): Promise<void> {
    await this.kinesisClient.send(new CreateStreamCommand({ StreamName: this.streamName, ShardCount: shards }));
    for (;;) {
      const description = await this.kinesisClient.send(new DescribeStreamCommand({ StreamName: this.streamName }));
      if (description.StreamDescription?.StreamStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** moto server as the harness's S3 (the buckets are created by the caller). */
async function startMotoS3(): Promise<S3Emulator> {
  const moto = await startMotoServer();
  return { endpoint: moto.endpoint, stop: () => moto.stop() };
}

/** A content checksum independent of order: sha256 over the sorted canonical JSON of each row. */
export function rowsChecksum(rows: Record<string, unknown>[]): string {
  const canonical = rows.map((row) => JSON.stringify(Object.keys(row).sort().map((k) => [k, row[k]]))).sort();
  const hash = createHash('sha256');
  for (const line of canonical) hash.update(line + '\n');
  return hash.digest('hex');
}
