import { AlarmDefinition, NagAcknowledgements, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ApiCaptureProps } from './api-capture-props';
import { CAPTURE_DROPPED_METRIC, PROXY_METRIC_NAMESPACE } from './handlers/predict-proxy/proxy-metrics';

/**
 * Capture at the prediction API: the proxy writes one SageMaker data-capture
 * line per request to its log; a subscription filter sends the lines to a
 * Firehose stream that decompresses them, extracts each message (Firehose's
 * own CloudWatch Logs processing, no Lambda) and partitions them by variant
 * and hour into `capture/<endpoint>/<variant>/yyyy/mm/dd/hh/` with the lake's key.
 *
 * Nothing is lost silently: records the proxy cannot write are counted
 * (CaptureDropped), records Firehose cannot partition go to
 * `rejected/capture/<endpoint>/` and fail `DeliveryToS3.Success`, and the
 * subscription's delivery errors are counted by CloudWatch Logs; each has an alarm.
 */
export class ApiCapture extends Construct {
  /** Selects the proxy's capture lines; its other log lines (errors, EMF metrics) stay out of the lake. */
  public static readonly FILTER_PATTERN = '{ $.captureData.endpointInput.mode = "INPUT" }';

  /**
   * The partition keys of a capture line (jq 1.6): the variant that served it and the UTC hour of its
   * inferenceTime, so a record lands in the folder of the hour it was served, as SageMaker's do.
   */
  public static readonly PARTITION_QUERY = '{variant: .invokedProductionVariant, year: .eventMetadata.inferenceTime[0:4], '
    + 'month: .eventMetadata.inferenceTime[5:7], day: .eventMetadata.inferenceTime[8:10], hour: .eventMetadata.inferenceTime[11:13]}';

