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
