import { item, run, table } from './helpers';
import { stackFromTemplate } from '../src/assembly';
import { estimate } from '../src/estimate';
import { DEFAULT_LOAD } from '../src/load-profile';

describe('KMS, CloudWatch and VPC endpoints', () => {
  test('a key-month per key and the requests beyond caching', () => {
    const result = run({ Key: { Type: 'AWS::KMS::Key', Properties: {} } }, { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03 }, { kmsRequestsPerKey: 50_000 });
    expect(item(result, 'Key').load).toBeCloseTo(1 + 5 * 0.03, 9);
  });

  test('a rotating key bills a key-month for each of its first two rotations by the storage month; later rotations are free', () => {
    const prices = { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03, 'kms.rotatedKeyVersionMonth': 1 };
    const keys = {
      Yearly: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
      Quarterly: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, RotationPeriodInDays: 90 } },
      Still: { Type: 'AWS::KMS::Key', Properties: {} },
    };
    // Month 12 ends on day 365 (12 x 730 / 24): one yearly rotation; four 90-day ones, of which two are billed.
    const year = run(keys, prices, { storageMonth: 12 });
    expect(item(year, 'Yearly').load).toBeCloseTo(1 + 1, 9);
    expect(item(year, 'Quarterly').load).toBeCloseTo(1 + 2, 9);
    expect(item(year, 'Still').load).toBeCloseTo(1, 9);
    // Month 11 ends on day 334.6: no yearly rotation yet; three quarterly ones (day 270), still two billed.
    const eleven = run(keys, prices, { storageMonth: 11 });
    expect(item(eleven, 'Yearly').load).toBeCloseTo(1, 9);
    expect(item(eleven, 'Quarterly').load).toBeCloseTo(3, 9);
    // Month 2 ends on day 60.8: nothing rotated.
    expect(item(run(keys, prices, { storageMonth: 2 }), 'Quarterly').load).toBeCloseTo(1, 9);
  });

  test('the first three dashboards of up to 50 metrics in an account are free, shared by the account\'s dashboards', () => {
    const body = (metrics: number) => JSON.stringify({ widgets: [{ type: 'metric', properties: { metrics: Array.from({ length: metrics }, (_, i) => ['Ns', `M${i}`]) } }] });
    const board = (metrics: number) => ({ Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: body(metrics) } });
    const dev = stackFromTemplate({ Resources: { A: board(10), B: board(10), C: board(10), D: board(10), Big: board(51) } }, 'Dev', 'dev', '111111111111');
    const prod = stackFromTemplate({ Resources: { P: board(10) } }, 'Prod', 'prod', '222222222222');
    const result = estimate([dev, prod], table({ 'cloudwatch.dashboardMonth': 3 }), DEFAULT_LOAD);
    // Dev: four qualify and share three free ones (each pays a quarter); the 51-metric one pays in full.
    expect(result.items.find((i) => i.logicalId === 'A')!.idle).toBeCloseTo(3 * (1 - 3 / 4), 9);
    expect(result.items.find((i) => i.logicalId === 'Big')!.idle).toBeCloseTo(3, 9);
    // Prod's account has one dashboard: free.
    expect(result.items.find((i) => i.logicalId === 'P')!.load).toBe(0);
  });

  test('a dashboard body holding deploy-time functions (Fn::Select of an ARN) still counts its metrics', () => {
    const target = { 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] };
    const body = { 'Fn::Join': ['', ['{"widgets":[{"type":"metric","properties":{"metrics":[["Ns","A","Target","', target, '"],["Ns","B"]]}}]}']] };
    const result = run({ Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: body } } }, { 'cloudwatch.dashboardMonth': 3 });
    // Two metrics: the account's only dashboard, so free; an unparsed body would be billed in full.
    expect(item(result, 'Board').load).toBe(0);
  });

  test('alarms bill each metric they evaluate; a custom metric once per stage; high resolution costs more', () => {
    const custom = { Namespace: 'Freshet/Ingest', MetricName: 'RejectedRows', Dimensions: [{ Name: 'Dataset', Value: 'stocks' }] };
    const result = run(
      {
        MathAlarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            Metrics: [
              { Id: 'm1', MetricStat: { Metric: custom, Period: 300, Stat: 'Sum' }, ReturnData: false },
              { Id: 'm2', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, Period: 300, Stat: 'Sum' }, ReturnData: false },
              { Id: 'e1', Expression: 'm1 + m2' },
            ],
          },
        },
        SameCustom: { Type: 'AWS::CloudWatch::Alarm', Properties: { ...custom, Period: 300 } },
        Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { Namespace: 'AWS/Kinesis', MetricName: 'x', Period: 10 } },
        Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
      },
      { 'cloudwatch.alarmMetricMonth': 0.1, 'cloudwatch.highResAlarmMetricMonth': 0.3, 'cloudwatch.customMetricMonth': 0.3, 'cloudwatch.dashboardMonth': 3 },
    );
    expect(item(result, 'MathAlarm').load).toBeCloseTo(2 * 0.1 + 0.3, 9);
    expect(item(result, 'SameCustom').load).toBeCloseTo(0.1, 9);
    expect(item(result, 'Fast').load).toBeCloseTo(0.3, 9);
    expect(item(result, 'Board').idle).toBeCloseTo(3, 9);
  });

  test('interface endpoints bill per AZ-hour; gateway endpoints are free', () => {
    const result = run(
      {
        Interface: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b', 'c'] } },
        Gateway: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
      },
      { 'vpc.interfaceEndpointAzHour': 0.01 },
    );
    expect(item(result, 'Interface').idle).toBeCloseTo(3 * 730 * 0.01, 9);
    expect(item(result, 'Gateway').load).toBe(0);
  });
});

