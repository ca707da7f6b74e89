import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CheckovSkips } from '../../src';

const REASON = 'Compensated by the on-failure destination queue the construct configures.';

test('writes Metadata.checkov.skip on the construct\'s own resource, merging repeated calls by id', () => {
  const stack = new Stack();
  const queue = new sqs.Queue(stack, 'Queue');
  new sqs.Queue(stack, 'Other');
  CheckovSkips.add(queue, [{ id: 'CKV_AWS_27', comment: REASON }]);
  CheckovSkips.add(queue, [{ id: 'CKV_AWS_27', comment: `${REASON} (again)` }, { id: 'CKV2_AWS_99', comment: REASON }]);
  const queues = Template.fromStack(stack).findResources('AWS::SQS::Queue');
  const [skipped, other] = Object.values(queues);
  expect(skipped.Metadata.checkov).toEqual({ skip: [{ id: 'CKV_AWS_27', comment: `${REASON} (again)` }, { id: 'CKV2_AWS_99', comment: REASON }] });
  expect(other.Metadata?.checkov).toBeUndefined();
});

test('refuses a short comment, an id that is not a checkov one, and a construct without a resource', () => {
  const stack = new Stack();
  const queue = new sqs.Queue(stack, 'Queue');
  expect(() => CheckovSkips.add(queue, [{ id: 'CKV_AWS_27', comment: 'fine' }])).toThrow(/needs a comment of at least 40 characters/);
  expect(() => CheckovSkips.add(queue, [{ id: 'AwsSolutions-SQS3', comment: REASON }])).toThrow(/is not a checkov AWS check id/);
  expect(() => CheckovSkips.add(stack, [{ id: 'CKV_AWS_27', comment: REASON }])).toThrow(/has no CloudFormation resource of its own/);
});
