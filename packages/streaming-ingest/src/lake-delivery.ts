import { DatasetSchema, NagAcknowledgements, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { LakeDeliveryOptions, RawCompression } from './streaming-ingest-props';

/** The raw objects' extension per compression: JSON lines, then the codec Hadoop and gzip readers recognize. */
const RAW_FILE_EXTENSIONS: Record<RawCompression, string> = {
  [RawCompression.NONE]: '.jsonl',
  [RawCompression.GZIP]: '.jsonl.gz',
  [RawCompression.HADOOP_SNAPPY]: '.jsonl.snappy',
};

/** Properties of {@link LakeDelivery}. */
export interface LakeDeliveryProps extends LakeDeliveryOptions {
  /** The dataset. */
  readonly schema: DatasetSchema;
  /** The stream Firehose reads. */
  readonly stream: kinesis.IStream;
  /** The lake bucket. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake bucket's key.
   * @default - the bucket is not KMS-encrypted
   */
  readonly lakeKey?: kms.IKey;
  /** The key of the delivery's log group. */
  readonly logKey: kms.IKey;
  /**
   * Removal policy of the log group and the Glue table.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DEFAULT_BUFFERING_INTERVAL = Duration.seconds(60);

/**
 * Firehose delivery from the stream to `raw/<dataset>/year=/month=/day=/hour=/`
 * in the lake: newline-delimited JSON (Firehose appends the newline to each
 * de-aggregated record), or Parquet converted through a Glue table created
 * from the schema. Records Firehose cannot deliver or convert go to
 * `rejected/firehose/<dataset>/<error type>/` with the reason.
 */
export class LakeDelivery extends Construct {
  /** The delivery stream. */
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  /** The role Firehose assumes. */
  public readonly role: iam.Role;
  /** Firehose's error log group. */
  public readonly logGroup: logs.LogGroup;
  /** The Glue database of the Parquet schema, when Parquet is on. */
  public readonly database?: glue.CfnDatabase;
  /** The Glue table Firehose reads the Parquet schema from, when Parquet is on. */
  public readonly schemaTable?: glue.CfnTable;
  /** `raw/<dataset>/`. */
  public readonly rawPrefix: string;
  /** `rejected/firehose/<dataset>/`. */
  public readonly errorPrefix: string;
  /** The buffering interval in effect. */
  public readonly bufferingInterval: Duration;

  constructor(scope: Construct, id: string, props: LakeDeliveryProps) {
    super(scope, id);
    const dataset = props.schema.name;
    const stack = Stack.of(this);
    this.rawPrefix = `raw/${dataset}/`;
    this.errorPrefix = `rejected/firehose/${dataset}/`;
    this.bufferingInterval = props.bufferingInterval ?? DEFAULT_BUFFERING_INTERVAL;
    const parquet = props.parquet ?? false;
    const bufferingSize = props.bufferingSize ?? (parquet ? Size.mebibytes(64) : Size.mebibytes(5));

    this.logGroup = new SecureLogGroup(this, 'Logs', { encryptionKey: props.logKey, removalPolicy: props.removalPolicy });
    const logStream = new logs.LogStream(this, 'S3Delivery', { logGroup: this.logGroup, removalPolicy: RemovalPolicy.RETAIN });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Firehose delivery of ${dataset}: reads the stream, writes ${this.rawPrefix} and ${this.errorPrefix}`,
    });
    props.stream.grantRead(this.role);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.lakeBucket.arnForObjects(`${this.rawPrefix}*`), props.lakeBucket.arnForObjects(`${this.errorPrefix}*`)],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [props.lakeBucket.bucketArn],
    }));
    if (props.lakeKey) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.lakeKey.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
          // With an S3 Bucket Key (SecureBucket's default) S3 asks KMS with the bucket's ARN as context, not the object's;
          // the s3:PutObject grant above still limits the prefixes.
          StringLike: {
            'kms:EncryptionContext:aws:s3:arn': [
              props.lakeBucket.bucketArn,
              props.lakeBucket.arnForObjects(`${this.rawPrefix}*`),
              props.lakeBucket.arnForObjects(`${this.errorPrefix}*`),
            ],
          },
        },
      }));
    }
    this.logGroup.grantWrite(this.role);

    let dataFormatConversion: firehose.CfnDeliveryStream.DataFormatConversionConfigurationProperty | undefined;
    if (parquet) {
      this.database = new glue.CfnDatabase(this, 'Database', {
        catalogId: stack.account,
        databaseInput: { name: `freshet_${dataset}_ingest`, description: `The ${dataset} record schema Firehose converts to Parquet` },
      });
      this.schemaTable = new glue.CfnTable(this, 'SchemaTable', {
        catalogId: stack.account,
        databaseName: `freshet_${dataset}_ingest`,
        tableInput: {
          name: `${dataset}_records`,
          description: `One ${dataset} record, from the dataset schema; Firehose reads it to write Parquet`,
          storageDescriptor: {
            columns: props.schema.toGlueColumns().map((c) => ({ name: c.name, type: c.type, comment: c.comment })),
          },
        },
      });
      this.schemaTable.addResourceDependency(this.database);
      this.database.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
      this.schemaTable.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: `freshet_${dataset}_ingest` }),
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `freshet_${dataset}_ingest/${dataset}_records` }),
        ],
      }));
      dataFormatConversion = {
        enabled: true,
        inputFormatConfiguration: { deserializer: { openXJsonSerDe: { caseInsensitive: false } } },
        outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
        schemaConfiguration: {
          catalogId: stack.account,
          databaseName: `freshet_${dataset}_ingest`,
          tableName: `${dataset}_records`,
          region: stack.region,
          roleArn: this.role.roleArn,
          versionId: 'LATEST',
        },
      };
    }

    const compression = props.compression ?? RawCompression.GZIP;
    const timePath = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: props.stream.streamArn, roleArn: this.role.roleArn },
      extendedS3DestinationConfiguration: {
        bucketArn: props.lakeBucket.bucketArn,
        roleArn: this.role.roleArn,
        prefix: `${this.rawPrefix}${timePath}`,
        errorOutputPrefix: `${this.errorPrefix}!{firehose:error-output-type}/${timePath}`,
        bufferingHints: { intervalInSeconds: this.bufferingInterval.toSeconds(), sizeInMBs: bufferingSize.toMebibytes() },
        // Parquet is compressed inside the file; the object itself must not be.
        compressionFormat: parquet ? 'UNCOMPRESSED' : compression,
        // Names that say what is inside, so readers that go by extension (Spark codecs, the preprocess job) need no hint.
        fileExtension: parquet ? '.parquet' : RAW_FILE_EXTENSIONS[compression],
        encryptionConfiguration: props.lakeKey ? { kmsEncryptionConfig: { awskmsKeyArn: props.lakeKey.keyArn } } : { noEncryptionConfig: 'NoEncryption' },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: this.logGroup.logGroupName, logStreamName: logStream.logStreamName },
        dataFormatConversionConfiguration: dataFormatConversion,
        // One JSON record a line: the producers send records without a delimiter.
        processingConfiguration: parquet ? undefined : {
          enabled: true,
          processors: [{ type: 'AppendDelimiterToRecord', parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }] }],
        },
      },
    });
    // Firehose checks its role's permissions when the delivery stream is created.
    this.deliveryStream.node.addDependency(this.role.node.findChild('DefaultPolicy'));

    WildcardPermissions.acknowledgeRolePolicy(this.role, {
      reason: `Firehose writes objects it names itself under ${this.rawPrefix} and ${this.errorPrefix}. `
        + 'Compensating control: the role reaches only those two prefixes, this stream and the lake key through S3.',
      allowedFindings: [`Resource::<*>/${this.rawPrefix}*`, `Resource::<*>/${this.errorPrefix}*`],
    });
    NagAcknowledgements.add(this.deliveryStream, [{
      id: 'AwsSolutions-KDF1',
      reason: 'Server-side encryption applies only to Direct PUT delivery streams; this one reads a Kinesis stream. '
        + 'Compensating control: the source stream is KMS-encrypted and Firehose writes SSE-KMS objects with the lake key.',
    }]);
  }
}
