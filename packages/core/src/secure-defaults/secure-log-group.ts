import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DataRemovalPolicy } from './data-removal-policy';

/** Properties of a {@link SecureLogGroup}. */
export interface SecureLogGroupProps {
  /**
   * How long log events are kept.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly retention?: logs.RetentionDays;
  /**
   * The key that encrypts the log events. Its policy must let CloudWatch Logs
   * use it: `SecureKey.grantCloudWatchLogs()` does that.
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The log group name.
   * @default - a generated name
   */
  readonly logGroupName?: string;
  /**
   * The removal policy; DESTROY is honoured only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** A log group with a retention period, retained by default, optionally KMS-encrypted. */
export class SecureLogGroup extends logs.LogGroup {
  constructor(scope: Construct, id: string, props: SecureLogGroupProps = {}) {
    super(scope, id, {
      retention: props.retention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: props.encryptionKey,
      logGroupName: props.logGroupName,
      removalPolicy: DataRemovalPolicy.of(scope, props.removalPolicy),
    });
  }
}
