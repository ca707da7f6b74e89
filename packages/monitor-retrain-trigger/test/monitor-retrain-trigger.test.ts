import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Algorithm } from '@freshet/core';
import { pollutionSchema } from '@freshet/examples';
import { synthesizedDefinition } from '@freshet/test-utils';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { MonitorRetrainTrigger, RetrainTarget } from '../src';
import { buildLightMonitor, buildMonitor, endpointTarget, ENDPOINT } from './fixtures/monitors';

/** The resolved definition of the drift state machine. */
function driftDefinition(template: Template): any {
  return synthesizedDefinition(template.toJSON(), (id) => id.startsWith('MonitorDriftStateMachine'));
}

function plannerEnvironment(template: Template): Record<string, any> {
  const [planner] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Plans each') } })) as any[];
  return planner.Properties.Environment.Variables;
}

function alarms(template: Template): Record<string, any> {
  return Object.fromEntries(Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, r]) => [id.replace(/^Monitor(Alarms)?/, '').replace(/[0-9A-F]{8}$/, ''), (r as any).Properties]));
}

/** Every Allow statement of the policies attached to a role, resolved to strings where they are literal joins. */
function roleStatements(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as any[];
  return policies
    .filter((p) => p.Properties.Roles.some((r: any) => String(r.Ref).startsWith(roleLogicalIdPrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const flat = (value: unknown) => JSON.stringify(value);
const PYTHON = path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'python');

describe('defaults', () => {
  const built = buildMonitor();
  const template = Template.fromStack(built.stack);

  test('an hourly schedule, five past the hour, starts the drift state machine with the scheduled time', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(5 * * * ? *)',
      State: 'ENABLED',
      KmsKeyArn: Match.anyValue(),
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^MonitorDriftStateMachine') },
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorDriftScheduleDeadLetters'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      }),
    });
  });

  test('a Standard state machine with X-Ray and KMS-encrypted logs: plan -> network-isolated processing job -> publish', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitorDriftStateMachineRole'), 'Arn'] },
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    const definition = driftDefinition(template);
    expect(definition.Comment).toMatch(/^Measures the drift of stocks-endpoint/);
    expect(definition.StartAt).toBe('Plan window');
    expect(definition.States['Plan window'].Next).toBe('Window ready?');
    expect(definition.States['Window ready?']).toMatchObject({
      Choices: [{ Variable: '$.plan.status', StringEquals: 'ready', Next: 'Run drift job' }],
      Default: 'Nothing to compare',
    });
    const job = definition.States['Run drift job'];
    expect(job.Resource).toMatch(/:states:::sagemaker:createProcessingJob\.sync$/);
    expect(job.Next).toBe('Publish metrics');
    expect(job.Parameters.NetworkConfig).toEqual({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    expect(job.Parameters.AppSpecification.ImageUri).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3');
    expect(job.Parameters.AppSpecification['ContainerArguments.$']).toBe('$.plan.containerArguments');
    expect(job.Parameters['ProcessingInputs.$']).toBe('$.plan.processingInputs');
    expect(job.Parameters.ProcessingResources.ClusterConfig).toMatchObject({ InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30, VolumeKmsKeyId: expect.stringContaining('LakeKey') });
    expect(job.Parameters.ProcessingOutputConfig.KmsKeyId).toBe(job.Parameters.ProcessingResources.ClusterConfig.VolumeKmsKeyId);
    expect(job.Parameters.ProcessingOutputConfig.Outputs[0].S3Output['S3Uri.$']).toBe('$.plan.reportUri');
    expect(job.Catch[0].Next).toBe('Monitor failed');
    expect(definition.States['Publish metrics'].Next).toBe('Published');
  });

  test('the launcher unpacks both code assets so drift_job.py runs and imports freshet_ml (the code that wrote the baseline)', () => {
    const launcher: string = driftDefinition(template).States['Run drift job'].Parameters.AppSpecification.ContainerEntrypoint[2];
    const assembly = (built.stack.node.root as App).synth();
    const staged = (asset: { assetPath: string }) => path.join(assembly.directory, asset.assetPath);
    const scripts = staged(built.monitor.driftMonitor.scripts);
    expect(fs.existsSync(path.join(scripts, 'drift_job.py'))).toBe(true);
    expect(fs.existsSync(path.join(scripts, 'tests'))).toBe(false);
    // The processing container, played locally: each asset arrives as a zip in its input folder.
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'drift-launcher-'));
    const zip = (dir: string, into: string) => {
      fs.mkdirSync(path.join(root, into), { recursive: true });
      execFileSync(PYTHON, ['-c', 'import shutil, sys; shutil.make_archive(sys.argv[1], "zip", sys.argv[2])', path.join(root, into, 'asset'), dir]);
    };
    zip(scripts, 'processing/input/code');
    zip(staged(built.monitor.driftMonitor.sharedCode), 'processing/input/shared');
    const local = launcher.split('/opt/ml').join(root);
    const probe = execFileSync(PYTHON, ['-c', local, 'drift_job.py', '--help'], { encoding: 'utf-8', cwd: root });
    expect(probe).toContain('--endpoint-name');
    expect(fs.existsSync(path.join(root, 'code', 'freshet_ml', 'baseline.py'))).toBe(true);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the planner is told the window, the prefixes and the job\'s fixed arguments', () => {
    const env = plannerEnvironment(template);
    expect(env).toMatchObject({
      ENDPOINT_NAME: ENDPOINT,
      CAPTURE_PREFIX: `capture/${ENDPOINT}/`,
      GROUND_TRUTH_PREFIX: '',
      REPORT_PREFIX: `reports/drift/${ENDPOINT}/`,
      WINDOW_HOURS: '24',
      JOB_NAME_PREFIX: 'dm-stocks-endpoint',
      QUALITY_ARGUMENTS: '[]',
    });
    const args = JSON.parse(env.JOB_ARGUMENTS);
    expect(args.slice(0, 2)).toEqual(['drift_job.py', '--schema']);
    expect(JSON.parse(args[2])).toMatchObject({ name: 'stocks', targetColumn: 'price' });
    expect(args.slice(3)).toEqual(['--algorithm', 'xgboost', '--psi-threshold', '0.2', '--feature-thresholds', '{}', '--prediction-threshold', '0.2', '--min-samples', '100',
      '--alpha', '0.001', '--null-share-increase', '0.1', '--invalid-share-increase', '0.05']);
  });

  test('MaxFeatureDrift and PredictionDrift alarm at PSI 0.2 in 2 of 3 runs, missing data not breaching, with an action', () => {
    const all = alarms(template);
    for (const name of ['MaxFeatureDrift', 'PredictionDrift']) {
      const alarm = Object.entries(all).find(([id]) => id.startsWith(name))![1];
      expect(alarm).toMatchObject({
        Namespace: 'Freshet/ModelMonitor',
        MetricName: name,
        Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }],
        Statistic: 'Maximum',
        Period: 3600,
        Threshold: 0.2,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions.length).toBeGreaterThan(0);
    }
    expect(Object.keys(all).some((id) => id.startsWith('ModelQuality'))).toBe(false);
    expect(Object.entries(all).find(([id]) => id.startsWith('MonitorFailures'))![1]).toMatchObject({ MetricName: 'ExecutionsFailed', Threshold: 0 });
  });

  test('null and invalid shares alarm past their increase in 2 of 3 runs, missing data not breaching; they tell the team and never retrain', () => {
    const all = alarms(template);
    for (const [name, metric, threshold] of [['NullShareIncrease', 'MaxNullShareIncrease', 0.1], ['InvalidShareIncrease', 'MaxInvalidShareIncrease', 0.05]] as const) {
      const alarm = Object.entries(all).find(([id]) => id.startsWith(name))![1];
      expect(alarm).toMatchObject({
        Namespace: 'Freshet/ModelMonitor',
        MetricName: metric,
        Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }],
        Statistic: 'Maximum',
        Period: 3600,
        Threshold: threshold,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions.length).toBeGreaterThan(0);
    }
    expect(built.monitor.retrainAlarms.map((a) => a.node.id)).not.toContain('NullShareIncrease');
  });

  test('a broken monitor alarms: traffic with no capture or baseline for 3 intervals, stopped runs, schedule dead letters; each with an action', () => {
    const all = alarms(template);
    const find = (name: string) => Object.entries(all).find(([id]) => id.startsWith(name))![1];
    const unmonitored = find('UnmonitoredTraffic');
    expect(unmonitored).toMatchObject({ Threshold: 0, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    const queries = unmonitored.Metrics as any[];
    const expression = queries.find((q) => q.Expression)!;
    expect(expression.Expression).toBe('IF(FILL(unmonitored, 0) > 0 AND (FILL(calls0, 0)) > 0, 1, 0)');
    expect(queries.find((q) => q.Id === 'unmonitored').MetricStat).toMatchObject({
      Metric: { Namespace: 'Freshet/ModelMonitor', MetricName: 'UnmonitoredWindow', Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }] }, Period: 3600,
    });
    expect(queries.find((q) => q.Id === 'calls0').MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/SageMaker', MetricName: 'Invocations', Dimensions: expect.arrayContaining([{ Name: 'EndpointName', Value: ENDPOINT }]) }, Stat: 'Sum', Period: 3600,
    });
    const stopped = find('MonitorRunsStopped');
    expect(stopped).toMatchObject({ Threshold: 0, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    expect((stopped.Metrics as any[]).find((q) => q.Expression).Expression).toBe('FILL(timedOut, 0) + FILL(aborted, 0)');
    expect(flat(stopped.Metrics)).toContain('ExecutionsTimedOut');
    expect(flat(stopped.Metrics)).toContain('ExecutionsAborted');
    expect(flat(stopped.Metrics)).toContain('MonitorDriftStateMachine');
    expect(find('ScheduleDeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 0,
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^MonitorDriftScheduleDeadLetters/), 'QueueName'] } }],
    });
    for (const name of ['UnmonitoredTraffic', 'MonitorRunsStopped', 'ScheduleDeadLetters']) expect(find(name).AlarmActions.length).toBeGreaterThan(0);
    // They tell the team; none of them feeds the trigger.
    for (const name of ['UnmonitoredTraffic', 'MonitorRunsStopped', 'ScheduleDeadLetters']) expect(built.monitor.retrainAlarms.map((a) => a.node.id)).not.toContain(name);
  });

  test('the planner may put its outcome metric in Freshet/ModelMonitor only', () => {
    const statement = roleStatements(template, 'MonitorDriftPlannerRole').find((st) => st.Sid === 'PutOutcomeMetric');
    expect(statement).toMatchObject({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Freshet/ModelMonitor' } } });
  });

  test('the trigger\'s rule matches exactly the drift alarms (never the monitor-failure alarm) and starts the pipeline', () => {
    expect(built.monitor.retrainAlarms.map((a) => a.node.id)).toEqual(['MaxFeatureDrift', 'PredictionDrift']);
    const rules = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['CloudWatch Alarm State Change'] } } })) as any[];
    expect(rules).toHaveLength(1);
    const resources = flat(rules[0].Properties.EventPattern.resources);
    expect(resources).toContain('MonitorAlarmsMaxFeatureDrift');
    expect(resources).toContain('MonitorAlarmsPredictionDrift');
    expect(resources).not.toContain('MonitorFailures');
    expect(flat(roleStatements(template, 'MonitorTrigger'))).toContain('states:StartExecution');
  });

  test('one alarm topic for the monitor and the trigger', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    const monitorTopics = Object.keys(topics).filter((id) => id.startsWith('Monitor'));
    expect(monitorTopics).toHaveLength(1);
  });

  test('one rotating key for the drift monitor and the trigger: their logs, queues and table, with CloudWatch Logs allowed once', () => {
    const keys = Object.entries(template.findResources('AWS::KMS::Key')).filter(([id]) => id.startsWith('Monitor') && !/AlarmTopic/.test(id));
    expect(keys.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['MonitorDriftKey']);
    const [[keyId, key]] = keys as [string, any][];
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const sids = key.Properties.KeyPolicy.Statement.map((st: any) => st.Sid).filter(Boolean);
    expect(sids.filter((sid: string) => sid === 'AllowCloudWatchLogsOfThisAccount')).toHaveLength(1);
    expect(sids).toContain('AllowEventBridgeDeadLettersOfThisAccount');
    // The trigger's table, dead-letter queue and log group use it.
    const usesKey = (props: any) => flat(props).includes(keyId);
    const table = Object.entries(template.findResources('AWS::DynamoDB::Table')).find(([id]) => id.startsWith('MonitorTrigger'))![1] as any;
    expect(usesKey(table.Properties.SSESpecification)).toBe(true);
    const queues = Object.entries(template.findResources('AWS::SQS::Queue')).filter(([id]) => id.startsWith('MonitorTrigger'));
    expect(queues.length).toBeGreaterThan(0);
    expect(queues.every(([, q]: [string, any]) => usesKey(q.Properties.KmsMasterKeyId))).toBe(true);
    const logs = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([id]) => id.startsWith('MonitorTrigger'));
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.every(([, l]: [string, any]) => usesKey(l.Properties.KmsKeyId))).toBe(true);
  });

  test('the job reads capture, baselines and its manifests, writes its report folder only, and cannot touch models or the endpoint', () => {
    const statements = roleStatements(template, 'MonitorDriftJobRole');
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(actions.some((a: string) => a.startsWith('sagemaker:'))).toBe(false);
    const writes = statements.filter((s) => [].concat(s.Action).some((a: string) => a === 's3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(flat(writes[0].Resource)).toContain(`/reports/drift/${ENDPOINT}/*`);
    expect(flat(writes[0].Resource)).not.toMatch(/models|baselines|capture/);
    const reads = statements.find((s) => s.Sid === 'ReadInputs');
    expect(flat(reads.Resource)).toContain(`/capture/${ENDPOINT}/*`);
    expect(flat(reads.Resource)).toContain('/baselines/*');
    expect(flat(statements)).not.toContain('models/');
    expect(flat(statements)).not.toContain('ground-truth');
  });

  test('the state machine runs drift jobs by their prefix and passes only the job role, to SageMaker', () => {
    const statements = roleStatements(template, 'MonitorDriftStateMachineRole');
    const run = statements.find((s) => s.Sid === 'RunDriftJobs');
    expect(run.Action).toEqual(['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob']);
    expect(flat(run.Resource)).toContain(':processing-job/dm-stocks-endpoint-drift-*');
    const pass = statements.find((s) => s.Sid === 'PassJobRole');
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    expect(flat(pass.Resource)).toContain('MonitorDriftJobRole');
  });

  test('the publisher may put metrics in Freshet/ModelMonitor only', () => {
    const statements = roleStatements(template, 'MonitorDriftPublisher');
    expect(statements.find((s) => s.Sid === 'PutDriftMetrics')).toMatchObject({
      Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Freshet/ModelMonitor' } },
    });
  });

  test('the planner describes this endpoint and reads config tags; lists capture under its prefix', () => {
    const statements = roleStatements(template, 'MonitorDriftPlanner');
    expect(statements.find((s) => s.Sid === 'DescribeEndpoint').Resource).toBe(`arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`);
    expect(statements.find((s) => s.Sid === 'ListCapture').Condition).toEqual({ StringLike: { 's3:prefix': [`capture/${ENDPOINT}/*`] } });
    expect(flat(statements.find((s) => s.Sid === 'WriteManifests').Resource)).toContain(`/reports/drift/${ENDPOINT}/*/manifests/*`);
  });

  test('a dashboard shows drift per feature, sample size and the trigger\'s decisions', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard')).filter((d: any) => flat(d.Properties.DashboardBody).includes('drift and retraining')) as any[];
    const body = flat(dashboard.Properties.DashboardBody);
    for (const title of ['Drift per feature (PSI)', 'Sample size', 'Null and invalid share per feature', 'Unmonitored windows', 'Trigger decisions']) expect(body).toContain(title);
    expect(body).toContain(`MetricName=\\\\\\"FeatureDrift\\\\\\" Endpoint=\\\\\\"${ENDPOINT}\\\\\\"`);
    expect(body).toContain(`MetricName=\\\\\\"NullShare\\\\\\" Endpoint=\\\\\\"${ENDPOINT}\\\\\\"`);
    expect(body).toContain('MaxNullShareIncrease');
    expect(body).toContain('TriggerSkipped');
    expect(body).not.toContain('Model quality');
  });
});

