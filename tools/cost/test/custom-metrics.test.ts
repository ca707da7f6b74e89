import { item, run } from './helpers';

const at = (path: string) => ({ 'aws:cdk:path': `Test/${path}/Resource` });
const grant = (role: string, namespace: string, path: string) => ({
  Type: 'AWS::IAM::Policy',
  Properties: {
    Roles: [{ Ref: role }],
    PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': namespace } } }] },
  },
  Metadata: at(path),
});
const alarm = (path: string, namespace: string, name: string, dimensions: Record<string, string>) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    Namespace: namespace,
    MetricName: name,
    Period: 3600,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
  },
  Metadata: at(path),
});

/** A drift monitor: hourly plan -> drift job -> publish, the publisher granted Freshet/ModelMonitor; a schema of 3 columns (2 features). */
function driftMonitor() {
  const schema = JSON.stringify({ name: 'd', columns: [{ name: 'a' }, { name: 'b' }, { name: 'y' }], targetColumn: 'y' });
  const asl = JSON.stringify({
    StartAt: 'Plan',
    States: {
      'Plan': { Type: 'Task', Resource: '__PLAN__', Next: 'Ready?' },
      'Ready?': { Type: 'Choice', Choices: [{ Variable: '$.plan.status', StringEquals: 'ready', Next: 'Publish' }], Default: 'Nothing' },
      'Publish': { Type: 'Task', Resource: '__PUBLISH__', End: true },
      'Nothing': { Type: 'Succeed' },
    },
  }).split(/__PLAN__|__PUBLISH__/);
  return {
    Planner: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 128,
        Environment: {
          Variables: {
            ENDPOINT_NAME: 'ep',
            CAPTURE_PREFIX: 'capture/ep/',
            JOB_ARGUMENTS: JSON.stringify(['drift_job.py', '--schema', schema]),
            QUALITY_ARGUMENTS: JSON.stringify(['--quality-metric', 'rmse']),
          },
        },
      },
      Metadata: at('Monitor/Planner'),
    },
    PublisherRole: { Type: 'AWS::IAM::Role', Properties: {}, Metadata: at('Monitor/PublisherRole') },
    PublisherPolicy: grant('PublisherRole', 'Freshet/ModelMonitor', 'Monitor/PublisherRole/DefaultPolicy'),
    Publisher: {
      Type: 'AWS::Lambda::Function',
      Properties: { MemorySize: 128, Role: { 'Fn::GetAtt': ['PublisherRole', 'Arn'] }, Environment: { Variables: { ENDPOINT_NAME: 'ep' } } },
      Metadata: at('Monitor/Publisher'),
    },
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: { DefinitionString: { 'Fn::Join': ['', [asl[0], { 'Fn::GetAtt': ['Planner', 'Arn'] }, asl[1], { 'Fn::GetAtt': ['Publisher', 'Arn'] }, asl[2]]] } },
      Metadata: at('Monitor/Machine'),
    },
    Hourly: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', Target: { Arn: { Ref: 'Machine' } } }, Metadata: at('Monitor/Hourly') },
    DriftAlarm: alarm('Monitor/Alarms/MaxFeatureDrift', 'Freshet/ModelMonitor', 'MaxFeatureDrift', { Endpoint: 'ep' }),
    QualityAlarm: alarm('Monitor/Alarms/ModelQuality', 'Freshet/ModelMonitor', 'ModelQuality', { Endpoint: 'ep', Metric: 'rmse' }),
  };
}

const prices = {
  'cloudwatch.customMetricMonth': 0.3,
  'cloudwatch.alarmMetricMonth': 0.1,
  'lambda.requestMillion': 0,
  'lambda.gbSecond': 0,
  'stepfunctions.standardTransitionThousand': 0,
  'scheduler.invocationMillion': 0,
  'glue.dpuHour': 0,
};

