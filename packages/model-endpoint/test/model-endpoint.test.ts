import { Algorithm, SecureBucket, TrafficShiftingMode } from '@freshet/core';
import { formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import {
  ApiAuthorization, CaptureSource, EndpointCompute, ModelEndpoint, ModelEndpointProps, ModelSource, PayloadFormat,
} from '../src';
import { pollutionSchema, stocksSchema } from './fixtures/datasets';
import { lakeAndModel, synthEndpoint } from './fixtures/endpoint';

function only(template: Template, type: string): any {
  const resources = Object.values(template.findResources(type));
  expect(resources).toHaveLength(1);
  return resources[0];
}

describe('ModelEndpoint defaults', () => {
  test('a real-time ml.m5.large variant, KMS volumes, one model with network isolation; no fixed model or config names', () => {
    const { template } = synthEndpoint();
    const config = only(template, 'AWS::SageMaker::EndpointConfig');
    expect(config.Properties.ProductionVariants).toEqual([
      { VariantName: 'primary', ModelName: { 'Fn::GetAtt': [expect.stringMatching(/^EndpointModelprimary/), 'ModelName'] }, InitialVariantWeight: 1, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
    ]);
    expect(config.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointKey/), 'Arn'] });
    expect(config.Properties.EndpointConfigName).toBeUndefined();
    const model = only(template, 'AWS::SageMaker::Model');
    expect(model.Properties.ModelName).toBeUndefined();
    expect(model.Properties.EnableNetworkIsolation).toBe(true);
    // A seed XGBoost model is served like RetrainPipeline's: the framework container running the artifact's code/inference.py.
    expect(model.Properties.PrimaryContainer).toEqual({
      Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5',
      ModelDataUrl: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/models/seed/output/model.tar.gz']] },
      // The install of code/ stays offline on any pip (PIP_NO_BUILD_ISOLATION=0 turns isolation off), and a caller
      // without Accept gets text/csv (issue 22).
      Environment: {
        SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
      },
    });
  });

  test('seed models: the environment option adds to (and overrides) the serving environment; AutoGluon runs its code/ too, DeepAR gets none', () => {
    const stack = testStack();
    const { lake } = lakeAndModel(stack);
    const seed = ModelSource.fromAlgorithm(Algorithm.XGBOOST, { bucket: lake, key: 'models/s/model.tar.gz' }, {
      imageTag: '3.0-6', environment: { SAGEMAKER_MODEL_SERVER_WORKERS: '2', SAGEMAKER_PROGRAM: 'serve.py' },
    });
    new ModelEndpoint(stack, 'Seeded', { schema: stocksSchema(), model: seed, lakeBucket: lake });
    new ModelEndpoint(stack, 'Forecast', {
      schema: pollutionSchema(), model: ModelSource.fromAlgorithm(Algorithm.DEEPAR, { bucket: lake, key: 'models/f/model.tar.gz' }), lakeBucket: lake,
    });
    new ModelEndpoint(stack, 'Tabular', {
      schema: stocksSchema(), model: ModelSource.fromAlgorithm(Algorithm.AUTOGLUON, { bucket: lake, key: 'models/a/model.tar.gz' }), lakeBucket: lake,
    });
    const containers = Object.values(Template.fromStack(stack).findResources('AWS::SageMaker::Model')).map((m: any) => m.Properties.PrimaryContainer);
    const xgboost = containers.find((c) => String(c.Image).includes('sagemaker-xgboost'));
    expect(xgboost.Image).toMatch(/sagemaker-xgboost:3\.0-6$/);
    expect(xgboost.Environment).toEqual({
      SAGEMAKER_PROGRAM: 'serve.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv', SAGEMAKER_MODEL_SERVER_WORKERS: '2',
    });
    expect(containers.find((c) => String(c.Image).includes('forecasting-deepar')).Environment).toBeUndefined();
    expect(containers.find((c) => String(c.Image).includes('autogluon-inference')).Environment).toEqual({
      SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    });
  });

  test('the endpoint name is a literal derived from the construct path: the same on every synth', () => {
    const first = synthEndpoint().endpoint.endpointName;
    const { endpoint, template } = synthEndpoint();
    expect(endpoint.endpointName).toBe(first);
    expect(endpoint.endpointName).toMatch(/^test-endpoint-[0-9a-f]{8}$/);
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.EndpointName).toBe(endpoint.endpointName);
    expect(endpoint.endpointArn).toContain(`:endpoint/${endpoint.endpointName}`);
  });

  test('data capture is on: requests and responses to capture/<endpoint>/ in the lake, KMS-encrypted, stored as text', () => {
    const { endpoint, template } = synthEndpoint();
    const capture = only(template, 'AWS::SageMaker::EndpointConfig').Properties.DataCaptureConfig;
    expect(capture).toEqual({
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      // SageMaker adds <endpoint>/<variant>/yyyy/mm/dd/hh/ below the destination.
      DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/capture']] },
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] },
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
    });
    expect(endpoint.captureUri).toContain(`/capture/${endpoint.endpointName}/`);
  });

  test('the execution role reads only objects under models/ (the first artifact and every retrained one), decrypts through S3, writes only the capture prefix and its own log group', () => {
    const { endpoint, template } = synthEndpoint();
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('EndpointExecutionRole')).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = (s: any) => ([] as string[]).concat(s.Action);
    const put = statements.find((s) => actions(s).includes('s3:PutObject'));
    expect(actions(put).sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(put.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeBucket/), 'Arn'] }, `/capture/${endpoint.endpointName}/*`]] });
    // Reads: GetObject only, on the seed artifact and on models/* (where RetrainPipeline trains: models/<run>/<job>/output/model.tar.gz).
    const s3Actions = statements.flatMap(actions).filter((a: string) => a.startsWith('s3:'));
    expect([...new Set(s3Actions)].sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    const readResources = statements.filter((s) => actions(s).includes('s3:GetObject')).flatMap((s) => [].concat(s.Resource));
    const lakeObjects = (key: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeBucket/), 'Arn'] }, key]] });
    expect(readResources).toContainEqual(lakeObjects('/models/*'));
    expect(readResources).toContainEqual(lakeObjects('/models/seed/output/model.tar.gz'));
    expect(readResources).toHaveLength(2);
    const decrypt = statements.find((s) => actions(s).length === 1 && actions(s)[0] === 'kms:Decrypt');
    expect(decrypt).toMatchObject({
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] },
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
    });
    const logs = statements.find((s) => actions(s).includes('logs:PutLogEvents'));
    expect(logs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointEndpointLogs/), 'Arn'] });
    for (const statement of statements) expect(actions(statement).some((a: string) => a === '*' || a.endsWith(':*') || a.startsWith('s3:List'))).toBe(false);
  });

  test('the endpoint and API execution log groups are owned, with a retention and the key, before the services would create them', () => {
    const { endpoint, template } = synthEndpoint();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${endpoint.endpointName}`,
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^EndpointApi') }, '/prod']] },
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
    });
    const stack = Stack.of(endpoint);
    const id = (c: any) => stack.getLogicalId(c.node.defaultChild);
    expect(template.toJSON().Resources[stack.getLogicalId(endpoint.endpoint!)].DependsOn).toContain(id(endpoint.endpointLogGroup));
    const stageId = stack.getLogicalId(endpoint.api.restApi.deploymentStage.node.defaultChild as any);
    expect(template.toJSON().Resources[stageId].DependsOn).toContain(id(endpoint.api.executionLogGroup));
  });

  test('blue/green canary of 10 percent, 5 minute wait, 10 minute bake, rollback on the 5XX and model latency alarms', () => {
    const { endpoint, template } = synthEndpoint();
    const deployment = only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig;
    expect(deployment.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 300 },
      TerminationWaitInSeconds: 600,
    });
    expect(deployment.AutoRollbackConfiguration.Alarms).toEqual([
      { AlarmName: { Ref: expect.stringMatching(/^EndpointAlarmsInvocation5xxErrorsprimary/) } },
      { AlarmName: { Ref: expect.stringMatching(/^EndpointAlarmsModelLatencyprimary/) } },
    ]);
    const settings = endpoint.deploymentGuardrails;
    expect({ ...settings, rollbackAlarmNames: settings.rollbackAlarmNames.length }).toEqual({
      mode: TrafficShiftingMode.CANARY,
      canarySizePercent: 10,
      linearStepPercent: 0,
      waitIntervalSeconds: 300,
      bakeTimeSeconds: 600,
      rollbackAlarmNames: 2,
    });
    expect(endpoint.variantNames).toEqual(['primary']);
  });

  test('alarms: API 4XX, 5XX, p99 latency, proxy throttles and errors; per variant 5XX, 4XX, model latency, CPU and memory', () => {
    const { template } = synthEndpoint();
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    expect(byMetric('4XXError')).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 50, Statistic: 'Sum' });
    expect(byMetric('5XXError')).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 5 });
    expect(byMetric('Latency')).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 3000 });
    expect(byMetric('Throttles')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0 });
    expect(byMetric('Errors')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0 });
    // The proxy's own 504s (a model slower than its deadline), from the EMF metric it writes.
    expect(byMetric('ModelTimeouts')).toMatchObject({
      Namespace: 'Freshet/PredictProxy',
      Threshold: 0,
      Statistic: 'Sum',
      Dimensions: [{ Name: 'EndpointName', Value: expect.stringMatching(/^test-endpoint-/) }],
      AlarmActions: [expect.anything()],
      TreatMissingData: 'notBreaching',
    });
    expect(byMetric('Invocation5XXErrors')).toMatchObject({ Namespace: 'AWS/SageMaker', Threshold: 5, Dimensions: expect.arrayContaining([{ Name: 'VariantName', Value: 'primary' }]) });
    expect(byMetric('Invocation4XXErrors')).toMatchObject({ Namespace: 'AWS/SageMaker', Threshold: 50 });
    expect(byMetric('ModelLatency')).toMatchObject({ Namespace: 'AWS/SageMaker', Threshold: 1000000, Statistic: 'Average' });
    expect(byMetric('CPUUtilization')).toMatchObject({ Namespace: '/aws/sagemaker/Endpoints', Threshold: 80, EvaluationPeriods: 3 });
    expect(byMetric('MemoryUtilization')).toMatchObject({ Namespace: '/aws/sagemaker/Endpoints', Threshold: 85 });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('alarm thresholds are props', () => {
    const { template } = synthEndpoint({
      alarmThresholds: { invocation5xxErrors: { threshold: 1, evaluationPeriods: 2 }, cpuUtilization: { enabled: false } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Threshold: 1, EvaluationPeriods: 2 });
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'CPUUtilization' } })).toEqual({});
  });
});

describe('the prediction API', () => {
  test('POST /predict with IAM auth, a body validator and a model from the schema without the target', () => {
    const { template } = synthEndpoint();
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'AWS_IAM',
      ApiKeyRequired: false,
      RequestValidatorId: Match.anyValue(),
      RequestModels: { 'application/json': Match.anyValue() },
      Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
    });
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true });
    const schema = only(template, 'AWS::ApiGateway::Model').Properties.Schema;
    expect(schema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    const [record, batch] = schema.oneOf;
    expect(Object.keys(record.properties)).toEqual(['ticker_symbol', 'sector', 'change']);
    expect(record.required).toEqual(['ticker_symbol', 'sector', 'change']);
    expect(record.additionalProperties).toBe(false);
    expect(batch.properties.instances).toMatchObject({ type: 'array', minItems: 1, maxItems: 1000, items: record });
  });

  test('a body the API Gateway validator refuses gets a 400 shaped like the proxy 400s, valid JSON whatever the message', () => {
    const { template } = synthEndpoint();
    const response = only(template, 'AWS::ApiGateway::GatewayResponse').Properties;
    expect(response).toMatchObject({ ResponseType: 'BAD_REQUEST_BODY', StatusCode: '400' });
    // API Gateway substitutes messageString as a quoted JSON string.
    const body = response.ResponseTemplates['application/json'].replace('$context.error.messageString', JSON.stringify('Invalid request body "x"'));
    expect(JSON.parse(body)).toEqual({ message: 'Invalid request body "x"', errors: [{ field: 'body', problem: expect.stringContaining('{"instances": [record, ...]}') }] });
  });

  test('the stage traces, logs access to an encrypted log group, logs execution without bodies, throttles, and does not cache', () => {
    const { template } = synthEndpoint({ api: { throttlingRateLimit: 40, throttlingBurstLimit: 80 } });
    const stage = only(template, 'AWS::ApiGateway::Stage').Properties;
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.AccessLogSetting.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EndpointApiAccessLogs/), 'Arn'] });
    expect(stage.MethodSettings).toEqual([expect.objectContaining({
      LoggingLevel: 'INFO', DataTraceEnabled: false, MetricsEnabled: true, ThrottlingRateLimit: 40, ThrottlingBurstLimit: 80, CachingEnabled: false,
    })]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 365 });
  });

  test('the proxy: Node 22+, X-Ray, reserved concurrency, its environment, and InvokeEndpoint on this endpoint only', () => {
    const { endpoint, template } = synthEndpoint();
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) => f.Properties.Environment?.Variables?.ENDPOINT_NAME)!;
    expect(Number(fn.Properties.Runtime.replace(/^nodejs|\.x$/g, ''))).toBeGreaterThanOrEqual(22);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(10);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      ENDPOINT_NAME: endpoint.endpointName,
      PAYLOAD_FORMAT: 'xgboost-csv',
      MAX_INSTANCES: '1000',
      SCHEMA: JSON.stringify(stocksSchema().toSpec()),
    });
    expect(JSON.stringify(fn.Properties.Environment.Variables.MODEL_VERSION)).toContain('xgboost s3://');
    // The proxy answers a slow model itself (504 + Retry-After): two attempts fit its deadline, the deadline fits the
    // Lambda's timeout with time to answer, and the Lambda's timeout is below API Gateway's 29 s integration timeout.
    const { ATTEMPT_TIMEOUT_MS, DEADLINE_MS, MAX_BODY_BYTES } = fn.Properties.Environment.Variables;
    expect([ATTEMPT_TIMEOUT_MS, DEADLINE_MS, fn.Properties.Timeout, MAX_BODY_BYTES]).toEqual(['11000', '25000', 28, '5242880']);
    expect(2 * Number(ATTEMPT_TIMEOUT_MS)).toBeLessThan(Number(DEADLINE_MS));
    expect(Number(DEADLINE_MS) + 1000).toBeLessThan(fn.Properties.Timeout * 1000);
    expect(fn.Properties.Timeout).toBeLessThan(29);
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('EndpointApiProxyRole')).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements.filter((s) => [].concat(s.Action).some((a: string) => a.startsWith('sagemaker:')))).toEqual([{
      Action: 'sagemaker:InvokeEndpoint',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:us-east-1:123456789012:endpoint/${endpoint.endpointName}`]] },
    }]);
  });

  test('grantPredict lets a role call POST /predict on the stage', () => {
    const { template } = synthEndpoint({}, testStack(), (endpoint) => {
      endpoint.grantPredict(new iam.Role(Stack.of(endpoint), 'Caller', { assumedBy: new iam.AccountRootPrincipal() }));
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Resource: { 'Fn::Join': ['', Match.arrayWith([{ Ref: Match.stringLikeRegexp('^EndpointApiDeploymentStageprod') }, '/POST/predict'])] } })] },
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
    });
  });

  test('API keys: a usage plan with a daily quota and throttling, a key, and the method requires it', () => {
    const { endpoint, template } = synthEndpoint({ api: { authorization: ApiAuthorization.API_KEY, dailyQuotaPerKey: 5000 } });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'NONE', ApiKeyRequired: true });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Quota: { Limit: 5000, Period: 'DAY' }, Throttle: { RateLimit: 100, BurstLimit: 200 } });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    expect(() => endpoint.grantPredict(new iam.Role(Stack.of(endpoint), 'R', { assumedBy: new iam.AccountRootPrincipal() }))).toThrow(/grantPredict applies to ApiAuthorization.IAM only/);
  });

  test('Cognito: a user pool authorizer on the method', () => {
    const stack = testStack();
    const userPool = new cognito.UserPool(stack, 'Users');
    const { template } = synthEndpoint({ api: { authorization: ApiAuthorization.COGNITO, userPool } }, stack);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { Type: 'COGNITO_USER_POOLS' });
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', AuthorizationType: 'COGNITO_USER_POOLS' });
  });

  test('WAF: a regional web ACL with AWS managed rules and a per-IP rate limit, associated to the stage and logged', () => {
    const { template } = synthEndpoint({ api: { waf: true, wafRateLimitPerIp: 500 } });
    const acl = only(template, 'AWS::WAFv2::WebACL').Properties;
    expect(acl.Scope).toBe('REGIONAL');
    expect(acl.Rules.map((r: any) => r.Statement.ManagedRuleGroupStatement?.Name ?? r.Name)).toEqual([
      'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'RateLimitPerIp', 'BodyOverApiLimit',
    ]);
    expect(acl.Rules[3].Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP' });
    const association = only(template, 'AWS::WAFv2::WebACLAssociation').Properties;
    expect(JSON.stringify(association.ResourceArn)).toContain('/stages/');
    only(template, 'AWS::WAFv2::LoggingConfiguration');
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-') });
  });

  test('DeepAR: the API model is the DeepAR request format and the proxy passes JSON through', () => {
    const stack = testStack();
    const { lake } = lakeAndModel(stack);
    new ModelEndpoint(stack, 'Forecast', {
      schema: pollutionSchema(),
      model: ModelSource.fromAlgorithm(Algorithm.DEEPAR, { bucket: lake, key: 'models/f/model.tar.gz' }),
      lakeBucket: lake,
    });
    const template = Template.fromStack(stack);
    const schema = only(template, 'AWS::ApiGateway::Model').Properties.Schema;
    expect(schema.required).toEqual(['instances']);
    expect(schema.properties.instances.items.required).toEqual(['start', 'target']);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PAYLOAD_FORMAT: 'deepar-json' }) } });
    template.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { Image: '522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1', ModelDataUrl: Match.anyValue() } });
  });
});

