import * as fs from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { CfnTemplate, fakeReference, stateMachineLogicalIds, synthesizedDefinition, templateFromAssembly } from '../../src/asl';
import { testStack } from '../../src/nag';

function notifyingStack() {
  const stack = testStack();
  const topic = new sns.Topic(stack, 'Results');
  const bucket = new s3.Bucket(stack, 'Lake');
  const read = new tasks.CallAwsService(stack, 'ReadEvaluation', {
    service: 's3',
    action: 'getObject',
    parameters: { Bucket: bucket.bucketName, Key: sfn.JsonPath.format('evaluation/{}/evaluation.json', sfn.JsonPath.executionName) },
    iamResources: [bucket.arnForObjects('evaluation/*')],
  });
  const publish = new tasks.SnsPublish(stack, 'Notify', { topic, message: sfn.TaskInput.fromText('done') });
  const machine = new sfn.StateMachine(stack, 'Workflow', {
    definitionBody: sfn.DefinitionBody.fromChainable(read.next(publish)),
    timeout: Duration.hours(1),
  });
  return { stack, topic, bucket, machine };
}

describe('templateFromAssembly', () => {
  test('reads the template file the synthesis wrote, where the definition is still a Fn::Join of tokens', () => {
    const { stack, machine } = notifyingStack();
    const template = templateFromAssembly(stack);
    const logicalId = stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine);
    expect(stateMachineLogicalIds(template)).toEqual([logicalId]);
    expect(template.Resources![logicalId].Properties!.DefinitionString).toHaveProperty(['Fn::Join']);
    // The assembly on disk holds the same template.
    const outdir = (stack.node.root as any).outdir as string;
    const onDisk = JSON.parse(fs.readFileSync(`${outdir}/${stack.templateFile}`, 'utf-8'));
    expect(onDisk).toEqual(template);
  });
});

describe('synthesizedDefinition', () => {
  test('resolves Ref and GetAtt in the definition to the documented fakes', () => {
    const { stack, topic, bucket, machine } = notifyingStack();
    const template = templateFromAssembly(stack);
    const topicId = stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic);
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
    const definition = synthesizedDefinition(template, stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine));

    expect(definition.StartAt).toBe('ReadEvaluation');
    expect(definition.States.Notify.Resource).toBe('arn:aws:states:::sns:publish');
    expect(definition.States.Notify.Parameters.TopicArn).toBe(`arn:aws:sns:us-east-1:123456789012:${topicId}`);
    expect(definition.States.ReadEvaluation.Parameters.Bucket).toBe(bucketId.toLowerCase());
    expect(definition.States.ReadEvaluation.Parameters['Key.$']).toBe("States.Format('evaluation/{}/evaluation.json', $$.Execution.Name)");
    expect(definition.TimeoutSeconds).toBe(3600);
  });

  test('selects by predicate and explains a selector that matches no state machine', () => {
    const { stack } = notifyingStack();
    const template = templateFromAssembly(stack);
    expect(synthesizedDefinition(template, (id) => id.startsWith('Workflow')).StartAt).toBe('ReadEvaluation');
    expect(() => synthesizedDefinition(template, 'Nope')).toThrow(/found 0 \(state machines in the template: Workflow/);
  });

  test('resolves Fn::Sub, Fn::FindInMap, Fn::If, pseudo parameters, parameters, AWS::NoValue and DefinitionSubstitutions', () => {
    const template: CfnTemplate = {
      Parameters: { ImageTag: { Type: 'String', Default: '1.7-1' }, FromSsm: { Type: 'AWS::SSM::Parameter::Value<String>' } },
      Mappings: { Images: { 'eu-west-1': { account: '685385470294' } } },
      Conditions: { InEurope: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
      Resources: {
        Role: { Type: 'AWS::IAM::Role' },
        Key: { Type: 'AWS::KMS::Key' },
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: {
              'Fn::Sub': [
                '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"image":"${Account}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/xgboost:${ImageTag}","role":"${Role.Arn}","key":"${Key}","region":"${Where}","ssm":"${FromSsm}","literal":"${!Keep}","sub":"${!placeholder}"},"End":true}}}',
                {
                  Account: { 'Fn::FindInMap': ['Images', { Ref: 'AWS::Region' }, 'account'] },
                  Where: { 'Fn::If': ['InEurope', 'europe', 'elsewhere'] },
                },
              ],
            },
            DefinitionSubstitutions: { placeholder: { 'Fn::Join': ['-', ['a', { Ref: 'AWS::AccountId' }]] } },
          },
        },
      },
    };
    const definition = synthesizedDefinition(template, 'Machine', { region: 'eu-west-1', account: '111122223333', parameters: { FromSsm: 'from-ssm' } });
    expect(definition.States.P.Result).toEqual({
      image: '685385470294.dkr.ecr.eu-west-1.amazonaws.com/xgboost:1.7-1',
      role: 'arn:aws:iam::111122223333:role/Role',
      key: 'key-Key',
      region: 'europe',
      ssm: 'from-ssm',
      literal: '${Keep}',
      sub: 'a-111122223333',
    });

    const objectForm: CfnTemplate = {
      Resources: {
        Machine: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: { Definition: { StartAt: 'P', States: { P: { Type: 'Pass', Result: { a: 1, gone: { Ref: 'AWS::NoValue' } }, End: true } } } },
        },
      },
    };
    expect(synthesizedDefinition(objectForm, 'Machine').States.P.Result).toEqual({ a: 1 });
  });

  test('fails with a message naming what is missing', () => {
    const template: CfnTemplate = {
      Resources: {
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{"x":"', { Ref: 'Ghost' }, '"}']] } } },
        Other: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', ['{"x":"', { 'Fn::ImportValue': 'Shared' }, '"}']] } } },
      },
    };
    expect(() => synthesizedDefinition(template, 'Machine')).toThrow('Ref Ghost: no such parameter or resource in the template.');
    expect(() => synthesizedDefinition(template, 'Other')).toThrow(/Fn::ImportValue Shared: give its value in options.imports/);
    expect(synthesizedDefinition(template, 'Other', { imports: { Shared: 'v' } })).toEqual({ x: 'v' });
  });
});

describe('fakeReference', () => {
  test.each([
    ['AWS::S3::Bucket', undefined, 'lakebucket'],
    ['AWS::S3::Bucket', 'Arn', 'arn:aws:s3:::lakebucket'],
    ['AWS::IAM::Role', 'Arn', 'arn:aws:iam::123456789012:role/LakeBucket'],
    ['AWS::SNS::Topic', undefined, 'arn:aws:sns:us-east-1:123456789012:LakeBucket'],
    ['AWS::SNS::Topic', 'TopicName', 'LakeBucket'],
    ['AWS::KMS::Key', 'Arn', 'arn:aws:kms:us-east-1:123456789012:key/key-LakeBucket'],
    ['AWS::SageMaker::ModelPackageGroup', 'ModelPackageGroupArn', 'arn:aws:sagemaker:us-east-1:123456789012:model-package-group/LakeBucket'],
    ['AWS::SageMaker::ModelPackageGroup', 'ModelPackageGroupName', 'LakeBucket'],
  ])('%s %s', (type, attribute, expected) => {
    expect(fakeReference('LakeBucket', type, attribute)).toBe(expected);
  });
});
