import { CheckovSkips, DatasetSchema, NagAcknowledgements, SecureBucket, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CsvIngestFunction } from './handlers/csv-ingest-function';
import { CsvUploadSourceOptions } from './streaming-ingest-props';

/** Properties of {@link CsvUploadSource}. */
export interface CsvUploadSourceProps extends CsvUploadSourceOptions {
  /** The dataset the rows are typed against. */
  readonly schema: DatasetSchema;
  /** The stream rows go to. */
  readonly stream: kinesis.IStream;
  /** The lake bucket: rejected rows, quarantined files and ingest state go there. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake bucket's key.
   * @default - the bucket is not KMS-encrypted
   */
  readonly lakeKey?: kms.IKey;
  /** The key of the function's logs and the DLQ. */
  readonly key: kms.IKey;
  /**
   * Removal policy of the landing bucket and the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The largest file the handler accepts; S3 CopyObject (used to quarantine) stops at 5 GiB. */
const MAX_FILE_SIZE_LIMIT = Size.gibibytes(5);

/**
 * CSV uploads: a landing bucket whose `ObjectCreated:*` events start the ingest
 * function. The function streams the file, validates rows against the
 * schema, sends good rows to the stream and writes bad rows to the lake.
 * Invocations that fail every retry land in a DLQ with the event, so no
 * upload is lost.
 */
export class CsvUploadSource extends Construct {
  /** The landing bucket (yours or the one created). */
  public readonly landingBucket: s3.IBucket;
  /** The landing bucket the construct created, if it did. */
  public readonly createdLandingBucket?: SecureBucket;
  /** The ingest function. */
  public readonly ingestFunction: lambda.Function;
  /** The queue that keeps events whose ingest failed every retry. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Keys under this prefix are ingested. */
  public readonly prefix: string;
  /** `rejected/ingest/<dataset>/`. */
  public readonly rejectedPrefix: string;

  constructor(scope: Construct, id: string, props: CsvUploadSourceProps) {
    super(scope, id);
    const dataset = props.schema.name;
    const maxFileSize = props.maxFileSize ?? Size.mebibytes(100);
    validate(props, maxFileSize);
    this.prefix = props.prefix ?? 'uploads/';
    this.rejectedPrefix = `rejected/ingest/${dataset}/`;

    let landingKey = props.existingLandingBucketKey ?? props.existingLandingBucket?.encryptionKey;
    if (props.existingLandingBucket) {
      this.landingBucket = props.existingLandingBucket;
    } else {
      this.createdLandingBucket = new SecureBucket(this, 'Landing', { removalPolicy: props.removalPolicy });
      this.landingBucket = this.createdLandingBucket.bucket;
      landingKey = this.createdLandingBucket.encryptionKey;
    }

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagAcknowledgements.add(this.deadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the ingest function. Compensating control: the DeadLetterQueueDepth alarm fires on its first message.',
    }]);