describe('options', () => {
  test('interval and window: a 6-hourly cron, a 48-hour window, 6-hour alarm periods', () => {
    const { stack } = buildLightMonitor({ interval: Duration.hours(6), window: Duration.hours(48), scheduleEnabled: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(5 0/6 * * ? *)', State: 'DISABLED' });
    Template.fromStack(buildLightMonitor({ interval: Duration.hours(24) }).stack).hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(5 0 * * ? *)' });
    expect(plannerEnvironment(template).WINDOW_HOURS).toBe('48');
    expect(Object.entries(alarms(template)).find(([id]) => id.startsWith('MaxFeatureDrift'))![1].Period).toBe(21600);
  });

  test('drift thresholds reach the job; with feature thresholds the alarm counts features over their own thresholds', () => {
    const { stack, monitor } = buildLightMonitor({
      drift: {
        psiThreshold: 0.3,
        featureThresholds: { change: 0.1, ticker_symbol: 0.5 },
        predictionDriftThreshold: 0.25,
        minSamples: 500,
        alpha: 0.0001,
        nullShareIncrease: 0.2,
        invalidShareIncrease: 0.02,
      },
    });
    const template = Template.fromStack(stack);
    const args = JSON.parse(plannerEnvironment(template).JOB_ARGUMENTS);
    expect(args.slice(3)).toEqual(['--algorithm', 'xgboost', '--psi-threshold', '0.3', '--feature-thresholds', '{"change":0.1,"ticker_symbol":0.5}',
      '--prediction-threshold', '0.25', '--min-samples', '500', '--alpha', '0.0001', '--null-share-increase', '0.2', '--invalid-share-increase', '0.02']);
    const thresholds = alarms(template);
    expect(Object.entries(thresholds).find(([id]) => id.startsWith('NullShareIncrease'))![1].Threshold).toBe(0.2);
    expect(Object.entries(thresholds).find(([id]) => id.startsWith('InvalidShareIncrease'))![1].Threshold).toBe(0.02);
    const all = alarms(template);
    expect(Object.keys(all).some((id) => id.startsWith('MaxFeatureDrift'))).toBe(false);
    expect(Object.entries(all).find(([id]) => id.startsWith('DriftedFeatures'))![1]).toMatchObject({
      MetricName: 'FeaturesOverThreshold',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }],
    });
    expect(Object.entries(all).find(([id]) => id.startsWith('PredictionDrift'))![1].Threshold).toBe(0.25);
    expect(monitor.retrainAlarms.map((a) => a.node.id)).toEqual(['DriftedFeatures', 'PredictionDrift']);
  });

  test('alarm thresholds and M-of-N are props', () => {
    const { stack } = buildLightMonitor({
      alarmOptions: { maxFeatureDrift: { threshold: 0.4, evaluationPeriods: 5, datapointsToAlarm: 4 }, predictionDrift: { evaluationPeriods: 1 } },
    });
    const all = alarms(Template.fromStack(stack));
    expect(Object.entries(all).find(([id]) => id.startsWith('MaxFeatureDrift'))![1]).toMatchObject({ Threshold: 0.4, EvaluationPeriods: 5, DatapointsToAlarm: 4 });
    expect(Object.entries(all).find(([id]) => id.startsWith('PredictionDrift'))![1]).toMatchObject({ EvaluationPeriods: 1, DatapointsToAlarm: 1 });
  });

  test('model quality: ground truth is listed and read, the metric alarms in the direction of worse', () => {
    const { stack, monitor } = buildLightMonitor({ modelQuality: { metric: 'rmse', threshold: 5 } });
    const template = Template.fromStack(stack);
    const env = plannerEnvironment(template);
    expect(env.GROUND_TRUTH_PREFIX).toBe(`ground-truth/${ENDPOINT}/`);
    expect(JSON.parse(env.QUALITY_ARGUMENTS)).toEqual(['--quality-metric', 'rmse', '--quality-threshold', '5']);
    expect(flat(roleStatements(template, 'MonitorDriftJobRole').find((s) => s.Sid === 'ReadInputs').Resource)).toContain(`/ground-truth/${ENDPOINT}/*`);
    const quality = Object.entries(alarms(template)).find(([id]) => id.startsWith('ModelQuality'))![1];
    expect(quality).toMatchObject({
      MetricName: 'ModelQuality',
      Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }, { Name: 'Metric', Value: 'rmse' }],
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
    expect(monitor.retrainAlarms.map((a) => a.node.id)).toContain('ModelQuality');
    const auc = buildLightMonitor({ modelQuality: { metric: 'auc', threshold: 0.8, groundTruthPrefix: 'labels/' } });
    const aucTemplate = Template.fromStack(auc.stack);
    expect(Object.entries(alarms(aucTemplate)).find(([id]) => id.startsWith('ModelQuality'))![1].ComparisonOperator).toBe('LessThanThreshold');
    expect(plannerEnvironment(aucTemplate).GROUND_TRUTH_PREFIX).toBe(`labels/${ENDPOINT}/`);
  });

  test('with an alarm name prefix, two monitors\' alarms (their triggers\' too) all have names of their own', () => {
    const { stack, lake } = buildLightMonitor({ alarmOptions: { alarmNamePrefix: 'freshet-dev' } });
    new MonitorRetrainTrigger(stack, 'PollutionMonitor', {
      endpoint: endpointTarget(stack, lake, { endpointName: 'pollution-endpoint', endpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/pollution-endpoint' }),
      schema: pollutionSchema(),
      algorithm: Algorithm.DEEPAR,
      lakeBucket: lake.bucket,
      target: RetrainTarget.codePipelineNamed('pollution-ct'),
      alarmOptions: { alarmNamePrefix: 'freshet-dev' },
    });
    const names = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.AlarmName);
    expect(names.length).toBeGreaterThan(6);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('freshet-dev-Monitor-Trigger-Errors');
    expect(names).toContain('freshet-dev-PollutionMonitor-Trigger-Errors');
    expect(names).toContain('freshet-dev-Monitor-MaxFeatureDrift');
  });

  test('user alarms, passed in or added later, feed the same trigger', () => {
    const { stack, monitor } = buildLightMonitor({}, (s) => ({
      alarms: [new cloudwatch.Alarm(s, 'Endpoint5xx', { metric: new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName: 'Invocation5XXErrors' }), threshold: 5, evaluationPeriods: 1 })],
    }));
    monitor.addAlarm(new cloudwatch.Alarm(stack, 'Revenue', { metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Revenue' }), threshold: 1, evaluationPeriods: 1 }));
    const template = Template.fromStack(stack);
    const [rule] = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['CloudWatch Alarm State Change'] } } })) as any[];
    const resources = flat(rule.Properties.EventPattern.resources);
    expect(resources).toContain('Endpoint5xx');
    expect(resources).toContain('Revenue');
    expect(resources).toContain('MaxFeatureDrift');
  });

  test('Model Monitor, created: a data-quality schedule on the endpoint, and its feature drift metrics feed the trigger', () => {
    const { stack } = buildLightMonitor({
      modelMonitor: { baselineConstraintsUri: 's3://lake/mm/constraints.json', baselineStatisticsUri: 's3://lake/mm/statistics.json', features: ['change', 'sector'] },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
      MonitoringScheduleName: `${ENDPOINT}-data-quality`,
      MonitoringScheduleConfig: Match.objectLike({
        MonitoringType: 'DataQuality',
        MonitoringJobDefinition: Match.objectLike({
          BaselineConfig: { ConstraintsResource: { S3Uri: 's3://lake/mm/constraints.json' }, StatisticsResource: { S3Uri: 's3://lake/mm/statistics.json' } },
          MonitoringAppSpecification: { ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer' },
          MonitoringInputs: [{ EndpointInput: { EndpointName: ENDPOINT, LocalPath: '/opt/ml/processing/input/endpoint' } }],
          NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true },
        }),
      }),
    });
    const mm = Object.entries(alarms(template)).filter(([id]) => id.startsWith('ModelMonitorDrift'));
    expect(mm.map(([, a]) => [a.Namespace, a.MetricName, a.Threshold])).toEqual([
      ['aws/sagemaker/Endpoints/data-metrics', 'feature_baseline_drift_change', 0.1],
      ['aws/sagemaker/Endpoints/data-metrics', 'feature_baseline_drift_sector', 0.1],
    ]);
    const [rule] = Object.values(template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['CloudWatch Alarm State Change'] } } })) as any[];
    expect(flat(rule.Properties.EventPattern.resources)).toContain('ModelMonitorDriftchange');
  });

  test('Model Monitor, adopted: no schedule is created, its metrics still alarm into the trigger', () => {
    const { stack } = buildLightMonitor({ modelMonitor: { existingScheduleName: 'team-schedule', features: ['change'], threshold: 0.3 } });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::MonitoringSchedule', 0);
    const [, alarm] = Object.entries(alarms(template)).find(([id]) => id.startsWith('ModelMonitorDrift'))!;
    expect(alarm).toMatchObject({ Threshold: 0.3, Dimensions: [{ Name: 'Endpoint', Value: ENDPOINT }, { Name: 'MonitoringSchedule', Value: 'team-schedule' }] });
  });

  test('the scale-out cap and threshold reach the planner; the timeout allows the counting and the summing job', () => {
    const defaults = Template.fromStack(buildLightMonitor().stack);
    expect(plannerEnvironment(defaults)).toMatchObject({ MAX_INSTANCE_COUNT: '1', BYTES_PER_INSTANCE: '10000000000', SHARDABLE: 'true' });
    const jobResources = { maxInstanceCount: 8, bytesPerInstance: 5_000_000_000, maxRuntime: Duration.hours(2) };
    const scaled = Template.fromStack(buildLightMonitor({ jobResources }).stack);
    expect(plannerEnvironment(scaled)).toMatchObject({ MAX_INSTANCE_COUNT: '8', BYTES_PER_INSTANCE: '5000000000' });
    // 2 jobs of at most 2 hours each, plus 30 minutes.
    expect(driftDefinition(scaled).TimeoutSeconds).toBe(4 * 3600 + 1800);
    expect(driftDefinition(defaults).TimeoutSeconds).toBe(3600 + 1800);
  });

  test('job resources and the name prefix', () => {
    const { stack } = buildLightMonitor({ jobResources: { instanceType: 'ml.m5.4xlarge', volumeSizeGb: 100, maxRuntime: Duration.hours(3) }, namePrefix: 'drift-stocks' });
    const template = Template.fromStack(stack);
    const job = driftDefinition(template).States['Run drift job'];
    expect(job.Parameters.ProcessingResources.ClusterConfig).toMatchObject({ InstanceType: 'ml.m5.4xlarge', VolumeSizeInGB: 100 });
    expect(job.Parameters.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 10800 });
    expect(plannerEnvironment(template).JOB_NAME_PREFIX).toBe('drift-stocks');
  });

  test('a CodePipeline target: the trigger starts the pipeline', () => {
    const { stack } = buildLightMonitor({}, (s) => ({
      target: RetrainTarget.codePipeline(codepipeline.Pipeline.fromPipelineArn(s, 'Ct', 'arn:aws:codepipeline:us-east-1:123456789012:ct-pipeline')),
    }));
    const statements = roleStatements(Template.fromStack(stack), 'MonitorTrigger');
    expect(flat(statements)).toContain('codepipeline:StartPipelineExecution');
    expect(flat(statements)).not.toContain('states:StartExecution');
  });

  test('DeepAR (pollution) requests are decoded with its codec', () => {
    const stack = new Stack();
    const { SecureBucket } = jest.requireActual('@freshet/core');
    const lake = new SecureBucket(stack, 'Lake');
    const monitor = new MonitorRetrainTrigger(stack, 'Monitor', {
      endpoint: endpointTarget(stack, lake, { endpointName: 'pollution-endpoint', endpointArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/pollution-endpoint' }),
      schema: pollutionSchema(),
      algorithm: Algorithm.DEEPAR,
      lakeBucket: lake.bucket,
      target: RetrainTarget.codePipelineNamed('pollution-ct'),
    });
    const args = JSON.parse(plannerEnvironment(Template.fromStack(stack)).JOB_ARGUMENTS);
    expect(args[args.indexOf('--algorithm') + 1]).toBe('deepar');
    // The job counts a DeepAR window in one process: the planner never shards it.
    expect(plannerEnvironment(Template.fromStack(stack)).SHARDABLE).toBe('false');
    // Too long for 20 characters: the start and a hash of the whole name.
    expect(monitor.driftMonitor.namePrefix).toMatch(/^dm-pollution-[0-9a-f]{6}$/);
  });
});

