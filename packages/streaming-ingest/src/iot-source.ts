import { WildcardPermissions } from '@freshet/core';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IotSourceOptions } from './streaming-ingest-props';

/** Properties of {@link IotSource}. */
export interface IotSourceProps extends IotSourceOptions {
  /** The dataset name, for the rule name and the error prefix. */
  readonly dataset: string;
  /** The stream messages go to. */
  readonly stream: kinesis.IStream;
  /** The lake bucket that keeps messages the rule fails to deliver. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake bucket's key.
   * @default - the bucket is not KMS-encrypted
   */
  readonly lakeKey?: kms.IKey;
}

/**
 * An IoT Core topic rule that puts each device message into the stream as one
 * record (a random partition key spreads devices across shards). A message
 * the rule cannot put is written whole to `rejected/iot/<dataset>/` by the
 * rule's error action, so a throttled stream loses nothing.
 */
export class IotSource extends Construct {
  /** The topic rule. */
  public readonly topicRule: iot.CfnTopicRule;
  /** The role the rule's actions assume. */
  public readonly role: iam.Role;
  /** `rejected/iot/<dataset>/`. */
  public readonly errorPrefix: string;

  constructor(scope: Construct, id: string, props: IotSourceProps) {
    super(scope, id);
    if (!props.topicFilter || /\s/.test(props.topicFilter) || props.topicFilter.startsWith('$')) {
      throw new Error(`iotSource.topicFilter '${props.topicFilter}' is not a usable MQTT topic filter: give one without spaces that does not start with '$', e.g. 'freshet/${props.dataset}/+'.`);
    }
    if (props.topicFilter.includes("'")) {
      throw new Error("iotSource.topicFilter must not contain a single quote: it is quoted inside the rule's SQL.");
    }
    this.errorPrefix = `rejected/iot/${props.dataset}/`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('iot.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `IoT rule of ${props.dataset}: puts messages into the stream, failed ones into ${this.errorPrefix}`,
    });
    props.stream.grant(this.role, 'kinesis:PutRecord');
    props.stream.encryptionKey?.grant(this.role, 'kms:GenerateDataKey');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      resources: [props.lakeBucket.arnForObjects(`${this.errorPrefix}*`)],
    }));
    props.lakeKey?.grant(this.role, 'kms:GenerateDataKey');

    WildcardPermissions.acknowledgeRolePolicy(this.role, {
      reason: `The rule's error action names each failed message's object under ${this.errorPrefix}. `
        + 'Compensating control: the role can only put records into this stream and objects under that prefix.',
      allowedFindings: [`Resource::<*>/${this.errorPrefix}*`],
    });

    const where = props.where ? ` WHERE ${props.where}` : '';
    this.topicRule = new iot.CfnTopicRule(this, 'Rule', {
      topicRulePayload: {
        description: `Device messages of ${props.dataset} into the ingest stream`,
        sql: `SELECT ${props.select ?? '*'} FROM '${props.topicFilter}'${where}`,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [{ kinesis: { streamName: props.stream.streamName, partitionKey: '${newuuid()}', roleArn: this.role.roleArn } }],
        errorAction: {
          s3: {
            bucketName: props.lakeBucket.bucketName,
            key: `${this.errorPrefix}\${parse_time("yyyy/MM/dd", timestamp())}/\${newuuid()}.json`,
            roleArn: this.role.roleArn,
          },
        },
      },
    });
  }
}