    const logGroup = new SecureLogGroup(this, 'Logs', { encryptionKey: props.key, removalPolicy: props.removalPolicy });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Ingests ${dataset} CSV uploads: reads ${this.prefix}, writes the stream and the lake's rejected and state prefixes`,
    });
    logGroup.grantWrite(role);

    this.ingestFunction = new CsvIngestFunction(this, 'Function', {
      description: `Streams ${dataset} CSV uploads into Kinesis, rejecting bad rows with their reason`,
      role,
      logGroup,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.minutes(10),
      reservedConcurrentExecutions: props.reservedConcurrency ?? 4,
      tracing: lambda.Tracing.ACTIVE,
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      deadLetterQueueEnabled: false,
      environment: {
        SCHEMA: JSON.stringify(props.schema.toSpec()),
        STREAM_NAME: props.stream.streamName,
        LAKE_BUCKET: props.lakeBucket.bucketName,
        MAX_FILE_BYTES: String(maxFileSize.toBytes()),
      },
    });

    this.grantHandlerAccess(role, props, landingKey);
    this.landingBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.ingestFunction),
      { prefix: this.prefix },
    );
    this.acknowledgeFunctionFindings(role);
  }

  private grantHandlerAccess(role: iam.Role, props: CsvUploadSourceProps, landingKey?: kms.IKey): void {
    const dataset = props.schema.name;
    const stack = Stack.of(this);
    props.stream.grant(role, 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary');
    props.stream.encryptionKey?.grant(role, 'kms:GenerateDataKey');
    // Read (and, to quarantine a file, delete) uploads; nothing else in the landing bucket.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [this.landingBucket.arnForObjects(`${this.prefix}*`)],
    }));
    const lakeObjects = [props.lakeBucket.arnForObjects(`${this.rejectedPrefix}*`), props.lakeBucket.arnForObjects(`_freshet/ingest-state/${dataset}/*`)];
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: lakeObjects }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [props.lakeBucket.arnForObjects(`_freshet/ingest-state/${dataset}/*`)],
    }));
    // A missing state marker must read as NoSuchKey, not AccessDenied: that needs ListBucket on the state prefix.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [props.lakeBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`_freshet/ingest-state/${dataset}/*`] } },
    }));
    if (landingKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [landingKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }));
    }
    if (props.lakeKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.lakeKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }));
    }
  }

  private acknowledgeFunctionFindings(role: iam.Role): void {
    WildcardPermissions.acknowledgeRolePolicy(role, {
      reason: `Uploads, rejected rows and state markers have names only known at run time, under ${this.prefix}, ${this.rejectedPrefix} `
        + 'and the dataset\'s state prefix; X-Ray takes no resource; KMS grant verbs come from the DLQ grant. '
        + 'Compensating control: every statement is limited to this dataset\'s prefixes, stream, queue and keys.',
      allowedFindings: [
        `Resource::<*>/${this.prefix}*`,
        `Resource::<*>/${this.rejectedPrefix}*`,
        'Resource::<*>/_freshet/ingest-state/*',
        'Resource::*',
        'Action::kms:ReEncrypt*',
        'Action::kms:GenerateDataKey*',
      ],
    });
    acknowledgeNotificationsHandler(this);
    const notificationsPolicy = this.landingBucket.node.tryFindChild('Notifications')?.node.tryFindChild('HandlerPolicy');
    if (notificationsPolicy) {
      NagAcknowledgements.add(notificationsPolicy, [{
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason: 'aws-cdk-lib attaches this policy to its notifications handler to configure this bucket. '
          + 'Compensating control: it allows only s3:PutBucketNotification and runs only during deployment.',
      }]);
    }
    NagAcknowledgements.add(this.ingestFunction, [{
      id: 'NIST.800.53.R5-LambdaInsideVPC',
      reason: 'The function only calls S3 and Kinesis APIs over TLS with a role scoped to this dataset\'s prefixes and stream. '
        + 'Compensating control: least-privilege IAM, KMS encryption of every store it touches, and X-Ray tracing.',
    }]);
    // The asynchronous-invocation failure destination is the DLQ; the NIST rule only looks at the legacy DeadLetterConfig.
    NagAcknowledgements.add(this.ingestFunction, [{
      id: 'NIST.800.53.R5-LambdaDLQ',
      reason: 'Failed invocations go to an SQS on-failure destination (EventInvokeConfig) rather than the legacy DeadLetterConfig. '
        + 'Compensating control: the DeadLetterQueueDepth alarm.',
    }]);
    CheckovSkips.add(this.ingestFunction, [
      { id: 'CKV_AWS_116', comment: 'Failed invocations go to the SQS on-failure destination (EventInvokeConfig), which checkov does not read; the DeadLetterQueueDepth alarm watches it.' },
      { id: 'CKV_AWS_117', comment: 'Calls only the S3 and Kinesis APIs over TLS with a role scoped to its prefixes and stream; no VPC resource to reach.' },
      { id: 'CKV_AWS_173', comment: 'Its variables are names, prefixes and limits, no secret; Lambda encrypts them at rest with the AWS managed key.' },
    ]);
  }
}

/**
 * S3 event notifications are configured by aws-cdk-lib's singleton custom
 * resource. Its findings are acknowledged on it alone.
 */
function acknowledgeNotificationsHandler(scope: Construct): void {
  const stack = Stack.of(scope);
  const handler = stack.node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
  if (!handler) return;
  const control = 'It runs only during deployment and can only put bucket notification configurations. '
    + 'Compensating control: CloudFormation invokes it with the deploy role; it handles no data.';
  NagAcknowledgements.add(handler, [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: `aws-cdk-lib's bucket notifications handler uses AWSLambdaBasicExecutionRole for its logs. ${control}`,
    },
  ]);
  CheckovSkips.add(handler, [
    { id: 'CKV_AWS_115', comment: `CloudFormation invokes aws-cdk-lib's notifications handler once per change. ${control}` },
    { id: 'CKV_AWS_116', comment: `CloudFormation invokes it synchronously and rolls back on failure; no event is lost. ${control}` },
    { id: 'CKV_AWS_117', comment: `It calls only the S3 API over TLS; no VPC resource to reach. ${control}` },
  ]);
}

function validate(props: CsvUploadSourceProps, maxFileSize: Size): void {
  const problems: string[] = [];
  if (maxFileSize.toBytes() < 1 || maxFileSize.toBytes() > MAX_FILE_SIZE_LIMIT.toBytes()) {
    problems.push(`csvUploadSource.maxFileSize must be between 1 byte and 5 GiB (the S3 copy limit used to quarantine files), got ${maxFileSize.toBytes()} bytes.`);
  }
  if (props.memorySize !== undefined && (props.memorySize < 256 || props.memorySize > 10240)) {
    problems.push(`csvUploadSource.memorySize must be between 256 and 10240 MB, got ${props.memorySize}.`);
  }
  if (props.timeout !== undefined && (props.timeout.toSeconds() < 30 || props.timeout.toSeconds() > 900)) {
    problems.push(`csvUploadSource.timeout must be between 30 seconds and 15 minutes, got ${props.timeout.toSeconds()} seconds.`);
  }
  if (props.reservedConcurrency !== undefined && (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 1)) {
    problems.push(`csvUploadSource.reservedConcurrency must be a whole number of at least 1, got ${props.reservedConcurrency}.`);
  }
  if (props.prefix !== undefined && (props.prefix.startsWith('/') || (props.prefix !== '' && !props.prefix.endsWith('/')))) {
    problems.push(`csvUploadSource.prefix must be a key prefix like 'uploads/' (no leading slash, a trailing one), got '${props.prefix}'.`);
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
}
