import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { SecureKey } from '../secure-defaults/secure-key';

/**
 * The SNS topic a construct's alarms notify when the user passes none:
 * encrypted with a customer managed key, TLS only, and publishable by
 * CloudWatch alarms of this account and region only. It has no subscription;
 * subscribe the on-call channel to it (or pass your own topic).
 */
export class AlarmTopic extends sns.Topic {
  /** The key that encrypts the topic's messages. */
  public readonly encryptionKey: SecureKey;

  constructor(scope: Construct, id: string) {
    // CloudWatch cannot publish to a topic under the AWS managed alias/aws/sns
    // key (its policy cannot grant the service), hence a customer managed key.
    const encryptionKey = new SecureKey(scope, `${id}Key`, { description: `Encrypts the alarm notifications of ${scope.node.path}` });
    super(scope, id, { masterKey: encryptionKey, enforceSSL: true, displayName: `Freshet alarms of ${scope.node.path}`.slice(0, 100) });
    this.encryptionKey = encryptionKey;
    this.grantCloudWatchAlarms();
  }

  /**
   * Lets CloudWatch publish on behalf of this account's alarms in this region,
   * and no others (aws:SourceAccount and aws:SourceArn guard against a
   * confused deputy): sns:Publish on the topic, and the key use it needs.
   */
  private grantCloudWatchAlarms(): void {
    const stack = Stack.of(this);
    const principal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const conditions = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
    };
    this.addToResourcePolicy(
      new iam.PolicyStatement({ sid: 'AllowCloudWatchAlarmsOfThisAccount', principals: [principal], actions: ['sns:Publish'], resources: [this.topicArn], conditions }),
    );
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [principal],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions,
      }),
    );
  }
}