describe('compute modes', () => {
  test('serverless: memory, concurrency and provisioned concurrency; no volume key, no data capture, no CPU or memory alarms', () => {
    const { template } = synthEndpoint({
      compute: EndpointCompute.serverless({ memorySizeMb: 4096, maxConcurrency: 30, provisionedConcurrency: 2 }),
    });
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(config.ProductionVariants[0].ServerlessConfig).toEqual({ MemorySizeInMB: 4096, MaxConcurrency: 30, ProvisionedConcurrency: 2 });
    expect(config.ProductionVariants[0].InstanceType).toBeUndefined();
    expect(config.KmsKeyId).toBeUndefined();
    expect(config.DataCaptureConfig).toBeUndefined();
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'CPUUtilization' } })).toEqual({});
  });

  test('an instance type with local NVMe storage gets no volume key (SageMaker refuses one), and nag accepts why', () => {
    const stack = testStack();
    const { template } = synthEndpoint({ compute: EndpointCompute.realTime({ instanceType: 'ml.g4dn.xlarge' }) }, stack);
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId).toBeUndefined();
    expect(formatFindings(nagFindings(stack).filter((f) => f.ruleId.includes('SageMaker') || f.ruleId.includes('SM2')))).toBe('');
    const m5 = synthEndpoint({ compute: EndpointCompute.realTime({ instanceType: 'ml.c5.xlarge' }) }).template;
    expect(only(m5, 'AWS::SageMaker::EndpointConfig').Properties.KmsKeyId).toBeDefined();
  });

  test('real-time autoscaling: a scalable target per variant tracking invocations per instance', () => {
    const { endpoint, template } = synthEndpoint({
      compute: EndpointCompute.realTime({ instanceType: 'ml.c5.xlarge', initialInstanceCount: 2, autoScaling: { minCapacity: 2, maxCapacity: 8, targetInvocationsPerInstance: 250 } }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: `endpoint/${endpoint.endpointName}/variant/primary`,
      MinCapacity: 2,
      MaxCapacity: 8,
    });
    template.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', { DependsOn: Match.arrayWith([Match.stringLikeRegexp('^Endpoint8024')]) });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 250, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } }),
    });
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.ProductionVariants[0]).toMatchObject({ InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 2 });
  });

  test('data capture off, or at a sampling percentage with a key of its own', () => {
    expect(only(synthEndpoint({ dataCapture: { enabled: false } }).template, 'AWS::SageMaker::EndpointConfig').Properties.DataCaptureConfig).toBeUndefined();
    const { template } = synthEndpoint({ dataCapture: { samplingPercentage: 25 } });
    expect(only(template, 'AWS::SageMaker::EndpointConfig').Properties.DataCaptureConfig.InitialSamplingPercentage).toBe(25);
  });

  test('without a lake bucket, capture goes to a new secure bucket that is retained', () => {
    const stack = testStack();
    const { lake, model } = lakeAndModel(stack);
    void lake;
    const endpoint = new ModelEndpoint(stack, 'Endpoint', { schema: stocksSchema(), model });
    const template = Template.fromStack(stack);
    expect(endpoint.captureBucket).toBeDefined();
    const buckets = template.findResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    expect(Object.keys(buckets).some((id) => id.startsWith('EndpointCaptureBucket'))).toBe(true);
  });
});

