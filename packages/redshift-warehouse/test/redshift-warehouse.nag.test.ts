import { SecureLogGroup } from '@freshet/core';
import { cfnLint, formatCfnLint, formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DataApiStatement, RedshiftWarehouseProps, WarehouseCompute } from '../src';
import { buildWarehouse } from './fixtures/stocks';

describe('RedshiftWarehouse compliance: AwsSolutions and NIST 800-53 R5, and cfn-lint', () => {
  test.each([
    ['Serverless defaults', () => ({})],
    ['provisioned cluster', () => ({ compute: WarehouseCompute.provisioned({ nodeType: 'ra3.xlplus', numberOfNodes: 2 }) })],
    ['Serverless with streaming ingestion, a COPY schedule and an alarm topic', (stack: any) => ({
      streamingIngestion: { stream: new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.MANAGED }), carriesAggregatedRecords: false },
      copySchedule: events.Schedule.cron({ minute: '30', hour: '*/6' }),
      alarms: { alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:oncall' },
    })],
  ] as Array<[string, (stack: any) => Partial<RedshiftWarehouseProps>]>)('%s: no unacknowledged errors or warnings, cfn-lint clean', (_name, props) => {
    const stack = testStack();
    buildWarehouse(props(stack), stack);
    expect(formatFindings(nagFindings(stack, ['Error', 'Warning']))).toBe('');
    expect(formatCfnLint(cfnLint([Template.fromStack(stack).toJSON()]))).toBe('');
  });
});

describe('a workflow that runs the fragments', () => {
  test('is nag-clean once its status polling is acknowledged, and cfn-lint clean', () => {
    const stack = testStack();
    const { warehouse } = buildWarehouse({}, stack);
    const logs = new SecureLogGroup(stack, 'RetrainLogs');
    const machine = new sfn.StateMachine(stack, 'Retrain', {
      definitionBody: sfn.DefinitionBody.fromChainable(warehouse.copyTask(stack, 'Load').next(warehouse.unloadSnapshotTask(stack, 'Snapshot'))),
      tracingEnabled: true,
      logs: { destination: logs, level: sfn.LogLevel.ALL },
    });
    const before = nagFindings(stack, ['Error', 'Warning']).filter((f) => f.path.startsWith('Test/Retrain/'));
    expect(before.map((f) => f.ruleId).sort()).toEqual(['AwsSolutions-IAM5[Resource::*]', 'NIST.800.53.R5-IAMNoInlinePolicy']);

    const acknowledged = testStack();
    const second = buildWarehouse({}, acknowledged).warehouse;
    const secondMachine = new sfn.StateMachine(acknowledged, 'Retrain', {
      definitionBody: sfn.DefinitionBody.fromChainable(second.copyTask(acknowledged, 'Load').next(second.unloadSnapshotTask(acknowledged, 'Snapshot'))),
      tracingEnabled: true,
      logs: { destination: new SecureLogGroup(acknowledged, 'RetrainLogs', { encryptionKey: second.key }), level: sfn.LogLevel.ALL },
    });
    DataApiStatement.acknowledgeStatusPolling(secondMachine);
    expect(formatFindings(nagFindings(acknowledged, ['Error', 'Warning']))).toBe('');
    expect(formatCfnLint(cfnLint([Template.fromStack(acknowledged).toJSON()]))).toBe('');
    expect(machine).toBeDefined();
  });
});
