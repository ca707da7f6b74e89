import { item, run } from './helpers';

const DAYS = 730 / 24;

describe('SageMaker endpoints', () => {
  test('instance variants bill instance-hours all month, idle or not', () => {
    const result = run(
      {
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ InstanceType: 'ml.m5.large', InitialInstanceCount: 2, VariantName: 'a' }] } },
        Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
      },
      { 'sagemaker.hosting.ml.m5.large': 0.1 },
    );
    expect(item(result, 'Endpoint').load).toBeCloseTo(2 * 730 * 0.1, 6);
    expect(item(result, 'Endpoint').idle).toBeCloseTo(146, 6);
    expect(item(result, 'Config').status).toBe('free');
  });

  test('serverless variants bill GB-seconds and data per inference, nothing idle', () => {
    const result = run(
      {
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'a', ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }] } },
        Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
      },
      { 'sagemaker.serverlessGbSecond': 0.00002, 'sagemaker.serverlessDataGb': 0.016 },
      { predictionsPerMonth: 1_000_000, serverlessSecondsPerInference: 0.2, predictionBytes: 400 },
    );
    // 1 M x 0.2 s x 2 GB = 400,000 GB-s = $8; 0.4 GB of data = $0.0064.
    expect(item(result, 'Endpoint').load).toBeCloseTo(8.0064, 6);
    expect(item(result, 'Endpoint').idle).toBe(0);
  });

  test('an instance type the template does not fix is unpriced', () => {
    const result = run(
      {
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'a', InstanceType: { Ref: 'Param' } }] } },
        Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
      },
      { 'sagemaker.hosting.ml.m5.large': 0.1 },
    );
    expect(item(result, 'Endpoint').status).toBe('unpriced');
  });
});

/** A retraining workflow: a choice that can fail, a training job, a polling loop and a parallel state. */
const RETRAIN_ASL = {
  StartAt: 'A',
  States: {
    'A': { Type: 'Pass', Next: 'Valid?' },
    'Valid?': { Type: 'Choice', Choices: [{ Variable: '$.bad', BooleanEquals: true, Next: 'Invalid' }], Default: 'Train' },
    'Invalid': { Type: 'Fail' },
    'Train': {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
      Parameters: { ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2, VolumeSizeInGB: 30 }, StoppingCondition: { MaxRuntimeInSeconds: 600 } },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Invalid' }],
      Next: 'Poll',
    },
    'Poll': { Type: 'Wait', Seconds: 30, Next: 'Check' },
    'Check': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint', Next: 'Done?' },
    'Done?': { Type: 'Choice', Choices: [{ Variable: '$.s', StringEquals: 'InService', Next: 'Both' }], Default: 'Poll' },
    'Both': {
      Type: 'Parallel',
      Branches: [
        { StartAt: 'P1', States: { P1: { Type: 'Pass', End: true } } },
        { StartAt: 'Q1', States: { Q1: { Type: 'Pass', Next: 'Q2' }, Q2: { Type: 'Pass', End: true } } },
      ],
      Next: 'Deployed',
    },
    'Deployed': { Type: 'Succeed' },
  },
};

