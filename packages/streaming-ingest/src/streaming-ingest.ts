import { AlarmFactory, DataRemovalPolicy, DatasetSchema, NagAcknowledgements, SecureBucket, SecureKey } from '@freshet/core';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CsvUploadSource } from './csv-upload-source';
import { METRIC_NAMESPACE } from './handlers/csv-ingest/ingest-metrics';
import { IotSource } from './iot-source';
import { LakeDelivery } from './lake-delivery';
import { StreamingIngestProps } from './streaming-ingest-props';

/**
 * Streams a dataset from IoT devices and CSV uploads into an S3 data lake:
 * a KMS-encrypted Kinesis stream, Firehose delivery to
 * `raw/<dataset>/year=/month=/day=/hour=/`, optional IoT and CSV sources,
 * alarms and a dashboard. Every resource it creates is a public property.
 */
export class StreamingIngest extends Construct {
  /** The dataset. */
  public readonly schema: DatasetSchema;
  /** The stream (yours or the one created). */
  public readonly stream: kinesis.IStream;
  /** The stream the construct created, if it did. */
  public readonly createdStream?: kinesis.Stream;
  /** The lake bucket (yours or the one created). */
  public readonly lakeBucket: s3.IBucket;
  /** The lake bucket the construct created, if it did. */
  public readonly createdLakeBucket?: SecureBucket;
  /** The key of the lake bucket, when it has one. */
  public readonly lakeKey?: kms.IKey;
  /** Encrypts the stream, the logs and the DLQ. */
  public readonly key: SecureKey;
  /** Firehose delivery into the lake. */
  public readonly delivery: LakeDelivery;
  /** The IoT source, when configured. */
  public readonly iotSource?: IotSource;
  /** The CSV upload source, when configured. */
  public readonly csvUploadSource?: CsvUploadSource;
  /** The alarms. */
  public readonly alarms: AlarmFactory;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** `raw/<dataset>/`: where Firehose writes. */
  public readonly rawPrefix: string;
  /**
   * Whether the stream carries KPL-aggregated records (the CSV source writes
   * them). Firehose de-aggregates them; Redshift streaming ingestion and plain
   * Lambda consumers cannot.
   */
  public readonly carriesAggregatedRecords: boolean;

  constructor(scope: Construct, id: string, props: StreamingIngestProps) {
    super(scope, id);
    validateProps(props);
    const dataset = props.schema.name;
    this.schema = props.schema;
    this.carriesAggregatedRecords = props.csvUploadSource !== undefined;

    this.key = new SecureKey(this, 'Key', { description: `Encrypts the ${dataset} ingest stream, logs and DLQ`, removalPolicy: props.removalPolicy });
    this.key.grantCloudWatchLogs();

    if (props.existingStream) {
      this.stream = props.existingStream;
    } else {
      const options = props.streamOptions ?? {};
      this.createdStream = new kinesis.Stream(this, 'Stream', {
        streamMode: options.onDemand ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
        shardCount: options.onDemand ? undefined : (options.shardCount ?? 1),
        retentionPeriod: options.retentionPeriod ?? Duration.hours(24),
        encryption: kinesis.StreamEncryption.KMS,
        encryptionKey: this.key,
        removalPolicy: DataRemovalPolicy.of(this, props.removalPolicy),
      });
      this.stream = this.createdStream;
      NagAcknowledgements.add(this.createdStream, [{
        id: 'AwsSolutions-KDS3',
        reason: 'The stream uses a customer-managed key instead of aws/kinesis, so the team controls its policy and rotation. '
          + 'Compensating control: the key is rotated yearly, retained, and grants only this construct\'s roles and grantWrite callers.',
      }]);
    }

    this.rawPrefix = `raw/${dataset}/`;
    if (props.existingLakeBucket) {
      this.lakeBucket = props.existingLakeBucket;
      this.lakeKey = props.existingLakeBucketKey ?? props.existingLakeBucket.encryptionKey;
    } else {
      this.createdLakeBucket = new SecureBucket(this, 'Lake', {
        removalPolicy: props.removalPolicy,
        lifecycleRules: [{
          id: 'ArchiveRawData',
          prefix: this.rawPrefix,
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: props.rawArchiveAfter ?? Duration.days(90) }],
        }],
      });
      this.lakeBucket = this.createdLakeBucket.bucket;
      this.lakeKey = this.createdLakeBucket.encryptionKey;
    }

    this.delivery = new LakeDelivery(this, 'Delivery', {
      ...props.delivery,
      schema: props.schema,
      stream: this.stream,
      lakeBucket: this.lakeBucket,
      lakeKey: this.lakeKey,
      logKey: this.key,
      removalPolicy: props.removalPolicy,
    });

    if (props.iotSource) {
      this.iotSource = new IotSource(this, 'Iot', { ...props.iotSource, dataset, stream: this.stream, lakeBucket: this.lakeBucket, lakeKey: this.lakeKey });
    }
    if (props.csvUploadSource) {
      this.csvUploadSource = new CsvUploadSource(this, 'CsvUpload', {
        ...props.csvUploadSource,
        schema: props.schema,
        stream: this.stream,
        lakeBucket: this.lakeBucket,
        lakeKey: this.lakeKey,
        key: this.key,
        removalPolicy: props.removalPolicy,
      });
    }

    this.alarms = new AlarmFactory(this, 'Alarms', props.alarms);
    this.addAlarms(props);
    this.dashboard = this.alarms.createDashboard('Dashboard', `Freshet ingest: ${dataset}`, [
      new cloudwatch.GraphWidget({
        title: 'Rows in (CSV uploads)',
        left: [this.metricIngest('RowsIngested'), this.metricIngest('RowsRejected'), this.metricIngest('BlankLinesSkipped')],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Stream writes and reads (bytes)',
        left: [this.stream.metricIncomingBytes({ statistic: 'Sum' }), this.stream.metricGetRecordsBytes({ statistic: 'Sum' })],
        width: 12,
      }),
    ]);
  }

  /** Lets another producer write to the stream (and use its key). */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.stream.grantWrite(grantee);
  }

  /** A metric the CSV ingest function publishes (namespace `Freshet/Ingest`, dimension `Dataset`). */
  public metricIngest(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Dataset: this.schema.name },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...options,
    });
  }

  private addAlarms(props: StreamingIngestProps): void {
    const dataset = props.schema.name;
    const overrides = props.alarms ?? {};
    this.alarms.addAlarm('IteratorAge', {
      metric: this.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: 'Maximum', period: Duration.minutes(1) }),
      threshold: 300_000,
      evaluationPeriods: 3,
      description: `Firehose is more than 5 minutes behind on the ${dataset} stream: check the delivery's error logs and the stream's read throughput.`,
      override: overrides.iteratorAge,
    });
    this.alarms.addAlarm('WriteThroughputExceeded', {
      metric: this.stream.metricPutRecordsThrottledRecords({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 0,
      description: `Writes to the ${dataset} stream were throttled: add shards (streamOptions.shardCount) or switch to on-demand. Producers retry, so no data is lost yet.`,
      override: overrides.writeThroughputExceeded,
    });
    this.alarms.addAlarm('DeliveryFreshness', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Firehose',
        metricName: 'DeliveryToS3.DataFreshness',
        dimensionsMap: { DeliveryStreamName: this.delivery.deliveryStream.ref },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      }),
      threshold: 900 + this.delivery.bufferingInterval.toSeconds(),
      description: `Records of ${dataset} wait too long for delivery to the lake: read the delivery's log group and ${this.delivery.errorPrefix} in the lake.`,
      override: overrides.deliveryFreshness,
    });
    const csv = this.csvUploadSource;
    if (csv) {
      this.alarms.addAlarm('IngestErrors', {
        metric: csv.ingestFunction.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
        threshold: 0,
        description: `The ${dataset} CSV ingest function failed; Lambda retries it, then sends the event to its DLQ. Read the function's logs.`,
        override: overrides.ingestErrors,
      });
      this.alarms.addAlarm('DeadLetterQueueDepth', {
        metric: csv.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 0,
        description: `Uploads of ${dataset} failed every retry and wait in the DLQ: fix the cause, then re-drive the events.`,
        override: overrides.deadLetterQueueDepth,
      });
      this.alarms.addAlarm('RejectedRows', {
        metric: this.metricIngest('RowsRejected'),
        threshold: 0,
        description: `CSV rows of ${dataset} failed validation: they are in ${csv.rejectedPrefix} in the lake with their line numbers and reasons.`,
        override: overrides.rejectedRows,
      });
      this.alarms.addAlarm('RejectedFiles', {
        metric: this.metricIngest('FilesRejected'),
        threshold: 0,
        description: `Whole ${dataset} CSV files were rejected (too large, or a header that does not match): see ${csv.rejectedPrefix}files/ and each file's .reason.json.`,
        override: overrides.rejectedFiles,
      });
    }
  }
}