describe('CodePipeline and CodeBuild', () => {
  const resources = (pipelineType?: string) => ({
    Synth: {
      Type: 'AWS::CodeBuild::Project',
      Properties: { Environment: { Type: 'LINUX_CONTAINER', ComputeType: 'BUILD_GENERAL1_MEDIUM' } },
      Metadata: { 'aws:cdk:path': 'Test/Pipeline/Build/Synth/CdkBuildProject/Resource' },
    },
    Pipeline: {
      Type: 'AWS::CodePipeline::Pipeline',
      Properties: {
        ...(pipelineType ? { PipelineType: pipelineType } : {}),
        Stages: [
          { Name: 'Source', Actions: [{ ActionTypeId: { Category: 'Source' } }] },
          { Name: 'Build', Actions: [{ ActionTypeId: { Category: 'Build' }, Configuration: { ProjectName: { Ref: 'Synth' } } }] },
          { Name: 'Approve', Actions: [{ ActionTypeId: { Category: 'Approval' } }] },
          { Name: 'Deploy', Actions: [{ ActionTypeId: { Category: 'Deploy' } }] },
        ],
      },
    },
  });
  const prices = { 'codebuild.minute.BUILD_GENERAL1_MEDIUM': 0.01, 'codepipeline.v2ActionMinute': 0.002, 'codepipeline.v1PipelineMonth': 1 };
  const load = { pushesPerMonth: 10, codeBuildMinutesByPath: { '/Synth/': 15 }, pipelineActionMinutes: 2 };

  test('build minutes per push at the compute type, by construct path', () => {
    const result = run(resources('V2'), prices, load);
    expect(item(result, 'Synth').load).toBeCloseTo(10 * 15 * 0.01, 9);
    expect(item(result, 'Synth').idle).toBe(0);
  });

  test('V2 bills action-minutes (the approval is free); V1 a month when a change runs through', () => {
    expect(item(run(resources('V2'), prices, load), 'Pipeline').load).toBeCloseTo(10 * (2 + 15 + 2) * 0.002, 9);
    const v1 = item(run(resources(), prices, load), 'Pipeline');
    expect(v1.load).toBeCloseTo(1, 9);
    expect(v1.idle).toBe(0);
  });
});
