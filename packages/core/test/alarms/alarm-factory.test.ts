import { nagFindings, testStack } from '@freshet/test-utils';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
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
      AlarmActions: Match.absent(),
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
});

describe('AlarmFactory compliance', () => {
  test('an alarm without a topic is acknowledged for NIST alarm actions; with a topic it needs none', () => {
    const stack = testStack();
    new AlarmFactory(stack, 'Quiet').addAlarm('Errors', { metric, threshold: 1, description: 'd' });
    new AlarmFactory(stack, 'Loud', { alarmTopicArn: topicArn }).addAlarm('Errors', { metric, threshold: 1, description: 'd' });
    expect(nagFindings(stack)).toEqual([]);
    const acknowledged = (id: string) =>
      stack.node.findChild(id).node.findChild('Errors').node.metadata.some((m) => JSON.stringify(m.data ?? '').includes('CloudWatchAlarmAction'));
    expect(acknowledged('Quiet')).toBe(true);
    expect(acknowledged('Loud')).toBe(false);
  });
});
