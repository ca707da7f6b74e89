import { cfnLint, formatCfnLint, formatFindings, nagFindings, nagV2Errors } from '@freshet/test-utils';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { pipelineTrigger, stateMachineTrigger } from './fixtures';

const variants: [string, () => Stack][] = [
  ['a state machine target, alarms to the trigger\'s own topic', () => stateMachineTrigger().stack],
  ['a CodePipeline V2 target', () => pipelineTrigger().stack],
  ['a state machine target, alarms to a given topic', () => stateMachineTrigger({ alarmOptions: { alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:oncall' } }).stack],
  ['a state machine target with alarms off', () => stateMachineTrigger({ alarmOptions: { enabled: false } }).stack],
];

describe.each(variants)('%s', (_name, build) => {
  test('has no unacknowledged AwsSolutions or NIST 800-53 R5 errors or warnings on the trigger', () => {
    const stack = build();
    // The fixture's own state machine, pipeline and alarms are not the trigger's to acknowledge.
    const findings = nagFindings(stack, ['Error', 'Warning']).filter((f) => f.path.includes('/Trigger/'));
    expect(formatFindings(findings)).toBe('');
  });

  test('cdk-nag 2 reads the same acknowledgements: no errors on the trigger', () => {
    const findings = nagV2Errors(build()).filter((f) => f.path.includes('/Trigger/'));
    expect(formatFindings(findings)).toBe('');
  });

  test('passes cfn-lint', () => {
    const matches = cfnLint([Template.fromStack(build()).toJSON()]);
    expect(formatCfnLint(matches)).toBe('');
  });
});
