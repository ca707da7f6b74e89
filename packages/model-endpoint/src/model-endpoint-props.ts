import { AlarmOptions, AlarmThreshold, DatasetSchema, TrafficShiftingMode } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ApiCaptureAlarms } from './api-capture-props';
import { CaptureSource } from './capture-source';
import { EndpointCompute } from './endpoint-compute';
import { ModelSource, TrainedModelsLocation } from './model-source';

/** Deployment guardrails for every update of the endpoint: blue/green with auto-rollback. */
export interface DeploymentGuardrails {
  /**
   * How traffic shifts.
   * @default TrafficShiftingMode.CANARY
   */
  readonly mode?: TrafficShiftingMode;
  /**
   * The canary's share of capacity, in percent (CANARY only).
   * @default 10
   */
  readonly canarySizePercent?: number;
  /**
   * Each step's share of capacity, in percent (LINEAR only).
   * @default 20
   */
  readonly linearStepPercent?: number;
  /**
   * How long each shift waits, watching the rollback alarms, before the next (0–60 minutes).
   * @default Duration.minutes(5)
   */
  readonly waitInterval?: Duration;
  /**
   * How long the old fleet stays after all traffic moved, so a late alarm can still roll back (0–60 minutes).
   * @default Duration.minutes(10)
   */
  readonly bakeTime?: Duration;
  /**
   * Alarms that also roll an update back, besides the endpoint's 5XX and model latency alarms.
   * @default - none
   */
  readonly extraRollbackAlarms?: cloudwatch.IAlarm[];
}

/** One more production variant beside the first model, for A/B tests. */
export interface ProductionVariantOptions {
  /** The variant name, kept by every later endpoint config (deployment guardrails require it). */
  readonly variantName: string;
  /** The variant's model. */
  readonly model: ModelSource;
  /** The variant's traffic weight, relative to the others'. */
  readonly initialWeight: number;
}

/** A shadow variant: it gets a copy of live traffic, and its answers are only logged. */
export interface ShadowVariantOptions {
  /**
   * The variant name.
   * @default 'shadow'
   */
  readonly variantName?: string;
  /** The shadow's model. */
  readonly model: ModelSource;
  /**
   * The shadow's weight relative to the production variants', which sets its share of copied traffic.
   * @default 1
   */
  readonly initialWeight?: number;
}

/** Capture of requests and responses to the lake, for drift detection. */
export interface DataCaptureOptions {
  /**
   * Whether requests and responses are captured.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Where requests are captured: SageMaker's own capture (real-time only, also
   * records direct InvokeEndpoint callers), the prediction API's proxy (any
   * endpoint type; direct callers are not captured), or both. Serverless
   * endpoints refuse ENDPOINT and API_AND_ENDPOINT.
   * @default - CaptureSource.ENDPOINT for real-time endpoints, CaptureSource.API for serverless ones
   */
  readonly source?: CaptureSource;
  /**
   * The share of requests captured, in percent (1–100).
   * @default 100
   */
  readonly samplingPercentage?: number;
  /**
   * How long Firehose buffers the API's capture before it writes an object (60–900 seconds; API capture only).
   * @default Duration.minutes(5)
   */
  readonly apiBufferingInterval?: Duration;
  /**
   * Alarm thresholds of the API's capture (records dropped, delivery age).
   * @default - the defaults each threshold documents
   */
  readonly apiAlarmThresholds?: ApiCaptureAlarms;
  /**
   * The key that encrypts captured data.
   * @default - the lake bucket's key, or the construct's key
   */
  readonly encryptionKey?: kms.IKey;
}

/** How callers prove who they are. */
export enum ApiAuthorization {
  /** SigV4-signed requests; grant callers with `grantInvoke`. */
  IAM = 'IAM',
  /** An API key in `x-api-key`, metered by a usage plan. */
  API_KEY = 'API_KEY',
  /** A Cognito user pool token in `Authorization`. */
  COGNITO = 'COGNITO',
}

/** The prediction API. */
export interface PredictApiOptions {
  /**
   * How callers authenticate.
   * @default ApiAuthorization.IAM
   */
  readonly authorization?: ApiAuthorization;
  /**
   * The user pool whose tokens the API accepts (COGNITO only).
   * @default - none; required with ApiAuthorization.COGNITO
   */
  readonly userPool?: cognito.IUserPool;
  /**
   * Steady requests per second the stage accepts.
   * @default 100
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests the stage accepts.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Requests a day per API key (API_KEY only).
   * @default 100000
   */
  readonly dailyQuotaPerKey?: number;
  /**
   * Whether a WAF web ACL with AWS managed rules and a rate limit protects the stage.
   * @default false
   */
  readonly waf?: boolean;
  /**
   * Requests per 5 minutes from one IP before WAF blocks it (with `waf`).
   * @default 2000
   */
  readonly wafRateLimitPerIp?: number;
  /**
   * The stage name.
   * @default 'prod'
   */
  readonly stageName?: string;
  /**
   * The most records one request may carry.
   * @default 1000
   */
  readonly maxInstancesPerRequest?: number;
  /**
   * Whether to create the account-wide role that lets API Gateway write execution logs.
   * Turn it off when the account already has one.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * The proxy function's reserved concurrency.
   * @default 10
   */
  readonly proxyReservedConcurrency?: number;
}

