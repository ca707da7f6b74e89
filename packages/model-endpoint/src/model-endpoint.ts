import {
  AlarmFactory, DeploymentGuardrailSettings, EndpointDataCaptureTarget, EndpointDeploymentTarget, EndpointVariantTarget, NagAcknowledgements,
  SecureBucket, SecureKey, SecureLogGroup, TrafficShiftingMode, WildcardPermissions, WorkflowNames,
} from '@freshet/core';
import { Annotations, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ApiCapture } from './api-capture';
import { CaptureSource } from './capture-source';
import { EndpointCompute } from './endpoint-compute';
import { EndpointTeardown } from './endpoint-teardown';
import { MODEL_TIMEOUTS_METRIC, PROXY_METRIC_NAMESPACE } from './handlers/predict-proxy/proxy-metrics';
import { ApiAuthorization, ModelEndpointProps } from './model-endpoint-props';
import { ModelSource, PayloadFormat } from './model-source';
import { grantObjectRead } from './object-read-grant';
import { PredictApi } from './predict-api';

/** Options of {@link ModelEndpoint.batchTransformTask}. */
export interface BatchTransformOptions {
  /** The S3 prefix (or object) of the records to score, e.g. `s3://lake/batch/in/`. */
  readonly inputUri: string;
  /** Where the predictions go, e.g. `s3://lake/batch/out/`. */
  readonly outputUri: string;
  /**
   * The model to run, e.g. a JSONPath to the model RetrainPipeline registered.
   * @default - the endpoint's first model (required with `ModelSource.fromFirstTraining`, which has none)
   */
  readonly modelName?: string;
  /**
   * The instance type.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
  /**
   * The number of instances.
   * @default 1
   */
  readonly instanceCount?: number;
}

const NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Instance families with local NVMe storage (m5d, c6id, g4dn, p4d, g5…), whose volumes SageMaker will not encrypt with a KMS key. */
const LOCAL_STORAGE_INSTANCE = /^ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p5|p5e)\./;
const FIVE_MINUTES = Duration.minutes(5);

/** A production or shadow variant as the construct created it. */
interface VariantPlan {
  readonly name: string;
  readonly source: ModelSource;
  readonly weight: number;
  readonly shadow: boolean;
}

/**
 * A SageMaker endpoint with a stable name behind a validated prediction API.
 *
 * CloudFormation creates the first model and endpoint config; RetrainPipeline
 * owns every later one and updates the endpoint with the same deployment
 * guardrails (`deploymentGuardrails`), keeping the variant names. Models and
 * endpoint configs never get fixed names; the endpoint name never changes.
 *
 * With `ModelSource.fromFirstTraining` there is no first model: CloudFormation
 * creates no model, endpoint config or endpoint. The first passing retraining
 * run creates the endpoint under the stable name; until then POST /predict
 * answers 503 ("a first model is still training"). A custom resource owns the
 * name and deletes the endpoint when the stack is deleted.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import * as s3 from 'aws-cdk-lib/aws-s3';
 * import { Algorithm, ColumnType, DatasetSchema } from '@freshet/core';
 * import { ModelEndpoint, ModelSource } from '@freshet/model-endpoint';
 *
 * const stack = new Stack(new App(), 'Serving', { env: { region: 'us-east-1' } });
 * const lake = s3.Bucket.fromBucketName(stack, 'Lake', 'my-lake');
 * const schema = new DatasetSchema({
 *   name: 'stocks',
 *   columns: [
 *     { name: 'ticker_symbol', type: ColumnType.STRING },
 *     { name: 'change', type: ColumnType.DOUBLE },
 *     { name: 'price', type: ColumnType.DOUBLE },
 *   ],
 *   targetColumn: 'price',
 * });
 * new ModelEndpoint(stack, 'Endpoint', {
 *   schema,
 *   lakeBucket: lake,
 *   model: ModelSource.fromAlgorithm(Algorithm.XGBOOST, { bucket: lake, key: 'models/seed/output/model.tar.gz' }),
 * });
 */
