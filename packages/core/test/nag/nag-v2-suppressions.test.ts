import { nagV2Errors, testStack } from '@freshet/test-utils';
import { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagAcknowledgements, NagV2Suppressions, SecureBucket, WildcardPermissions } from '../../src';

const reason = 'Objects under one prefix of one bucket only; the bucket policy denies plain HTTP.';

/** A role granted objects under one prefix: an IAM5 wildcard finding on its default policy. */
function prefixReader(stack: ReturnType<typeof testStack>): iam.Role {
  const bucket = new s3.Bucket(stack, 'Data');
  const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  bucket.grantRead(role, 'raw/*');
  return role;
}

describe('cdk-nag 2 honours the acknowledgements', () => {
  test('an acknowledged rule is suppressed on that resource only, as cdk-nag 2 reads it', () => {
    const stack = testStack();
    const acknowledged = new sqs.Queue(stack, 'Acknowledged', { encryption: sqs.QueueEncryption.KMS_MANAGED, enforceSSL: true });
    new sqs.Queue(stack, 'Other', { encryption: sqs.QueueEncryption.KMS_MANAGED, enforceSSL: true });
    NagAcknowledgements.add(acknowledged, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue; its depth alarm is the compensating control.' },
    ]);

    const sqs3 = nagV2Errors(stack).filter((f) => f.ruleId === 'AwsSolutions-SQS3');
    expect(sqs3.map((f) => f.path)).toEqual(['/Test/Other/Resource']);
    Template.fromStack(stack).hasResource('AWS::SQS::Queue', {
      Metadata: { cdk_nag: { rules_to_suppress: [{ id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue; its depth alarm is the compensating control.' }] } },
    });
  });

  test('granular wildcard findings become applies_to entries of AwsSolutions-IAM5, and only the allowed ones', () => {
    const unacknowledged = testStack();
    prefixReader(unacknowledged);
    const before = nagV2Errors(unacknowledged).filter((f) => f.ruleId === 'AwsSolutions-IAM5');
    expect(before.map((f) => f.description)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^AwsSolutions-IAM5\[Action::s3:GetObject\*\]:/),
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::<Data.*\.Arn>\/raw\/\*\]:/),
    ]));

    const stack = testStack();
    const role = prefixReader(stack);
    WildcardPermissions.acknowledgeRolePolicy(role, { reason, allowedFindings: ['Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Resource::<Data*.Arn>/raw/*'] });
    expect(nagV2Errors(stack).filter((f) => f.ruleId === 'AwsSolutions-IAM5')).toEqual([]);
    const policy = role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    const rules = policy.getMetadata('cdk_nag').rules_to_suppress;
    const iam5 = rules.find((rule: any) => rule.id === 'AwsSolutions-IAM5');
    expect(iam5.applies_to).toEqual(expect.arrayContaining(['Action::s3:GetObject*', 'Action::s3:List*']));
    expect(rules.find((rule: any) => rule.id === 'NIST.800.53.R5-IAMNoInlinePolicy')).toBeDefined();
  });

  test('a wildcard outside the allowed findings stays an error under cdk-nag 2', () => {
    const stack = testStack();
    const role = prefixReader(stack);
    WildcardPermissions.acknowledgeRolePolicy(role, { reason, allowedFindings: ['Action::s3:GetObject*'] });
    const left = nagV2Errors(stack).filter((f) => f.ruleId === 'AwsSolutions-IAM5').map((f) => f.description);
    expect(left.length).toBeGreaterThan(0);
    expect(left.filter((d) => d.startsWith('AwsSolutions-IAM5[Action::s3:GetObject*]'))).toEqual([]);
    expect(left.filter((d) => d.startsWith('AwsSolutions-IAM5[Action::s3:List*]'))).toHaveLength(1);
  });

  test('SecureBucket synthesizes with no cdk-nag 2 error', () => {
    const stack = testStack();
    new SecureBucket(stack, 'Lake');
    expect(nagV2Errors(stack).map((f) => `${f.ruleId} ${f.path}`)).toEqual([]);
  });

  test('writing merges findings of one rule and reason, and keeps other rules', () => {
    const stack = testStack();
    const queue = new sqs.CfnQueue(stack, 'Queue');
    NagV2Suppressions.write(queue, [{ id: 'AwsSolutions-IAM5[Action::s3:*]', reason }, { id: 'AwsSolutions-SQS4', reason }]);
    NagV2Suppressions.write(queue, [{ id: 'AwsSolutions-IAM5[Resource::*]', reason }, { id: 'AwsSolutions-IAM5[Action::s3:*]', reason }]);
    expect(queue.getMetadata('cdk_nag').rules_to_suppress).toEqual([
      { id: 'AwsSolutions-IAM5', reason, applies_to: ['Action::s3:*', 'Resource::*'] },
      { id: 'AwsSolutions-SQS4', reason },
    ]);
    expect(NagV2Suppressions.split('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/x]')).toEqual({
      ruleId: 'AwsSolutions-IAM4',
      finding: 'Policy::arn:<AWS::Partition>:iam::aws:policy/x',
    });
  });
});
