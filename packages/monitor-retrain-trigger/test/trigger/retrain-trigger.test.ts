import { DataRemovalPolicy } from '@freshet/core';
import { testStack } from '@freshet/test-utils';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as sns from 'aws-cdk-lib/aws-sns';
import { driftAlarm, pipelineTrigger, retrainPipeline, retrainStateMachine, stateMachineTrigger } from './fixtures';
import { RetrainPipelineVariables, RetrainTarget, RetrainTrigger } from '../../src/trigger';

/** Every Allow statement of the policies attached to the trigger's role. */
function roleStatements(template: Template): any[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('^Runs the retrain trigger') } });
  const [roleId] = Object.keys(roles);
  const policies = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId));
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function logicalId(stack: Stack, construct: any): string {
  return stack.getLogicalId(construct.node.defaultChild ?? construct);
}

describe('the rule', () => {
  test('matches the watched alarms going into ALARM, including one added after construction, and nothing else', () => {
    const { stack, alarms } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    // The alarm rule, the retry rule and the run-end rule.
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        'resources': alarms.map((alarm) => ({ 'Fn::GetAtt': [logicalId(stack, alarm), 'Arn'] })),
        'detail': { state: { value: ['ALARM'] } },
      },
      State: 'ENABLED',
    });
  });

  test('invokes the function with retries, and sends what it cannot deliver to the dead-letter queue', () => {
    const { stack, trigger } = stateMachineTrigger();
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Targets: [{
        Arn: { 'Fn::GetAtt': [logicalId(stack, trigger.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, trigger.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      }],
    });
  });

  test('an alarm added twice is matched once', () => {
    const { stack, trigger, alarms } = stateMachineTrigger();
    trigger.addAlarm(alarms[0]);
    expect(trigger.watchedAlarms).toEqual(alarms);
    const [rule] = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')) as any[];
    expect(rule.Properties.EventPattern.resources).toHaveLength(2);
  });

  test('a trigger without alarms fails synthesis and says what to do', () => {
    const stack = testStack();
    new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.stateMachine(retrainStateMachine(stack)) });
    expect(() => Template.fromStack(stack)).toThrow(/RetrainTrigger has no alarms to watch: pass `alarms` or call addAlarm\(\)/);
  });
});

describe('the function', () => {
  test('is a bundled Node.js 24 function with the target, table and limits in its environment', () => {
    const { stack, trigger, stateMachine } = stateMachineTrigger();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 1,
      Timeout: 60,
      Environment: {
        Variables: {
          TARGET_KIND: 'state-machine',
          STATE_MACHINE_ARN: { Ref: logicalId(stack, stateMachine) },
          STORM_TABLE_NAME: { Ref: logicalId(stack, trigger.table) },
          COOLDOWN_SECONDS: '21600',
          DAILY_CAP: '3',
        },
      },
    });
  });

  test('dead-letters the event after Lambda\'s async retries (DeadLetterConfig, so the message is the event itself)', () => {
    const { stack, trigger } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [logicalId(stack, trigger.deadLetterQueue), 'Arn'] } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, trigger.function) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
    });
    expect(roleStatements(template)).toContainEqual(expect.objectContaining({
      Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [logicalId(stack, trigger.deadLetterQueue), 'Arn'] },
    }));
  });

  test('cooldown and dailyCap reach the function', () => {
    const { stack } = stateMachineTrigger({ cooldown: Duration.minutes(90), dailyCap: 5 });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ COOLDOWN_SECONDS: '5400', DAILY_CAP: '5' }) },
    });
  });

  test.each([
    [{ dailyCap: 0 }, /dailyCap is 0; give a whole number of at least 1/],
    [{ dailyCap: 1.5 }, /dailyCap is 1.5; give a whole number of at least 1/],
    [{ cooldown: Duration.millis(1500) }, /cooldown is 1 second 500 millis; give whole seconds/],
  ])('wrong limits %p fail at synth with what to change', (props, message) => {
    expect(() => stateMachineTrigger(props)).toThrow(message);
  });
});

