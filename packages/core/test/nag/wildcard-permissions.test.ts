import { nagFindings, testStack } from '@freshet/test-utils';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { WildcardPermissions } from '../../src';

const reason = 'Objects under one prefix of one bucket only; the bucket policy denies plain HTTP.';

function wildcardFindings(stack: ReturnType<typeof testStack>): string[] {
  return nagFindings(stack)
    .filter((f) => f.ruleId.startsWith('AwsSolutions-IAM5'))
    .map((f) => f.ruleId)
    .sort();
}

describe('WildcardPermissions', () => {
  test('names findings as cdk-nag does, and acknowledges only the allowed ones, after every grant', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    const before = () => {
      const probe = testStack();
      const b = new s3.Bucket(probe, 'Bucket');
      const r = new iam.Role(probe, 'Role', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      b.grantRead(r, 'raw/*');
      r.addToPolicy(new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: ['*'] }));
      return wildcardFindings(probe);
    };
    expect(before()).toEqual([
      'AwsSolutions-IAM5[Action::s3:GetBucket*]',
      'AwsSolutions-IAM5[Action::s3:GetObject*]',
      'AwsSolutions-IAM5[Action::s3:List*]',
      'AwsSolutions-IAM5[Resource::*]',
      'AwsSolutions-IAM5[Resource::<Bucket83908E77.Arn>/raw/*]',
    ]);

    WildcardPermissions.acknowledge(role, { reason, allowedFindings: ['Action::s3:*', 'Resource::*/raw/*'] });
    // Grants added after the acknowledgement still count: the findings are computed at synthesis.
    bucket.grantRead(role, 'raw/*');
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: ['*'] }));
    expect(wildcardFindings(stack)).toEqual(['AwsSolutions-IAM5[Resource::*]']);
  });

  test('a bucket in another stack: the finding names the import, and the acknowledgement follows it', () => {
    const app = new App();
    const env = { account: '123456789012', region: 'us-east-1' };
    const lakeStack = new Stack(app, 'Lake', { env });
    const bucket = new s3.Bucket(lakeStack, 'Bucket');
    const stack = new Stack(app, 'Consumer', { env });
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    bucket.grantPut(role, 'capture/endpoint-1/*');
    WildcardPermissions.acknowledge(role, { reason, allowedFindings: ['Action::s3:Abort*', 'Resource::*/capture/endpoint-1/*'] });
    const policy = Template.fromStack(stack).toJSON().Resources;
    expect(JSON.stringify(policy)).toContain('Fn::ImportValue');
    expect(nagFindings(stack).filter((f) => f.ruleId.startsWith('AwsSolutions-IAM5'))).toEqual([]);
  });

  test('findingsOf flattens references and skips denies', () => {
    expect(
      WildcardPermissions.findingsOf({
        Statement: [
          { Effect: 'Allow', Action: 'kms:GenerateDataKey*', Resource: { 'Fn::GetAtt': ['Key', 'Arn'] } },
          { Effect: 'Allow', Action: ['s3:PutObject'], Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['B', 'Arn'] }, '/x/*']] }, { 'Fn::Sub': 'arn:${AWS::Partition}:logs:*' }] },
          { Effect: 'Deny', Action: '*', Resource: '*' },
        ],
      }),
    ).toEqual(['Action::kms:GenerateDataKey*', 'Resource::<B.Arn>/x/*', 'Resource::arn:<AWS::Partition>:logs:*']);
  });

  test('needs a reason and at least one pattern', () => {
    const stack = testStack();
    expect(() => WildcardPermissions.acknowledge(stack, { reason: 'short', allowedFindings: ['*'] })).toThrow('needs a reason of at least 40 characters');
    expect(() => WildcardPermissions.acknowledge(stack, { reason, allowedFindings: [] })).toThrow('allows no findings: list the patterns it covers.');
  });
});