export class ModelEndpoint extends Construct {
  /** The endpoint name, stable across retraining. */
  public readonly endpointName: string;
  /** The endpoint ARN. */
  public readonly endpointArn: string;
  /** The endpoint, unless the retraining workflow creates it (`ModelSource.fromFirstTraining`). */
  public readonly endpoint?: sagemaker.CfnEndpoint;
  /** The first endpoint config (CloudFormation owns only this one), unless the workflow creates the endpoint. */
  public readonly endpointConfig?: sagemaker.CfnEndpointConfig;
  /** The first models, one per variant (production variants first, then the shadow); none with `ModelSource.fromFirstTraining`. */
  public readonly models: sagemaker.CfnModel[];
  /** Whether the first passing retraining run creates the endpoint (`ModelSource.fromFirstTraining`). */
  public readonly awaitsFirstModel: boolean;
  /** The custom resource that deletes the workflow-created endpoint on stack deletion (`ModelSource.fromFirstTraining`). */
  public readonly teardown?: EndpointTeardown;
  /** The endpoint's own log group, `/aws/sagemaker/Endpoints/<name>`, with a retention and the key. */
  public readonly endpointLogGroup: SecureLogGroup;
  /** The name prefix of the retraining workflow's endpoint configs and models. */
  public readonly workflowNamePrefix: string;
  /** The production variant names, which every later endpoint config must keep. */
  public readonly variantNames: string[];
  /** The shadow variant's name, if any. */
  public readonly shadowVariantName?: string;
  /** The role SageMaker assumes for the models. */
  public readonly executionRole: iam.IRole;
  /** The key of the storage volumes, logs and captured data. */
  public readonly encryptionKey: kms.IKey;
  /** The bucket that receives captured data, when capture is on. */
  public readonly captureBucket?: s3.IBucket;
  /** The S3 URI of the captured data monitors read: `s3://<bucket>/capture/<endpoint>/`. */
  public readonly captureUri?: string;
  /** Where requests are captured, when capture is on. */
  public readonly captureSource?: CaptureSource;
  /** Capture at the prediction API (CaptureSource.API or API_AND_ENDPOINT): the log subscription, Firehose stream and their alarms. */
  public readonly apiCapture?: ApiCapture;
  /** What the model reads and writes. */
  public readonly payloadFormat: PayloadFormat;
  /** Where the endpoint runs. */
  public readonly compute: EndpointCompute;
  /** Whether the models run with network isolation (never on serverless endpoints). */
  public readonly networkIsolation: boolean;
  /** The prediction API and its proxy function. */
  public readonly api: PredictApi;
  /** The alarms and the dashboard. */
  public readonly alarms: AlarmFactory;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The autoscaling targets of the production variants (real-time with autoScaling). */
  public readonly scalableTargets: appscaling.ScalableTarget[] = [];
  /** The alarms that roll an update back. */
  public readonly rollbackAlarms: cloudwatch.IAlarm[];

  private readonly guardrails: DeploymentGuardrailSettings;
  private readonly firstModelName?: string;
  private readonly variantPlans: VariantPlan[];
  private dataCaptureTarget?: EndpointDataCaptureTarget;
  private apiCaptureTarget?: EndpointDataCaptureTarget;

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    this.compute = props.compute ?? EndpointCompute.realTime();
    const variants = planVariants(props);
    this.variantPlans = variants;
    const captureEnabled = props.dataCapture?.enabled ?? true;
    validate(this, props, this.compute, variants, captureEnabled);
    // Serverless endpoints have no SageMaker capture: the API captures for them.
    const defaultSource = this.compute.isServerless ? CaptureSource.API : CaptureSource.ENDPOINT;
    this.captureSource = captureEnabled ? props.dataCapture?.source ?? defaultSource : undefined;
    this.networkIsolation = props.networkIsolation ?? !this.compute.isServerless;