describe('deploymentTarget', () => {
  test('real-time: the variants, compute, key, capture and guardrails of the initial config, for RetrainPipeline', () => {
    const { endpoint, template, stack } = synthEndpoint();
    const target = endpoint.deploymentTarget();
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    const variant = config.ProductionVariants[0];
    expect(target.retrainedVariantName).toBe('primary');
    expect(target.productionVariants).toEqual([{
      variantName: 'primary',
      initialWeight: variant.InitialVariantWeight,
      instanceType: variant.InstanceType,
      initialInstanceCount: variant.InitialInstanceCount,
      serverlessMemorySizeInMb: undefined,
      serverlessMaxConcurrency: undefined,
      serverlessProvisionedConcurrency: undefined,
      keepModelName: undefined,
    }]);
    expect(target.shadowVariants).toBeUndefined();
    expect(target.endpointName).toBe(endpoint.endpointName);
    expect(target.modelExecutionRole).toBe(endpoint.executionRole);
    expect(stack.resolve(target.encryptionKey!.keyArn)).toEqual(config.KmsKeyId);
    expect(stack.resolve(target.dataCapture!.destinationS3Uri)).toEqual(config.DataCaptureConfig.DestinationS3Uri);
    expect(target.dataCapture!.samplingPercent).toBe(config.DataCaptureConfig.InitialSamplingPercentage);
    expect(stack.resolve(target.dataCapture!.kmsKey.keyArn)).toEqual(config.DataCaptureConfig.KmsKeyId);
    expect(target.dataCapture!.csvContentTypes).toEqual(config.DataCaptureConfig.CaptureContentTypeHeader.CsvContentTypes);
    expect(target.guardrails).toEqual(endpoint.deploymentGuardrails);
  });

  test('A/B and shadow: the challenger and the shadow keep their models, the first variant is retrained', () => {
    const stack = testStack();
    const { endpoint, template } = synthEndpoint({
      additionalVariants: [{ variantName: 'challenger', model: lakeAndModel(stack, 'run-2').model, initialWeight: 1 }],
      shadowVariant: { model: lakeAndModel(stack, 'run-3').model, initialWeight: 0.5 },
    }, stack);
    const target = endpoint.deploymentTarget();
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(target.productionVariants.map((v) => v.variantName)).toEqual(['primary', 'challenger']);
    expect(target.productionVariants[0].keepModelName).toBeUndefined();
    expect(stack.resolve(target.productionVariants[1].keepModelName)).toEqual(config.ProductionVariants[1].ModelName);
    expect(target.shadowVariants!.map((v) => [v.variantName, v.initialWeight])).toEqual([['shadow', 0.5]]);
    expect(stack.resolve(target.shadowVariants![0].keepModelName)).toEqual(config.ShadowProductionVariants[0].ModelName);
  });

  test('serverless: memory and concurrency, no key, no capture', () => {
    const compute = EndpointCompute.serverless({ memorySizeMb: 4096, maxConcurrency: 30, provisionedConcurrency: 2 });
    const { endpoint } = synthEndpoint({ compute });
    const target = endpoint.deploymentTarget();
    expect(target.productionVariants[0]).toMatchObject({
      serverlessMemorySizeInMb: 4096, serverlessMaxConcurrency: 30, serverlessProvisionedConcurrency: 2, instanceType: undefined,
    });
    expect(target.encryptionKey).toBeUndefined();
    expect(target.dataCapture).toBeUndefined();
  });
});

