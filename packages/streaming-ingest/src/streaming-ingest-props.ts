import { AlarmOptions, AlarmThreshold, DatasetSchema } from '@freshet/core';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** The Kinesis data stream StreamingIngest creates. */
export interface IngestStreamOptions {
  /**
   * On-demand capacity instead of provisioned shards. On-demand costs more at
   * low volume; it suits spiky traffic with no capacity planning.
   * @default false - provisioned
   */
  readonly onDemand?: boolean;
  /**
   * The number of provisioned shards (1 MB/s or 1,000 records/s of writes each).
   * @default 1 - the cheapest at low volume
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable in the stream.
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;
}

/** How Firehose writes the stream into the lake. */
export interface LakeDeliveryOptions {
  /**
   * How long Firehose buffers records before writing an object (0–900 seconds).
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
  /**
   * How much Firehose buffers before writing an object (1–128 MiB; at least 64 MiB with Parquet).
   * @default Size.mebibytes(5), or Size.mebibytes(64) with Parquet
   */
  readonly bufferingSize?: Size;
  /**
   * The compression of raw JSON-lines objects. Ignored with Parquet, which is compressed with Snappy.
   * @default RawCompression.GZIP
   */
  readonly compression?: RawCompression;
  /**
   * Convert records to Parquet with the schema, through a Glue table created from it.
   * @default false - newline-delimited JSON
   */
  readonly parquet?: boolean;
}

/** The compression of raw objects. */
export enum RawCompression {
  /** Uncompressed JSON lines. */
  NONE = 'UNCOMPRESSED',
  /** Gzip; Glue and Athena read it natively. */
  GZIP = 'GZIP',
  /** Snappy (Hadoop framing). */
  HADOOP_SNAPPY = 'HADOOP_SNAPPY',
}

/** An IoT Core topic rule that forwards device messages into the stream. */
export interface IotSourceOptions {
  /** The MQTT topic filter, e.g. `freshet/pollution/+`. */
  readonly topicFilter: string;
  /**
   * The SELECT clause of the rule's SQL (2016-03-23 dialect).
   * @default '*'
   */
  readonly select?: string;
  /**
   * A WHERE clause, without the keyword.
   * @default - every message
   */
  readonly where?: string;
}

/** The CSV upload source: uploads to a landing bucket are validated and streamed. */
export interface CsvUploadSourceOptions {
  /**
   * Your own landing bucket.
   * @default - a new secure landing bucket
   */
  readonly existingLandingBucket?: s3.IBucket;
  /**
   * The key that encrypts your landing bucket, if it uses SSE-KMS.
   * @default - `existingLandingBucket.encryptionKey`
   */
  readonly existingLandingBucketKey?: kms.IKey;
  /**
   * Only keys under this prefix start an ingest.
   * @default 'uploads/'
   */
  readonly prefix?: string;
  /**
   * Files over this size are moved to `rejected/ingest/<dataset>/files/` unread, and raise the FilesRejected alarm.
   * @default Size.mebibytes(100)
   */
  readonly maxFileSize?: Size;
  /**
   * Memory of the ingest function.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long one ingest may run. Sized for `maxFileSize` at one shard's write rate.
   * @default Duration.minutes(10)
   */
  readonly timeout?: Duration;
  /**
   * How many files are ingested at once; also bounds the write load on the stream.
   * @default 4
   */
  readonly reservedConcurrency?: number;
}

/** Alarms of {@link StreamingIngest}, each with a documented default. */
export interface StreamingIngestAlarmProps extends AlarmOptions {
  /**
   * Age of the oldest unread record in the stream, in milliseconds (Firehose lagging).
   * @default - alarm above 300,000 (5 minutes) for 3 of 3 minutes
   */
  readonly iteratorAge?: AlarmThreshold;
  /**
   * Writes rejected for exceeding the stream's throughput, per 5 minutes.
   * @default - alarm above 0
   */
  readonly writeThroughputExceeded?: AlarmThreshold;
  /**
   * Age of the oldest record not yet in S3, in seconds.
   * @default - alarm above 900 plus the buffering interval
   */
  readonly deliveryFreshness?: AlarmThreshold;
  /**
   * Failed ingest-function invocations, per 5 minutes.
   * @default - alarm above 0
   */
  readonly ingestErrors?: AlarmThreshold;
  /**
   * Messages in the ingest DLQ (events that failed every retry).
   * @default - alarm above 0
   */
  readonly deadLetterQueueDepth?: AlarmThreshold;
  /**
   * CSV rows rejected, per 5 minutes.
   * @default - alarm above 0
   */
  readonly rejectedRows?: AlarmThreshold;
  /**
   * Whole files rejected (over the size limit, or a header that does not match), per 5 minutes.
   * @default - alarm above 0
   */
  readonly rejectedFiles?: AlarmThreshold;
}

/** Properties of {@link StreamingIngest}. */
export interface StreamingIngestProps {
  /** The dataset: its columns type the CSV rows, name the lake prefixes and shape the Parquet table. */
  readonly schema: DatasetSchema;
  /**
   * Your own stream. It must not be written by other producers in a format Firehose cannot read.
   * @default - a new KMS-encrypted stream from `streamOptions`
   */
  readonly existingStream?: kinesis.IStream;
  /**
   * Options of the stream the construct creates.
   * @default - provisioned, 1 shard, 24 hours
   */
  readonly streamOptions?: IngestStreamOptions;
  /**
   * Your own lake bucket. Lifecycle rules are yours to set on it.
   * @default - a new secure lake bucket
   */
  readonly existingLakeBucket?: s3.IBucket;
  /**
   * The key that encrypts your lake bucket, if it uses SSE-KMS.
   * @default - `existingLakeBucket.encryptionKey`
   */
  readonly existingLakeBucketKey?: kms.IKey;
  /**
   * After how long raw objects move to S3 Glacier Flexible Retrieval (buckets the construct creates).
   * @default Duration.days(90)
   */
  readonly rawArchiveAfter?: Duration;
  /**
   * How Firehose writes raw objects.
   * @default - JSON lines, gzip, 60 s or 5 MiB buffers
   */
  readonly delivery?: LakeDeliveryOptions;
  /**
   * An IoT Core source.
   * @default - none
   */
  readonly iotSource?: IotSourceOptions;
  /**
   * A CSV upload source.
   * @default - none
   */
  readonly csvUploadSource?: CsvUploadSourceOptions;
  /**
   * Alarm settings.
   * @default - alarms on, notifying an encrypted SNS topic the construct creates
   */
  readonly alarms?: StreamingIngestAlarmProps;
  /**
   * The removal policy of the data stores the construct creates (stream, buckets, keys, logs).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
