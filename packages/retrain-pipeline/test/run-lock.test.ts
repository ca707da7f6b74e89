import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { buildPipeline } from './fixtures/pipelines';

/** Issue 20, failure 2: the run lock every starter takes, as RetrainPipeline synthesizes it. */
describe('the run lock', () => {
  const { stack, pipeline } = buildPipeline();
  const role = new iam.Role(stack, 'Starter', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  pipeline.grantRunLock(role);
  const template = Template.fromStack(stack);
  const id = (construct: any) => stack.getLogicalId(construct.node.defaultChild);

  test('is a retained, KMS-encrypted (the pipeline key) table with point-in-time recovery', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [id(pipeline.encryptionKey), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      }),
    });
    expect(id(pipeline.runLockTable)).toMatch(/RunLock/);
  });

  test('the start guard knows the table, and the end of every execution invokes it to give the lock back', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Starts a stocks retraining run'),
      Environment: { Variables: { STATE_MACHINE_ARN: { Ref: id(pipeline.stateMachine) }, RUN_LOCK_TABLE_NAME: { Ref: id(pipeline.runLockTable) } } },
    });
    const rule = template.toJSON().Resources[id(pipeline.runEndRule)].Properties;
    expect(rule.EventPattern).toEqual({
      'source': ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      'detail': { stateMachineArn: [{ Ref: id(pipeline.stateMachine) }], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    expect(rule.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [id(pipeline.startGuardFunction), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/StartGuardDeadLetters/), 'Arn'] } },
    })]);
  });

  test('grantRunLock gives a starter the lock item, the key, and start, list and describe on this state machine only', () => {
    const policy = Object.values(template.toJSON().Resources as Record<string, any>)
      .find((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(stack.getLogicalId(role.node.defaultChild as any)))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const allowing = (action: string) => statements.filter((s) => [].concat(s.Action).includes(action as never));
    expect(allowing('dynamodb:PutItem')[0].Resource).toEqual({ 'Fn::GetAtt': [id(pipeline.runLockTable), 'Arn'] });
    expect(allowing('dynamodb:DeleteItem')).toHaveLength(1);
    expect(allowing('states:StartExecution')[0].Resource).toEqual({ Ref: id(pipeline.stateMachine) });
    expect(allowing('states:ListExecutions')[0].Resource).toEqual({ Ref: id(pipeline.stateMachine) });
    expect(JSON.stringify(allowing('states:DescribeExecution')[0].Resource)).toContain(':execution:');
    expect(JSON.stringify(allowing('states:DescribeExecution')[0].Resource)).toContain(`"${id(pipeline.stateMachine)}","Name"`);
    expect(allowing('kms:Decrypt')[0].Resource).toEqual({ 'Fn::GetAtt': [id(pipeline.encryptionKey), 'Arn'] });
  });
});
