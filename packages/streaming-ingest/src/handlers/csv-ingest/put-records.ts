import { KinesisClient, PutRecordsCommand, PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { AggregatedRecord } from './record-aggregator';

/** PutRecords accepts at most 500 entries per call. */
export const MAX_ENTRIES_PER_CALL = 500;
/** PutRecords accepts at most 5 MiB per call, counting data and partition keys. */
export const MAX_BYTES_PER_CALL = 5 * 1024 * 1024;

/** How failed entries are retried. */
export interface RetryPolicy {
  /** Attempts per entry, the first included. */
  readonly maxAttempts: number;
  /** The backoff base; attempt n waits a random time up to base × 2^n (full jitter). */
  readonly baseDelayMs: number;
  /** The most one wait may last. */
  readonly maxDelayMs: number;
}


const RETRYABLE_NAMES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'InternalFailure', 'ServiceUnavailable', 'KMSThrottlingException', 'LimitExceededException']);

/** The size PutRecords counts for an entry. */
export function entryBytes(record: AggregatedRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/**
 * Writes aggregated records to a stream in PutRecords calls within the API's
 * limits, retrying only the entries that failed, with full-jitter backoff.
 * It throws once an entry has used up its attempts, so a caller can never
 * report success with records missing.
 */
export class KinesisWriter {
  /** PutRecords calls that re-sent failed entries, for the PutRecordsRetries metric. */
  public retries = 0;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    private readonly retry: RetryPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Writes every record, in as few calls as the limits allow. */
  public async putAll(records: AggregatedRecord[]): Promise<void> {
    let batch: AggregatedRecord[] = [];
    let batchBytes = 0;
    for (const record of records) {
      const size = entryBytes(record);
      if (batch.length > 0 && (batch.length === MAX_ENTRIES_PER_CALL || batchBytes + size > MAX_BYTES_PER_CALL)) {
        await this.putBatch(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push(record);
      batchBytes += size;
    }
    if (batch.length > 0) await this.putBatch(batch);
  }

  private async putBatch(records: AggregatedRecord[]): Promise<void> {
    let pending: PutRecordsRequestEntry[] = records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data }));
    for (let attempt = 1; ; attempt++) {
      let failed: PutRecordsRequestEntry[];
      let lastError: string;
      try {
        const response = await this.client.send(new PutRecordsCommand({ StreamName: this.streamName, Records: pending }));
        const results = response.Records ?? [];
        failed = pending.filter((_, i) => results[i]?.ErrorCode !== undefined || results[i]?.SequenceNumber === undefined);
        lastError = results.find((r) => r.ErrorCode)?.ErrorCode ?? 'no result for the entry';
      } catch (error) {
        if (!isRetryable(error)) throw error;
        failed = pending;
        lastError = (error as Error).name;
      }
      if (failed.length === 0) return;
      if (attempt >= this.retry.maxAttempts) {
        throw new Error(`${failed.length} of ${records.length} Kinesis records were still failing after ${attempt} attempts (last error: ${lastError}); the invocation fails so the event is retried or sent to the DLQ.`);
      }
      this.retries++;
      pending = failed;
      await sleep(this.random() * Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt));
    }
  }
}

function isRetryable(error: unknown): boolean {
  const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  return RETRYABLE_NAMES.has(e.name ?? '') || e.$retryable !== undefined || (e.$metadata?.httpStatusCode ?? 0) >= 500;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
