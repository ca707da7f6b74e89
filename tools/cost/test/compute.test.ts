import { item, run } from './helpers';

describe('Lambda and API Gateway', () => {
  const resources = {
    Proxy: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Method: {
      Type: 'AWS::ApiGateway::Method',
      Properties: { Integration: { Type: 'AWS_PROXY', Uri: { 'Fn::Join': ['', ['arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/', { 'Fn::GetAtt': ['Proxy', 'Arn'] }, '/invocations']] } } },
    },
  };

  test('the proxy an API integrates is invoked once per prediction', () => {
    const result = run(resources, { 'lambda.requestMillion': 0.2, 'lambda.gbSecond': 0.00001, 'apigateway.restRequestMillion': 3.5 }, { predictionsPerMonth: 2_000_000, lambdaDurationMs: 100 });
    // 2 M requests x 0.2 = 0.4; 2 M x 0.1 s x 1 GB = 200,000 GB-s x 0.00001 = 2.
    expect(item(result, 'Proxy').load).toBeCloseTo(2.4, 6);
    expect(item(result, 'Proxy').idle).toBe(0);
    expect(item(result, 'Api').load).toBeCloseTo(7, 6);
    expect(item(result, 'Method').status).toBe('free');
  });

  test('a scheduled function that names a workflow starts it; the workflow invokes its task function', () => {
    const asl = JSON.stringify({ StartAt: 'Gate', States: { Gate: { Type: 'Task', Resource: '__GATE__', End: true } } }).split('__GATE__');
    const result = run(
      {
        Guard: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128, Environment: { Variables: { MACHINE: { Ref: 'Machine' } } } } },
        Gate: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256, Architectures: ['arm64'] } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', [asl[0], { 'Fn::GetAtt': ['Gate', 'Arn'] }, asl[1]]] } } },
        Every5: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(5 minutes)', Target: { Arn: { 'Fn::GetAtt': ['Guard', 'Arn'] } } } },
      },
      { 'lambda.requestMillion': 0.2, 'lambda.gbSecond': 0.00001, 'lambda.gbSecondArm': 0.000008, 'stepfunctions.standardTransitionThousand': 0.025, 'scheduler.invocationMillion': 1 },
      { lambdaDurationMs: 1000 },
    );
    const runs = 730 * 12;
    expect(item(result, 'Every5').load).toBeCloseTo((runs / 1e6) * 1, 9);
    expect(item(result, 'Guard').load).toBeCloseTo((runs / 1e6) * 0.2 + runs * 1 * 0.125 * 0.00001, 9);
    expect(item(result, 'Machine').load).toBeCloseTo((runs / 1000) * 0.025, 9);
    expect(item(result, 'Gate').load).toBeCloseTo((runs / 1e6) * 0.2 + runs * 1 * 0.25 * 0.000008, 9);
  });

  test('a retrain trigger (alarm state changes invoke it; its schedule retries) starts no run of the workflow it names', () => {
    const asl = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
    const result = run(
      {
        Trigger: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256, Environment: { Variables: { STATE_MACHINE_ARN: { Ref: 'Machine' } } } } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: asl } },
        Retry: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(15 minutes)', Targets: [{ Arn: { 'Fn::GetAtt': ['Trigger', 'Arn'] }, Id: 'T' }] } },
        OnAlarm: {
          Type: 'AWS::Events::Rule',
          Properties: { EventPattern: { 'source': ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }, Targets: [{ Arn: { 'Fn::GetAtt': ['Trigger', 'Arn'] }, Id: 'T' }] },
        },
      },
      { 'lambda.requestMillion': 0.2, 'lambda.gbSecond': 0.00001, 'stepfunctions.standardTransitionThousand': 0.025 },
      { lambdaDurationMs: 1000 },
    );
    // The trigger itself still runs every 15 minutes; the workflow it names does not.
    const runs = 730 * 4;
    expect(item(result, 'Trigger').load).toBeCloseTo((runs / 1e6) * 0.2 + runs * 1 * 0.25 * 0.00001, 9);
    expect(item(result, 'Machine').load).toBe(0);
    expect(item(result, 'Machine').idle).toBe(0);
  });

  test('express workflows bill requests', () => {
    const asl = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
    const result = run(
      {
        Fast: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineType: 'EXPRESS', DefinitionString: asl } },
        Minutely: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 minute)', Targets: [{ Arn: { Ref: 'Fast' }, Id: 'T' }] } },
      },
      { 'stepfunctions.expressRequestMillion': 1 },
    );
    expect(item(result, 'Fast').load).toBeCloseTo((730 * 60) / 1e6, 9);
  });
});

