/** One KPL-format aggregated record, ready for PutRecords. */
export interface AggregatedRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** How many user records it carries. */
  readonly userRecords: number;
}

/** The largest aggregate the KPL format allows: one Kinesis record. */
export const MAX_AGGREGATE_BYTES = 1024 * 1024;

interface KplAggregator {
  checkIfUserRecordFits(record: { partitionKey: string; data: Buffer }): boolean;
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  build(): { partitionKey: string; data: Buffer } | undefined;
  length(): number;
}

// aws-kinesis-agg's type declarations import aws-sdk v2, which we do not ship; declare the part we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RecordAggregator } = require('aws-kinesis-agg') as { RecordAggregator: new () => KplAggregator };

/**
 * Packs user records into KPL-format aggregated records of up to 1 MB (the
 * Kinesis record limit), so a file costs about one PUT payload unit per
 * 25 KB instead of one per row. Firehose de-aggregates them on delivery.
 * Every user record of one aggregate shares a partition key, which keeps the
 * key table to one entry; successive aggregates use different keys, which
 * spreads them across shards.
 */
export class RecordAggregatorBuffer {
  private aggregator = new RecordAggregator();
  private count = 0;
  private sequence = 0;

  /** @param keyPrefix stable per source object, so a retried file produces the same keys. */
  constructor(private readonly keyPrefix: string) {}

  /** Adds a user record; returns the aggregate it completed when the record did not fit in it. */
  public add(data: string): AggregatedRecord | undefined {
    const record = { partitionKey: this.currentKey(), data: Buffer.from(data, 'utf8') };
    let completed: AggregatedRecord | undefined;
    if (!this.aggregator.checkIfUserRecordFits(record)) {
      completed = this.flush();
      record.partitionKey = this.currentKey();
    }
    this.aggregator.addUserRecord(record);
    this.count++;
    return completed;
  }

  /** Completes the aggregate being filled, if it holds anything. */
  public flush(): AggregatedRecord | undefined {
    if (this.count === 0) return undefined;
    const built = this.aggregator.build();
    if (!built) return undefined;
    const aggregate = { partitionKey: built.partitionKey, data: built.data, userRecords: this.count };
    this.aggregator = new RecordAggregator();
    this.count = 0;
    this.sequence++;
    return aggregate;
  }

  private currentKey(): string {
    return `${this.keyPrefix}-${this.sequence}`;
  }
}