describe('variants', () => {
  test('A/B: two production variants split by weight, a shadow variant, and alarms and dashboard metrics per variant', () => {
    const stack = testStack();
    const { endpoint, template } = synthEndpoint({
      initialWeight: 3,
      additionalVariants: [{ variantName: 'challenger', model: lakeAndModel(stack, 'run-2').model, initialWeight: 1 }],
      shadowVariant: { model: lakeAndModel(stack, 'run-3').model, initialWeight: 0.5 },
    }, stack);
    const config = only(template, 'AWS::SageMaker::EndpointConfig').Properties;
    expect(config.ProductionVariants.map((v: any) => [v.VariantName, v.InitialVariantWeight])).toEqual([['primary', 3], ['challenger', 1]]);
    expect(config.ShadowProductionVariants.map((v: any) => [v.VariantName, v.InitialVariantWeight])).toEqual([['shadow', 0.5]]);
    template.resourceCountIs('AWS::SageMaker::Model', 3);
    expect(endpoint.variantNames).toEqual(['primary', 'challenger']);
    expect(endpoint.shadowVariantName).toBe('shadow');
    for (const variant of ['primary', 'challenger']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Dimensions: Match.arrayWith([{ Name: 'VariantName', Value: variant }]) });
    }
    expect(endpoint.deploymentGuardrails.rollbackAlarmNames).toHaveLength(4);
    const dashboard = JSON.stringify(only(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const variant of ['primary', 'challenger', 'shadow']) expect(dashboard).toContain(`\\"VariantName\\",\\"${variant}\\"`);
  });
});

