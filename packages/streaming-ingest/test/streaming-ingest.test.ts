import { DataRemovalPolicy } from '@freshet/core';
import { stocksSchema } from '@freshet/examples';
import { testStack } from '@freshet/test-utils';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { RawCompression, StreamingIngest, StreamingIngestProps } from '../src';

function synth(props: Partial<StreamingIngestProps> = {}, stack: Stack = testStack()): { ingest: StreamingIngest; template: Template } {
  const ingest = new StreamingIngest(stack, 'Ingest', { schema: stocksSchema(), ...props });
  return { ingest, template: Template.fromStack(stack) };
}

function extendedS3(template: Template): Record<string, any> {
  const streams = template.findResources('AWS::KinesisFirehose::DeliveryStream');
  return Object.values(streams)[0].Properties.ExtendedS3DestinationConfiguration;
}

function policyStatements(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(roleLogicalIdPrefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

describe('StreamingIngest defaults', () => {
  test('one provisioned shard, KMS-encrypted with a rotated key, 24 h retention, retained', () => {
    const { template } = synth();
    template.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        ShardCount: 1,
        StreamModeDetails: { StreamMode: 'PROVISIONED' },
        RetentionPeriodHours: 24,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: Match.anyValue() },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: 'Encrypts the stocks ingest stream, logs and DLQ' });
  });

  test('a secure lake bucket that archives raw data to Glacier after 90 days and is retained', () => {
    const { template } = synth();
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
        LifecycleConfiguration: { Rules: [{ Id: 'ArchiveRawData', Prefix: 'raw/stocks/', Status: 'Enabled', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }] }] },
      }),
      DeletionPolicy: 'Retain',
    });
  });

  test('Firehose reads the stream and writes gzip JSON lines under raw/<dataset>/year=/month=/day=/hour=/, errors apart', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: Match.anyValue(), RoleARN: Match.anyValue() },
    });
    const s3Config = extendedS3(template);
    expect(s3Config.Prefix).toBe('raw/stocks/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(s3Config.ErrorOutputPrefix).toBe('rejected/firehose/stocks/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/');
    expect(s3Config.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 5 });
    expect(s3Config.CompressionFormat).toBe('GZIP');
    expect(s3Config.FileExtension).toBe('.jsonl.gz');
    expect(s3Config.EncryptionConfiguration.KMSEncryptionConfig.AWSKMSKeyARN).toBeDefined();
    expect(s3Config.CloudWatchLoggingOptions.Enabled).toBe(true);
    expect(s3Config.ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [{ ParameterName: 'Delimiter', ParameterValue: '\\n' }] }],
    });
    expect(s3Config.DataFormatConversionConfiguration).toBeUndefined();
  });

  test('the Firehose role writes only the raw and error prefixes', () => {
    const { template } = synth();
    const statements = policyStatements(template, 'IngestDeliveryRoleDefaultPolicy');
    const puts = statements.find((s) => [s.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(puts.Resource)).toContain('/raw/stocks/*');
    expect(JSON.stringify(puts.Resource)).toContain('/rejected/firehose/stocks/*');
    expect(puts.Resource).toHaveLength(2);
    expect(statements.some((s) => [s.Action].flat().some((a: string) => a === 's3:*' || a === '*'))).toBe(false);
  });

  test('no sources unless asked; stream, delivery and freshness alarms and a dashboard', () => {
    const { template, ingest } = synth();
    template.resourceCountIs('AWS::IoT::TopicRule', 0);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    expect(ingest.alarms.alarms.map((a) => a.node.id)).toEqual(['IteratorAge', 'WriteThroughputExceeded', 'DeliveryFreshness']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'GetRecords.IteratorAgeMilliseconds', Threshold: 300000, EvaluationPeriods: 3 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'PutRecords.ThrottledRecords', Threshold: 0 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', Threshold: 960 });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(ingest.carriesAggregatedRecords).toBe(false);
  });

  test.each([
    ['no sources', {}],
    ['the CSV and IoT sources', { csvUploadSource: {}, iotSource: { topicFilter: 'freshet/stocks/+' } }],
  ] as Array<[string, Partial<StreamingIngestProps>]>)('%s: every alarm notifies the construct\'s own encrypted topic', (_name, props) => {
    const { template, ingest } = synth(props);
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms).toHaveLength(ingest.alarms.alarms.length);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0] }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topics[0] }]);
    }
  });

  test('the dashboard graphs blank lines beside ingested and rejected rows', () => {
    const body = JSON.stringify(synth({ csvUploadSource: {} }).template.findResources('AWS::CloudWatch::Dashboard'));
    for (const metric of ['RowsIngested', 'RowsRejected', 'BlankLinesSkipped']) expect(body).toContain(metric);
  });
});