    this.payloadFormat = props.model.payloadFormat;
    this.awaitsFirstModel = props.model.awaitsFirstTraining;
    this.workflowNamePrefix = props.workflowNamePrefix ?? WorkflowNames.defaultPrefix(props.schema.name);
    // Derived from the construct path, so it stays the same on every deployment and retraining.
    this.endpointName = props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '').toLowerCase();
    // SageMaker lower-cases endpoint names in ARNs, and IAM matches the ARN.
    this.endpointArn = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: Token.isUnresolved(this.endpointName) ? this.endpointName : this.endpointName.toLowerCase() });
    this.variantNames = variants.filter((v) => !v.shadow).map((v) => v.name);
    this.shadowVariantName = variants.find((v) => v.shadow)?.name;

    if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    } else {
      const key = new SecureKey(this, 'Key', { description: `Encrypts the ${props.schema.name} endpoint's volumes, logs and captured data`, removalPolicy: props.removalPolicy });
      key.grantCloudWatchLogs();
      this.encryptionKey = key;
    }
    // SageMaker would create it on first use, without retention or key: owning it gives it both.
    this.endpointLogGroup = new SecureLogGroup(this, 'EndpointLogs', {
      logGroupName: `/aws/sagemaker/Endpoints/${this.endpointName}`,
      encryptionKey: this.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.executionRole = props.executionRole ?? this.createExecutionRole(props.schema.name);
    this.grantTrainedModels(props);

    const primaryContainers = variants.map((variant) => variant.source.bind(this, this.executionRole).container);
    this.models = this.awaitsFirstModel ? [] : variants.map((variant, index) => {
      const model = new sagemaker.CfnModel(this, `Model${variant.name.replace(/[^a-zA-Z0-9]/g, '')}`, {
        executionRoleArn: this.executionRole.roleArn,
        primaryContainer: primaryContainers[index]!,
        // The preset and artifact containers serve offline; isolation keeps a compromised model from calling out.
        // SageMaker refuses it on serverless endpoints.
        enableNetworkIsolation: this.networkIsolation,
      });
      model.node.addDependency(this.executionRole);
      return model;
    });
    this.firstModelName = this.models[0]?.attrModelName;

    let dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | undefined;
    if (captureEnabled) {
      this.captureBucket = props.lakeBucket ?? new SecureBucket(this, 'CaptureBucket', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy }).bucket;
      this.captureUri = `s3://${this.captureBucket.bucketName}/capture/${this.endpointName}/`;
      if (this.captureSource !== CaptureSource.API) dataCaptureConfig = this.configureCapture(props, this.captureBucket);
    }
    if (this.volumeKeyAllowed) {
      this.encryptionKey.grant(this.executionRole, 'kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    }

    this.alarms = new AlarmFactory(this, 'Alarms', props.alarmOptions);
    this.rollbackAlarms = [...this.createVariantAlarms(props), ...(props.deploymentGuardrails?.extraRollbackAlarms ?? [])];
    this.guardrails = resolveGuardrails(props, this.rollbackAlarms);
    if (this.rollbackAlarms.length === 0 && !this.compute.isServerless) {
      Annotations.of(this).addWarningV2('@freshet/model-endpoint:noRollbackAlarms',
        'Alarms are off, so endpoint updates have no automatic rollback: turn alarms on, or pass deploymentGuardrails.extraRollbackAlarms.');
    }

    if (this.awaitsFirstModel) {
      this.teardown = new EndpointTeardown(this, 'Teardown', {
        endpointName: this.endpointName,
        endpointArn: this.endpointArn,
        workflowNamePrefix: this.workflowNamePrefix,
        encryptionKey: this.encryptionKey,
        removalPolicy: props.removalPolicy,
      });
    } else {
      const modelName = (variant: VariantPlan) => this.models[variants.indexOf(variant)].attrModelName;
      this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'InitialConfig', {
        productionVariants: variants.filter((v) => !v.shadow).map((v) => this.variantProperty(v, modelName(v))),
        shadowProductionVariants: variants.some((v) => v.shadow)
          ? variants.filter((v) => v.shadow).map((v) => this.variantProperty(v, modelName(v)))
          : undefined,
        // Serverless endpoints and instance types with local NVMe storage (encrypted by the instance's hardware) refuse a key.
        kmsKeyId: this.volumeKeyAllowed ? this.encryptionKey.keyArn : undefined,
        dataCaptureConfig,
      });
      // Role grants must exist before SageMaker checks the models and the capture destination.
      this.endpointConfig.node.addDependency(this.executionRole);
      this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', {
        endpointName: this.endpointName,
        endpointConfigName: this.endpointConfig.attrEndpointConfigName,
        // Serverless endpoints update all at once: SageMaker takes no guardrails for them.
        deploymentConfig: this.compute.isServerless ? undefined : this.deploymentConfig(),
      });
      // The endpoint's containers log into the group from their first start.
      this.endpoint.node.addDependency(this.endpointLogGroup);
    }

    const realTime = this.compute.realTimeOptions;
    if (!this.compute.isServerless && realTime?.autoScaling) {
      for (const variantName of this.variantNames) {
        this.scalableTargets.push(this.addAutoScaling(variantName, realTime.autoScaling.minCapacity, realTime.autoScaling.maxCapacity,
          realTime.autoScaling.targetInvocationsPerInstance ?? 100));
      }
    }

    this.api = new PredictApi(this, 'Api', {
      schema: props.schema,
      endpointName: this.endpointName,
      endpointArn: this.endpointArn,
      payloadFormat: this.payloadFormat,
      modelVersion: props.model.description,
      awaitsFirstModel: this.awaitsFirstModel,
      encryptionKey: this.encryptionKey,
      options: props.api,
      removalPolicy: props.removalPolicy,
      capture: this.capturesAtApi
        ? { samplingPercent: props.dataCapture?.samplingPercentage ?? 100, defaultVariant: this.variantNames[0] }
        : undefined,
    });
    if (this.capturesAtApi) this.apiCapture = this.createApiCapture(props, this.captureBucket!);
    this.createApiAlarms(props);
    this.dashboard = this.alarms.createDashboard('Dashboard', `${props.schema.name} model endpoint ${this.endpointName}`, this.variantWidgets());
    this.acknowledgeFindings();
  }

  /** Whether the prediction API's proxy captures requests (CaptureSource.API or API_AND_ENDPOINT). */
  private get capturesAtApi(): boolean {
    return this.captureSource === CaptureSource.API || this.captureSource === CaptureSource.API_AND_ENDPOINT;
  }

  /** Whether the endpoint config may name a volume key: not serverless, and no instance-store instance type. */
  private get volumeKeyAllowed(): boolean {
    return !this.compute.isServerless && !LOCAL_STORAGE_INSTANCE.test(this.compute.realTimeOptions?.instanceType ?? 'ml.m5.large');
  }

  /** The deployment guardrails, for RetrainPipeline's UpdateEndpoint calls. */
  public get deploymentGuardrails(): DeploymentGuardrailSettings {
    return this.guardrails;
  }

  /**
   * What RetrainPipeline's `deployTo` needs to roll each retrained model out to
   * this endpoint: the same variants, compute, key, data capture and guardrails.
   * Each retrain replaces the first production variant's model; the other
   * production and shadow variants keep the models CloudFormation created.
   */
  public deploymentTarget(): EndpointDeploymentTarget {
    const modelName = (variant: VariantPlan) => this.models[this.variantPlans.indexOf(variant)]?.attrModelName ?? '';
    const target = (variant: VariantPlan, index: number): EndpointVariantTarget => {
      const v = this.variantProperty(variant, modelName(variant));
      const serverless = v.serverlessConfig as sagemaker.CfnEndpointConfig.ServerlessConfigProperty | undefined;
      return {
        variantName: variant.name,
        initialWeight: variant.weight,
        instanceType: v.instanceType,
        initialInstanceCount: v.initialInstanceCount,
        serverlessMemorySizeInMb: serverless?.memorySizeInMb,
        serverlessMaxConcurrency: serverless?.maxConcurrency,
        serverlessProvisionedConcurrency: serverless?.provisionedConcurrency,
        keepModelName: index === 0 && !variant.shadow ? undefined : modelName(variant),
      };
    };
    const production = this.variantPlans.filter((v) => !v.shadow);
    const shadow = this.variantPlans.filter((v) => v.shadow);
    return {
      endpointName: this.endpointName,
      endpointArn: this.endpointArn,
      retrainedVariantName: production[0].name,
      productionVariants: production.map(target),
      shadowVariants: shadow.length > 0 ? shadow.map((v) => target(v, -1)) : undefined,
      modelExecutionRole: this.executionRole,
      encryptionKey: this.volumeKeyAllowed ? this.encryptionKey : undefined,
      dataCapture: this.dataCaptureTarget,
      apiCapture: this.apiCaptureTarget,
      // Serverless: an update is all at once; a failed one leaves the endpoint InService on its previous config.
      guardrails: this.compute.isServerless ? undefined : this.guardrails,
      serverless: this.compute.isServerless || undefined,
      networkIsolation: this.networkIsolation,
      createsEndpoint: this.awaitsFirstModel ? true : undefined,
      workflowNamePrefix: this.awaitsFirstModel ? this.workflowNamePrefix : undefined,
    };
  }

  /** The guardrails as SageMaker's `DeploymentConfig` (CloudFormation shape; the API's has the same fields). */
  public deploymentConfig(): sagemaker.CfnEndpoint.DeploymentConfigProperty {
    const g = this.guardrails;
    const shifting: sagemaker.CfnEndpoint.TrafficRoutingConfigProperty = {
      type: g.mode,
      waitIntervalInSeconds: g.mode === TrafficShiftingMode.ALL_AT_ONCE ? undefined : g.waitIntervalSeconds,
      canarySize: g.mode === TrafficShiftingMode.CANARY ? { type: 'CAPACITY_PERCENT', value: g.canarySizePercent } : undefined,
      linearStepSize: g.mode === TrafficShiftingMode.LINEAR ? { type: 'CAPACITY_PERCENT', value: g.linearStepPercent } : undefined,
    };
    return {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: shifting,
        terminationWaitInSeconds: g.bakeTimeSeconds,
      },
      autoRollbackConfiguration: g.rollbackAlarmNames.length > 0 ? { alarms: g.rollbackAlarmNames.map((alarmName) => ({ alarmName })) } : undefined,
    };
  }

  /** Lets a principal call POST /predict (IAM authorization). */
  public grantPredict(grantee: iam.IGrantable): iam.Grant {
    if (this.api.authorization !== ApiAuthorization.IAM) {
      throw new Error(`The API uses ${this.api.authorization} authorization: grantPredict applies to ApiAuthorization.IAM only.`);
    }
    return this.api.grantInvoke(grantee);
  }

  /**
   * A Step Functions task that scores a batch of records with a SageMaker
   * batch transform job and waits for it (`.sync`). The job name derives from
   * the execution name, so each run gets its own.
   */
  public batchTransformTask(scope: Construct, id: string, options: BatchTransformOptions): tasks.SageMakerCreateTransformJob {
    const modelName = options.modelName ?? this.firstModelName;
    if (modelName === undefined) {
      throw new Error(`batchTransformTask('${id}'): ${this.node.path} has no first model (ModelSource.fromFirstTraining): pass modelName, e.g. the model RetrainPipeline deployed.`);
    }
    const csv = this.payloadFormat !== PayloadFormat.DEEPAR_JSON;
    return new tasks.SageMakerCreateTransformJob(scope, id, {
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      transformJobName: sfn.JsonPath.format('batch-{}', sfn.JsonPath.executionName),
      modelName,
      role: this.executionRole,
      transformInput: {
        transformDataSource: { s3DataSource: { s3Uri: options.inputUri, s3DataType: tasks.S3DataType.S3_PREFIX } },
        contentType: csv ? 'text/csv' : 'application/jsonlines',
        splitType: tasks.SplitType.LINE,
      },
      transformOutput: { s3OutputPath: options.outputUri, encryptionKey: this.encryptionKey, accept: csv ? 'text/csv' : 'application/jsonlines', assembleWith: tasks.AssembleWith.LINE },
      transformResources: {
        instanceCount: options.instanceCount ?? 1,
        instanceType: new ec2.InstanceType((options.instanceType ?? 'ml.m5.large').replace(/^ml\./, '')),
        volumeEncryptionKey: this.encryptionKey,
      },
      resultSelector: { 'TransformJobName.$': '$.TransformJobName', 'TransformJobStatus.$': '$.TransformJobStatus', 'OutputPath.$': '$.TransformOutput.S3OutputPath' },
    });
  }

  private variantProperty(variant: VariantPlan, modelName: string): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
    const serverless = this.compute.serverlessOptions;
    if (serverless) {
      return {
        variantName: variant.name,
        modelName,
        initialVariantWeight: variant.weight,
        serverlessConfig: {
          memorySizeInMb: serverless.memorySizeMb ?? 2048,
          maxConcurrency: serverless.maxConcurrency ?? 20,
          provisionedConcurrency: serverless.provisionedConcurrency,
        },
      };
    }
    const realTime = this.compute.realTimeOptions ?? {};
    return {
      variantName: variant.name,
      modelName,
      initialVariantWeight: variant.weight,
      instanceType: realTime.instanceType ?? 'ml.m5.large',
      initialInstanceCount: realTime.initialInstanceCount ?? 1,
    };
  }

  private createExecutionRole(dataset: string): iam.Role {
    const role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the ${dataset} models of endpoint ${this.node.path}`,
    });
    // What a hosted container needs to report: its logs (in the endpoint's own group) and metrics.
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [this.endpointLogGroup.logGroupArn],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] } },
    }));
    return role;
  }

  /** Captured data goes to `capture/<endpoint>/`; the role may only put objects there, with the capture key. */
  private configureCapture(props: ModelEndpointProps, bucket: s3.IBucket): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
    const captureKey = props.dataCapture?.encryptionKey ?? bucket.encryptionKey ?? this.encryptionKey;
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: [bucket.arnForObjects(`capture/${this.endpointName}/*`)],
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kms:Encrypt', 'kms:GenerateDataKey'], resources: [captureKey.keyArn] }));
    this.dataCaptureTarget = {
      destinationS3Uri: `s3://${bucket.bucketName}/capture`,
      samplingPercent: props.dataCapture?.samplingPercentage ?? 100,
      kmsKey: captureKey,
      csvContentTypes: ['text/csv'],
      jsonContentTypes: ['application/json'],
    };
    return {
      enableCapture: true,
      initialSamplingPercentage: this.dataCaptureTarget.samplingPercent,
      // SageMaker appends <endpoint>/<variant>/yyyy/mm/dd/hh/ itself, so the files land under capture/<endpoint>/.
      destinationS3Uri: this.dataCaptureTarget.destinationS3Uri,
      kmsKeyId: captureKey.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      // Stored as text, not base64, so the drift job reads the captured CSV and JSON directly.
      captureContentTypeHeader: {
        csvContentTypes: this.dataCaptureTarget.csvContentTypes,
        jsonContentTypes: this.dataCaptureTarget.jsonContentTypes,
      },
    };
  }

  /**
   * The proxy's capture lines, carried by a log subscription and Firehose into the lake with the capture key:
   * under `capture/` alone, or `capture-api/` beside SageMaker's own (which monitors then read).
   */
  private createApiCapture(props: ModelEndpointProps, bucket: s3.IBucket): ApiCapture {
    const objectKey = props.dataCapture?.encryptionKey ?? bucket.encryptionKey ?? this.encryptionKey;
    const capture = new ApiCapture(this, 'ApiCapture', {
      endpointName: this.endpointName,
      proxyLogGroup: this.api.proxyLogGroup,
      bucket,
      objectKey,
      streamKey: this.encryptionKey,
      capturePrefix: this.captureSource === CaptureSource.API ? 'capture/' : 'capture-api/',
      bufferingInterval: props.dataCapture?.apiBufferingInterval,
      alarms: this.alarms,
      alarmThresholds: props.dataCapture?.apiAlarmThresholds,
      removalPolicy: props.removalPolicy,
    });
    this.apiCaptureTarget = {
      destinationS3Uri: capture.destinationS3Uri,
      samplingPercent: props.dataCapture?.samplingPercentage ?? 100,
      kmsKey: objectKey,
      csvContentTypes: ['text/csv'],
      jsonContentTypes: ['application/json'],
    };
    return capture;
  }

  /** Every artifact RetrainPipeline deploys lies under `models/` of the lake: the role reads them all (and only objects). */
  private grantTrainedModels(props: ModelEndpointProps): void {
    if (props.model.awaitsFirstTraining) return; // fromFirstTraining grants its own location on bind
    const location = props.trainedModels ?? (props.lakeBucket ? { bucket: props.lakeBucket } : undefined);
    if (location) grantObjectRead(this, this.executionRole, location.bucket, `${location.prefix ?? 'models/'}*`);
  }

  private addAutoScaling(variantName: string, minCapacity: number, maxCapacity: number, target: number): appscaling.ScalableTarget {
    const scalable = new appscaling.ScalableTarget(this, `Scaling${variantName.replace(/[^a-zA-Z0-9]/g, '')}`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${variantName}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity,
      maxCapacity,
    });
    if (this.endpoint) scalable.node.addDependency(this.endpoint);
    scalable.scaleToTrackMetric('InvocationsPerInstance', {
      targetValue: target,
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    return scalable;
  }

  /** A variant's metric; `labelled` for graphs (an alarm on a labelled metric renders as metric math). */
  private variantMetric(namespace: string, metricName: string, variantName: string, statistic: string, labelled = false): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName },
      statistic,
      period: FIVE_MINUTES,
      label: labelled ? `${variantName} ${metricName}` : undefined,
    });
  }

  /** Per-variant alarms; the 5XX and model latency ones roll updates back. */
  private createVariantAlarms(props: ModelEndpointProps): cloudwatch.IAlarm[] {
    const t = props.alarmThresholds ?? {};
    const rollback: cloudwatch.IAlarm[] = [];
    for (const variant of this.variantNames) {
      const suffix = variant.replace(/[^a-zA-Z0-9]/g, '');
      const errors = this.alarms.addAlarm(`Invocation5xxErrors${suffix}`, {
        metric: this.variantMetric('AWS/SageMaker', 'Invocation5XXErrors', variant, 'Sum'),
        threshold: 5,
        description: `Variant ${variant} of ${this.endpointName} answered 5XX errors: the model container fails. An update in progress rolls back.`,
        override: t.invocation5xxErrors,
      });
      const latency = this.alarms.addAlarm(`ModelLatency${suffix}`, {
        metric: this.variantMetric('AWS/SageMaker', 'ModelLatency', variant, 'Average'),
        threshold: 1_000_000,
        description: `Variant ${variant} of ${this.endpointName} is slow (model latency in microseconds). An update in progress rolls back.`,
        override: t.modelLatencyMicros,
      });
      this.alarms.addAlarm(`Invocation4xxErrors${suffix}`, {
        metric: this.variantMetric('AWS/SageMaker', 'Invocation4XXErrors', variant, 'Sum'),
        threshold: 50,
        description: `Variant ${variant} of ${this.endpointName} refused requests (4XX): check the proxy's conversion and the model's input format.`,
        override: t.invocation4xxErrors,
      });
      if (!this.compute.isServerless) {
        this.alarms.addAlarm(`CpuUtilization${suffix}`, {
          metric: this.variantMetric('/aws/sagemaker/Endpoints', 'CPUUtilization', variant, 'Average'),
          threshold: 80,
          evaluationPeriods: 3,
          description: `Variant ${variant} of ${this.endpointName} runs hot on CPU: raise the instance count, autoscaling max, or instance type.`,
          override: t.cpuUtilization,
        });
        this.alarms.addAlarm(`MemoryUtilization${suffix}`, {
          metric: this.variantMetric('/aws/sagemaker/Endpoints', 'MemoryUtilization', variant, 'Average'),
          threshold: 85,
          evaluationPeriods: 3,
          description: `Variant ${variant} of ${this.endpointName} is short of memory: use a larger instance type.`,
          override: t.memoryUtilization,
        });
      }
      for (const alarm of [errors, latency]) if (alarm) rollback.push(alarm);
    }
    return rollback;
  }

  private createApiAlarms(props: ModelEndpointProps): void {
    const t = props.alarmThresholds ?? {};
    const api = this.api.restApi;
    const fn = this.api.proxyFunction;
    this.alarms.addAlarm('Api4xxErrors', {
      metric: api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 50,
      description: 'Many requests to POST /predict were refused (4XX, throttling included): check callers and their payloads.',
      override: t.api4xxErrors,
    });
    this.alarms.addAlarm('Api5xxErrors', {
      metric: api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 5,
      description: 'POST /predict answered 5XX: the endpoint is failing, updating or throttled. Check the proxy logs.',
      override: t.api5xxErrors,
    });
    this.alarms.addAlarm('ApiLatencyP99', {
      metric: api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
      threshold: 3000,
      description: 'POST /predict is slow at p99 (ms): check model latency and proxy throttles.',
      override: t.apiLatencyP99Ms,
    });
    this.alarms.addAlarm('ProxyThrottles', {
      metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      description: 'The proxy function was throttled: raise api.proxyReservedConcurrency or lower the API throttling.',
      override: t.proxyThrottles,
    });
    this.alarms.addAlarm('ProxyErrors', {
      metric: fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      description: 'The proxy function crashed (not a 4XX/5XX answer): read its logs.',
      override: t.proxyErrors,
    });
    this.alarms.addAlarm('ModelTimeouts', {
      // The proxy writes it as EMF to its log (a 504 ModelTimeout answer).
      metric: new cloudwatch.Metric({
        namespace: PROXY_METRIC_NAMESPACE,
        metricName: MODEL_TIMEOUTS_METRIC,
        dimensionsMap: { EndpointName: this.endpointName },
        period: FIVE_MINUTES,
        statistic: 'Sum',
      }),
      threshold: 0,
      description: 'The model did not answer POST /predict within the proxy\'s deadline (504 ModelTimeout): check model latency, instance count and request sizes.',
      override: t.modelTimeouts,
    });
  }

  private variantWidgets(): cloudwatch.IWidget[] {
    const all = [...this.variantNames, ...(this.shadowVariantName ? [this.shadowVariantName] : [])];
    return [
      new cloudwatch.GraphWidget({
        title: 'Invocations per variant',
        width: 12,
        left: all.map((v) => this.variantMetric('AWS/SageMaker', 'Invocations', v, 'Sum', true)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Model latency per variant (µs)',
        width: 12,
        left: all.map((v) => this.variantMetric('AWS/SageMaker', 'ModelLatency', v, 'p99', true)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Errors per variant',
        width: 12,
        left: all.flatMap((v) => [
          this.variantMetric('AWS/SageMaker', 'Invocation4XXErrors', v, 'Sum', true),
          this.variantMetric('AWS/SageMaker', 'Invocation5XXErrors', v, 'Sum', true),
        ]),
      }),
      new cloudwatch.GraphWidget({
        title: 'POST /predict',
        width: 12,
        left: [this.api.restApi.metricCount({ period: FIVE_MINUTES }), this.api.restApi.metricServerError({ period: FIVE_MINUTES })],
        right: [this.api.restApi.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' })],
      }),
    ];
  }

  private acknowledgeFindings(): void {
    if (this.executionRole instanceof iam.Role) {
      WildcardPermissions.acknowledgeRolePolicy(this.executionRole, {
        reason: 'SageMaker names the container log streams, artifact keys (models/<run>/<job>/output/) and capture objects at run time, '
          + 'and PutMetricData takes no resource. Compensating control: logs are limited to this endpoint\'s log group, metrics to SageMaker namespaces, '
          + 'S3 to GetObject under models/ and PutObject under this endpoint\'s capture prefix, kms:Decrypt to S3 use, and only SageMaker can assume the role.',
        allowedFindings: [
          'Resource::*',
          // `*` before the prefix: the bucket ARN is a reference, or an import when the lake lives in another stack.
          `Resource::*/capture/${this.endpointName}/*`,
          'Resource::*/models/*',
          `Resource::<${Stack.of(this).getLogicalId(this.endpointLogGroup.node.defaultChild as logs.CfnLogGroup)}.Arn>`,
          'Action::kms:GenerateDataKey*',
          'Action::kms:ReEncrypt*',
        ],
      });
    }
    for (const model of this.models) {
      NagAcknowledgements.add(model, [{
        id: 'AwsSolutions-SM1',
        reason: this.networkIsolation
          ? 'The model serves with network isolation on (as does every model the retraining workflow creates), so its container has no network access to place in a VPC. '
            + 'Compensating control: enableNetworkIsolation, a role limited to the model artifacts under models/ and the capture prefix, and KMS-encrypted volumes.'
          : 'Serverless endpoints cannot run in a VPC (SageMaker refuses VpcConfig and network isolation for them). '
            + 'Compensating control: the model role may only read the model artifacts under models/ and write its own log group and SageMaker metrics, '
            + 'and callers reach the model only through the IAM-authorized prediction API.',
      }]);
    }
    if (!this.volumeKeyAllowed && this.endpointConfig) {
      const reason = this.compute.isServerless
        ? 'Serverless endpoints have no storage volumes and SageMaker refuses a KmsKeyId for them. '
          + 'Compensating control: SageMaker encrypts serverless storage with AWS owned keys, and the API and logs are KMS-encrypted.'
        : 'This instance type has local NVMe storage, which SageMaker refuses to encrypt with a KmsKeyId. '
          + 'Compensating control: the instance store is encrypted by the instance\'s hardware module, and captured data uses KMS.';
      NagAcknowledgements.add(this.endpointConfig!, [
        { id: 'AwsSolutions-SM2', reason },
        { id: 'NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured', reason },
      ]);
    }
  }
}

function planVariants(props: ModelEndpointProps): VariantPlan[] {
  const plans: VariantPlan[] = [{ name: props.variantName ?? 'primary', source: props.model, weight: props.initialWeight ?? 1, shadow: false }];
  for (const v of props.additionalVariants ?? []) {
    plans.push({ name: v.variantName, source: v.model, weight: v.initialWeight, shadow: false });
  }
  if (props.shadowVariant) {
    plans.push({ name: props.shadowVariant.variantName ?? 'shadow', source: props.shadowVariant.model, weight: props.shadowVariant.initialWeight ?? 1, shadow: true });
  }
  return plans;
}

function resolveGuardrails(props: ModelEndpointProps, rollbackAlarms: cloudwatch.IAlarm[]): DeploymentGuardrailSettings {
  const g = props.deploymentGuardrails ?? {};
  const mode = g.mode ?? TrafficShiftingMode.CANARY;
  return {
    mode,
    canarySizePercent: mode === TrafficShiftingMode.CANARY ? g.canarySizePercent ?? 10 : 0,
    linearStepPercent: mode === TrafficShiftingMode.LINEAR ? g.linearStepPercent ?? 20 : 0,
    waitIntervalSeconds: (g.waitInterval ?? Duration.minutes(5)).toSeconds(),
    bakeTimeSeconds: (g.bakeTime ?? Duration.minutes(10)).toSeconds(),
    rollbackAlarmNames: rollbackAlarms.map((a) => a.alarmName),
  };
}

/** Every problem with the props, each phrased as what to change; throws them together. */
function validate(scope: Construct, props: ModelEndpointProps, compute: EndpointCompute, variants: VariantPlan[], captureEnabled: boolean): void {
  const problems = [...compute.validate()];
  if (compute.isServerless) {
    // What SageMaker refuses on serverless endpoints, each with what to change.
    const source = props.dataCapture?.source;
    if (captureEnabled && (source === CaptureSource.ENDPOINT || source === CaptureSource.API_AND_ENDPOINT)) {
      problems.push(`dataCapture.source is ${source}, but serverless endpoints have no SageMaker data capture: `
        + 'use CaptureSource.API (the prediction API captures every request it forwards), or EndpointCompute.realTime().');
    }
    if (props.additionalVariants?.length || props.shadowVariant) {
      problems.push('additionalVariants or shadowVariant is set, but serverless endpoints serve one production variant: '
        + 'remove them (A/B test with two endpoints), or use EndpointCompute.realTime().');
    }
    if (props.networkIsolation === true) {
      problems.push('networkIsolation is true, but serverless endpoints cannot run network-isolated models (nor in a VPC): '
        + 'use EndpointCompute.realTime() where isolation is required, or remove networkIsolation.');
    }
    if (props.deploymentGuardrails) {
      problems.push('deploymentGuardrails is set, but SageMaker updates serverless endpoints all at once, with no canary, linear shift or alarm rollback: '
        + 'remove deploymentGuardrails, or use EndpointCompute.realTime().');
    }
  }
  const sampling = props.dataCapture?.samplingPercentage;
  if (captureEnabled && sampling !== undefined && (!Number.isInteger(sampling) || sampling < 1 || sampling > 100)) {
    problems.push(`dataCapture.samplingPercentage is ${sampling}: use a whole number from 1 to 100.`);
  }
  if (props.endpointName !== undefined && !Token.isUnresolved(props.endpointName) && !NAME_PATTERN.test(props.endpointName)) {
    problems.push(`endpointName '${props.endpointName}' must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit.`);
  }
  if (props.model.awaitsFirstTraining) {
    const why = 'with ModelSource.fromFirstTraining the retraining workflow creates the endpoint, after the stack deployed';
    if (props.additionalVariants?.length || props.shadowVariant) {
      problems.push(`additionalVariants and shadowVariant need models at deploy time, but ${why}: remove them, or start from ModelSource.fromModelPackage.`);
    }
    if (compute.realTimeOptions?.autoScaling) {
      problems.push(`compute.realTime autoScaling registers a scalable target on the endpoint, but ${why}: use initialInstanceCount, `
        + 'or add autoScaling once a model is registered, with ModelSource.fromModelPackage.');
    }
  }
  const seen = new Set<string>();
  for (const variant of variants) {
    if (!NAME_PATTERN.test(variant.name)) {
      problems.push(`variant name '${variant.name}' must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit.`);
    }
    if (seen.has(variant.name)) problems.push(`variant name '${variant.name}' is used twice: give each variant its own name.`);
    seen.add(variant.name);
    if (!(variant.weight > 0)) problems.push(`variant '${variant.name}' has weight ${variant.weight}: use a weight above 0.`);
    if (variant !== variants[0] && variant.source.awaitsFirstTraining) {
      problems.push(`variant '${variant.name}' uses ModelSource.fromFirstTraining, which only the first model may: give it a model.`);
    }
    if (variant.source.payloadFormat !== props.model.payloadFormat) {
      problems.push(`variant '${variant.name}' reads ${variant.source.payloadFormat} but the first model reads ${props.model.payloadFormat}: `
        + 'the API converts requests one way, so every variant must share the payload format.');
    }
  }
  const g = props.deploymentGuardrails ?? {};
  const mode = g.mode ?? TrafficShiftingMode.CANARY;
  if (g.canarySizePercent !== undefined && mode !== TrafficShiftingMode.CANARY) {
    problems.push(`deploymentGuardrails.canarySizePercent is set but mode is ${mode}: remove it, or use TrafficShiftingMode.CANARY.`);
  }
  if (g.linearStepPercent !== undefined && mode !== TrafficShiftingMode.LINEAR) {
    problems.push(`deploymentGuardrails.linearStepPercent is set but mode is ${mode}: remove it, or use TrafficShiftingMode.LINEAR.`);
  }
  const canary = g.canarySizePercent ?? 10;
  if (mode === TrafficShiftingMode.CANARY && (!Number.isInteger(canary) || canary < 1 || canary > 50)) {
    problems.push(`deploymentGuardrails.canarySizePercent is ${canary}: use a whole number from 1 to 50 (SageMaker caps a canary at half the fleet).`);
  }
  const step = g.linearStepPercent ?? 20;
  if (mode === TrafficShiftingMode.LINEAR && (!Number.isInteger(step) || step < 10 || step > 50)) {
    problems.push(`deploymentGuardrails.linearStepPercent is ${step}: use a whole number from 10 to 50.`);
  }
  for (const [name, value] of [['waitInterval', g.waitInterval], ['bakeTime', g.bakeTime]] as const) {
    if (value && (value.toSeconds() < 0 || value.toSeconds() > 3600)) {
      problems.push(`deploymentGuardrails.${name} is ${value.toHumanString()}: use at most 60 minutes.`);
    }
  }
  const api = props.api ?? {};
  if (api.authorization === ApiAuthorization.COGNITO && !api.userPool) {
    problems.push('api.authorization is COGNITO but api.userPool is not set: pass the user pool whose tokens the API accepts.');
  }
  if (api.userPool && api.authorization !== ApiAuthorization.COGNITO) {
    problems.push('api.userPool is set but api.authorization is not COGNITO: set authorization to ApiAuthorization.COGNITO, or remove userPool.');
  }
  for (const [name, value, min] of [['throttlingRateLimit', api.throttlingRateLimit, 1], ['throttlingBurstLimit', api.throttlingBurstLimit, 1],
    ['maxInstancesPerRequest', api.maxInstancesPerRequest, 1], ['proxyReservedConcurrency', api.proxyReservedConcurrency, 1],
    ['wafRateLimitPerIp', api.wafRateLimitPerIp, 100]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < min)) problems.push(`api.${name} is ${value}: use a whole number of at least ${min}.`);
  }
  if (props.lakeBucket && !captureEnabled) {
    Annotations.of(scope).addInfo('lakeBucket is set but data capture is off, so nothing is written to it.');
  }
  if (problems.length > 0) {
    throw new Error(`Invalid ModelEndpoint ${scope.node.path}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
