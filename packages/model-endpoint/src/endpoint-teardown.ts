import { CheckovSkips, NagAcknowledgements, SecureLogGroup, WildcardPermissions, WorkflowNames } from '@freshet/core';
import { CustomResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { EndpointTeardownFunction } from './handlers/endpoint-teardown-function';

/** Properties of an {@link EndpointTeardown}. */
export interface EndpointTeardownProps {
  /** The endpoint the retraining workflow creates. */
  readonly endpointName: string;
  /** The endpoint's ARN (lower-cased name). */
  readonly endpointArn: string;
  /** The workflow's name prefix: its endpoint configs and models are deleted with the endpoint. */
  readonly workflowNamePrefix: string;
  /** A key CloudWatch Logs may use, for the function's log group. */
  readonly encryptionKey: kms.IKey;
  /**
   * Removal policy of the log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The stack's hold on an endpoint that CloudFormation does not create: a
 * custom resource whose deletion deletes the endpoint (and the workflow's
 * endpoint config and models it runs), so tearing the stack down never
 * leaves an endpoint billing.
 */
export class EndpointTeardown extends Construct {
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** The function CloudFormation invokes. */
  public readonly function: lambda.Function;
  /** The function's role: describe and delete this endpoint, and the workflow's configs and models. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: EndpointTeardownProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new SecureLogGroup(this, 'Logs', { encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Deletes endpoint ${props.endpointName} when its stack is deleted`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'DeleteEndpoint',
      actions: ['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'],
      resources: [props.endpointArn],
    }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'DeleteWorkflowConfig',
      actions: ['sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpointConfig'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: `${WorkflowNames.endpointConfigPrefix(props.workflowNamePrefix)}*` })],
    }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'DeleteWorkflowModels',
      actions: ['sagemaker:DeleteModel'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'model', resourceName: `${WorkflowNames.modelPrefix(props.workflowNamePrefix)}*` })],
    }));

    this.function = new EndpointTeardownFunction(this, 'Function', {
      description: `Deletes endpoint ${props.endpointName} (created by the retraining workflow) on stack deletion`,
      role: this.role,
      logGroup,
      memorySize: 256,
      timeout: Duration.minutes(2),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::EndpointTeardown',
      properties: { EndpointName: props.endpointName, WorkflowNamePrefix: props.workflowNamePrefix },
    });
    this.acknowledgeFindings(props.workflowNamePrefix);
  }

  private acknowledgeFindings(prefix: string): void {
    WildcardPermissions.acknowledgeRolePolicy(this.role, {
      reason: 'The workflow names each endpoint config and model per run (<prefix>-config-<hash>, <prefix>-model-<hash>), so they are matched by that prefix. '
        + 'Compensating control: only Describe and Delete actions, on this one endpoint and the workflow\'s own names.',
      allowedFindings: [
        `Resource::arn:<AWS::Partition>:sagemaker:*:endpoint-config/${WorkflowNames.endpointConfigPrefix(prefix)}*`,
        `Resource::arn:<AWS::Partition>:sagemaker:*:model/${WorkflowNames.modelPrefix(prefix)}*`,
      ],
    });
    NagAcknowledgements.add(this.function, [
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The function calls only the SageMaker API over TLS, signed with its role, and holds no data. '
          + 'Compensating control: a role limited to describing and deleting this endpoint and the workflow\'s configs and models.',
      },
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason: 'CloudFormation invokes the function synchronously and waits for its answer on the response URL, so no event is lost. '
          + 'Compensating control: a failed teardown fails the stack deletion, naming the endpoint.',
      },
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: 'CloudFormation invokes it once per stack create, update or delete. Compensating control: no other principal may invoke it.',
      },
    ]);
    CheckovSkips.add(this.function, [
      { id: 'CKV_AWS_115', comment: 'CloudFormation invokes it once per stack operation, so its concurrency is bounded by the stack; nothing else invokes it.' },
      { id: 'CKV_AWS_116', comment: 'CloudFormation invokes it synchronously and waits on the response URL; a failure fails the stack operation, naming the endpoint.' },
      { id: 'CKV_AWS_117', comment: 'It calls only the SageMaker API over TLS, signed with a role limited to this endpoint and the workflow names; no VPC resource to reach.' },
    ]);
  }
}