describe('StreamingIngest options', () => {
  test('on-demand stream, or a shard count', () => {
    synth({ streamOptions: { onDemand: true } }).template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
    });
    synth({ streamOptions: { shardCount: 4, retentionPeriod: Duration.days(7) } }).template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 4, RetentionPeriodHours: 168 });
  });

  test('an existing stream and lake bucket are used, not created', () => {
    const stack = testStack();
    const stream = new kinesis.Stream(stack, 'Mine', { encryption: kinesis.StreamEncryption.MANAGED });
    const bucket = s3.Bucket.fromBucketName(stack, 'MyLake', 'my-lake');
    const { ingest, template } = synth({ existingStream: stream, existingLakeBucket: bucket }, stack);
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(ingest.stream).toBe(stream);
    expect(ingest.lakeBucket).toBe(bucket);
    expect(ingest.createdStream).toBeUndefined();
    expect(extendedS3(template).BucketARN).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::my-lake']] });
  });

  test('buffering (0 s allowed), compression and the archive age are props', () => {
    const { template } = synth({
      delivery: { bufferingInterval: Duration.seconds(0), bufferingSize: Size.mebibytes(16), compression: RawCompression.NONE },
      rawArchiveAfter: Duration.days(30),
    });
    expect(extendedS3(template).BufferingHints).toEqual({ IntervalInSeconds: 0, SizeInMBs: 16 });
    expect(extendedS3(template).CompressionFormat).toBe('UNCOMPRESSED');
    expect(extendedS3(template).FileExtension).toBe('.jsonl');
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }] })] } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', Threshold: 900 });
  });

  test('Parquet conversion reads a Glue table created from the schema', () => {
    const { template } = synth({ delivery: { parquet: true } });
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'freshet_stocks_ingest',
      TableInput: Match.objectLike({
        Name: 'stocks_records',
        StorageDescriptor: {
          Columns: [
            { Name: 'ticker_symbol', Type: 'string', Comment: 'Exchange ticker' },
            { Name: 'sector', Type: 'string', Comment: 'Industry sector' },
            { Name: 'change', Type: 'double', Comment: 'Price change since the previous tick' },
            { Name: 'price', Type: 'double', Comment: 'Price at the tick' },
          ],
        },
      }),
    });
    const s3Config = extendedS3(template);
    expect(s3Config.DataFormatConversionConfiguration).toMatchObject({
      Enabled: true,
      OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
      SchemaConfiguration: { DatabaseName: 'freshet_stocks_ingest', TableName: 'stocks_records', VersionId: 'LATEST' },
    });
    expect(s3Config.BufferingHints.SizeInMBs).toBe(64);
    expect(s3Config.CompressionFormat).toBe('UNCOMPRESSED');
    expect(s3Config.FileExtension).toBe('.parquet');
    expect(s3Config.ProcessingConfiguration).toBeUndefined();
  });

  test('the IoT source: a topic rule into the stream, with an S3 error action that keeps failed messages', () => {
    const { template, ingest } = synth({ iotSource: { topicFilter: 'freshet/stocks/+', where: 'price > 0' } });
    template.hasResourceProperties('AWS::IoT::TopicRule', {
      TopicRulePayload: Match.objectLike({
        Sql: "SELECT * FROM 'freshet/stocks/+' WHERE price > 0",
        AwsIotSqlVersion: '2016-03-23',
        Actions: [{ Kinesis: Match.objectLike({ PartitionKey: '${newuuid()}', StreamName: Match.anyValue() }) }],
        ErrorAction: { S3: Match.objectLike({ Key: 'rejected/iot/stocks/${parse_time("yyyy/MM/dd", timestamp())}/${newuuid()}.json' }) },
      }),
    });
    expect(ingest.iotSource?.errorPrefix).toBe('rejected/iot/stocks/');
  });

  test('the CSV source: landing bucket events start the ingest function, with its settings, DLQ and alarms', () => {
    const { template, ingest } = synth({ csvUploadSource: { maxFileSize: Size.mebibytes(10), prefix: 'in/' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      MemorySize: 512,
      Timeout: 600,
      ReservedConcurrentExecutions: 4,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          SCHEMA: JSON.stringify(stocksSchema().toSpec()),
          STREAM_NAME: Match.anyValue(),
          LAKE_BUCKET: Match.anyValue(),
          MAX_FILE_BYTES: String(10 * 1024 * 1024),
        },
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        LambdaFunctionConfigurations: [Match.objectLike({
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'in/' }] } },
        })],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1209600 });
    expect(ingest.alarms.alarms.map((a) => a.node.id)).toEqual([
      'IteratorAge', 'WriteThroughputExceeded', 'DeliveryFreshness', 'IngestErrors', 'DeadLetterQueueDepth', 'RejectedRows', 'RejectedFiles',
    ]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Freshet/Ingest', MetricName: 'RowsRejected', Dimensions: [{ Name: 'Dataset', Value: 'stocks' }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Freshet/Ingest', MetricName: 'FilesRejected' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' });
    expect(ingest.carriesAggregatedRecords).toBe(true);
  });

  test('the ingest role reads uploads and writes only the rejected and state prefixes', () => {
    const { template } = synth({ csvUploadSource: {} });
    const statements = policyStatements(template, 'IngestCsvUploadRoleDefaultPolicy');
    const resourcesOf = (action: string) => JSON.stringify(statements.filter((s) => [s.Action].flat().includes(action)).map((s) => s.Resource));
    expect(resourcesOf('s3:PutObject')).toMatch(/rejected\/ingest\/stocks\/\*.*_freshet\/ingest-state\/stocks\/\*/);
    expect(resourcesOf('s3:DeleteObject')).toContain('/uploads/*');
    expect(resourcesOf('s3:DeleteObject')).not.toContain('rejected');
    expect(statements.find((s) => [s.Action].flat().includes('kinesis:PutRecords'))).toBeDefined();
    expect(statements.some((s) => [s.Action].flat().includes('kinesis:PutRecord'))).toBe(false);
  });

  test('alarm thresholds and their switches are props; alarm notifications go to the given topic', () => {
    const { template, ingest } = synth({
      csvUploadSource: {},
      alarms: { rejectedRows: { threshold: 100, evaluationPeriods: 3, datapointsToAlarm: 2 }, iteratorAge: { enabled: false }, alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:oncall' },
    });
    expect(ingest.alarms.alarms.map((a) => a.node.id)).not.toContain('IteratorAge');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RowsRejected', Threshold: 100, EvaluationPeriods: 3, DatapointsToAlarm: 2, AlarmActions: ['arn:aws:sns:us-east-1:123456789012:oncall'],
    });
  });

  test('grantWrite lets another producer put records and use the stream key', () => {
    const stack = testStack();
    const ingest = new StreamingIngest(stack, 'Ingest', { schema: stocksSchema() });
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.AccountRootPrincipal() });
    ingest.grantWrite(producer);
    const statements = policyStatements(Template.fromStack(stack), 'ProducerDefaultPolicy');
    expect(statements.flatMap((s) => [s.Action].flat())).toEqual(expect.arrayContaining(['kinesis:PutRecord', 'kinesis:PutRecords', 'kms:GenerateDataKey*']));
  });

  test('removalPolicy DESTROY needs the context switch; without it data stores are retained', () => {
    const retained = synth({ removalPolicy: RemovalPolicy.DESTROY }).template;
    retained.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Retain' });
    const app = new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: true } });
    const stack = new Stack(app, 'Sandbox', { env: { account: '123456789012', region: 'us-east-1' } });
    synth({ removalPolicy: RemovalPolicy.DESTROY }, stack).template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });
});

