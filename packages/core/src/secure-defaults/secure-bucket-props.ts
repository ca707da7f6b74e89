import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Properties of a {@link SecureBucket}. */
export interface SecureBucketProps {
  /**
   * The bucket name.
   * @default - a generated name
   */
  readonly bucketName?: string;
  /**
   * The key that encrypts objects (SSE-KMS with an S3 bucket key).
   * @default - a new {@link SecureKey}
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where S3 server access logs go.
   * @default - a new logs bucket, encrypted with SSE-S3 (S3 cannot deliver access logs to an SSE-KMS bucket)
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * The prefix of this bucket's access logs in the logs bucket.
   * @default 'access-logs/'
   */
  readonly serverAccessLogsPrefix?: string;
  /**
   * Lifecycle rules, e.g. moving raw data to Glacier.
   * @default - none
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * Replication rules, e.g. to a bucket in another region for disaster recovery.
   * @default - no replication; versioning and RETAIN protect the data in place
   */
  readonly replicationRules?: s3.ReplicationRule[];
  /**
   * Whether object events go to EventBridge.
   * @default false
   */
  readonly eventBridgeEnabled?: boolean;
  /**
   * The removal policy of the bucket, its key and its logs bucket. DESTROY is
   * honoured only when the app's context allows it, and then empties the buckets.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