describe('custom metrics, billed for the hours they are sent', () => {
  test('the drift publisher sends 5 + 3 per feature metrics every hour at load, none at idle; alarms bill only their alarm metrics', () => {
    const result = run(driftMonitor(), prices, { predictionsPerMonth: 1_000_000 });
    // 2 features: SampleSize, CorruptRecords, MaxFeatureDrift, FeaturesOverThreshold, PredictionDrift + 2 x (NullShare, InvalidShare, FeatureDrift) = 11.
    expect(item(result, 'Publisher').load).toBeCloseTo(11 * (730 / 730) * 0.3, 9);
    expect(item(result, 'Publisher').idle).toBe(0);
    expect(item(result, 'Publisher').detail).toContain('11 Freshet/ModelMonitor metrics sent in 730 of 730 hours');
    // Model quality needs ground truth, which the load does not upload: its alarm bills its alarm metric only.
    expect(item(result, 'QualityAlarm').load).toBeCloseTo(0.1, 9);
    expect(item(result, 'DriftAlarm').load).toBeCloseTo(0.1, 9);
  });

  test('the drift planner sends its outcome only: UnmonitoredWindow every hour, with its Reason at idle; never the drift metrics alarms watch', () => {
    const resources: Record<string, any> = {
      ...driftMonitor(),
      PlannerRole: { Type: 'AWS::IAM::Role', Properties: {}, Metadata: at('Monitor/PlannerRole') },
      PlannerPolicy: grant('PlannerRole', 'Freshet/ModelMonitor', 'Monitor/PlannerRole/DefaultPolicy'),
      UnmonitoredAlarm: alarm('Monitor/Alarms/UnmonitoredTraffic', 'Freshet/ModelMonitor', 'UnmonitoredWindow', { Endpoint: 'ep' }),
    };
    resources.Planner.Properties.Role = { 'Fn::GetAtt': ['PlannerRole', 'Arn'] };
    const result = run(resources, prices, { predictionsPerMonth: 1_000_000 });
    // At load the window is monitored: one metric (value 0) each of the 730 hourly runs.
    expect(item(result, 'Planner').load).toBeCloseTo(1 * 0.3, 9);
    // At idle nothing is captured: the plan is blind, so the Reason dimension is sent too.
    expect(item(result, 'Planner').idle).toBeCloseTo(2 * 0.3, 9);
    expect(item(result, 'Planner').detail).toContain('1 Freshet/ModelMonitor metrics sent in 730 of 730 hours: the planner\'s outcome');
  });

  test('a daily Glue job sends its eight run metrics 30.4 hours a month, idle or not', () => {
    const result = run(
      {
        JobRole: { Type: 'AWS::IAM::Role', Properties: {}, Metadata: at('Etl/JobRole') },
        JobPolicy: grant('JobRole', 'Freshet/Etl', 'Etl/JobRole/DefaultPolicy'),
        Job: { Type: 'AWS::Glue::Job', Properties: { Role: { 'Fn::GetAtt': ['JobRole', 'Arn'] }, WorkerType: 'G.1X', NumberOfWorkers: 2 }, Metadata: at('Etl/Job') },
        Daily: { Type: 'AWS::Glue::Trigger', Properties: { Type: 'SCHEDULED', Schedule: 'cron(15 2 * * ? *)', Actions: [{ JobName: { Ref: 'Job' } }] }, Metadata: at('Etl/Daily') },
        Duplicates: alarm('Etl/Alarms/DuplicateShare', 'Freshet/Etl', 'DuplicateShare', { Dataset: 'stocks' }),
      },
      prices,
    );
    const share = (730 / 24) / 730; // a run a day: 30.4 of 730 hours
    expect(item(result, 'Job').load).toBeCloseTo(8 * share * 0.3, 9);
    expect(item(result, 'Job').idle).toBeCloseTo(8 * share * 0.3, 9);
    expect(item(result, 'Duplicates').load).toBeCloseTo(0.1, 9);
  });

  test('an upload function (Embedded Metric Format) sends nothing without uploads; an unpublished metric bills all month; vended ones are free', () => {
    const result = run(
      {
        Upload: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128 }, Metadata: at('Ingest/Upload') },
        Rejected: alarm('Ingest/Alarms/RowsRejected', 'Freshet/Ingest', 'RowsRejected', { Dataset: 'stocks' }),
        Orphan: alarm('Elsewhere/Alarms/Thing', 'Mine/Metrics', 'Thing', {}),
        Cpu: alarm('Serving/Alarms/Cpu', '/aws/sagemaker/Endpoints', 'CPUUtilization', { EndpointName: 'ep' }),
      },
      prices,
    );
    expect(item(result, 'Upload').load).toBe(0);
    expect(item(result, 'Upload').detail).toContain('6 Freshet/Ingest metrics sent in 0.0 of 730 hours');
    expect(item(result, 'Rejected').load).toBeCloseTo(0.1, 9);
    expect(item(result, 'Orphan').load).toBeCloseTo(0.1 + 0.3, 9);
    expect(item(result, 'Cpu').load).toBeCloseTo(0.1, 9);
  });
});
