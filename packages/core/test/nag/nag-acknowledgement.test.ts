import { nagFindings, testStack } from '@freshet/test-utils';
import { Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagAcknowledgements } from '../../src';

describe('NagAcknowledgements', () => {
  test('acknowledges a finding on the one construct only', () => {
    const stack = testStack();
    const acknowledged = new sqs.Queue(stack, 'Acknowledged', { encryption: sqs.QueueEncryption.KMS_MANAGED, enforceSSL: true });
    new sqs.Queue(stack, 'Other', { encryption: sqs.QueueEncryption.KMS_MANAGED, enforceSSL: true });
    const before = nagFindings(stack).filter((f) => f.ruleId === 'AwsSolutions-SQS3');
    expect(before.map((f) => f.path).sort()).toEqual(['Test/Acknowledged/Resource', 'Test/Other/Resource']);

    NagAcknowledgements.add(acknowledged, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself a dead-letter queue; its depth alarm is the compensating control.' },
    ]);
    const after = nagFindings(stack).filter((f) => f.ruleId === 'AwsSolutions-SQS3');
    expect(after.map((f) => f.path)).toEqual(['Test/Other/Resource']);
    const metadata = acknowledged.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(metadata).toHaveLength(1);
  });

  test('refuses a reason too short to name a control', () => {
    const stack = testStack();
    expect(() => NagAcknowledgements.add(stack, [{ id: 'AwsSolutions-SQS3', reason: 'not needed' }])).toThrow(
      'The acknowledgement of AwsSolutions-SQS3 on Test needs a reason of at least 40 characters that names the compensating control.',
    );
  });
});
