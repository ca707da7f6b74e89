import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { DataRemovalPolicy } from './data-removal-policy';
import { SecureBucketProps } from './secure-bucket-props';
import { SecureKey } from './secure-key';
import { CheckovSkips } from '../nag/checkov-skip';
import { NagAcknowledgements } from '../nag/nag-acknowledgement';

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
    // Access log delivery through a bucket policy rather than legacy ACLs, so
    // the logs bucket can enforce bucket-owner object ownership.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
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
      NagAcknowledgements.add(logsBucket, [{
        id: 'AwsSolutions-S1',
        reason: `${reason}; logging it would recurse. Compensating control: TLS-only policy, versioning and CloudTrail management events.`,
      }]);
      NagAcknowledgements.add(logsBucket, [{
        id: 'NIST.800.53.R5-S3BucketLoggingEnabled',
        reason: `${reason}; logging it would recurse. Compensating control: TLS-only policy, versioning and CloudTrail management events.`,
      }]);
      NagAcknowledgements.add(logsBucket, [{
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason: `${reason}, which are an audit copy already. Compensating control: versioning, RETAIN on delete and a TLS-only policy.`,
      }]);
      NagAcknowledgements.add(logsBucket, [{
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason: `${reason}, and S3 cannot deliver access logs to an SSE-KMS bucket. Compensating control: SSE-S3 encryption at rest and a TLS-only policy.`,
      }]);
      CheckovSkips.add(logsBucket, [{
        id: 'CKV_AWS_18',
        comment: 'This is the access-log bucket itself: logging it would log its own log deliveries. Compensating control: versioning, RETAIN and a TLS-only policy.',
      }]);
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
      replicationRules: props.replicationRules,
      eventBridgeEnabled: props.eventBridgeEnabled,
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    const replicationRole = this.bucket.node.tryFindChild('ReplicationRole');
    if (replicationRole) {
      this.acknowledgeReplicationRole(replicationRole, props.replicationRules ?? []);
    }
    if (!props.replicationRules || props.replicationRules.length === 0) {
      NagAcknowledgements.add(this.bucket, [{
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason:
          'Replication is opt-in (replicationRules) because it needs a destination bucket in another region. ' +
          'Compensating control: versioning, RETAIN on stack deletion, and a retained KMS key protect the data in place.',
      }]);
    }
  }

  /**
   * CDK's replication role reads and writes every object version of this
   * bucket and its replicas, so its object ARNs end in /* and its KMS grant
   * uses wildcard actions. cdk-nag reports each as its own finding.
   */
  private acknowledgeReplicationRole(role: IConstruct, rules: s3.ReplicationRule[]): void {
    const stack = Stack.of(this);
    const objectFinding = (bucket: s3.IBucket) => {
      const cfn = bucket.node.defaultChild;
      return cfn instanceof s3.CfnBucket && Stack.of(cfn) === stack
        ? [`AwsSolutions-IAM5[Resource::<${stack.resolve(stack.getLogicalId(cfn))}.Arn>/*]`]
        : [];
    };
    const findings = [
      ...objectFinding(this.bucket),
      ...rules.flatMap((rule) => objectFinding(rule.destination)),
      'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
      'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    ];
    const control = 'Compensating control: every statement is limited to this bucket, its replicas and their keys, and only S3 can assume the role.';
    NagAcknowledgements.add(role, [
      ...findings.map((id) => ({ id, reason: `S3 replication must act on every object version and re-encrypt it. ${control}` })),
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: `The replication role and its inline policy belong to this bucket alone. ${control}` },
    ]);
  }
}