describe('StreamingIngest validation says what to change', () => {
  test.each([
    [{ streamOptions: { onDemand: true, shardCount: 2 } }, 'streamOptions.shardCount does not apply to an on-demand stream: remove shardCount or set onDemand to false.'],
    [{ streamOptions: { shardCount: 0 } }, 'streamOptions.shardCount must be a whole number of at least 1, got 0.'],
    [{ streamOptions: { retentionPeriod: Duration.hours(2) } }, 'streamOptions.retentionPeriod must be between 24 hours and 365 days, got 2 hours.'],
    [{ delivery: { bufferingInterval: Duration.seconds(901) } }, 'delivery.bufferingInterval must be between 0 and 900 seconds, got 901.'],
    [{ delivery: { parquet: true, bufferingSize: Size.mebibytes(5) } }, 'delivery.bufferingSize must be at least 64 MiB with Parquet conversion, got 5 MiB: raise it or turn parquet off.'],
    [{ delivery: { parquet: true, compression: RawCompression.GZIP } }, 'delivery.compression does not apply with Parquet'],
    [{ csvUploadSource: { maxFileSize: Size.gibibytes(6) } }, 'csvUploadSource.maxFileSize must be between 1 byte and 5 GiB'],
    [{ csvUploadSource: { prefix: '/uploads' } }, "csvUploadSource.prefix must be a key prefix like 'uploads/' (no leading slash, a trailing one), got '/uploads'."],
    [{ csvUploadSource: { reservedConcurrency: 0 } }, 'csvUploadSource.reservedConcurrency must be a whole number of at least 1, got 0.'],
    [{ iotSource: { topicFilter: '$aws/things' } }, "iotSource.topicFilter '$aws/things' is not a usable MQTT topic filter"],
  ] as Array<[Partial<StreamingIngestProps>, string]>)('%j', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('existingStream with streamOptions, and rawArchiveAfter on your own bucket, are errors', () => {
    const stack = testStack();
    const stream = new kinesis.Stream(stack, 'Mine');
    expect(() => synth({ existingStream: stream, streamOptions: { shardCount: 2 } }, stack)).toThrow('Pass either existingStream or streamOptions, not both');
    const bucket = s3.Bucket.fromBucketName(stack, 'Lake', 'lake');
    expect(() => synth({ existingLakeBucket: bucket, rawArchiveAfter: Duration.days(30) }, testStack())).toThrow('rawArchiveAfter applies only to a lake bucket the construct creates');
  });
});
