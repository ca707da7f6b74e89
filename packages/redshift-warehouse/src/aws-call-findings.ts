import { CheckovSkips, NagAcknowledgements } from '@freshet/core';
import { Stack } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';

/** The singleton function aws-cdk-lib shares between every AwsCustomResource of a stack. */
const AWS_CALL_FUNCTION_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * Acknowledges the cdk-nag findings of an AwsCustomResource: on its own policy,
 * and on the stack's shared API call function and role that aws-cdk-lib builds.
 */
export class AwsCallFindings {
  /** Acknowledges the findings of one AwsCustomResource that manages `what`. */
  public static acknowledge(resource: cr.AwsCustomResource, what: string): void {
    const control = `Compensating control: the call manages ${what} only, runs only during deployments, and its policy names the API actions and resources it needs.`;
    const policy = resource.node.tryFindChild('CustomResourcePolicy');
    if (policy) {
      NagAcknowledgements.add(policy, [
        { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: `aws-cdk-lib attaches each API call's policy inline to the shared call role. ${control}` },
      ]);
    }
    const fn = Stack.of(resource).node.tryFindChild(AWS_CALL_FUNCTION_ID);
    if (!fn) return;
    NagAcknowledgements.add(fn, [
      { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: `aws-cdk-lib's API call function calls regional AWS APIs over TLS; it needs no VPC path. ${control}` },
      { id: 'NIST.800.53.R5-LambdaDLQ', reason: `CloudFormation invokes the function and rolls back on failure, so no event is lost. ${control}` },
      { id: 'NIST.800.53.R5-LambdaConcurrency', reason: `CloudFormation invokes the function once per resource change. ${control}` },
      { id: 'AwsSolutions-L1', reason: `aws-cdk-lib chooses the API call function's runtime and upgrades it with the library. ${control}` },
    ]);
    CheckovSkips.add(fn, [
      { id: 'CKV_AWS_115', comment: `CloudFormation invokes aws-cdk-lib's API call function once per resource change. ${control}` },
      { id: 'CKV_AWS_116', comment: `CloudFormation invokes the function synchronously and rolls back on failure; no event is lost. ${control}` },
      { id: 'CKV_AWS_117', comment: `The function calls regional AWS APIs over TLS with IAM auth; it needs no VPC path. ${control}` },
    ]);
    const role = fn.node.tryFindChild('ServiceRole');
    if (role) {
      NagAcknowledgements.add(role, [
        { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: `aws-cdk-lib gives the API call function the basic execution policy for its logs. ${control}` },
      ]);
    }
  }

  private constructor() {}
}
