import { item, run } from './helpers';

const DAYS = 730 / 24;

/** A workflow with two Data API statements in a row, started hourly by an EventBridge rule. */
function copyEveryHour(extra: Record<string, any> = {}) {
  return {
    Workgroup: { Type: 'AWS::RedshiftServerless::Workgroup', Properties: { BaseCapacity: 16, WorkgroupName: 'wg' } },
    Copy: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        DefinitionString: {
          'Fn::Join': ['', [
            '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:redshiftdata:executeStatement","Parameters":{"WorkgroupName":"',
            { Ref: 'Workgroup' },
            '"},"Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:redshiftdata:executeStatement","Parameters":{"WorkgroupName":"wg"},"Next":"Done"},"Done":{"Type":"Succeed"}}}',
          ]],
        },
      },
    },
    Hourly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { Ref: 'Copy' }, Id: 'T' }] } },
    ...extra,
  };
}

describe('Redshift Serverless', () => {
  test('each run wakes the base capacity for the 60 s minimum', () => {
    const result = run(copyEveryHour(), { 'redshift.serverlessRpuHour': 0.4, 'stepfunctions.standardTransitionThousand': 0.025 }, { redshiftStatementSeconds: 20 });
    // 730 runs x 16 RPU x 60 s (2 x 20 s is under the minimum) = 194.67 RPU-hours.
    expect(item(result, 'Workgroup').load).toBeCloseTo((730 * 16 * 60 / 3600) * 0.4, 6);
    // Idle is the same: the schedule runs with no traffic.
    expect(item(result, 'Workgroup').idle).toBeCloseTo(item(result, 'Workgroup').load, 6);
  });

  test('statements longer than the minimum are billed for their time', () => {
    const result = run(copyEveryHour(), { 'redshift.serverlessRpuHour': 0.4, 'stepfunctions.standardTransitionThousand': 0.025 }, { redshiftStatementSeconds: 45 });
    expect(item(result, 'Workgroup').load).toBeCloseTo((730 * 16 * 90 / 3600) * 0.4, 6);
  });

  test('a serverless-compute usage limit caps the RPU-hours', () => {
    const limit = {
      Limit: {
        Type: 'Custom::UsageLimit',
        Properties: {
          Create: { 'Fn::Join': ['', ['{"service":"redshift-serverless","action":"CreateUsageLimit","parameters":{"resourceArn":"', { 'Fn::GetAtt': ['Workgroup', 'Workgroup.WorkgroupArn'] }, '","usageType":"serverless-compute","period":"daily","amount":5}}']] },
        },
      },
    };
    const result = run(copyEveryHour(limit), { 'redshift.serverlessRpuHour': 0.4, 'stepfunctions.standardTransitionThousand': 0.025 });
    expect(item(result, 'Workgroup').load).toBeCloseTo(5 * DAYS * 0.4, 6);
    expect(item(result, 'Workgroup').detail).toContain('capped by the usage limit');
    expect(item(result, 'Limit').status).toBe('free');
  });

  test('a provisioned cluster bills its nodes all month', () => {
    const result = run(
      { Cluster: { Type: 'AWS::Redshift::Cluster', Properties: { ClusterType: 'multi-node', NodeType: 'dc2.large', NumberOfNodes: 2 } } },
      { 'redshift.node.dc2.large': 0.25 },
    );
    expect(item(result, 'Cluster').load).toBeCloseTo(2 * 730 * 0.25, 6);
    expect(item(result, 'Cluster').idle).toBeCloseTo(365, 6);
  });

  test('the namespace stores the loaded rows and the managed admin secret', () => {
    const result = run(
      { Namespace: { Type: 'AWS::RedshiftServerless::Namespace', Properties: { ManageAdminPassword: true } } },
      { 'redshift.managedStorageGbMonth': 0.024, 'secretsmanager.secretMonth': 0.4 },
      { recordsPerSecond: 1, recordBytes: 1000, compressionRatio: 2, storageMonth: 12 },
    );
    // 2,628,000 x 1,000 B / 2 = 1.314 GB a month, 12 months in.
    expect(item(result, 'Namespace').load).toBeCloseTo(1.314 * 12 * 0.024 + 0.4, 6);
    expect(item(result, 'Namespace').idle).toBeCloseTo(0.4, 6);
  });
});
