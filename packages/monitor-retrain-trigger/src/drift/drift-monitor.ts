import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { Algorithm, AlgorithmImages, CheckovSkips, NagAcknowledgements, SecureKey, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DriftMonitorProps } from './drift-monitor-props';
import { DEFAULT_BYTES_PER_INSTANCE } from '../handlers/drift-planner/scale-out';
import { DriftPlannerFunction } from '../handlers/drift-planner-function';
import { DriftPublisherFunction } from '../handlers/drift-publisher-function';

/** The namespace of the drift job's metrics. */
export const DRIFT_NAMESPACE = 'Freshet/ModelMonitor';

/** The drift job and the shared code it imports (the code that wrote the baseline), as shipped in the npm packages. */
const SCRIPTS_DIR = path.join(__dirname, '..', '..', 'scripts');
const SHARED_DIR = path.join(path.dirname(require.resolve('@freshet/retrain-pipeline/package.json')), 'scripts', 'freshet_ml');
const SCRIPTS_EXCLUDE = ['tests', 'conftest.py', 'pytest.ini', 'requirements*.txt', '**/__pycache__', '**/*.pyc', '.pytest_cache', 'README.md', 'fixtures', 'tools'];

/**
 * Unpacks both code zips into one folder (freshet_ml beside drift_job.py),
 * so the job imports the same binning and decoding code that wrote the baseline.
 */
const LAUNCHER = [
  'import glob, runpy, sys, zipfile',
  "code = '/opt/ml/code'",
  "zipfile.ZipFile(sorted(glob.glob('/opt/ml/processing/input/code/*.zip'))[0]).extractall(code)",
  "zipfile.ZipFile(sorted(glob.glob('/opt/ml/processing/input/shared/*.zip'))[0]).extractall(code + '/freshet_ml')",
  'sys.path.insert(0, code)',
  'sys.argv = sys.argv[1:]',
  "runpy.run_path(code + '/' + sys.argv[0], run_name='__main__')",
].join('\n');

/** Error metrics alarm when higher; scores when lower. */
const HIGHER_IS_BETTER: Record<string, boolean> = { rmse: false, mae: false, mape: false, wql: false, r2: true, auc: true, accuracy: true, f1: true };
const HOUR_DIVISORS = [1, 2, 3, 4, 6, 8, 12, 24];

/**
 * Freshet's own drift job for one endpoint (SageMaker Model Monitor is closed
 * to new customers): an EventBridge Scheduler schedule starts a Standard state
 * machine that plans the window (the serving model's baseline, the captured
 * requests and labels), runs `drift_job.py` as a network-isolated SageMaker
 * Processing job on the scikit-learn image, and publishes the report's
 * metrics to CloudWatch (namespace `Freshet/ModelMonitor`).
 *
 * The job reads `capture/<endpoint>/`, `baselines/`, `evaluation/<run>/prediction-baseline.json` and `ground-truth/<endpoint>/`
 * and writes `reports/drift/<endpoint>/` only: it cannot write models or touch the endpoint.
 */
export class DriftMonitor extends Construct {
  /** The monitored endpoint's name. */
  public readonly endpointName: string;
  /** How often the job runs (the drift metrics' period). */
  public readonly interval: Duration;
  /** The PSI threshold of every feature without one of its own. */
  public readonly psiThreshold: number;
  /** Tighter thresholds of single features. */
  public readonly featureThresholds: Record<string, number>;
  /** The predictions' PSI threshold. */
  public readonly predictionDriftThreshold: number;
  /** The increase of a feature's null share over the baseline's that alarms. */
  public readonly nullShareIncrease: number;
  /** The increase of a feature's invalid share over the baseline's that alarms. */
  public readonly invalidShareIncrease: number;
  /** The endpoint's production variants (their Invocations tell whether it serves traffic). */
  public readonly productionVariantNames: string[];
  /** Whether higher is better for the model-quality metric (undefined when model quality is off). */
  public readonly qualityHigherIsBetter?: boolean;
  /** The state machine of one monitor run. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's execution log group. */
  public readonly logGroup: SecureLogGroup;
  /** Encrypts the logs, the schedule and its dead-letter queue. */
  public readonly encryptionKey: SecureKey;
  /** The role the processing job runs as. */
  public readonly jobRole: iam.Role;
  /** Plans each window. */
  public readonly plannerFunction: lambda.Function;
  /** Publishes each report's metrics. */
  public readonly publisherFunction: lambda.Function;
  /** The schedule that starts runs. */
  public readonly schedule: scheduler.CfnSchedule;
  /** The role the schedule starts runs as. */
  public readonly scheduleRole: iam.Role;
  /** Where schedule invocations that failed go. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The drift job's code (this package's scripts). */
  public readonly scripts: s3assets.Asset;
  /** The shared code (retrain-pipeline's freshet_ml). */
  public readonly sharedCode: s3assets.Asset;
  /** The prefix of the processing jobs' names. */
  public readonly namePrefix: string;

