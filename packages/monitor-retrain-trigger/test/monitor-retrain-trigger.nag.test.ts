import { cfnLint, formatCfnLint, formatFindings, nagFindings } from '@freshet/test-utils';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { RetrainTarget } from '../src';
import { buildMonitor } from './fixtures/monitors';

const variants: [string, () => Stack][] = [
  ['defaults: drift alarms retrain through the pipeline state machine', () => buildMonitor().stack],
  ['drift scaled out: up to 20 instances, the counting and summing jobs', () => buildMonitor({ jobResources: { maxInstanceCount: 20 } }).stack],
  ['every option: model quality, feature thresholds, user alarms, Model Monitor, a CodePipeline target', () => buildMonitor({
    interval: Duration.hours(2),
    window: Duration.hours(48),
    drift: { psiThreshold: 0.25, featureThresholds: { change: 0.15 } },
    modelQuality: { metric: 'rmse', threshold: 5 },
    modelMonitor: { baselineConstraintsUri: 's3://lake/mm/constraints.json', baselineStatisticsUri: 's3://lake/mm/statistics.json', features: ['change'] },
    target: RetrainTarget.codePipelineNamed('stocks-ct'),
  }, (stack) => {
    // The user's own alarm notifies the user's topic.
    const fiveXx = new cloudwatch.Alarm(stack, 'Endpoint5xx', {
      metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors', dimensionsMap: { EndpointName: 'stocks-endpoint', VariantName: 'AllTraffic' } }),
      threshold: 5,
      evaluationPeriods: 1,
    });
    fiveXx.addAlarmAction(new actions.SnsAction(sns.Topic.fromTopicArn(stack, 'OnCall', 'arn:aws:sns:us-east-1:123456789012:on-call')));
    return { alarms: [fiveXx] };
  }).stack],
];

describe.each(variants)('%s', (_name, build) => {
  const stack = build();

  test('has no unacknowledged AwsSolutions or NIST 800-53 R5 errors or warnings', () => {
    const findings = nagFindings(stack, ['Error', 'Warning']);
    expect(formatFindings(findings)).toBe('');
  });

  test('passes cfn-lint', () => {
    const matches = cfnLint([Template.fromStack(stack).toJSON()]);
    expect(formatCfnLint(matches)).toBe('');
  });
});
