import { WildcardPermissions } from '@freshet/core';
import { ModelEndpoint } from '@freshet/model-endpoint';
import { CsvUploadSource } from '@freshet/streaming-ingest';
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { SmokeTestRunner } from './ml-platform-stage-props';

/** Properties of {@link SmokeTestRole}. */
export interface SmokeTestRoleProps {
  /** The role's name, so the pipeline's smoke-test project can name it before it exists. */
  readonly roleName: string;
  /** The pipeline role that may assume this one. */
  readonly runner: SmokeTestRunner;
  /** The endpoints whose `POST /predict` the tests call. */
  readonly endpoints: ModelEndpoint[];
  /** The CSV upload source the tests upload a sample to. */
  readonly uploads: CsvUploadSource;
  /** The stream the uploaded rows must reach. */
  readonly stream: kinesis.IStream;
  /** The alarms (by name prefix) the tests read. */
  readonly alarmNamePrefixes: string[];
}

/**
 * The role the post-deployment smoke tests assume in the stage's account:
 * `execute-api:Invoke` on each `POST /predict`, a put under the upload prefix's
 * `smoke-tests/` folder, reading the stocks stream, and reading the named alarms.
 * Only the pipeline's smoke-test project may assume it.
 */
export class SmokeTestRole extends Construct {
  public readonly role: iam.Role;
  /** The role's name. */
  public readonly roleName: string;

  constructor(scope: Construct, id: string, props: SmokeTestRoleProps) {
    super(scope, id);
    this.roleName = props.roleName;
    const stack = Stack.of(this);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'Assumed by the pipeline\'s post-deployment smoke tests',
      // The account principal plus the exact role ARN: IAM needs no such role to exist when this deploys.
      assumedBy: new iam.AccountPrincipal(props.runner.account).withConditions({
        ArnEquals: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::${props.runner.account}:role/${props.runner.roleName}` },
      }),
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'InvokePredict',
      actions: ['execute-api:Invoke'],
      resources: props.endpoints.map((e) => e.api.restApi.arnForExecuteApi('POST', '/predict', e.api.restApi.deploymentStage.stageName)),
    }));
    const uploads = props.uploads;
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'UploadSample',
      actions: ['s3:PutObject'],
      resources: [uploads.landingBucket.arnForObjects(`${uploads.prefix}smoke-tests/*`)],
    }));
    uploads.landingBucket.encryptionKey?.grant(this.role, 'kms:GenerateDataKey');
    // Reading from iterators it takes itself: no consumers, no stream listing.
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadStream',
      actions: ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'],
      resources: [props.stream.streamArn],
    }));
    props.stream.encryptionKey?.grantDecrypt(this.role);
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: props.alarmNamePrefixes.map((prefix) => `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${prefix}*`),
    }));
    WildcardPermissions.acknowledgeRolePolicy(this.role, {
      reason: 'Each smoke run uploads a new object it names itself, and reads the alarms of the ingest, ETL and retraining constructs by name prefix. '
        + 'Compensating control: the put is limited to the smoke-tests folder of the upload prefix, DescribeAlarms to this stage\'s named prefixes, '
        + 'and only the pipeline\'s smoke-test project can assume the role.',
      allowedFindings: [
        `Resource::*/${uploads.prefix}smoke-tests/*`,
        ...props.alarmNamePrefixes.map((prefix) => `Resource::arn:<AWS::Partition>:cloudwatch:*:alarm:${prefix}*`),
      ],
    });
  }
}