/** Alarm thresholds of a {@link ModelEndpoint}; each falls back to the default documented. */
export interface ModelEndpointAlarms {
  /**
   * API 4XX responses in 5 minutes.
   * @default 50
   */
  readonly api4xxErrors?: AlarmThreshold;
  /**
   * API 5XX responses in 5 minutes.
   * @default 5
   */
  readonly api5xxErrors?: AlarmThreshold;
  /**
   * API p99 latency in milliseconds over 5 minutes.
   * @default 3000
   */
  readonly apiLatencyP99Ms?: AlarmThreshold;
  /**
   * Throttled proxy invocations in 5 minutes.
   * @default 0
   */
  readonly proxyThrottles?: AlarmThreshold;
  /**
   * Proxy function errors (crashes, not 4XX/5XX answers) in 5 minutes.
   * @default 0
   */
  readonly proxyErrors?: AlarmThreshold;
  /**
   * Requests the proxy answered 504 ModelTimeout (the model did not answer within the proxy's deadline) in 5 minutes.
   * @default 0
   */
  readonly modelTimeouts?: AlarmThreshold;
  /**
   * Invocation 5XX errors of a variant in 5 minutes. Also a rollback alarm.
   * @default 5
   */
  readonly invocation5xxErrors?: AlarmThreshold;
  /**
   * Invocation 4XX errors of a variant in 5 minutes.
   * @default 50
   */
  readonly invocation4xxErrors?: AlarmThreshold;
  /**
   * Average model latency of a variant in microseconds over 5 minutes. Also a rollback alarm.
   * @default 1000000
   */
  readonly modelLatencyMicros?: AlarmThreshold;
  /**
   * Average CPU utilization of a real-time variant, in percent of one core summed over cores.
   * @default 80
   */
  readonly cpuUtilization?: AlarmThreshold;
  /**
   * Average memory utilization of a real-time variant, in percent.
   * @default 85
   */
  readonly memoryUtilization?: AlarmThreshold;
}

/** Properties of a {@link ModelEndpoint}. */
export interface ModelEndpointProps {
  /** The dataset the model predicts: the API validates requests against its features. */
  readonly schema: DatasetSchema;
  /**
   * The first model, or `ModelSource.fromFirstTraining(...)`: none, the first
   * passing retraining run creates the endpoint. RetrainPipeline deploys every later one.
   */
  readonly model: ModelSource;
  /**
   * Where RetrainPipeline writes the artifacts it deploys to this endpoint: the
   * execution role reads every object under the prefix (`models/<run>/.../model.tar.gz`).
   * @default - the location given to `ModelSource.fromFirstTraining`; else `models/` of `lakeBucket`, when given; else none
   */
  readonly trainedModels?: TrainedModelsLocation;
  /**
   * The `namePrefix` of the RetrainPipeline deploying here. With
   * `ModelSource.fromFirstTraining`, teardown deletes the endpoint config the
   * endpoint runs and its models when their names carry this prefix.
   * @default - RetrainPipeline's default, `ct-<dataset>`
   */
  readonly workflowNamePrefix?: string;
  /**
   * The endpoint name, kept across retraining. Clients, the proxy and RetrainPipeline use it.
   * @default - a name derived from the construct path, stable across deployments
   */
  readonly endpointName?: string;
  /**
   * Real-time instances or serverless. Serverless endpoints have no network
   * isolation, no VPC, one variant, no SageMaker data capture and no deployment
   * guardrails; the README lists what each trade-off costs.
   * @default EndpointCompute.realTime({ instanceType: 'ml.m5.large' })
   */
  readonly compute?: EndpointCompute;
  /**
   * Whether the models (the first ones and every one RetrainPipeline deploys)
   * run with network isolation. Serverless endpoints cannot: `true` with
   * `EndpointCompute.serverless()` is refused at synth.
   * @default - true for real-time endpoints, false for serverless ones
   */
  readonly networkIsolation?: boolean;
  /**
   * The first model's variant name, kept by every later endpoint config.
   * @default 'primary'
   */
  readonly variantName?: string;
  /**
   * The first model's traffic weight, relative to `additionalVariants`.
   * @default 1
   */
  readonly initialWeight?: number;
  /**
   * More production variants for A/B tests; traffic splits by weight.
   * @default - one variant
   */
  readonly additionalVariants?: ProductionVariantOptions[];
  /**
   * A shadow variant that receives a copy of the traffic.
   * @default - none
   */
  readonly shadowVariant?: ShadowVariantOptions;
  /**
   * The lake bucket; captured data goes to `capture/<endpoint>/` in it.
   * @default - a new SecureBucket, when capture is on
   */
  readonly lakeBucket?: s3.IBucket;
  /**
   * Request and response capture.
   * @default - on at 100 percent: SageMaker's own capture on real-time endpoints, the prediction API's on serverless ones
   */
  readonly dataCapture?: DataCaptureOptions;
  /**
   * Guardrails of every endpoint update.
   * @default - canary of 10 percent, 5 minute wait, 10 minute bake, rollback on 5XX and model latency
   */
  readonly deploymentGuardrails?: DeploymentGuardrails;
  /**
   * The prediction API.
   * @default - IAM auth, 100 rps, no WAF
   */
  readonly api?: PredictApiOptions;
  /**
   * The role SageMaker assumes to pull the model and write captured data.
   * @default - a new role, granted what the models and capture need
   */
  readonly executionRole?: iam.IRole;
  /**
   * The key that encrypts the instances' storage volumes, logs and captured data.
   * @default - a new SecureKey
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Alarm thresholds.
   * @default - the defaults each threshold documents
   */
  readonly alarmThresholds?: ModelEndpointAlarms;
  /**
   * Alarm routing and naming.
   * @default - alarms on, notifying an encrypted SNS topic the construct creates
   */
  readonly alarmOptions?: AlarmOptions;
  /**
   * Removal policy of the data stores (capture bucket, key, log groups); DESTROY only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