function validateProps(props: StreamingIngestProps): void {
  const problems: string[] = [];
  const stream = props.streamOptions;
  if (props.existingStream && stream) {
    problems.push('Pass either existingStream or streamOptions, not both: streamOptions only shape a stream the construct creates.');
  }
  if (stream?.onDemand && stream.shardCount !== undefined) {
    problems.push('streamOptions.shardCount does not apply to an on-demand stream: remove shardCount or set onDemand to false.');
  }
  if (stream?.shardCount !== undefined && (!Number.isInteger(stream.shardCount) || stream.shardCount < 1)) {
    problems.push(`streamOptions.shardCount must be a whole number of at least 1, got ${stream.shardCount}.`);
  }
  const retentionHours = stream?.retentionPeriod?.toHours();
  if (retentionHours !== undefined && (retentionHours < 24 || retentionHours > 8760)) {
    problems.push(`streamOptions.retentionPeriod must be between 24 hours and 365 days, got ${retentionHours} hours.`);
  }
  if (props.existingLakeBucket && props.rawArchiveAfter) {
    problems.push('rawArchiveAfter applies only to a lake bucket the construct creates: set a lifecycle rule on your existingLakeBucket instead.');
  }
  if (props.rawArchiveAfter && props.rawArchiveAfter.toDays() < 1) {
    problems.push('rawArchiveAfter must be at least 1 day.');
  }
  const delivery = props.delivery ?? {};
  const interval = delivery.bufferingInterval?.toSeconds();
  if (interval !== undefined && (interval < 0 || interval > 900)) {
    problems.push(`delivery.bufferingInterval must be between 0 and 900 seconds, got ${interval}.`);
  }
  const sizeMiB = delivery.bufferingSize?.toMebibytes();
  if (sizeMiB !== undefined && (sizeMiB < 1 || sizeMiB > 128)) {
    problems.push(`delivery.bufferingSize must be between 1 and 128 MiB, got ${sizeMiB} MiB.`);
  }
  if (delivery.parquet && sizeMiB !== undefined && sizeMiB < 64) {
    problems.push(`delivery.bufferingSize must be at least 64 MiB with Parquet conversion, got ${sizeMiB} MiB: raise it or turn parquet off.`);
  }
  if (delivery.parquet && delivery.compression !== undefined) {
    problems.push('delivery.compression does not apply with Parquet, which Firehose compresses with Snappy inside the file: remove compression.');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid StreamingIngest props for dataset '${props.schema.name}':\n- ${problems.join('\n- ')}`);
  }
}