describe('least privilege', () => {
  test('a state machine target: start, list and describe executions of that state machine, the storm items of that table, and the watched alarms', () => {
    const { stack, stateMachine, trigger, alarms } = stateMachineTrigger();
    const statements = roleStatements(Template.fromStack(stack));
    const machine = { Ref: logicalId(stack, stateMachine) };
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'states:StartExecution', Resource: machine }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'states:ListExecutions', Resource: machine }));
    const describe = statements.find((s) => s.Action === 'states:DescribeExecution');
    expect(JSON.stringify(describe.Resource)).toMatch(/:execution:/);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: 'cloudwatch:DescribeAlarms',
      Resource: alarms.map((alarm) => ({ 'Fn::GetAtt': [logicalId(stack, alarm), 'Arn'] })),
    }));
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      Resource: { 'Fn::GetAtt': [logicalId(stack, trigger.table), 'Arn'] },
    }));
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(actions.filter((a: string) => a.startsWith('states:')).sort()).toEqual(['states:DescribeExecution', 'states:ListExecutions', 'states:StartExecution']);
    expect(actions.filter((a: string) => a.startsWith('dynamodb:')).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(actions.some((a: string) => a.startsWith('codepipeline:'))).toBe(false);
    // The only `*` resource is X-Ray's, which takes none.
    expect(statements.filter((s) => s.Resource === '*').flatMap((s) => [].concat(s.Action)).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('a CodePipeline target: start, list and get executions of that pipeline only', () => {
    const { stack, pipeline } = pipelineTrigger();
    const statements = roleStatements(Template.fromStack(stack));
    const pipelineStatements = statements.filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('codepipeline:')));
    expect(pipelineStatements).toEqual([expect.objectContaining({
      Action: ['codepipeline:StartPipelineExecution', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
      Resource: stack.resolve(pipeline.pipelineArn),
    })]);
    expect(statements.flatMap((s) => [].concat(s.Action)).some((a: string) => a.startsWith('states:'))).toBe(false);
  });

  test('a pipeline by name: its ARN in this account and region', () => {
    const stack = testStack();
    new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.codePipelineNamed('team-retrain'), alarms: [driftAlarm(stack, 'Drift')] });
    const template = Template.fromStack(stack);
    expect(roleStatements(template)).toContainEqual(expect.objectContaining({
      Action: ['codepipeline:StartPipelineExecution', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:us-east-1:123456789012:team-retrain']] },
    }));
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TARGET_KIND: 'code-pipeline', PIPELINE_NAME: 'team-retrain' }) } });
  });

  test('a pipeline name that is an ARN fails with what to give instead', () => {
    expect(() => RetrainTarget.codePipelineNamed('arn:aws:codepipeline:us-east-1:123456789012:retrain'))
      .toThrow(/give the pipeline's name, not its ARN/);
  });
});

describe('the retry (issue 20, failure 1)', () => {
  test('a retry rule every 15 minutes by default, and a rule on the state machine\'s runs ending, both invoking the function', () => {
    const { stack, stateMachine, trigger } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    const rules = template.toJSON().Resources;
    const retry = rules[logicalId(stack, trigger.retryRule)].Properties;
    expect(retry.ScheduleExpression).toBe('rate(15 minutes)');
    const ended = rules[logicalId(stack, trigger.runEndRule)].Properties;
    expect(ended.EventPattern).toEqual({
      'source': ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      'detail': { stateMachineArn: [{ Ref: logicalId(stack, stateMachine) }], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
    });
    for (const rule of [retry, ended]) {
      expect(rule.Targets).toEqual([expect.objectContaining({
        Arn: { 'Fn::GetAtt': [logicalId(stack, trigger.function), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack, trigger.deadLetterQueue), 'Arn'] } },
      })]);
    }
  });

  test('retryInterval sets the tick; a CodePipeline target\'s runs end through its own event', () => {
    const { stack, trigger } = stateMachineTrigger({ retryInterval: Duration.minutes(5) });
    expect(Template.fromStack(stack).toJSON().Resources[logicalId(stack, trigger.retryRule)].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    const piped = pipelineTrigger();
    const ended = Template.fromStack(piped.stack).toJSON().Resources[logicalId(piped.stack, piped.trigger.runEndRule)].Properties;
    expect(ended.EventPattern).toEqual({
      'source': ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      'detail': { pipeline: [{ Ref: logicalId(piped.stack, piped.pipeline) }], state: ['SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED'] },
    });
  });

  test('a retryInterval that is not whole minutes fails with what to give', () => {
    expect(() => stateMachineTrigger({ retryInterval: Duration.seconds(30) })).toThrow(/retryInterval is 30 seconds; give whole minutes, at least 1/);
  });
});