describe('workflow SageMaker jobs', () => {
  test('training instance-hours per retrain, capped by MaxRuntimeInSeconds, with the transitions', () => {
    const result = run(
      { Retrain: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(RETRAIN_ASL) } } },
      { 'sagemaker.training.ml.m5.xlarge': 0.2, 'stepfunctions.standardTransitionThousand': 0.025 },
      { retrainsPerDay: 2, trainingMinutes: 30 },
    );
    const runs = 2 * DAYS;
    // 11 transitions: A, Valid?, Train, Poll, Check, Done?, Both, its branches P1, Q1 and Q2, Deployed (the loop once, no Fail).
    const transitions = runs * 11;
    const training = runs * 2 * (10 / 60) * 0.2;
    expect(item(result, 'Retrain').load).toBeCloseTo((transitions / 1000) * 0.025 + training, 6);
    expect(item(result, 'Retrain').detail).toContain('11 states on the happy path');
  });

  test('idle retrains as scheduled (no traffic, no drift alarm); at load, retrainsPerDay a day', () => {
    const result = run(
      {
        Retrain: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(RETRAIN_ASL) } },
        Weekly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'cron(0 3 ? * SUN *)', Targets: [{ Arn: { Ref: 'Retrain' } }] } },
      },
      { 'sagemaker.training.ml.m5.xlarge': 0.2, 'stepfunctions.standardTransitionThousand': 0.025 },
      { retrainsPerDay: 1, trainingMinutes: 30 },
    );
    const perRun = (11 / 1000) * 0.025 + 2 * (10 / 60) * 0.2;
    expect(item(result, 'Retrain').load).toBeCloseTo(DAYS * perRun, 6);
    // A cron of one run a week: 730 hours / 168.
    expect(item(result, 'Retrain').idle).toBeCloseTo((730 / 168) * perRun, 6);
  });

  test('an endpoint the workflow creates is hosted all month at the config it creates', () => {
    const asl = {
      StartAt: 'Config',
      States: {
        'Config': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig', Parameters: { ProductionVariants: [{ VariantName: 'p', InstanceType: 'ml.c5.large', InitialInstanceCount: 1 }] }, Next: 'Exists?' },
        'Exists?': { Type: 'Choice', Choices: [{ Variable: '$.exists', BooleanEquals: true, Next: 'Update' }], Default: 'Create' },
        'Create': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:createEndpoint', End: true },
        'Update': { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:updateEndpoint', End: true },
      },
    };
    const result = run(
      {
        Deploy: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(asl) } },
        Daily: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 day)', Targets: [{ Arn: { Ref: 'Deploy' }, Id: 'T' }] } },
      },
      { 'sagemaker.hosting.ml.c5.large': 0.1, 'stepfunctions.standardTransitionThousand': 0.025 },
    );
    expect(item(result, 'Deploy').load).toBeCloseTo(730 * 0.1 + ((DAYS * 3) / 1000) * 0.025, 6);
    expect(item(result, 'Deploy').idle).toBeCloseTo(item(result, 'Deploy').load, 6);
  });

  test('a job whose instance type comes from the input is listed as partly priced', () => {
    const asl = {
      StartAt: 'Train',
      States: { Train: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', Parameters: { ResourceConfig: { 'InstanceType.$': '$.type' } }, End: true } },
    };
    const result = run({ Retrain: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(asl) } } }, { 'stepfunctions.standardTransitionThousand': 0.025 });
    expect(item(result, 'Retrain').status).toBe('partial');
    expect(item(result, 'Retrain').detail).toContain('NOT PRICED');
  });
});

describe('Model Monitor schedules', () => {
  test('a processing job per scheduled run, capped by the stopping condition', () => {
    const result = run(
      {
        Monitor: {
          Type: 'AWS::SageMaker::MonitoringSchedule',
          Properties: {
            MonitoringScheduleConfig: {
              ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
              MonitoringJobDefinition: { MonitoringResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 } }, StoppingCondition: { MaxRuntimeInSeconds: 240 } },
            },
          },
        },
      },
      { 'sagemaker.processing.ml.m5.large': 0.1 },
      { processingMinutes: 5 },
    );
    // 730 hourly runs x 4 min (the cap) = 48.67 instance-hours.
    expect(item(result, 'Monitor').idle).toBeCloseTo(730 * (4 / 60) * 0.1, 6);
  });

  test('a schedule naming a job definition takes the definition\'s cluster', () => {
    const result = run(
      {
        Definition: { Type: 'AWS::SageMaker::DataQualityJobDefinition', Properties: { JobResources: { ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2 } } } },
        Monitor: {
          Type: 'AWS::SageMaker::MonitoringSchedule',
          Properties: { MonitoringScheduleConfig: { ScheduleConfig: { ScheduleExpression: 'cron(0 0 ? * * *)' }, MonitoringJobDefinitionName: { 'Fn::GetAtt': ['Definition', 'JobDefinitionName'] } } },
        },
      },
      { 'sagemaker.processing.ml.m5.xlarge': 0.2 },
      { processingMinutes: 6 },
    );
    expect(item(result, 'Monitor').load).toBeCloseTo((730 / 24) * 2 * 0.1 * 0.2, 6);
    expect(item(result, 'Definition').status).toBe('free');
  });
});

describe('a scheduled drift monitor', () => {
  test('a Scheduler schedule that starts a workflow runs its processing job every time', () => {
    const asl = {
      StartAt: 'Plan',
      States: {
        Plan: { Type: 'Pass', Next: 'Drift' },
        Drift: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync',
          Parameters: { ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 30 } }, StoppingCondition: { MaxRuntimeInSeconds: 3600 } },
          End: true,
        },
      },
    };
    const result = run(
      {
        Monitor: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: JSON.stringify(asl) } },
        Hourly: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', Target: { Arn: { Ref: 'Monitor' } } } },
      },
      { 'sagemaker.processing.ml.m5.large': 0.1, 'stepfunctions.standardTransitionThousand': 0.025, 'scheduler.invocationMillion': 1 },
      { processingMinutes: 6 },
    );
    // 730 runs: 2 transitions each, and 6 minutes of one ml.m5.large.
    expect(item(result, 'Monitor').idle).toBeCloseTo((730 * 2 / 1000) * 0.025 + 730 * 0.1 * 0.1, 6);
  });
});
