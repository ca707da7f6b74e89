import { item, run } from './helpers';
import { tracesRecorded } from '../src/pricers/observability';

const SECONDS = 730 * 3600;

/** A REST API with one stage and a proxy function behind a method, the stage's settings given. */
function api(stage: Record<string, unknown>, tracing = 'PassThrough') {
  return {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Proxy: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, TracingConfig: { Mode: tracing } } },
    Method: { Type: 'AWS::ApiGateway::Method', Properties: { RestApiId: { Ref: 'Api' }, Integration: { Uri: { 'Fn::GetAtt': ['Proxy', 'Arn'] } } } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api' }, ...stage } },
    AccessLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 365 } },
  };
}

const prices = {
  'apigateway.restRequestMillion': 3.5,
  'lambda.requestMillion': 0.2,
  'lambda.gbSecond': 0.0000166667,
  'xray.traceRecordedMillion': 5,
  'logs.ingestGb': 0.5,
  'logs.storageGbMonth': 0.03,
};

describe('X-Ray traces (default sampling rule: 1 request/s + 5% of the rest)', () => {
  test('below one request a second every request is traced; above it, one a second plus 5% of the rest', () => {
    expect(tracesRecorded(1_000_000)).toBeCloseTo(1_000_000, 3);
    // 10 requests/s: 1 + 0.05 x 9 = 1.45 traced each second.
    expect(tracesRecorded(10 * SECONDS)).toBeCloseTo(1.45 * SECONDS, 3);
  });

  test('a traced stage records the API\'s requests; the active proxy behind it adds no trace of its own', () => {
    const result = run(api({ TracingEnabled: true }, 'Active'), prices, { predictionsPerMonth: 1_000_000, logGbPerGroup: 0 });
    expect(item(result, 'Stage').load).toBeCloseTo(1 * 5, 6);
    expect(item(result, 'Stage').idle).toBe(0);
    const lambda = 1 * 0.2 + 1_000_000 * 0.1 * 1 * 0.0000166667;
    expect(item(result, 'Proxy').load).toBeCloseTo(lambda, 6);
  });

  test('an active function behind an untraced API samples its own invocations', () => {
    const result = run(api({}, 'Active'), prices, { predictionsPerMonth: 10 * SECONDS, logGbPerGroup: 0 });
    const invocations = 10 * SECONDS;
    const lambda = (invocations / 1e6) * 0.2 + invocations * 0.1 * 1 * 0.0000166667;
    expect(item(result, 'Proxy').load).toBeCloseTo(lambda + ((1.45 * SECONDS) / 1e6) * 5, 4);
    expect(item(result, 'Stage').load).toBe(0);
  });
});

describe('API Gateway logs at the load', () => {
  test('INFO execution logs with data trace: the profile\'s bytes, headers and both copies of each body; kept forever', () => {
    const stage = { MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', LoggingLevel: 'INFO', DataTraceEnabled: true }] };
    const load = {
      predictionsPerMonth: 2_000_000, predictionBytes: 500, apiExecutionLogBytes: 1000, apiDataTraceBytes: 3000, storageMonth: 12, logGbPerGroup: 0,
    };
    const result = run(api(stage), prices, load);
    const gb = (2_000_000 * (1000 + 3000 + 2 * 500)) / 1e9; // 10 GB a month
    expect(item(result, 'Stage').load).toBeCloseTo(gb * 0.5 + gb * 12 * 0.03, 6);
    // ERROR level writes nothing at a healthy load.
    const quiet = run(api({ MethodSettings: [{ ResourcePath: '/*', HttpMethod: '*', LoggingLevel: 'ERROR', DataTraceEnabled: false }] }), prices, load);
    expect(item(quiet, 'Stage').load).toBe(0);
  });

  test('access logs land in their log group at the length of the format per request', () => {
    const format = '{"requestId":"$context.requestId","status":"$context.status"}';
    const stage = { AccessLogSetting: { DestinationArn: { 'Fn::GetAtt': ['AccessLogs', 'Arn'] }, Format: format } };
    const result = run(api(stage), prices, { predictionsPerMonth: 1_000_000, logGbPerGroup: 0.05, storageMonth: 12 });
    const gb = 0.05 + (1_000_000 * (format.length + 1)) / 1e9;
    const kept = 365 / (730 / 24);
    expect(item(result, 'AccessLogs').load).toBeCloseTo(gb * 0.5 + gb * Math.min(12, kept) * 0.03, 6);
    // The profile's figure overrides the format's length.
    const fixed = run(api(stage), prices, { predictionsPerMonth: 1_000_000, logGbPerGroup: 0, storageMonth: 1, apiAccessLogBytes: 400 });
    expect(item(fixed, 'AccessLogs').load).toBeCloseTo(0.4 * 0.5 + 0.4 * 1 * 0.03, 6);
  });
});