describe('wrong props fail at synth with what to change', () => {
  const cases: [string, Parameters<typeof buildMonitor>[0], RegExp][] = [
    ['an interval that does not divide a day', { interval: Duration.hours(5) }, /interval is 5 hours; give a whole number of hours that divides a day/],
    ['a window shorter than the interval', { interval: Duration.hours(6), window: Duration.hours(3) }, /window is 3 hours; give whole hours, at least the interval/],
    ['a window of minutes', { window: Duration.minutes(90) }, /window is 1 hour 30 minutes/],
    ['a threshold for a column that is not a feature', { drift: { featureThresholds: { price: 0.1 } } }, /names 'price', which is not a feature of schema 'stocks'/],
    ['a negative feature threshold', { drift: { featureThresholds: { change: -1 } } }, /drift.featureThresholds.change is -1; give a PSI above 0/],
    ['a zero PSI threshold', { drift: { psiThreshold: 0 } }, /drift.psiThreshold is 0/],
    ['a fractional minSamples', { drift: { minSamples: 2.5 } }, /drift.minSamples is 2.5/],
    ['an alpha of 0.5', { drift: { alpha: 0.5 } }, /drift.alpha is 0.5; give a small significance between 0 and 0.5/],
    ['a null share increase of 1', { drift: { nullShareIncrease: 1 } }, /drift.nullShareIncrease is 1; give an increase of the share between 0 and 1/],
    ['a negative invalid share increase', { drift: { invalidShareIncrease: -0.1 } }, /drift.invalidShareIncrease is -0.1/],
    ['an unknown quality metric', { modelQuality: { metric: 'logloss', threshold: 1 } }, /modelQuality.metric 'logloss' is not one Freshet knows.*set modelQuality.higherIsBetter/],
    ['a ground-truth prefix without a slash', { modelQuality: { metric: 'rmse', threshold: 1, groundTruthPrefix: 'labels' } }, /groundTruthPrefix 'labels' must be a lake prefix ending in '\/'/],
    ['a bad name prefix', { namePrefix: 'Drift_Stocks' }, /namePrefix 'Drift_Stocks' must be 1-20 lowercase/],
    ['alarm evaluation beyond 7 days', { interval: Duration.hours(24), alarmOptions: { predictionDrift: { evaluationPeriods: 8 } } }, /alarmOptions.predictionDrift.evaluationPeriods is 8; .*span at most 7 days/],
    ['null-share evaluation beyond 7 days', { interval: Duration.hours(24), alarmOptions: { nullShare: { evaluationPeriods: 8 } } }, /alarmOptions.nullShare.evaluationPeriods is 8/],
    ['alarms off and none given', { alarmOptions: { enabled: false } }, /no alarm would ever start a retrain/],
    ['Model Monitor without baselines', { modelMonitor: { features: ['change'] } }, /give baselineConstraintsUri and baselineStatisticsUri/],
    ['Model Monitor adopted with baselines', { modelMonitor: { existingScheduleName: 's', baselineStatisticsUri: 's3://x/y', features: ['change'] } }, /drop baselineConstraintsUri and baselineStatisticsUri/],
    ['Model Monitor with no features', { modelMonitor: { existingScheduleName: 's', features: [] } }, /modelMonitor.features is empty/],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => buildLightMonitor(props)).toThrow(message);
  });

  test('a serverless endpoint capturing at the API is monitored from the API\'s capture: same bucket, capture/<endpoint>/, its key', () => {
    const { monitor, stack } = buildLightMonitor({}, (s, lake) => {
      const target = endpointTarget(s, lake);
      return {
        endpoint: {
          ...target,
          serverless: true,
          encryptionKey: undefined,
          networkIsolation: false,
          productionVariants: [{ variantName: 'AllTraffic', initialWeight: 1, serverlessMemorySizeInMb: 2048, serverlessMaxConcurrency: 5 }],
          dataCapture: undefined,
          apiCapture: target.dataCapture,
        },
      };
    });
    const template = Template.fromStack(stack);
    expect(plannerEnvironment(template)).toMatchObject({ CAPTURE_PREFIX: `capture/${ENDPOINT}/` });
    expect(monitor.driftMonitor).toBeDefined();
    // The job may decrypt what the API's capture wrote with the lake key.
    const decrypt = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(decrypt).toContain('DecryptInputs');
  });

  test('an endpoint without data capture', () => {
    expect(() => buildLightMonitor({}, (s, lake) => ({ endpoint: endpointTarget(s, lake, { dataCapture: undefined }) }))).toThrow(/captures no data.*turn data capture on/);
  });

  test('capture in another bucket than the one given', () => {
    expect(() => buildLightMonitor({}, (s, lake) => ({
      endpoint: endpointTarget(s, lake, { dataCapture: { destinationS3Uri: 's3://other-bucket/capture', samplingPercent: 100, kmsKey: lake.encryptionKey } }),
    }))).toThrow(/captures to another bucket than the lake bucket: pass the bucket it captures to as captureBucket/);
  });
});
