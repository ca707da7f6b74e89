import { Duration, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DataRemovalPolicy } from './data-removal-policy';
import { SecureBucketProps } from './secure-bucket-props';
import { SecureKey } from './secure-key';

/**
 * An S3 bucket with Freshet's defaults, which props cannot weaken: SSE-KMS with
 * a bucket key, TLS only, versioning, all public access blocked, objects owned
 * by the bucket owner, server access logs, and RETAIN unless the app allows
 * destroying data.
 */
export class SecureBucket extends Construct {
  /** The bucket. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the bucket's objects. */
  public readonly encryptionKey: kms.IKey;
  /** The bucket that receives this bucket's access logs. */
  public readonly serverAccessLogsBucket: s3.IBucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    const removalPolicy = DataRemovalPolicy.of(this, props.removalPolicy);
    const destroy = DataRemovalPolicy.isDestroy(this, props.removalPolicy);

    this.encryptionKey =
      props.encryptionKey ?? new SecureKey(this, 'Key', { description: `Encrypts ${this.node.path}`, removalPolicy: props.removalPolicy });

    if (props.serverAccessLogsBucket) {
      this.serverAccessLogsBucket = props.serverAccessLogsBucket;
    } else {
      const logsBucket = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ id: 'ExpireOldAccessLogVersions', noncurrentVersionExpiration: Duration.days(90) }],
        removalPolicy,
        autoDeleteObjects: destroy,
      });
      const reason = 'This bucket only receives S3 server access logs';
      Validations.of(logsBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason: `${reason}; logging it would recurse. Compensating control: TLS-only policy, versioning and CloudTrail management events.`,
      });
      Validations.of(logsBucket).acknowledge({
        id: 'NIST.800.53.R5-S3BucketLoggingEnabled',
        reason: `${reason}; logging it would recurse. Compensating control: TLS-only policy, versioning and CloudTrail management events.`,
      });
      Validations.of(logsBucket).acknowledge({
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason: `${reason}, and S3 cannot deliver access logs to an SSE-KMS bucket. Compensating control: SSE-S3 encryption at rest and a TLS-only policy.`,
      });
      this.serverAccessLogsBucket = logsBucket;
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? 'access-logs/',
      lifecycleRules: props.lifecycleRules,
      eventBridgeEnabled: props.eventBridgeEnabled,
      removalPolicy,
      autoDeleteObjects: destroy,
    });
  }
}