  /** The delivery stream. */
  public readonly deliveryStream: firehose.CfnDeliveryStream;
  /** The role Firehose assumes to write the lake. */
  public readonly deliveryRole: iam.Role;
  /** The role CloudWatch Logs assumes to put the lines into the stream. */
  public readonly subscriptionRole: iam.Role;
  /** The subscription filter on the proxy's log group. */
  public readonly subscriptionFilter: logs.CfnSubscriptionFilter;
  /** Firehose's error log group. */
  public readonly errorLogGroup: SecureLogGroup;
  /** `capture/<endpoint>/`. */
  public readonly capturePrefix: string;
  /** `rejected/capture/<endpoint>/`: records Firehose could not partition or deliver, with the reason. */
  public readonly errorPrefix: string;
  /** The S3 URI the records land under, as SageMaker's `DestinationS3Uri` (the endpoint's folder is below it). */
  public readonly destinationS3Uri: string;
  /** The buffering interval in effect. */
  public readonly bufferingInterval: Duration;
  /** The alarms on dropped and undelivered records. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ApiCaptureProps) {
    super(scope, id);
    const root = props.capturePrefix ?? 'capture/';
    this.capturePrefix = `${root}${props.endpointName}/`;
    this.errorPrefix = `rejected/capture/${props.endpointName}/`;
    this.destinationS3Uri = `s3://${props.bucket.bucketName}/${root.replace(/\/$/, '')}`;
    this.bufferingInterval = props.bufferingInterval ?? Duration.minutes(5);
    const seconds = this.bufferingInterval.toSeconds();
    if (seconds < 60 || seconds > 900) {
      throw new Error(`ApiCapture ${this.node.path}: bufferingInterval is ${this.bufferingInterval.toHumanString()}; give 60 to 900 seconds (Firehose's range with dynamic partitioning).`);
    }

    this.errorLogGroup = new SecureLogGroup(this, 'ErrorLogs', { encryptionKey: props.streamKey, removalPolicy: props.removalPolicy });
    const errorStream = new logs.LogStream(this, 'S3Delivery', { logGroup: this.errorLogGroup, removalPolicy: RemovalPolicy.RETAIN });
    this.deliveryRole = this.createDeliveryRole(props);
    this.deliveryStream = this.createDeliveryStream(props, errorStream);
    this.subscriptionRole = this.createSubscriptionRole();
    this.subscriptionFilter = new logs.CfnSubscriptionFilter(this, 'Subscription', {
      logGroupName: props.proxyLogGroup.logGroupName,
      destinationArn: this.deliveryStream.attrArn,
      roleArn: this.subscriptionRole.roleArn,
      filterPattern: ApiCapture.FILTER_PATTERN,
    });
    // CloudWatch Logs tests its role on the stream when the filter is created.
    this.subscriptionFilter.node.addDependency(this.subscriptionRole.node.findChild('DefaultPolicy'));
    this.createAlarms(props);
    this.acknowledgeFindings();
  }

  private createDeliveryRole(props: ApiCaptureProps): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'DeliveryRole', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Firehose delivery of ${props.endpointName}'s API capture to ${this.capturePrefix}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [props.bucket.arnForObjects(`${this.capturePrefix}*`), props.bucket.arnForObjects(`${this.errorPrefix}*`)],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [props.bucket.bucketArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [props.objectKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` },
        // With an S3 Bucket Key S3 asks KMS with the bucket's ARN as context; the s3:PutObject grant still limits the prefixes.
        StringLike: {
          'kms:EncryptionContext:aws:s3:arn': [
            props.bucket.bucketArn,
            props.bucket.arnForObjects(`${this.capturePrefix}*`),
            props.bucket.arnForObjects(`${this.errorPrefix}*`),
          ],
        },
      },
    }));
    this.errorLogGroup.grantWrite(role);
    return role;
  }

  private createDeliveryStream(props: ApiCaptureProps, errorStream: logs.LogStream): firehose.CfnDeliveryStream {
    const key = (name: string) => `!{partitionKeyFromQuery:${name}}`;
    const stream = new firehose.CfnDeliveryStream(this, 'DeliveryStream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'CUSTOMER_MANAGED_CMK', keyArn: props.streamKey.keyArn },
      extendedS3DestinationConfiguration: {
        bucketArn: props.bucket.bucketArn,
        roleArn: this.deliveryRole.roleArn,
        // SageMaker's own layout, so the drift job, model quality and the replay read it with no second reader.
        prefix: `${this.capturePrefix}${key('variant')}/${key('year')}/${key('month')}/${key('day')}/${key('hour')}/`,
        errorOutputPrefix: `${this.errorPrefix}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`,
        // Dynamic partitioning needs at least 64 MB; the interval decides at the seed's load.
        bufferingHints: { intervalInSeconds: this.bufferingInterval.toSeconds(), sizeInMBs: 64 },
        // Uncompressed JSON Lines, as SageMaker writes its capture.
        compressionFormat: 'UNCOMPRESSED',
        fileExtension: '.jsonl',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.objectKey.keyArn } },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: this.errorLogGroup.logGroupName, logStreamName: errorStream.logStreamName },
        dynamicPartitioningConfiguration: { enabled: true, retryOptions: { durationInSeconds: 300 } },
        processingConfiguration: {
          enabled: true,
          processors: [
            // CloudWatch Logs sends gzipped batches of log events: Firehose unzips them and keeps each event's message, the capture line.
            { type: 'Decompression', parameters: [{ parameterName: 'CompressionFormat', parameterValue: 'GZIP' }] },
            { type: 'CloudWatchLogProcessing', parameters: [{ parameterName: 'DataMessageExtraction', parameterValue: 'true' }] },
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: ApiCapture.PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
            { type: 'AppendDelimiterToRecord', parameters: [{ parameterName: 'Delimiter', parameterValue: '\\n' }] },
          ],
        },
      },
    });
    // Firehose checks its role's permissions when the stream is created.
    stream.node.addDependency(this.deliveryRole.node.findChild('DefaultPolicy'));
    return stream;
  }

  private createSubscriptionRole(): iam.Role {
    const stack = Stack.of(this);
    const role = new iam.Role(this, 'SubscriptionRole', {
      assumedBy: new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`, {
        conditions: { StringLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) } },
      }),
      description: 'Lets CloudWatch Logs put the predict proxy\'s capture lines into the capture delivery stream',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
      resources: [this.deliveryStream.attrArn],
    }));
    return role;
  }

  private createAlarms(props: ApiCaptureProps): void {
    const t = props.alarmThresholds ?? {};
    const period = Duration.minutes(5);
    const stream = { DeliveryStreamName: this.deliveryStream.ref };
    const add = (id: string, definition: AlarmDefinition) => {
      const alarm = props.alarms.addAlarm(id, definition);
      if (alarm) this.alarms.push(alarm);
    };
    add('CaptureDropped', {
      metric: new cloudwatch.Metric({
        namespace: PROXY_METRIC_NAMESPACE, metricName: CAPTURE_DROPPED_METRIC, dimensionsMap: { EndpointName: props.endpointName }, period, statistic: 'Sum',
      }),
      threshold: 0,
      description: `The predict proxy of ${props.endpointName} could not capture requests (too large for a log event, or its log failed): `
        + 'they were answered but are missing from the capture; the proxy log says why.',
      override: t.dropped,
    });
    add('CaptureDeliveryFailed', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.Success', dimensionsMap: stream, period, statistic: 'Minimum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: `Firehose failed to write ${props.endpointName}'s API capture to the lake: see its error log group and ${this.errorPrefix}.`,
    });
    add('CaptureDeliveryAge', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.DataFreshness', dimensionsMap: stream, period, statistic: 'Maximum' }),
      threshold: this.bufferingInterval.toSeconds() + 900,
      description: `${props.endpointName}'s API capture waits in Firehose longer than it should (seconds): S3 or KMS refuses it; Firehose keeps it for 24 hours.`,
      override: t.deliveryAgeSeconds,
    });
    add('CapturePartitionsExceeded', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/Firehose', metricName: 'PartitionCountExceeded', dimensionsMap: stream, period, statistic: 'Maximum' }),
      threshold: 0,
      description: `${props.endpointName}'s API capture has more active partitions than Firehose allows: records go to ${this.errorPrefix}.`,
    });
    add('CaptureSubscriptionErrors', {
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Logs',
        metricName: 'DeliveryErrors',
        dimensionsMap: { LogGroupName: props.proxyLogGroup.logGroupName, DestinationType: 'Firehose', FilterName: this.subscriptionFilter.ref },
        period,
        statistic: 'Sum',
      }),
      threshold: 0,
      description: `CloudWatch Logs failed to hand ${props.endpointName}'s capture lines to Firehose (it retries for 24 hours): check the subscription role and the stream.`,
    });
  }

  private acknowledgeFindings(): void {
    WildcardPermissions.acknowledgeRolePolicy(this.deliveryRole, {
      reason: `Firehose writes objects it names itself under ${this.capturePrefix} and ${this.errorPrefix}. `
        + 'Compensating control: the role reaches only those two prefixes, its own error log group, and the lake key through S3 for those prefixes.',
      // `*` before the prefix: the bucket ARN is a reference, or an import when the lake lives in another stack.
      allowedFindings: [`Resource::*/${this.capturePrefix}*`, `Resource::*/${this.errorPrefix}*`],
    });
    NagAcknowledgements.add(this.subscriptionRole.node.findChild('DefaultPolicy'), [{
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason: 'The policy belongs to this role alone and is generated from its one grant. Compensating control: only CloudWatch Logs of this account '
        + 'and region may assume the role, and it may only put records into this delivery stream.',
    }]);
  }
}