describe('a drift workflow at idle', () => {
  /** Plan (a function listing capture) -> ready? -> drift job -> publish, or "Nothing to compare". */
  function drift(planEnvironment: Record<string, string>) {
    const asl = JSON.stringify({
      StartAt: 'Plan',
      States: {
        'Plan': { Type: 'Task', Resource: '__PLAN__', Next: 'Ready?' },
        'Ready?': { Type: 'Choice', Choices: [{ Variable: '$.plan.status', StringEquals: 'ready', Next: 'Job' }], Default: 'Nothing to compare' },
        'Job': {
          Type: 'Task',
          Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync',
          Parameters: { ProcessingResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large' } } },
          Next: 'Publish',
        },
        'Publish': { Type: 'Task', Resource: '__PUBLISH__', End: true },
        'Nothing to compare': { Type: 'Succeed' },
      },
    }).split(/__PLAN__|__PUBLISH__/);
    return {
      Planner: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Environment: { Variables: planEnvironment } } },
      Publisher: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
      Monitor: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { DefinitionString: { 'Fn::Join': ['', [asl[0], { 'Fn::GetAtt': ['Planner', 'Arn'] }, asl[1], { 'Fn::GetAtt': ['Publisher', 'Arn'] }, asl[2]]] } },
      },
      Hourly: { Type: 'AWS::Scheduler::Schedule', Properties: { ScheduleExpression: 'rate(1 hour)', Target: { Arn: { Ref: 'Monitor' } } } },
    };
  }
  const prices = {
    'lambda.requestMillion': 0.2,
    'lambda.gbSecond': 0.00001,
    'stepfunctions.standardTransitionThousand': 0.025,
    'sagemaker.processing.ml.m5.large': 0.115,
    'scheduler.invocationMillion': 1,
  };
  const load = { processingMinutes: 6, lambdaDurationMs: 1000, predictionsPerMonth: 1_000_000 };

  test('with no predictions the planner finds no capture: no drift job, no publish, three transitions a run', () => {
    const result = run(drift({ CAPTURE_PREFIX: 'capture/ep/' }), prices, load);
    const runs = 730;
    // At load: 4 states (Plan, Ready?, Job, Publish) and 730 x 0.1 h of ml.m5.large.
    expect(item(result, 'Monitor').load).toBeCloseTo((runs * 4 / 1000) * 0.025 + runs * 0.1 * 0.115, 9);
    expect(item(result, 'Monitor').idle).toBeCloseTo((runs * 3 / 1000) * 0.025, 9);
    // The planner still runs every hour; the publisher only when there is a report.
    expect(item(result, 'Planner').idle).toBeCloseTo((runs / 1e6) * 0.2 + runs * 1 * 1 * 0.00001, 9);
    expect(item(result, 'Publisher').idle).toBe(0);
    expect(item(result, 'Publisher').load).toBeCloseTo((runs / 1e6) * 0.2 + runs * 1 * 1 * 0.00001, 9);
  });

  test('a workflow whose first function does not list capture runs its job whatever the traffic', () => {
    const result = run(drift({ OTHER: 'x' }), prices, load);
    expect(item(result, 'Monitor').idle).toBeCloseTo((730 * 4 / 1000) * 0.025 + 730 * 0.1 * 0.115, 9);
  });
});