describe('the CodePipeline target', () => {
  test('declares the trigger\'s variables on a pipeline of the app and names it in the function', () => {
    const { stack, pipeline } = pipelineTrigger();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      Variables: [
        Match.objectLike({ Name: RetrainPipelineVariables.ALARM, DefaultValue: 'none' }),
        Match.objectLike({ Name: RetrainPipelineVariables.REASON, DefaultValue: 'manual' }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TARGET_KIND: 'code-pipeline', PIPELINE_NAME: { Ref: logicalId(stack, pipeline) } }) },
    });
  });

  test('keeps variables the pipeline already declares', () => {
    const stack = testStack();
    const pipeline = retrainPipeline(stack, { variables: [new codepipeline.Variable({ variableName: RetrainPipelineVariables.REASON, defaultValue: 'push' })] });
    new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.codePipeline(pipeline), alarms: [driftAlarm(stack, 'Drift')] });
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
    expect(resource.Properties.Variables.map((v: any) => [v.Name, v.DefaultValue])).toEqual([[RetrainPipelineVariables.REASON, 'push'], [RetrainPipelineVariables.ALARM, 'none']]);
  });

  test('a V1 pipeline fails synthesis: variables need V2', () => {
    const { stack } = pipelineTrigger({ pipelineType: codepipeline.PipelineType.V1 });
    expect(() => Template.fromStack(stack)).toThrow(/Pipeline variables can only be used with V2 pipelines/);
  });
});

describe('storm-control state', () => {
  test('is a KMS-encrypted on-demand table with point-in-time recovery, retained, with event records expiring', () => {
    const { stack, trigger } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, trigger.encryptionKey), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
  });

  test('removalPolicy DESTROY is honoured only when the app allows it', () => {
    const retained = stateMachineTrigger({ removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(retained.stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });

    const app = new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: true } });
    const stack = new Stack(app, 'Sandbox', { env: { account: '123456789012', region: 'us-east-1' } });
    new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.stateMachine(retrainStateMachine(stack)), alarms: [driftAlarm(stack, 'Drift')], removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  test('the dead-letter queue is KMS-encrypted, TLS only, keeps messages 14 days, and EventBridge of this account may use its key', () => {
    const { stack, trigger } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, trigger.encryptionKey), 'Arn'] },
      MessageRetentionPeriod: 1209600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowEventBridgeDeadLettersOfThisAccount',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:123456789012:rule/*']] } },
          },
        })]),
      },
    });
  });
});

describe('alarms and metrics', () => {
  test('alarm on function errors and on dead letters, notifying the trigger\'s own encrypted topic by default', () => {
    const { stack, trigger } = stateMachineTrigger();
    const template = Template.fromStack(stack);
    const topic = trigger.alarms.alarmTopic!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, trigger.function) } }],
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Statistic: 'Maximum',
      Threshold: 0,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, trigger.deadLetterQueue), 'QueueName'] } }],
      AlarmActions: [stack.resolve(topic.topicArn)],
    });
  });

  test('alarmOptions route the alarms to the given topic ARN or topic, or turn them off', () => {
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:oncall';
    const routed = stateMachineTrigger({ alarmOptions: { alarmTopicArn: topicArn, alarmNamePrefix: 'dev' } });
    const alarms = Template.fromStack(routed.stack).findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmActions: [topicArn] } });
    expect(Object.values(alarms).map((a: any) => a.Properties.AlarmName).sort()).toEqual(['dev-Trigger-DeadLetters', 'dev-Trigger-Errors']);

    const shared = testStack();
    const topic = new sns.Topic(shared, 'StageAlarms');
    new RetrainTrigger(shared, 'Trigger', { target: RetrainTarget.stateMachine(retrainStateMachine(shared)), alarms: [driftAlarm(shared, 'Drift')], alarmOptions: { alarmTopic: topic } });
    const toShared = Template.fromStack(shared).findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmActions: [{ Ref: logicalId(shared, topic) }] } });
    expect(Object.keys(toShared)).toHaveLength(2);

    const off = stateMachineTrigger({ alarmOptions: { enabled: false } });
    Template.fromStack(off.stack).resourceCountIs('AWS::CloudWatch::Alarm', 2); // only the two drift alarms of the fixture
  });

  test('the decision metrics name the target', () => {
    const { stack, trigger, stateMachine } = stateMachineTrigger();
    expect(stack.resolve(trigger.metricStarted().toMetricConfig().metricStat)).toMatchObject({
      namespace: 'Freshet/RetrainTrigger',
      metricName: 'TriggerStarted',
      statistic: 'Sum',
      dimensions: [{ name: 'Target', value: { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalId(stack, stateMachine) }] }] } }],
    });
    const cd = pipelineTrigger();
    expect(cd.stack.resolve(cd.trigger.metricSkipped('cooldown').toMetricConfig().metricStat)).toMatchObject({
      namespace: 'Freshet/RetrainTrigger',
      metricName: 'TriggerSkipped',
      dimensions: [{ name: 'Reason', value: 'cooldown' }, { name: 'Target', value: { Ref: logicalId(cd.stack, cd.pipeline) } }],
    });
  });
});
