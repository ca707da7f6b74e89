import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { DataRemovalPolicy } from './data-removal-policy';

/** Properties of a {@link SecureKey}. */
export interface SecureKeyProps {
  /** What the key protects, shown in the KMS console. */
  readonly description: string;
  /**
   * The removal policy; DESTROY is honoured only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer managed KMS key with yearly rotation, retained by default, so data
 * it encrypted stays readable after its stack is gone. A destroyed key waits
 * the longest allowed window (30 days) before deletion.
 */
export class SecureKey extends kms.Key {
  private logsGranted = false;

  constructor(scope: Construct, id: string, props: SecureKeyProps) {
    super(scope, id, {
      description: props.description,
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: DataRemovalPolicy.of(scope, props.removalPolicy),
    });
  }

  /**
   * Lets CloudWatch Logs in this stack's region use the key for log groups of
   * this account, and no others (the encryption context pins the account).
   * Once per key: constructs that share a key may each call it.
   */
  public grantCloudWatchLogs(): void {
    if (this.logsGranted) return;
    this.logsGranted = true;
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
  }
}