  private readonly lakeBucket: s3.IBucket;
  private readonly captureBucket: s3.IBucket;
  private readonly lakeKey?: kms.IKey;
  private readonly capturePrefix: string;
  private readonly groundTruthPrefix?: string;
  private readonly reportPrefix: string;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const resolved = validateProps(props);
    this.endpointName = props.endpoint.endpointName;
    this.interval = resolved.interval;
    this.psiThreshold = resolved.psiThreshold;
    this.featureThresholds = resolved.featureThresholds;
    this.predictionDriftThreshold = resolved.predictionDriftThreshold;
    this.nullShareIncrease = resolved.nullShareIncrease;
    this.invalidShareIncrease = resolved.invalidShareIncrease;
    this.productionVariantNames = props.endpoint.productionVariants.map((v) => v.variantName);
    this.qualityHigherIsBetter = resolved.qualityHigherIsBetter;
    this.namePrefix = resolved.namePrefix;
    this.lakeBucket = props.lakeBucket;
    this.captureBucket = props.captureBucket ?? props.lakeBucket;
    this.lakeKey = props.lakeKey ?? props.lakeBucket.encryptionKey;
    this.capturePrefix = `${resolved.captureRoot}${this.endpointName}/`;
    this.groundTruthPrefix = props.modelQuality ? `${props.modelQuality.groundTruthPrefix ?? 'ground-truth/'}${this.endpointName}/` : undefined;
    this.reportPrefix = `reports/drift/${this.endpointName}/`;

    this.encryptionKey = new SecureKey(this, 'Key', { description: `Encrypts the ${this.endpointName} drift monitor's logs, schedule and queue`, removalPolicy: props.removalPolicy });
    this.encryptionKey.grantCloudWatchLogs();

