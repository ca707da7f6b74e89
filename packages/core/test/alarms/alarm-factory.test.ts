import { nagFindings, testStack } from '@freshet/test-utils';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AlarmFactory } from '../../src';

const metric = new cloudwatch.Metric({ namespace: 'Freshet/Test', metricName: 'Errors', period: Duration.minutes(5) });
const topicArn = 'arn:aws:sns:us-east-1:123456789012:alerts';

describe('AlarmFactory', () => {
  test('ruleMatches: an alarm on the events a failure rule matched, per 5 minutes', () => {
    const stack = testStack();
    const rule = new events.Rule(stack, 'JobFailed', { eventPattern: { source: ['aws.glue'], detailType: ['Glue Job State Change'] } });
    new AlarmFactory(stack, 'Alarms').addAlarm('FailedRuns', { metric: AlarmFactory.ruleMatches(rule), threshold: 0, description: 'A run failed.' });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: Match.stringLikeRegexp('^JobFailed') } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 0,
    });
  });

  test('creates an alarm with the construct defaults', () => {
    const stack = testStack();
    const factory = new AlarmFactory(stack, 'Alarms');
    const alarm = factory.addAlarm('Errors', { metric, threshold: 3, description: 'Errors: check the logs.' });
    expect(alarm).toBeDefined();
    expect(factory.alarms).toEqual([alarm]);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 3,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmDescription: 'Errors: check the logs.',
    });
  });

  test('the user override wins, field by field', () => {
    const stack = testStack();
    new AlarmFactory(stack, 'Alarms').addAlarm('Errors', {
      metric,
      threshold: 3,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description: 'd',
      override: { threshold: 10, evaluationPeriods: 5, datapointsToAlarm: 3 },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 10,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  test('alarms can be turned off one by one or all together', () => {
    const stack = testStack();
    const one = new AlarmFactory(stack, 'One');
    expect(one.addAlarm('Off', { metric, threshold: 1, description: 'd', override: { enabled: false } })).toBeUndefined();
    const all = new AlarmFactory(stack, 'All', { enabled: false });
    expect(all.enabled).toBe(false);
    expect(all.addAlarm('On', { metric, threshold: 1, description: 'd' })).toBeUndefined();
    expect([...one.alarms, ...all.alarms]).toEqual([]);
    expect(stack.node.findAll().filter((c) => c instanceof cloudwatch.Alarm)).toEqual([]);
    // A construct whose alarms are all off gets no topic (nor its key).
    expect(all.alarmTopic).toBeUndefined();
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::SNS::Topic'))).toHaveLength(1);
  });

  test('notifies the topic on ALARM and OK, with a name prefix', () => {
    const stack = testStack();
    new AlarmFactory(stack, 'Alarms', { alarmTopicArn: topicArn, alarmNamePrefix: 'dev' }).addAlarm('Errors', {
      metric,
      threshold: 1,
      description: 'd',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [topicArn],
      OKActions: [topicArn],
      AlarmName: 'dev-Test-Errors',
    });
  });

  test('notifies a topic object the user passes, and creates none', () => {
    const stack = testStack();
    const topic = new sns.Topic(stack, 'StageAlarms');
    const factory = new AlarmFactory(stack, 'Alarms', { alarmTopic: topic });
    factory.addAlarm('Errors', { metric, threshold: 1, description: 'd' });
    expect(factory.alarmTopic).toBe(topic);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
      OKActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
  });

  test('refuses both a topic and a topic ARN, saying what to change', () => {
    const stack = testStack();
    expect(() => new AlarmFactory(stack, 'Alarms', { alarmTopic: new sns.Topic(stack, 'T'), alarmTopicArn: topicArn })).toThrow(
      'Test/Alarms: give alarmTopic or alarmTopicArn, not both; remove one of them from the alarm options.',
    );
  });

  test('refuses more datapoints than periods, saying what to change', () => {
    const factory = new AlarmFactory(testStack(), 'Alarms');
    expect(() =>
      factory.addAlarm('Errors', { metric, threshold: 1, description: 'd', override: { evaluationPeriods: 2, datapointsToAlarm: 3 } }),
    ).toThrow('Alarm Errors: datapointsToAlarm (3) is more than evaluationPeriods (2); lower datapointsToAlarm or raise evaluationPeriods.');
  });

  test('draws every alarm on a dashboard, then the extra widgets', () => {
    const stack = testStack();
    const factory = new AlarmFactory(stack, 'Alarms');
    factory.addAlarm('A', { metric, threshold: 1, description: 'd' });
    factory.addAlarm('B', { metric, threshold: 2, description: 'd' });
    factory.createDashboard('Dashboard', 'Ingest', [new cloudwatch.TextWidget({ markdown: 'extra-widget-marker' })]);
    const body = JSON.stringify(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('# Ingest');
    expect(body).toContain('extra-widget-marker');
    // One alarm-status widget listing both, then one graph per alarm.
    expect(body.match(/\\"alarms\\"/g)?.length).toBe(3);
    expect(body.match(/\\"annotations\\":\{\\"alarms\\"/g)?.length).toBe(2);
  });
  test('draws its section on a shared dashboard and creates none of its own', () => {
    const stack = testStack();
    const shared = new cloudwatch.Dashboard(stack, 'Shared');
    const ingest = new AlarmFactory(stack, 'IngestAlarms', { alarmTopicArn: topicArn, dashboard: shared });
    ingest.addAlarm('A', { metric, threshold: 1, description: 'd' });
    const warehouse = new AlarmFactory(stack, 'WarehouseAlarms', { alarmTopicArn: topicArn, dashboard: shared });
    warehouse.addAlarm('B', { metric, threshold: 2, description: 'd' });
    expect(ingest.createDashboard('Dashboard', 'Ingest')).toBe(shared);
    expect(warehouse.createDashboard('Dashboard', 'Warehouse', [new cloudwatch.TextWidget({ markdown: 'extra-widget-marker' })])).toBe(shared);
    const dashboards = Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(dashboards);
    // Both sections, in the order drawn, each with its own alarm-status widget and graph.
    expect(body.indexOf('# Ingest')).toBeGreaterThan(-1);
    expect(body.indexOf('# Warehouse')).toBeGreaterThan(body.indexOf('# Ingest'));
    expect(body).toContain('extra-widget-marker');
    expect(body.match(/\\"annotations\\":\{\\"alarms\\"/g)?.length).toBe(2);
  });
});

describe('AlarmFactory default topic', () => {
  const build = () => {
    const stack = testStack();
    const factory = new AlarmFactory(stack, 'Alarms');
    factory.addAlarm('A', { metric, threshold: 1, description: 'd' });
    factory.addAlarm('B', { metric, threshold: 2, description: 'd' });
    return { stack, factory, template: Template.fromStack(stack) };
  };

  test('without a topic, every alarm notifies one topic the factory creates, on ALARM and OK', () => {
    const { stack, factory, template } = build();
    expect(factory.alarmTopic).toBeDefined();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicRef = { Ref: stack.getLogicalId(factory.alarmTopic!.node.defaultChild as sns.CfnTopic) };
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
  });

  test('the topic is encrypted with a rotating customer managed key and refuses plain HTTP', () => {
    const { template } = build();
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.values(keys).map((k) => k.Properties.EnableKeyRotation)).toEqual([true]);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Object.keys(keys)[0], 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('only CloudWatch alarms of this account and region may publish and use the key', () => {
    const { template } = build();
    const conditions = {
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*']] } },
    };
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: conditions })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: conditions,
          }),
        ]),
      },
    });
  });
});

describe('AlarmFactory compliance', () => {
  test('alarms need no acknowledgement: with the default topic or the user\'s, nag finds nothing', () => {
    const stack = testStack();
    new AlarmFactory(stack, 'Default').addAlarm('Errors', { metric, threshold: 1, description: 'd' });
    new AlarmFactory(stack, 'Loud', { alarmTopicArn: topicArn }).addAlarm('Errors', { metric, threshold: 1, description: 'd' });
    expect(nagFindings(stack)).toEqual([]);
    const acknowledged = stack.node.findAll().some((c) => c.node.metadata.some((m) => JSON.stringify(m.data ?? '').includes('CloudWatchAlarmAction')));
    expect(acknowledged).toBe(false);
  });
});