describe('deployment guardrails', () => {
  test('linear steps with an extra rollback alarm', () => {
    const stack = testStack();
    const extra = new cloudwatch.Alarm(stack, 'BusinessKpi', { metric: new cloudwatch.Metric({ namespace: 'Shop', metricName: 'Orders' }), threshold: 1, evaluationPeriods: 1 });
    const { endpoint, template } = synthEndpoint({
      deploymentGuardrails: {
        mode: TrafficShiftingMode.LINEAR,
        linearStepPercent: 25,
        waitInterval: Duration.minutes(2),
        bakeTime: Duration.minutes(20),
        extraRollbackAlarms: [extra],
      },
    }, stack);
    const deployment = only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig;
    expect(deployment.BlueGreenUpdatePolicy).toEqual({
      TrafficRoutingConfiguration: { Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 120 },
      TerminationWaitInSeconds: 1200,
    });
    expect(deployment.AutoRollbackConfiguration.Alarms).toContainEqual({ AlarmName: { Ref: expect.stringMatching(/^BusinessKpi/) } });
    expect(endpoint.deploymentGuardrails).toMatchObject({ mode: 'LINEAR', linearStepPercent: 25, canarySizePercent: 0, waitIntervalSeconds: 120, bakeTimeSeconds: 1200 });
  });

  test('all at once has no wait interval or step size', () => {
    const { template } = synthEndpoint({ deploymentGuardrails: { mode: TrafficShiftingMode.ALL_AT_ONCE } });
    expect(only(template, 'AWS::SageMaker::Endpoint').Properties.DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration).toEqual({ Type: 'ALL_AT_ONCE' });
  });
});