    this.scripts = new s3assets.Asset(this, 'Scripts', { path: SCRIPTS_DIR, exclude: SCRIPTS_EXCLUDE });
    this.sharedCode = new s3assets.Asset(this, 'SharedCode', { path: SHARED_DIR, exclude: SCRIPTS_EXCLUDE });
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the ${this.endpointName} drift job: reads capture, baselines and ground truth, writes drift reports`,
    });
    this.grantJobPermissions(props);

    this.plannerFunction = new DriftPlannerFunction(this, 'Planner', {
      description: `Plans each ${this.endpointName} drift window: the serving model's baseline and the captured requests`,
      timeout: Duration.minutes(2),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      ...this.functionLogging('Planner', props),
      environment: {
        ENDPOINT_NAME: this.endpointName,
        LAKE_BUCKET: this.lakeBucket.bucketName,
        CAPTURE_BUCKET: this.captureBucket.bucketName,
        CAPTURE_PREFIX: this.capturePrefix,
        GROUND_TRUTH_PREFIX: this.groundTruthPrefix ?? '',
        REPORT_PREFIX: this.reportPrefix,
        WINDOW_HOURS: String(resolved.window.toHours()),
        JOB_NAME_PREFIX: this.namePrefix,
        CODE_URI: this.scripts.s3ObjectUrl,
        SHARED_CODE_URI: this.sharedCode.s3ObjectUrl,
        JOB_ARGUMENTS: Stack.of(this).toJsonString(resolved.jobArguments),
        QUALITY_ARGUMENTS: JSON.stringify(resolved.qualityArguments),
        MAX_INSTANCE_COUNT: String(resolved.maxInstanceCount),
        BYTES_PER_INSTANCE: String(resolved.bytesPerInstance),
        // The job counts a DeepAR window in one process (a point sent in several requests counts once).
        SHARDABLE: String(props.algorithm !== Algorithm.DEEPAR),
      },
    });
    this.publisherFunction = new DriftPublisherFunction(this, 'Publisher', {
      description: `Publishes each ${this.endpointName} drift report's metrics to CloudWatch`,
      timeout: Duration.minutes(1),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      ...this.functionLogging('Publisher', props),
      environment: { ENDPOINT_NAME: this.endpointName },
    });
    this.grantFunctionPermissions(props);
    this.skipCheckovOnFunctions();

    this.logGroup = new SecureLogGroup(this, 'StateMachineLogs', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });
    const jobResources = props.jobResources ?? {};
    const maxRuntime = jobResources.maxRuntime ?? Duration.hours(1);
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `Measures the drift of ${this.endpointName}: plan the window, run the drift job, publish the metrics`,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(jobResources.instanceType ?? 'ml.m5.large', jobResources.volumeSizeGb ?? 30, maxRuntime, resolved.maxInstanceCount)),
      // A sharded window runs two jobs one after the other (count, then sum).
      timeout: (resolved.maxInstanceCount > 1 ? Duration.seconds(maxRuntime.toSeconds() * 2) : maxRuntime).plus(Duration.minutes(30)),
      tracingEnabled: true,
      // Payloads hold names, S3 URIs and counts, never captured data.
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.grantWorkflowPermissions();

    this.deadLetterQueue = new sqs.Queue(this, 'ScheduleDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `Lets the ${this.endpointName} drift schedule start the drift monitor`,
    });
    this.stateMachine.grantStartExecution(this.scheduleRole);
    this.deadLetterQueue.grantSendMessages(this.scheduleRole);
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Measures the drift of ${this.endpointName} every ${this.interval.toHumanString()}`,
      // Five minutes past the hour, so the last hour's capture files have landed.
      scheduleExpression: scheduleExpression(this.interval.toHours()),
      scheduleExpressionTimezone: 'UTC',
      state: props.scheduleEnabled === false ? 'DISABLED' : 'ENABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      kmsKeyArn: this.encryptionKey.keyArn,
      target: {
        arn: this.stateMachine.stateMachineArn,
        roleArn: this.scheduleRole.roleArn,
        input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      },
    });
    this.acknowledgeFindings();
  }

  /** A drift metric of this endpoint, its period the interval, its statistic the maximum (one datapoint a run). */
  public metric(metricName: string, extraDimensions: Record<string, string> = {}, statistic: string = 'Maximum'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: DRIFT_NAMESPACE,
      metricName,
      dimensionsMap: { Endpoint: this.endpointName, ...extraDimensions },
      statistic,
      period: this.interval,
    });
  }

  /** The worst feature's PSI. */
  public metricMaxFeatureDrift(): cloudwatch.Metric {
    return this.metric('MaxFeatureDrift');
  }

  /** One feature's PSI. */
  public metricFeatureDrift(feature: string): cloudwatch.Metric {
    return this.metric('FeatureDrift', { Feature: feature });
  }

  /** The predictions' PSI. */
  public metricPredictionDrift(): cloudwatch.Metric {
    return this.metric('PredictionDrift');
  }

  /** The captured records each run compared. */
  public metricSampleSize(): cloudwatch.Metric {
    return this.metric('SampleSize');
  }

  /** The model-quality metric over the labels joined in each run. */
  public metricModelQuality(metricName: string): cloudwatch.Metric {
    return this.metric('ModelQuality', { Metric: metricName }, 'Average');
  }

  /**
   * 1 in an interval where the endpoint served requests (AWS/SageMaker Invocations of its production
   * variants > 0) while the monitor's window had no capture, no baseline or a foreign one
   * (UnmonitoredWindow, which the planner publishes every run); 0 otherwise. A period without
   * a planner datum or without invocations counts as 0 (FILL): no run is what the failure, stopped-run and
   * dead-letter alarms watch, and no traffic needs no monitor.
   */
  public metricUnmonitoredTraffic(): cloudwatch.MathExpression {
    const usingMetrics: Record<string, cloudwatch.IMetric> = { unmonitored: this.metric('UnmonitoredWindow') };
    this.productionVariantNames.forEach((variant, index) => {
      usingMetrics[`calls${index}`] = new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: 'Invocations',
        dimensionsMap: { EndpointName: this.endpointName, VariantName: variant },
        statistic: 'Sum',
        period: this.interval,
      });
    });
    const calls = this.productionVariantNames.map((_, index) => `FILL(calls${index}, 0)`).join(' + ') || '0';
    return new cloudwatch.MathExpression({
      expression: `IF(FILL(unmonitored, 0) > 0 AND (${calls}) > 0, 1, 0)`,
      usingMetrics,
      label: 'unmonitored traffic',
      period: this.interval,
    });
  }

  /** Drift runs that timed out or were aborted (ExecutionsTimedOut + ExecutionsAborted), over `period`. */
  public metricStoppedRuns(period: Duration = Duration.days(1)): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'FILL(timedOut, 0) + FILL(aborted, 0)',
      usingMetrics: {
        timedOut: this.stateMachine.metricTimedOut({ statistic: 'Sum', period }),
        aborted: this.stateMachine.metricAborted({ statistic: 'Sum', period }),
      },
      label: 'timed out or aborted runs',
      period,
    });
  }

  /** Schedule invocations that failed and went to the dead-letter queue (messages visible, maximum over 5 minutes). */
  public metricDeadLetters(): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) });
  }

  /** Failed monitor runs. */
  public metricFailedRuns(period: Duration = Duration.days(1)): cloudwatch.Metric {
    return this.stateMachine.metricFailed({ statistic: 'Sum', period });
  }

  private definition(instanceType: string, volumeSizeGb: number, maxRuntime: Duration, maxInstanceCount: number): sfn.IChainable {
    const failed = new sfn.Fail(this, 'Monitor failed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const plan = new tasks.LambdaInvoke(this, 'Plan window', {
      comment: "Resolves the serving model's baseline and lists the window's capture and ground truth",
      lambdaFunction: this.plannerFunction,
      payload: sfn.TaskInput.fromObject({ 'input.$': '$', 'startTime.$': '$$.Execution.StartTime', 'executionName.$': '$$.Execution.Name' }),
      payloadResponseOnly: true,
      resultPath: '$.plan',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(3)),
    });
    plan.addCatch(failed, { resultPath: '$.error' });
    const job = this.processingJob('Run drift job', 'drift_job.py on the scikit-learn image, network-isolated, KMS-encrypted volume and report', failed, {
      instanceType,
      volumeSizeGb,
      maxRuntime,
      instanceCount: 1,
      nameAt: '$.plan.jobName',
      inputsAt: '$.plan.processingInputs',
      argumentsAt: '$.plan.containerArguments',
      output: { name: 'report', uriAt: '$.plan.reportUri', localPath: '/opt/ml/processing/report' },
      resultPath: '$.job',
    });
    const publish = new tasks.LambdaInvoke(this, 'Publish metrics', {
      comment: "Puts the report's metrics.json into CloudWatch, where the drift alarms read it",
      lambdaFunction: this.publisherFunction,
      payload: sfn.TaskInput.fromObject({ 'reportUri.$': '$.plan.reportUri', 'windowEnd.$': '$.plan.windowEnd' }),
      payloadResponseOnly: true,
      resultPath: '$.published',
      taskTimeout: sfn.Timeout.duration(Duration.minutes(2)),
    });
    publish.addCatch(failed, { resultPath: '$.error' });
    const nothing = new sfn.Succeed(this, 'Nothing to compare', {
      comment: 'No endpoint yet, no baseline for the serving model (the seed model), no capture in the window, or a new deployment: no drift metrics; '
        + 'the planner published UnmonitoredWindow, which alarms while the endpoint serves traffic',
      outputPath: '$.plan',
    });
    const published = publish.next(new sfn.Succeed(this, 'Published'));
    const ready = new sfn.Choice(this, 'Window ready?');
    // With maxInstanceCount 1 the planner never shards, and the definition is the single-instance one.
    if (maxInstanceCount > 1) {
      ready.when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.plan.status', 'ready'),
        sfn.Condition.isPresent('$.plan.instanceCount'),
        sfn.Condition.numberGreaterThan('$.plan.instanceCount', 1),
      ), this.shardedJobs(instanceType, volumeSizeGb, maxRuntime, failed).next(published));
    }
    return plan.next(ready
      .when(sfn.Condition.stringEquals('$.plan.status', 'ready'), job.next(published))
      .otherwise(nothing));
  }

  /** A window past one instance's bytes: every instance counts its share of the capture files, then one instance sums and reports. */
  private shardedJobs(instanceType: string, volumeSizeGb: number, maxRuntime: Duration, failed: sfn.IChainable): sfn.Chain {
    const countShards = this.processingJob('Count drift in shards', 'drift_job.py --counts-output on several instances, each given its share of the capture files (ShardedByS3Key)', failed, {
      instanceType,
      volumeSizeGb,
      maxRuntime,
      instanceCount: '$.plan.instanceCount',
      nameAt: '$.plan.jobName',
      inputsAt: '$.plan.processingInputs',
      argumentsAt: '$.plan.containerArguments',
      output: { name: 'counts', uriAt: '$.plan.countsUri', localPath: '/opt/ml/processing/counts' },
      resultPath: '$.countJob',
    });
    const sumShards = this.processingJob('Sum shard counts', 'drift_job.py --counts-input on one instance: sums the shards\' counts and writes the report the publisher reads', failed, {
      instanceType,
      volumeSizeGb,
      maxRuntime,
      instanceCount: 1,
      nameAt: '$.plan.sumJobName',
      inputsAt: '$.plan.sumInputs',
      argumentsAt: '$.plan.sumArguments',
      output: { name: 'report', uriAt: '$.plan.reportUri', localPath: '/opt/ml/processing/report' },
      resultPath: '$.job',
    });
    return countShards.next(sumShards);
  }

  /** One createProcessingJob.sync state of the drift job: its name, inputs and arguments from the plan, one output. */
  private processingJob(id: string, comment: string, failed: sfn.IChainable, spec: ProcessingJobSpec): sfn.CustomState {
    const state = new sfn.CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Comment: comment,
        Resource: `arn:${Stack.of(this).partition}:states:::sagemaker:createProcessingJob.sync`,
        TimeoutSeconds: spec.maxRuntime.plus(Duration.minutes(15)).toSeconds(),
        Parameters: {
          'ProcessingJobName.$': spec.nameAt,
          'RoleArn': this.jobRole.roleArn,
          'AppSpecification': {
            'ImageUri': AlgorithmImages.processingUriFor(this),
            'ContainerEntrypoint': ['python3', '-c', LAUNCHER],
            'ContainerArguments.$': spec.argumentsAt,
          },
          'ProcessingInputs.$': spec.inputsAt,
          'ProcessingOutputConfig': {
            KmsKeyId: this.lakeKey?.keyArn,
            Outputs: [{ OutputName: spec.output.name, S3Output: { 'S3Uri.$': spec.output.uriAt, 'LocalPath': spec.output.localPath, 'S3UploadMode': 'EndOfJob' } }],
          },
          'ProcessingResources': {
            ClusterConfig: {
              ...(typeof spec.instanceCount === 'number' ? { InstanceCount: spec.instanceCount } : { 'InstanceCount.$': spec.instanceCount }),
              InstanceType: spec.instanceType,
              VolumeSizeInGB: spec.volumeSizeGb,
              VolumeKmsKeyId: this.lakeKey?.keyArn,
            },
          },
          'StoppingCondition': { MaxRuntimeInSeconds: spec.maxRuntime.toSeconds() },
          'NetworkConfig': { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true },
        },
        ResultSelector: { 'jobName.$': '$.ProcessingJobName', 'status.$': '$.ProcessingJobStatus' },
        ResultPath: spec.resultPath,
      },
    });
    state.addRetry({ errors: ['SageMaker.AmazonSageMakerException', 'ThrottlingException'], interval: Duration.seconds(30), maxAttempts: 3, backoffRate: 2 });
    state.addCatch(failed, { resultPath: '$.error' });
    return state;
  }

  /** A KMS-encrypted log group and a role without AWS managed policies that writes to that group only. */
  private functionLogging(id: string, props: DriftMonitorProps): { logGroup: SecureLogGroup; role: iam.Role } {
    const logGroup = new SecureLogGroup(this, `${id}Logs`, { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });
    const role = new iam.Role(this, `${id}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Runs the ${this.endpointName} drift ${id.toLowerCase()}` });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    return { logGroup, role };
  }

  /** The job reads capture, baselines, ground truth and its manifests, and writes its report folder: nothing else in the lake. */
  private grantJobPermissions(props: DriftMonitorProps): void {
    const role = this.jobRole;
    const stack = Stack.of(this);
    const reads = [
      this.captureBucket.arnForObjects(`${this.capturePrefix}*`),
      this.lakeBucket.arnForObjects('baselines/*'),
      this.lakeBucket.arnForObjects('evaluation/*/prediction-baseline.json'),
      this.lakeBucket.arnForObjects(`${this.reportPrefix}*`),
      ...(this.groundTruthPrefix ? [this.lakeBucket.arnForObjects(`${this.groundTruthPrefix}*`)] : []),
      this.scripts.bucket.arnForObjects(this.scripts.s3ObjectKey),
      this.sharedCode.bucket.arnForObjects(this.sharedCode.s3ObjectKey),
    ];
    role.addToPolicy(new iam.PolicyStatement({ sid: 'ReadInputs', actions: ['s3:GetObject'], resources: reads }));
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteReport', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [this.lakeBucket.arnForObjects(`${this.reportPrefix}*`)] }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListLakeInputs',
      actions: ['s3:ListBucket'],
      resources: [this.lakeBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': ['baselines/*', 'evaluation/*/prediction-baseline.json', `${this.reportPrefix}*`, ...(this.groundTruthPrefix ? [`${this.groundTruthPrefix}*`] : [])] } },
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListCodeAndCapture',
      actions: ['s3:ListBucket'],
      resources: [...new Set([this.scripts.bucket.bucketArn, this.captureBucket.bucketArn])],
      conditions: { StringLike: { 's3:prefix': [this.scripts.s3ObjectKey, this.sharedCode.s3ObjectKey, `${this.capturePrefix}*`] } },
    }));
    const captureKey = (props.endpoint.dataCapture ?? props.endpoint.apiCapture)?.kmsKey;
    const decryptKeys = [...new Set([this.lakeKey, captureKey].filter((k): k is kms.IKey => !!k))];
    if (decryptKeys.length > 0) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'DecryptInputs', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: decryptKeys.map((k) => k.keyArn) }));
    }
    if (this.lakeKey) {
      role.addToPolicy(new iam.PolicyStatement({ sid: 'EncryptReportAndVolume', actions: ['kms:GenerateDataKey', 'kms:Encrypt'], resources: [this.lakeKey.keyArn] }));
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'VolumeGrant',
        actions: ['kms:CreateGrant'],
        resources: [this.lakeKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }));
    }
    role.addToPolicy(new iam.PolicyStatement({ sid: 'EcrAuthorization', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'PullProcessingImage',
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      // The AWS-owned registry's account differs per region.
      resources: [stack.formatArn({ service: 'ecr', account: '*', resource: 'repository', resourceName: 'sagemaker-scikit-learn' })],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/ProcessingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'JobMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/ProcessingJobs' } },
    }));
  }

  /** checkov's Lambda checks that do not apply to the planner and the publisher, with why. */
  private skipCheckovOnFunctions(): void {
    for (const fn of [this.plannerFunction, this.publisherFunction]) {
      CheckovSkips.add(fn, [
        { id: 'CKV_AWS_115', comment: 'Invoked only by this drift workflow, one run per schedule tick; the schedule bounds its concurrency.' },
        { id: 'CKV_AWS_116', comment: 'Step Functions invokes it synchronously; the workflow\'s Retry and Catch handle a failure and the failure alarm reports it, so no event is lost.' },
        { id: 'CKV_AWS_117', comment: 'It calls only regional AWS APIs (S3, SageMaker, CloudWatch) over TLS with a least-privilege role; no VPC resource to reach.' },
        { id: 'CKV_AWS_173', comment: 'Its variables are names, prefixes, URIs and job arguments, no secret; Lambda encrypts them at rest with the AWS managed key.' },
        { id: 'CKV_AWS_45', comment: 'False positive on names, prefixes and job arguments, the only variables: identifiers, not secrets.' },
      ]);
    }
  }

  private grantFunctionPermissions(props: DriftMonitorProps): void {
    const stack = Stack.of(this);
    const planner = this.plannerFunction;
    planner.addToRolePolicy(new iam.PolicyStatement({ sid: 'DescribeEndpoint', actions: ['sagemaker:DescribeEndpoint'], resources: [props.endpoint.endpointArn] }));
    planner.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadEndpointConfigTags',
      actions: ['sagemaker:ListTags'],
      // The serving config's name is known only at run time (RetrainPipeline creates a new one each retrain).
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' })],
    }));
    planner.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ListCapture',
      actions: ['s3:ListBucket'],
      resources: [this.captureBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${this.capturePrefix}*`] } },
    }));
    if (this.groundTruthPrefix) {
      planner.addToRolePolicy(new iam.PolicyStatement({
        sid: 'ListGroundTruth',
        actions: ['s3:ListBucket'],
        resources: [this.lakeBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${this.groundTruthPrefix}*`] } },
      }));
    }
    planner.addToRolePolicy(new iam.PolicyStatement({
      sid: 'FindPredictionBaseline',
      actions: ['s3:ListBucket'],
      resources: [this.lakeBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': ['evaluation/*/prediction-baseline.json'] } },
    }));
    planner.addToRolePolicy(new iam.PolicyStatement({ sid: 'WriteManifests', actions: ['s3:PutObject'], resources: [this.lakeBucket.arnForObjects(`${this.reportPrefix}*/manifests/*`)] }));
    planner.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PutOutcomeMetric',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': DRIFT_NAMESPACE } },
    }));
    const publisher = this.publisherFunction;
    publisher.addToRolePolicy(new iam.PolicyStatement({ sid: 'ReadReports', actions: ['s3:GetObject'], resources: [this.lakeBucket.arnForObjects(`${this.reportPrefix}*`)] }));
    publisher.addToRolePolicy(new iam.PolicyStatement({
      sid: 'PutDriftMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': DRIFT_NAMESPACE } },
    }));
    if (this.lakeKey) {
      planner.addToRolePolicy(new iam.PolicyStatement({ sid: 'EncryptManifests', actions: ['kms:GenerateDataKey'], resources: [this.lakeKey.keyArn] }));
      publisher.addToRolePolicy(new iam.PolicyStatement({ sid: 'DecryptReports', actions: ['kms:Decrypt'], resources: [this.lakeKey.keyArn] }));
    }
  }

  /** The state machine: the drift jobs by their prefix, PassRole of the job role to SageMaker only, the .sync rule. */
  private grantWorkflowPermissions(): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunDriftJobs',
      actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'processing-job', resourceName: `${this.namePrefix}-drift-*` })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SyncJobEventRule',
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerProcessingJobsRule' })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassJobRole',
      actions: ['iam:PassRole'],
      resources: [this.jobRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }));
    if (this.lakeKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UseJobKey', actions: ['kms:CreateGrant', 'kms:DescribeKey'], resources: [this.lakeKey.keyArn] }));
    }
  }

  private acknowledgeFindings(): void {
    const stack = Stack.of(this);
    WildcardPermissions.acknowledgeRolePolicy(this.jobRole, {
      reason: 'The drift job reads per-window objects under fixed lake prefixes (keys unknown until the run), pulls the AWS-owned '
        + 'scikit-learn image whose registry account varies per region, and logs to /aws/sagemaker/ProcessingJobs; ecr:GetAuthorizationToken and '
        + 'PutMetricData take no resource. Compensating control: every action is named, S3 is limited to capture/<endpoint>/, baselines/, '
        + 'ground-truth/<endpoint>/ and reports/drift/<endpoint>/, PutMetricData to one namespace, and only SageMaker can assume the role.',
      allowedFindings: ['Resource::*', 'Resource::arn:<AWS::Partition>:ecr:*:*:repository/sagemaker-scikit-learn',
        'Resource::arn:<AWS::Partition>:logs:*:log-group:/aws/sagemaker/ProcessingJobs:*',
        `Resource::*/${this.capturePrefix}*`, 'Resource::*/baselines/*', 'Resource::*/evaluation/*/prediction-baseline.json', `Resource::*/${this.reportPrefix}*`,
        ...(this.groundTruthPrefix ? [`Resource::*/${this.groundTruthPrefix}*`] : [])],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.stateMachine.role as iam.Role, {
      reason: `Drift job names are unique per run (${this.namePrefix}-drift-<hash>), so jobs are matched by that prefix; X-Ray and the `
        + 'Lambda invoke grants CDK generates take wildcards. Compensating control: every action is named, jobs are scoped to the prefix, '
        + 'and PassRole is limited to the job role and SageMaker.',
      allowedFindings: ['Resource::*', `Resource::arn:<AWS::Partition>:sagemaker:*:*:processing-job/${this.namePrefix}-drift-*`,
        ...[this.plannerFunction, this.publisherFunction].map((fn) => `Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*`)],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.scheduleRole, {
      reason: 'The schedule role starts one state machine and writes to one dead-letter queue with its key (CDK grants name kms:GenerateDataKey*). '
        + 'Compensating control: only EventBridge Scheduler of this account can assume it.',
      allowedFindings: ['Resource::*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.plannerFunction.role as iam.Role, {
      reason: 'The planner lists capture and ground truth under this endpoint\'s prefixes, writes manifests under its report folder, and reads the tags of '
        + 'endpoint configs whose names RetrainPipeline generates each retrain; PutMetricData and X-Ray take no resource. Compensating control: ListTags reads tags only, '
        + `every S3 action is scoped to this endpoint's prefixes, and PutMetricData is limited to the ${DRIFT_NAMESPACE} namespace by condition.`,
      allowedFindings: ['Resource::*', 'Resource::arn:<AWS::Partition>:sagemaker:*:*:endpoint-config/*', `Resource::*/${this.reportPrefix}*/manifests/*`],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.publisherFunction.role as iam.Role, {
      reason: 'The publisher reads the reports under this endpoint\'s report folder; PutMetricData and X-Ray take no resource. '
        + `Compensating control: PutMetricData is limited to the ${DRIFT_NAMESPACE} namespace by condition.`,
      allowedFindings: ['Resource::*', `Resource::*/${this.reportPrefix}*`],
    });
    for (const fn of [this.plannerFunction, this.publisherFunction]) {
      NagAcknowledgements.add(fn, [
        {
          id: 'NIST.800.53.R5-LambdaInsideVPC',
          reason: 'The function calls only AWS APIs (SageMaker, S3, CloudWatch) over TLS, signed with its role. '
            + 'Compensating control: a least-privilege role scoped to this endpoint\'s prefixes, and X-Ray tracing.',
        },
        {
          id: 'NIST.800.53.R5-LambdaDLQ',
          reason: 'The drift state machine invokes the function synchronously, so a failure returns to its state and no event is lost. '
            + 'Compensating control: the Catch fails the run and the MonitorFailures alarm fires.',
        },
        {
          id: 'NIST.800.53.R5-LambdaConcurrency',
          reason: 'The function runs once per drift monitor run, which the schedule starts once per interval. '
            + 'Compensating control: the schedule bounds invocations to one per interval (plus its retries).',
        },
      ]);
    }
    NagAcknowledgements.add(this.deadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the drift schedule. '
        + 'Compensating control: messages are kept 14 days, KMS-encrypted, and the ScheduleDeadLetters alarm fires on the first one.',
    }]);
  }
}

/** What differs between the drift job's processing states. */
interface ProcessingJobSpec {
  readonly instanceType: string;
  readonly volumeSizeGb: number;
  readonly maxRuntime: Duration;
  /** A number, or the JSONPath of the plan's instance count. */
  readonly instanceCount: number | string;
  readonly nameAt: string;
  readonly inputsAt: string;
  readonly argumentsAt: string;
  readonly output: { readonly name: string; readonly uriAt: string; readonly localPath: string };
  readonly resultPath: string;
}

interface ResolvedProps {
  readonly interval: Duration;
  readonly window: Duration;
  readonly psiThreshold: number;
  readonly featureThresholds: Record<string, number>;
  readonly predictionDriftThreshold: number;
  readonly nullShareIncrease: number;
  readonly invalidShareIncrease: number;
  readonly qualityHigherIsBetter?: boolean;
  readonly namePrefix: string;
  readonly captureRoot: string;
  readonly jobArguments: string[];
  readonly qualityArguments: string[];
  readonly maxInstanceCount: number;
  readonly bytesPerInstance: number;
}

function validateProps(props: DriftMonitorProps): ResolvedProps {
  const { endpoint, schema } = props;
  const interval = props.interval ?? Duration.hours(1);
  const hours = interval.toHours({ integral: false });
  if (!HOUR_DIVISORS.includes(hours)) {
    throw new Error(`interval is ${interval.toHumanString()}; give a whole number of hours that divides a day (${HOUR_DIVISORS.join(', ')}).`);
  }
  const window = props.window ?? Duration.hours(24);
  const windowHours = window.toHours({ integral: false });
  if (!Number.isInteger(windowHours) || windowHours < hours || windowHours > 24 * 7) {
    throw new Error(`window is ${window.toHumanString()}; give whole hours, at least the interval (${interval.toHumanString()}) and at most 7 days.`);
  }
  // SageMaker's capture when the endpoint has it (it also holds direct callers), else the prediction API's: same records, same layout.
  const capture = endpoint.dataCapture ?? endpoint.apiCapture;
  if (!capture) {
    throw new Error(`Endpoint ${endpoint.endpointName} captures no data, so there is nothing to monitor: turn data capture on in its ModelEndpoint.`);
  }
  const parts = capture.destinationS3Uri.split('/');
  const captureRoot = parts.slice(3).filter((p) => p.length > 0).join('/');
  if (parts[0] !== 's3:' || parts.length < 4 || captureRoot.length === 0 || Token.isUnresolved(captureRoot)) {
    throw new Error(`Data capture destination ${capture.destinationS3Uri} must be s3://<bucket>/<literal prefix>, e.g. s3://lake/capture.`);
  }
  const stack = Stack.of(props.lakeBucket);
  const captureBucket = props.captureBucket ?? props.lakeBucket;
  if (JSON.stringify(stack.resolve(parts[2])) !== JSON.stringify(stack.resolve(captureBucket.bucketName))) {
    throw new Error(`Endpoint ${endpoint.endpointName} captures to another bucket than ${props.captureBucket ? 'captureBucket' : 'the lake bucket'}: pass the bucket it captures to as captureBucket (ModelEndpoint's captureBucket).`);
  }

  const drift = props.drift ?? {};
  const psiThreshold = drift.psiThreshold ?? 0.2;
  const predictionDriftThreshold = drift.predictionDriftThreshold ?? 0.2;
  const minSamples = drift.minSamples ?? 100;
  for (const [name, value] of [['drift.psiThreshold', psiThreshold], ['drift.predictionDriftThreshold', predictionDriftThreshold]] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} is ${value}; give a PSI above 0 (0.1 is a small shift, 0.2 a marked one).`);
  }
  if (!Number.isInteger(minSamples) || minSamples < 1) {
    throw new Error(`drift.minSamples is ${minSamples}; give a whole number of records, at least 1.`);
  }
  const featureThresholds = drift.featureThresholds ?? {};
  for (const [feature, value] of Object.entries(featureThresholds)) {
    if (!schema.featureColumns.includes(feature)) {
      throw new Error(`drift.featureThresholds names '${feature}', which is not a feature of schema '${schema.name}' (features: ${schema.featureColumns.join(', ')}).`);
    }
    if (!Number.isFinite(value) || value <= 0) {
      throw new Error(`drift.featureThresholds.${feature} is ${value}; give a PSI above 0 (0.1 is a small shift, 0.2 a marked one).`);
    }
  }

  let qualityHigherIsBetter: boolean | undefined;
  let qualityArguments: string[] = [];
  if (props.modelQuality) {
    const { metric, threshold } = props.modelQuality;
    qualityHigherIsBetter = props.modelQuality.higherIsBetter ?? HIGHER_IS_BETTER[metric];
    if (qualityHigherIsBetter === undefined) {
      throw new Error(`modelQuality.metric '${metric}' is not one Freshet knows (${Object.keys(HIGHER_IS_BETTER).join(', ')}); set modelQuality.higherIsBetter to say which way is worse.`);
    }
    if (!Number.isFinite(threshold)) throw new Error(`modelQuality.threshold is ${threshold}; give a number in the metric's units (the gate's threshold).`);
    const prefix = props.modelQuality.groundTruthPrefix ?? 'ground-truth/';
    if (!/^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*\/$/.test(prefix)) {
      throw new Error(`modelQuality.groundTruthPrefix '${prefix}' must be a lake prefix ending in '/', e.g. 'ground-truth/'.`);
    }
    qualityArguments = ['--quality-metric', metric, '--quality-threshold', String(threshold)];
  }

  const namePrefix = props.namePrefix ?? defaultPrefix(endpoint.endpointName);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(namePrefix) || namePrefix.length > 20) {
    throw new Error(`namePrefix '${namePrefix}' must be 1-20 lowercase letters, digits and single hyphens, starting with a letter (it names the drift jobs).`);
  }

  const alpha = drift.alpha ?? 0.001;
  if (!Number.isFinite(alpha) || alpha <= 0 || alpha >= 0.5) {
    throw new Error(`drift.alpha is ${alpha}; give a small significance between 0 and 0.5, such as 0.001.`);
  }
  const nullShareIncrease = drift.nullShareIncrease ?? 0.1;
  const invalidShareIncrease = drift.invalidShareIncrease ?? 0.05;
  for (const [name, value] of [['drift.nullShareIncrease', nullShareIncrease], ['drift.invalidShareIncrease', invalidShareIncrease]] as const) {
    if (!Number.isFinite(value) || value <= 0 || value >= 1) throw new Error(`${name} is ${value}; give an increase of the share between 0 and 1, such as 0.1.`);
  }

  const maxInstanceCount = props.jobResources?.maxInstanceCount ?? 1;
  if (!Number.isInteger(maxInstanceCount) || maxInstanceCount < 1 || maxInstanceCount > 20) {
    throw new Error(`jobResources.maxInstanceCount is ${maxInstanceCount}; give a whole number of instances from 1 (never sharded) to 20.`);
  }
  const bytesPerInstance = props.jobResources?.bytesPerInstance ?? DEFAULT_BYTES_PER_INSTANCE;
  if (!Number.isInteger(bytesPerInstance) || bytesPerInstance < 1_000_000) {
    throw new Error(`jobResources.bytesPerInstance is ${bytesPerInstance}; give whole bytes, at least 1,000,000 (the default is 10,000,000,000).`);
  }

  const jobArguments = [
    'drift_job.py',
    '--schema', JSON.stringify(schema.toSpec()),
    '--algorithm', props.algorithm,
    '--psi-threshold', String(psiThreshold),
    '--feature-thresholds', JSON.stringify(featureThresholds),
    '--prediction-threshold', String(predictionDriftThreshold),
    '--min-samples', String(minSamples),
    '--alpha', String(alpha),
    '--null-share-increase', String(nullShareIncrease),
    '--invalid-share-increase', String(invalidShareIncrease),
  ];
  return {
    interval,
    window,
    psiThreshold,
    featureThresholds,
    predictionDriftThreshold,
    nullShareIncrease,
    invalidShareIncrease,
    qualityHigherIsBetter,
    namePrefix,
    captureRoot: `${captureRoot}/`,
    jobArguments,
    qualityArguments,
    maxInstanceCount,
    bytesPerInstance,
  };
}

/** Five past every `hours`-th hour (UTC): 1 -> every hour, 24 -> once a day at 00:05. */
function scheduleExpression(hours: number): string {
  if (hours === 1) return 'cron(5 * * * ? *)';
  if (hours === 24) return 'cron(5 0 * * ? *)';
  return `cron(5 0/${hours} * * ? *)`;
}

/**
 * `dm-<endpoint>`, lowercase, hyphens for other characters; a name too long for 20 characters keeps
 * its start and gets a hash of the whole name, so two endpoints of one stage never share a prefix.
 */
function defaultPrefix(endpointName: string): string {
  if (Token.isUnresolved(endpointName)) return 'dm-endpoint';
  const cleaned = `dm-${endpointName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.replace(/-+$/, '');
  if (cleaned.length <= 20) return cleaned;
  const hash = createHash('sha256').update(endpointName).digest('hex').slice(0, 6);
  return `${cleaned.slice(0, 13).replace(/-+$/, '')}-${hash}`;
}
