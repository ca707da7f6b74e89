import { CheckovSkips, DatasetSchema, NagAcknowledgements, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { contentLengthAbovePattern } from './content-length-rule';
import { PredictProxyFunction } from './handlers/predict-proxy-function';
import { ApiAuthorization, PredictApiOptions } from './model-endpoint-props';
import { PayloadFormat } from './model-source';

/** Properties of a {@link PredictApi}. */
export interface PredictApiProps {
  /** The dataset whose features requests carry. */
  readonly schema: DatasetSchema;
  /** The endpoint's stable name. */
  readonly endpointName: string;
  /** The endpoint's ARN, the only resource the proxy may invoke. */
  readonly endpointArn: string;
  /** What the model reads and writes. */
  readonly payloadFormat: PayloadFormat;
  /** What the first model is, returned as `modelVersion`. */
  readonly modelVersion: string;
  /**
   * Whether the retraining workflow creates the endpoint: until it does, the proxy answers 503 "a first model is still training".
   * @default false
   */
  readonly awaitsFirstModel?: boolean;
  /** A key that CloudWatch Logs may use (`SecureKey.grantCloudWatchLogs`), for the log groups. */
  readonly encryptionKey: kms.IKey;
  /**
   * API options.
   * @default - IAM auth, 100 rps, no WAF
   */
  readonly options?: PredictApiOptions;
  /**
   * Removal policy of the log groups.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Capture at the API: the proxy writes a SageMaker data-capture line to its log for each forwarded request.
   * @default - no capture at the API
   */
  readonly capture?: PredictApiCapture;
}

/** How the proxy captures requests at the API. */
export interface PredictApiCapture {
  /** The share of requests captured, in percent (0–100). */
  readonly samplingPercent: number;
  /** The variant recorded when SageMaker's answer names none (it always does). */
  readonly defaultVariant: string;
}

/**
 * POST /predict: an API Gateway REST API that validates requests against the
 * dataset's features, authenticates callers (IAM by default), throttles, logs
 * and traces, in front of the proxy Lambda that invokes the endpoint.
 */
export class PredictApi extends Construct {
  /**
   * The largest request body the proxy reads, in bytes (5 MiB); larger ones answer 413.
   * SageMaker real-time payloads stop at 6 MB and API Gateway's at 10 MB. WAF blocks a
   * larger declared `Content-Length` at the edge with the same 413.
   */
  public static readonly MAX_BODY_BYTES = 5 * 1024 * 1024;

  /**
   * The proxy's budget for one request, in milliseconds: below API Gateway's 29 s integration
   * timeout and the proxy Lambda's 28 s, so a slow model gets the proxy's 504 with a JSON body and
   * Retry-After rather than API Gateway's bare 504.
   */
  public static readonly PROXY_DEADLINE_MS = 25_000;

  /** One InvokeEndpoint attempt's timeout, in milliseconds: two attempts and a backoff fit in the deadline. */
  public static readonly PROXY_ATTEMPT_TIMEOUT_MS = 11_000;

  /** The JSON Schema (draft-04) of a request, as the API Gateway model holds it. */
  public static requestSchema(schema: DatasetSchema, payloadFormat: PayloadFormat, maxInstances: number): any {
    if (payloadFormat === PayloadFormat.DEEPAR_JSON) {
      return {
        $schema: 'http://json-schema.org/draft-04/schema#',
        title: `${schema.name}_forecast_request`,
        type: 'object',
        properties: {
          instances: {
            type: 'array',
            minItems: 1,
            maxItems: maxInstances,
            items: {
              type: 'object',
              properties: {
                start: { type: 'string' },
                target: { type: 'array', minItems: 1, items: { type: ['number', 'string'] } },
                cat: { type: 'array', items: { type: 'integer', minimum: 0 } },
                dynamic_feat: { type: 'array', items: { type: 'array', items: { type: 'number' } } },
              },
              required: ['start', 'target'],
              additionalProperties: false,
            },
          },
          configuration: {
            type: 'object',
            properties: {
              num_samples: { type: 'integer', minimum: 1, maximum: 10000 },
              output_types: { type: 'array', minItems: 1, items: { type: 'string', enum: ['mean', 'quantiles', 'samples'] } },
              quantiles: { type: 'array', items: { type: 'string' } },
            },
            additionalProperties: false,
          },
        },
        required: ['instances'],
        additionalProperties: false,
      };
    }
    const { $schema: _draft, title: _title, ...record } = schema.toJsonSchema({ includeTarget: false });
    return {
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: `${schema.name}_prediction_request`,
      description: 'One record of the features, or { "instances": [record, ...] }.',
      oneOf: [
        record,
        {
          type: 'object',
          properties: { instances: { type: 'array', minItems: 1, maxItems: maxInstances, items: record } },
          required: ['instances'],
          additionalProperties: false,
        },
      ],
    };
  }

  /** The REST API. */
  public readonly restApi: apigateway.RestApi;
  /** The POST method of /predict. */
  public readonly predictMethod: apigateway.Method;
  /** The proxy function. */
  public readonly proxyFunction: lambda.Function;
  /** The proxy function's role. */
  public readonly proxyRole: iam.Role;
  /** The proxy function's log group. */
  public readonly proxyLogGroup: SecureLogGroup;
  /** The stage's access log group. */
  public readonly accessLogGroup: SecureLogGroup;
  /** The stage's execution log group, `API-Gateway-Execution-Logs_<restApiId>/<stage>`, which API Gateway would create without retention. */
  public readonly executionLogGroup: SecureLogGroup;
  /** The API key, with ApiAuthorization.API_KEY. */
  public readonly apiKey?: apigateway.IApiKey;
  /** The usage plan, with ApiAuthorization.API_KEY. */
  public readonly usagePlan?: apigateway.UsagePlan;
  /** The web ACL, with `waf`. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The web ACL's log group, with `waf`. */
  public readonly wafLogGroup?: SecureLogGroup;
  /** How callers authenticate. */
  public readonly authorization: ApiAuthorization;

  constructor(scope: Construct, id: string, props: PredictApiProps) {
    super(scope, id);
    const options = props.options ?? {};
    this.authorization = options.authorization ?? ApiAuthorization.IAM;
    const maxInstances = options.maxInstancesPerRequest ?? 1000;

    this.proxyLogGroup = new SecureLogGroup(this, 'ProxyLogs', { encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy });
    this.proxyRole = new iam.Role(this, 'ProxyRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Invokes the ${props.schema.name} model endpoint for POST /predict`,
    });
    this.proxyRole.addToPolicy(new iam.PolicyStatement({ actions: ['sagemaker:InvokeEndpoint'], resources: [props.endpointArn] }));
    this.proxyLogGroup.grantWrite(this.proxyRole);

    this.proxyFunction = new PredictProxyFunction(this, 'Proxy', {
      description: `POST /predict: validates ${props.schema.name} requests and invokes the model endpoint`,
      role: this.proxyRole,
      logGroup: this.proxyLogGroup,
      memorySize: 512,
      // Above the proxy's deadline (it needs time to answer), below API Gateway's 29 s.
      timeout: Duration.seconds(28),
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: options.proxyReservedConcurrency ?? 10,
      environment: {
        ENDPOINT_NAME: props.endpointName,
        PAYLOAD_FORMAT: props.payloadFormat,
        SCHEMA: JSON.stringify(props.schema.toSpec()),
        MODEL_VERSION: props.modelVersion,
        MAX_INSTANCES: String(maxInstances),
        MAX_BODY_BYTES: String(PredictApi.MAX_BODY_BYTES),
        DEADLINE_MS: String(PredictApi.PROXY_DEADLINE_MS),
        ATTEMPT_TIMEOUT_MS: String(PredictApi.PROXY_ATTEMPT_TIMEOUT_MS),
        AWAITING_FIRST_MODEL: props.awaitsFirstModel ? 'true' : 'false',
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.capture ? {
          CAPTURE: 'api',
          CAPTURE_SAMPLING_PERCENT: String(props.capture.samplingPercent),
          CAPTURE_DEFAULT_VARIANT: props.capture.defaultVariant,
        } : {}),
      },
    });

    this.accessLogGroup = new SecureLogGroup(this, 'AccessLogs', { encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy });
    this.restApi = new apigateway.RestApi(this, 'Api', {
      description: `Predictions of the ${props.schema.name} model`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: options.cloudWatchRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: options.stageName ?? 'prod',
        tracingEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.INFO,
        // Execution logs would hold request bodies: features may be personal data.
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: options.throttlingRateLimit ?? 100,
        throttlingBurstLimit: options.throttlingBurstLimit ?? 200,
        cachingEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
      disableExecuteApiEndpoint: false,
    });

    this.executionLogGroup = new SecureLogGroup(this, 'ExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${this.restApi.restApiId}/${options.stageName ?? 'prod'}`,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    // Owned before the stage logs its first request, or API Gateway creates the group itself.
    this.restApi.deploymentStage.node.addDependency(this.executionLogGroup);

    const model = this.restApi.addModel('PredictRequest', {
      contentType: 'application/json',
      modelName: `${props.schema.name.replace(/_/g, '')}PredictRequest`,
      schema: PredictApi.requestSchema(props.schema, props.payloadFormat, maxInstances) as apigateway.JsonSchema,
    });
    const validator = this.restApi.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    // The validator's 400 names the failing rule, like the proxy's own answers.
    this.restApi.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      // messageString comes quoted, so the body stays valid JSON whatever the validator says.
      templates: {
        'application/json': '{"message": $context.error.messageString, "errors": [{"field": "body", '
          + '"problem": "does not match the request model: send one record of the features, or {\\"instances\\": [record, ...]}."}]}',
      },
    });

    let authorizer: apigateway.IAuthorizer | undefined;
    let authorizationType = apigateway.AuthorizationType.IAM;
    if (this.authorization === ApiAuthorization.COGNITO) {
      authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [options.userPool!] });
      authorizationType = apigateway.AuthorizationType.COGNITO;
    } else if (this.authorization === ApiAuthorization.API_KEY) {
      authorizationType = apigateway.AuthorizationType.NONE;
    }

    const predict = this.restApi.root.addResource('predict');
    this.predictMethod = predict.addMethod('POST', new apigateway.LambdaIntegration(this.proxyFunction, { proxy: true }), {
      authorizationType,
      authorizer,
      apiKeyRequired: this.authorization === ApiAuthorization.API_KEY,
      requestValidator: validator,
      requestModels: { 'application/json': model },
    });

    if (this.authorization === ApiAuthorization.API_KEY) {
      this.usagePlan = this.restApi.addUsagePlan('UsagePlan', {
        description: `Metered access to ${props.schema.name} predictions`,
        throttle: { rateLimit: options.throttlingRateLimit ?? 100, burstLimit: options.throttlingBurstLimit ?? 200 },
        quota: { limit: options.dailyQuotaPerKey ?? 100_000, period: apigateway.Period.DAY },
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
      this.apiKey = this.restApi.addApiKey('ApiKey', { description: `Key for ${props.schema.name} predictions; the value stays in API Gateway` });
      this.usagePlan.addApiKey(this.apiKey);
    }

    if (options.waf) {
      this.wafLogGroup = new SecureLogGroup(this, 'WafLogs', {
        // WAF delivers only to log groups whose name starts with aws-waf-logs-.
        logGroupName: `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 400, separator: '-' })}`,
        encryptionKey: props.encryptionKey,
        removalPolicy: props.removalPolicy,
      });
      this.webAcl = this.createWebAcl(options.wafRateLimitPerIp ?? 2000);
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: this.restApi.deploymentStage.stageArn,
        webAclArn: this.webAcl.attrArn,
      });
      new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
        resourceArn: this.webAcl.attrArn,
        logDestinationConfigs: [Stack.of(this).formatArn({
          service: 'logs', resource: 'log-group', resourceName: this.wafLogGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        })],
      });
    }

    this.acknowledgeFindings(options);
  }

  /** Lets a principal call POST /predict (IAM authorization). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.restApi.arnForExecuteApi('POST', '/predict', this.restApi.deploymentStage.stageName)],
    });
  }

  /** The URL of POST /predict. */
  public get predictUrl(): string {
    return this.restApi.urlForPath('/predict');
  }

  private createWebAcl(rateLimit: number): wafv2.CfnWebACL {
    const visibility = (name: string) => ({ cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true });
    const managed = (name: string, priority: number, countOnly: string[] = []) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ...(countOnly.length ? { ruleActionOverrides: countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })) } : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    const tooLarge = 'BodyTooLarge';
    return new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'Protects POST /predict: AWS managed rules, a per-IP rate limit and the API body limit',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('PredictApi'),
      customResponseBodies: {
        [tooLarge]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            message: 'The request is not valid.',
            errors: [{ field: 'body', problem: `is larger than the ${PredictApi.MAX_BODY_BYTES} bytes allowed: split the instances over several requests.` }],
          }),
        },
      },
      rules: [
        // SizeRestrictions_BODY blocks bodies over 8 KB (about 100 records): it only counts here, and
        // BodyOverApiLimit below holds the API's real limit.
        managed('AWSManagedRulesCommonRuleSet', 0, ['SizeRestrictions_BODY']),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managed('AWSManagedRulesAmazonIpReputationList', 2),
        {
          name: 'RateLimitPerIp',
          priority: 3,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: rateLimit, aggregateKeyType: 'IP' } },
          visibilityConfig: visibility('RateLimitPerIp'),
        },
        {
          // WAF reads a body only up to its inspection limit (16 KB here), so the declared length is compared.
          name: 'BodyOverApiLimit',
          priority: 4,
          action: { block: { customResponse: { responseCode: 413, customResponseBodyKey: tooLarge } } },
          statement: {
            regexMatchStatement: {
              fieldToMatch: { singleHeader: { Name: 'content-length' } },
              regexString: contentLengthAbovePattern(PredictApi.MAX_BODY_BYTES),
              textTransformations: [{ priority: 0, type: 'NONE' }],
            },
          },
          visibilityConfig: visibility('BodyOverApiLimit'),
        },
      ],
    });
  }

  private acknowledgeFindings(options: PredictApiOptions): void {
    WildcardPermissions.acknowledgeRolePolicy(this.proxyRole, {
      reason: 'X-Ray trace segments take no resource. '
        + 'Compensating control: the only data-plane permission is sagemaker:InvokeEndpoint on this one endpoint.',
      allowedFindings: ['Resource::*'],
    });
    NagAcknowledgements.add(this.proxyFunction, [
      {
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The proxy calls only the SageMaker Runtime API over TLS, signed with its role. '
          + 'Compensating control: IAM auth on the API, least-privilege role limited to one endpoint, and X-Ray tracing.',
      },
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason: 'API Gateway invokes the proxy synchronously, so a failure returns to the caller and no event is lost. '
          + 'Compensating control: the proxy errors and API 5XX alarms.',
      },
    ]);
    const stage = this.restApi.deploymentStage;
    NagAcknowledgements.add(stage, [
      {
        id: 'NIST.800.53.R5-APIGWSSLEnabled',
        reason: 'The backend is a Lambda integration, not an HTTP backend that could verify a client certificate. '
          + 'Compensating control: API Gateway invokes Lambda over AWS\'s signed internal channel, and clients reach the API over TLS only.',
      },
      {
        id: 'NIST.800.53.R5-APIGWCacheEnabledAndEncrypted',
        reason: 'Predictions are answered fresh for each POST and never cached, so there is no cache to encrypt. '
          + 'Compensating control: caching is off, and the model endpoint encrypts its volumes with KMS.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason: 'Execution logging is on at INFO for every method through deployOptions. Compensating control: access logs to an encrypted log group as well.',
      },
    ]);
    CheckovSkips.add(stage, [{
      id: 'CKV_AWS_120',
      comment: 'Predictions are answered fresh for each POST and never cached. Compensating control: stage throttling and the endpoint autoscaling.',
    }]);
    CheckovSkips.add(this.proxyFunction, [
      { id: 'CKV_AWS_116', comment: 'API Gateway invokes the proxy synchronously, so a failure returns to the caller; the proxy errors and API 5XX alarms watch it.' },
      { id: 'CKV_AWS_117', comment: 'The proxy calls only the SageMaker Runtime API over TLS, signed with a role limited to one endpoint; no VPC resource to reach.' },
      { id: 'CKV_AWS_173', comment: 'Its variables are the endpoint name, payload format, schema and limits, no secret; Lambda encrypts them with the AWS managed key.' },
    ]);
    if (!options.waf) {
      const reason = 'WAF is opt-in (api.waf) because its managed rules cost per request and the API is not public by default. '
        + 'Compensating control: IAM or Cognito authentication, stage throttling and request validation.';
      NagAcknowledgements.add(stage, [
        { id: 'AwsSolutions-APIG3', reason },
        { id: 'NIST.800.53.R5-APIGWAssociatedWithWAF', reason },
      ]);
    }
    if (this.authorization !== ApiAuthorization.COGNITO) {
      NagAcknowledgements.add(this.predictMethod, [{
        id: 'AwsSolutions-COG4',
        reason: this.authorization === ApiAuthorization.IAM
          ? 'The method uses IAM (SigV4) authorization, which identifies callers without a user pool. Compensating control: grantInvoke limits who may call it.'
          : 'The method is metered by API keys and a usage plan for service callers. Compensating control: per-key quota and throttling, stage throttling and optional WAF.',
      }]);
    }
    if (this.authorization === ApiAuthorization.API_KEY) {
      NagAcknowledgements.add(this.predictMethod, [{
        id: 'AwsSolutions-APIG4',
        reason: 'The team chose API keys for service callers. Compensating control: each key is bound to a usage plan with a daily quota and throttling, and the API validates every request.',
      }]);
    }
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      NagAcknowledgements.add(cloudWatchRole, [{
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'API Gateway\'s account-level logging role uses AmazonAPIGatewayPushToCloudWatchLogs, the policy AWS documents for it. '
          + 'Compensating control: only apigateway.amazonaws.com can assume the role, and it only writes logs.',
      }]);
    }
  }
}