describe('model sources', () => {
  test('a model package ARN, with read access to its artifact bucket', () => {
    const stack = testStack();
    const artifacts = new SecureBucket(stack, 'Artifacts');
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks/3';
    const model = ModelSource.fromModelPackage(arn, { payloadFormat: PayloadFormat.XGBOOST_CSV, artifactBucket: artifacts.bucket });
    const { template } = synthEndpoint({ model }, stack);
    expect(only(template, 'AWS::SageMaker::Model').Properties.PrimaryContainer).toEqual({ ModelPackageName: arn });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ MODEL_VERSION: arn }) } });
  });

  test('an artifact with an image of your own', () => {
    const stack = testStack();
    const { lake } = lakeAndModel(stack);
    const image = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:7';
    const { template } = synthEndpoint({
      model: ModelSource.fromArtifact({ image, artifact: { bucket: lake, key: 'models/custom/model.tar.gz' }, payloadFormat: PayloadFormat.AUTOGLUON_CSV, environment: { THREADS: '2' } }),
    }, stack);
    expect(only(template, 'AWS::SageMaker::Model').Properties.PrimaryContainer).toMatchObject({ Image: image, Environment: { THREADS: '2' } });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PAYLOAD_FORMAT: 'autogluon-csv' }) } });
  });

  test('the AutoGluon preset resolves the Deep Learning Containers image', () => {
    const stack = testStack();
    const { template } = synthEndpoint({ model: lakeAndModel(stack, 'ag', Algorithm.AUTOGLUON).model }, stack);
    expect(only(template, 'AWS::SageMaker::Model').Properties.PrimaryContainer.Image).toBe('763104351884.dkr.ecr.us-east-1.amazonaws.com/autogluon-inference:1.1.1-cpu-py311-ubuntu22.04');
  });

  test('a region-agnostic stack looks the image up in a mapping at deploy time', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const { template } = synthEndpoint({}, stack);
    const image = only(template, 'AWS::SageMaker::Model').Properties.PrimaryContainer.Image;
    expect(JSON.stringify(image)).toContain('Fn::FindInMap');
    const mapping = Object.values(template.toJSON().Mappings)[0] as Record<string, { account: string }>;
    expect(mapping['eu-west-1']).toEqual({ account: '141502667606' });
  });
});

describe('batch predictions', () => {
  test('a .sync transform job task named after the execution, running the first model by default', () => {
    const { template } = synthEndpoint({}, testStack(), (endpoint) => {
      const task = endpoint.batchTransformTask(endpoint, 'Score', { inputUri: 's3://lake/batch/in/', outputUri: 's3://lake/batch/out/' });
      new sfn.StateMachine(endpoint, 'Batch', { definitionBody: sfn.DefinitionBody.fromChainable(task) });
    });
    const definition = JSON.stringify(only(template, 'AWS::StepFunctions::StateMachine').Properties.DefinitionString);
    expect(definition).toContain('sagemaker:createTransformJob.sync');
    expect(definition).toContain('TransformJobName.$');
    expect(definition).toContain('$$.Execution.Name');
    expect(definition).toContain('text/csv');
    expect(definition).toContain('ModelName');
  });
});

describe('validation at synth', () => {
  test.each<[string, Record<string, unknown>, RegExp]>([
    ['serverless memory off the 1 GB steps', { compute: EndpointCompute.serverless({ memorySizeMb: 1500 }) }, /memorySizeMb is 1500: use 1024, 2048/],
    ['serverless memory above 6 GB', { compute: EndpointCompute.serverless({ memorySizeMb: 7168 }) }, /memorySizeMb is 7168/],
    ['serverless concurrency 0', { compute: EndpointCompute.serverless({ maxConcurrency: 0 }) }, /maxConcurrency is 0: use a whole number from 1 to 200/],
    ['serverless concurrency 201', { compute: EndpointCompute.serverless({ maxConcurrency: 201 }) }, /maxConcurrency is 201/],
    ['provisioned above max', { compute: EndpointCompute.serverless({ maxConcurrency: 5, provisionedConcurrency: 6 }) }, /provisionedConcurrency is 6: use a whole number from 1 to maxConcurrency \(5\)/],
    ['serverless with SageMaker\'s data capture', { compute: EndpointCompute.serverless(), dataCapture: { source: CaptureSource.ENDPOINT } }, /serverless endpoints have no SageMaker data capture: use CaptureSource.API/],
    ['zero instances', { compute: EndpointCompute.realTime({ initialInstanceCount: 0 }) }, /initialInstanceCount is 0/],
    ['autoscaling min above max', { compute: EndpointCompute.realTime({ autoScaling: { minCapacity: 3, maxCapacity: 2 } }) }, /maxCapacity is 2: use a whole number of at least minCapacity \(3\)/],
    ['autoscaling target 0', { compute: EndpointCompute.realTime({ autoScaling: { minCapacity: 1, maxCapacity: 2, targetInvocationsPerInstance: 0 } }) }, /targetInvocationsPerInstance is 0/],
    ['a bad instance type', { compute: EndpointCompute.realTime({ instanceType: 'm5.large' }) }, /instanceType 'm5.large' is not a SageMaker hosting type/],
    ['sampling 0', { dataCapture: { samplingPercentage: 0 } }, /samplingPercentage is 0/],
    ['a canary of 60 percent', { deploymentGuardrails: { canarySizePercent: 60 } }, /canarySizePercent is 60/],
    ['a linear step of 5 percent', { deploymentGuardrails: { mode: TrafficShiftingMode.LINEAR, linearStepPercent: 5 } }, /linearStepPercent is 5/],
    ['a canary size with linear mode', { deploymentGuardrails: { mode: TrafficShiftingMode.LINEAR, canarySizePercent: 10 } }, /canarySizePercent is set but mode is LINEAR/],
    ['a 2 hour bake', { deploymentGuardrails: { bakeTime: Duration.hours(2) } }, /bakeTime is 2 hours: use at most 60 minutes/],
    ['Cognito without a pool', { api: { authorization: ApiAuthorization.COGNITO } }, /api.userPool is not set/],
    ['a bad endpoint name', { endpointName: 'stocks_endpoint' }, /endpointName 'stocks_endpoint' must be/],
    ['a repeated variant name', { additionalVariants: [{ variantName: 'primary', model: ModelSource.fromModelPackage('arn:aws:sagemaker:us-east-1:1:model-package/x/1', { payloadFormat: PayloadFormat.XGBOOST_CSV }), initialWeight: 1 }] }, /variant name 'primary' is used twice/],
    ['variants with different payload formats', { additionalVariants: [{ variantName: 'b', model: ModelSource.fromModelPackage('arn:aws:sagemaker:us-east-1:1:model-package/x/1', { payloadFormat: PayloadFormat.DEEPAR_JSON }), initialWeight: 1 }] }, /variant 'b' reads deepar-json but the first model reads xgboost-csv/],
  ])('%s is refused with a message that says what to change', (_name, props, message) => {
    expect(() => synthEndpoint(props)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    const compute = EndpointCompute.serverless({ memorySizeMb: 100, maxConcurrency: 500 });
    expect(() => synthEndpoint({ compute, dataCapture: { source: CaptureSource.API_AND_ENDPOINT } }))
      .toThrow(/memorySizeMb is 100[\s\S]*maxConcurrency is 500[\s\S]*have no SageMaker data capture/);
  });
});

describe('first model from training (ModelSource.fromFirstTraining)', () => {
  function synthFirst(props: Partial<ModelEndpointProps> = {}) {
    const stack = testStack();
    const { lake } = lakeAndModel(stack);
    return { ...synthEndpoint({ model: ModelSource.fromFirstTraining(Algorithm.AUTOGLUON, { bucket: lake }), ...props }, stack), lake };
  }

  test('CloudFormation creates no model, endpoint config or endpoint: only the name, the role, the API and proxy, and the teardown resource', () => {
    const { endpoint, template } = synthFirst();
    template.resourceCountIs('AWS::SageMaker::Model', 0);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 0);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    expect(endpoint.endpoint).toBeUndefined();
    expect(endpoint.endpointConfig).toBeUndefined();
    expect(endpoint.models).toEqual([]);
    expect(endpoint.awaitsFirstModel).toBe(true);
    expect(endpoint.endpointName).toMatch(/^[a-z0-9-]{1,63}$/);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 1);
    template.hasResourceProperties('Custom::EndpointTeardown', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointTeardownFunction'), 'Arn'] },
      EndpointName: endpoint.endpointName,
      WorkflowNamePrefix: 'ct-stocks',
    });
    // The proxy knows a missing endpoint means the first model is still training.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ENDPOINT_NAME: endpoint.endpointName, AWAITING_FIRST_MODEL: 'true', PAYLOAD_FORMAT: 'autogluon-csv' }) },
    });
    // Alarms watch the stable name from the start.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocation5XXErrors',
      Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: endpoint.endpointName }]),
    });
  });

  test('an endpoint CloudFormation creates tells the proxy it is not awaiting a first model', () => {
    const { template } = synthEndpoint();
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ AWAITING_FIRST_MODEL: 'false' }) } });
    template.resourceCountIs('Custom::EndpointTeardown', 0);
  });

  test('the model role reads every object under models/ of the lake and decrypts through S3 only; nothing else in S3 but the capture prefix', () => {
    const { endpoint, template } = synthFirst();
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('EndpointExecutionRole')).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const actions = (s: any) => ([] as string[]).concat(s.Action);
    const reads = statements.filter((s) => actions(s).includes('s3:GetObject'));
    expect(reads).toHaveLength(1);
    expect(actions(reads[0])).toEqual(['s3:GetObject']);
    expect(reads[0].Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeBucket/), 'Arn'] }, '/models/*']] });
    expect(statements.find((s) => actions(s)[0] === 'kms:Decrypt' && actions(s).length === 1).Condition)
      .toEqual({ StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
    const s3Resources = statements.filter((s) => actions(s).some((a: string) => a.startsWith('s3:'))).flatMap((s) => [].concat(s.Resource));
    expect(s3Resources).toHaveLength(2);
    expect(s3Resources).toContainEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeBucket/), 'Arn'] }, `/capture/${endpoint.endpointName}/*`]] });
  });

  test('the teardown function may only describe and delete this endpoint, and the workflow\'s configs and models', () => {
    const { endpoint, template } = synthFirst({ workflowNamePrefix: 'ct-shares' });
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('EndpointTeardownRole')).flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const sagemaker = statements.filter((s) => ([] as string[]).concat(s.Action).some((a) => a.startsWith('sagemaker:')));
    const arn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sagemaker:us-east-1:123456789012:${resource}`]] });
    expect(sagemaker.map((s) => [s.Action, s.Resource])).toEqual([
      [['sagemaker:DescribeEndpoint', 'sagemaker:DeleteEndpoint'], arn(`endpoint/${endpoint.endpointName}`)],
      [['sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpointConfig'], arn('endpoint-config/ct-shares-config-*')],
      ['sagemaker:DeleteModel', arn('model/ct-shares-model-*')],
    ]);
    template.hasResourceProperties('Custom::EndpointTeardown', { WorkflowNamePrefix: 'ct-shares' });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Timeout: 120, Description: Match.stringLikeRegexp('Deletes endpoint') });
  });

  test('deploymentTarget tells RetrainPipeline to create the endpoint, with the prefix teardown expects', () => {
    const { endpoint } = synthFirst({ compute: EndpointCompute.realTime({ instanceType: 'ml.c5.large', initialInstanceCount: 3 }) });
    const target = endpoint.deploymentTarget();
    expect(target).toMatchObject({
      endpointName: endpoint.endpointName,
      createsEndpoint: true,
      workflowNamePrefix: 'ct-stocks',
      retrainedVariantName: 'primary',
      productionVariants: [{ variantName: 'primary', instanceType: 'ml.c5.large', initialInstanceCount: 3, keepModelName: undefined }],
    });
    expect(target.dataCapture?.destinationS3Uri).toMatch(/\/capture$/);
    const cfnOwned = synthEndpoint().endpoint.deploymentTarget();
    expect(cfnOwned.createsEndpoint).toBeUndefined();
    expect(cfnOwned.workflowNamePrefix).toBeUndefined();
  });

  test('variants, autoscaling and a default batch transform model need a model at deploy time: refused with what to change', () => {
    const stack = testStack();
    const { lake, model } = lakeAndModel(stack);
    const first = ModelSource.fromFirstTraining(Algorithm.XGBOOST, { bucket: lake });
    expect(() => new ModelEndpoint(stack, 'Shadowed', { schema: stocksSchema(), model: first, lakeBucket: lake, shadowVariant: { model } }))
      .toThrow(/additionalVariants and shadowVariant need models at deploy time[\s\S]*ModelSource.fromModelPackage/);
    expect(() => new ModelEndpoint(stack, 'Scaled', {
      schema: stocksSchema(), model: first, lakeBucket: lake, compute: EndpointCompute.realTime({ autoScaling: { minCapacity: 1, maxCapacity: 3 } }),
    })).toThrow(/autoScaling registers a scalable target on the endpoint[\s\S]*use initialInstanceCount/);
    expect(() => new ModelEndpoint(stack, 'Second', {
      schema: stocksSchema(), model, lakeBucket: lake, additionalVariants: [{ variantName: 'b', model: first, initialWeight: 1 }],
    })).toThrow(/variant 'b' uses ModelSource.fromFirstTraining, which only the first model may/);
    const endpoint = new ModelEndpoint(stack, 'Batch', { schema: stocksSchema(), model: first, lakeBucket: lake });
    expect(() => endpoint.batchTransformTask(stack, 'Score', { inputUri: 's3://lake/in/', outputUri: 's3://lake/out/' })).toThrow(/has no first model[\s\S]*pass modelName/);
    expect(() => endpoint.batchTransformTask(stack, 'Score2', { inputUri: 's3://lake/in/', outputUri: 's3://lake/out/', modelName: 'ct-stocks-model-abc' })).not.toThrow();
  });
});
