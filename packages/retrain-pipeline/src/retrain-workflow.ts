/**
 * The continuous-training state machine definition (JSONPath ASL).
 *
 * EXECUTION INPUT (every field optional; "Apply input defaults" fills them in):
 *   { "dataUri"?: "s3://bucket/prefix/",      // read this snapshot instead of running Extract ('' = extract)
 *     "hyperparameters"?: { "eta": "0.1" },     // merged over the algorithm's (string values)
 *     "reason"?: "drift",                       // recorded in the model package and notifications (default 'manual')
 *     "alarm"?: "<alarm name>" }                // the alarm that started the run (MonitorRetrainTrigger); named in the approval notification
 *
 * STATE NAMES (stable; tests and dashboards rely on them), in order:
 *   Read input (Pass) -> Apply input defaults (Pass: $.input, $.run names and URIs, counters)
 *   -> Data given? (Choice on $.input.dataUri == '')
 *        '' -> [Extract (Task, GlueEtl variant only)] -> Use extracted data (Pass: $.snapshotUri)
 *        else -> Use given data (Pass: $.snapshotUri = $.input.dataUri)
 *   -> Preprocess (Task sagemaker:createProcessingJob.sync)
 *   -> Train (Task sagemaker:createTrainingJob.sync, $.training.modelDataUrl)
 *   -> Create candidate model (aws-sdk sagemaker:createModel, the pipeline's execution role)
 *   -> Transform test channel (Task sagemaker:createTransformJob.sync; on failure -> Discard candidate model -> Notify failure)
 *   -> Delete candidate model (aws-sdk sagemaker:deleteModel)
 *   -> Evaluate (Task sagemaker:createProcessingJob.sync)
 *   -> Read evaluation (aws-sdk s3:getObject, $.evaluation.metrics = evaluation.json)
 *   -> Find champion (aws-sdk sagemaker:listModelPackages Approved, newest first, $.gate.packages)
 *   -> Champion exists? (Choice) -> [Describe champion (aws-sdk sagemaker:describeModelPackage, $.gate.champion)]
 *   -> Gate (Lambda: threshold and margin over the champion, $.gate = {passed, reason, ...})
 *   -> Passes gate? (Choice) -- no --> Notify rejection (SNS) -> Rejected (Succeed, output $.gate)
 *   -> Register model (aws-sdk sagemaker:createModelPackage, $.modelPackage.arn; Approved without deployTo in
 *        automatic mode, else PendingManualApproval: with deployTo a package is Approved only once it serves)
 *   -> [manual approval: Started by an alarm? -> (Started by alarm | Started otherwise: $.startedBy)
 *        -> Notify approval needed (SNS: who started the run, the alarm, the package, the metrics) -> Wait for approval -> Check approval -> Approval decided?
 *        Approved -> on; Rejected -> Approval rejected -> Notify rejection;
 *        else Count approval poll -> Approval overdue? -> (Approval timed out -> Withdraw model (sagemaker:updateModelPackage
 *        Rejected, so a late approval cannot make it a champion) -> Notify rejection | Wait for approval)]
 *   -> without deployTo: Notify success -> Registered (Succeed)
 *   -> with deployTo: Create model (aws-sdk, the endpoint's model role) -> Describe endpoint ($.endpoint.previousConfigName)
 *        -> Create endpoint config -> Update endpoint -> Wait for endpoint -> Check endpoint ($.endpointStatus)
 *      with deployTo.createsEndpoint (ModelEndpoint with ModelSource.fromFirstTraining), after Create model:
 *        Find endpoint (aws-sdk sagemaker:listEndpoints NameContains) -> Any endpoint listed? -> [List endpoint names
 *        -> Match endpoint name (exact, $.endpointSearch.exists) -> Endpoint exists?] found -> Describe endpoint;
 *        none -> No endpoint yet (Pass: $.endpoint.previousConfigName = '')
 *        -> Create endpoint config -> Create or update? ('' -> Create endpoint; else Update endpoint) -> Wait for endpoint ...
 *        A created endpoint that ends Failed -> First deployment failed -> Discard new endpoint -> Discard new config -> Discard new model.
 *        -> Endpoint updated? (Choice):
 *             InService on the new config -> [automatic mode: Approve model (sagemaker:updateModelPackage Approved)]
 *               -> Superseded config ours? -> [Delete superseded config] -> Notify success -> Deployed (Succeed)
 *             InService on another config -> Deployment rolled back (Pass $.error) -> Discard new config -> Discard new model -> Reject model
 *             Failed -> Deployment failed (Pass $.error) -> Reject model (the endpoint's configs are kept for diagnosis)
 *             else (Updating, RollingBack) -> Count endpoint poll -> Deployment overdue? -> (Deployment timed out -> Reject model | Wait for endpoint)
 *        A failure of Describe endpoint or Create endpoint config -> Discard new model; of Update endpoint -> Discard new config -> Discard new model;
 *        of Create model or Check endpoint -> Reject model.
 *        Reject model (sagemaker:updateModelPackage Rejected, ApprovalDescription naming the endpoint, run and error) -> Notify failure:
 *        the champion ("Find champion": the newest Approved package) is therefore always a model that served.
 *        A failed Approve model -> Notify failure (the model serves; its package stays PendingManualApproval, never a champion).
 *   Every Task state: Retry on throttling, Catch States.ALL ($.error) -> [the Discard states of what the run created and nothing uses]
 *   -> Notify failure (SNS, $.error) -> Failed (Fail, error and cause from $.error). A Discard, Reject model or Withdraw model that fails
 *   leaves $.cleanupError and goes on.
 *
 * ISOLATION: every CreateModel, the training job and the processing jobs set EnableNetworkIsolation
 * (the transform job inherits its model's); with VPC props, each also gets a VpcConfig. A serverless
 * deployTo (deployTo.serverless) is the exception SageMaker imposes: its "Create model" has neither.
 *
 * SERVERLESS deployTo: the endpoint configs carry each variant's ServerlessConfig (memory, max and
 * provisioned concurrency from the target) and no KmsKeyId or DataCaptureConfig; Update endpoint carries
 * no DeploymentConfig (SageMaker updates serverless endpoints all at once, with no alarm rollback).
 * An update that fails leaves the endpoint InService on its previous config with a FailureReason:
 * "Deployment rolled back" then reports DeploymentFailed, and the run discards the new config and model
 * and rejects the package, as for a real-time rollback.
 *
 * STATE DATA: $.input, $.algorithmHyperparameters, $.run {id, token, <kind> names, trainingUri, modelsUri, ...},
 * $.snapshotUri, $.preprocess, $.training {jobName, modelDataUrl}, $.transform, $.evaluate, $.evaluation {metrics},
 * $.gate, $.modelPackage {arn}, $.approval, $.endpoint, $.endpointStatus, $.error.
 */
import { Algorithm, DatasetSchema, deploymentTargetProblems, EndpointDeploymentTarget, EndpointVariantTarget, TrafficShiftingMode } from '@freshet/core';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { BoundDataExtract } from './data-extract';
import { ApprovalMode, DataSplit, FeatureEngineering, QualityGate } from './retrain-pipeline-props';
import { RunNames } from './run-names';
import { BoundTrainingAlgorithm, ChannelFormat, TaskType, TrainingAlgorithm } from './training-algorithm';

/** Everything the definition is built from (resolved by RetrainPipeline). */
export interface RetrainWorkflowContext {
  readonly schema: DatasetSchema;
  readonly lakeBucket: s3.IBucket;
  readonly lakeKey?: kms.IKey;
  readonly extract: BoundDataExtract;
  readonly algorithm: TrainingAlgorithm;
  readonly boundAlgorithm: BoundTrainingAlgorithm;
  readonly processingImageUri: string;
  readonly scripts: s3assets.Asset;
  readonly executionRole: iam.IRole;
  readonly namePrefix: string;
  readonly training: {
    readonly instanceType: string;
    readonly instanceCount: number;
    readonly volumeSizeGb: number;
    readonly maxRuntime: Duration;
    readonly spotMaxWait?: Duration;
  };
  readonly processing: { readonly instanceType: string; readonly volumeSizeGb: number; readonly maxRuntime: Duration; readonly minRows: number };
  readonly transformInstanceType: string;
  readonly split: Required<DataSplit>;
  readonly features?: FeatureEngineering;
  readonly gate: Required<QualityGate> & { readonly higherIsBetter: boolean };
  readonly gateFunction: lambda.IFunction;
  readonly modelPackageGroupName: string;
  readonly approval: ApprovalMode;
  readonly approvalTimeout: Duration;
  readonly deployTo?: EndpointDeploymentTarget;
  /** The VPC subnets and security groups of jobs and models; none without VPC props. */
  readonly vpcConfig?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  readonly topic: sns.ITopic;
  readonly timeouts: {
    readonly extract: Duration;
    readonly transform: Duration;
    readonly apiCall: Duration;
    readonly deployment: Duration;
    readonly pollInterval: Duration;
  };
}

/** The error names retried with backoff: throttling of every service the workflow calls. */
export const THROTTLING_ERRORS = [
  'ThrottlingException',
  'SageMaker.ThrottlingException',
  // The optimized SageMaker integrations report every API error, throttling included, under this name.
  'SageMaker.AmazonSageMakerException',
  'S3.SlowDownException',
  'SNS.ThrottledException',
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
];

/** Container paths of the processing jobs (the scripts' SageMaker-convention defaults). */
const CODE_DIR = '/opt/ml/processing/input/code';

/** Where the training job's `code` channel (the scripts zip) arrives. */
const TRAINING_CODE_DIR = '/opt/ml/input/data/code';

/**
 * Runs a script of the package's `scripts/` folder in a job's image: the
 * folder arrives in `codeDir` as the asset's zip, which the launcher extracts
 * and puts on `sys.path` (the scripts import `freshet_ml` from beside them).
 */
function scriptLauncher(codeDir: string): string {
  return [
    'import glob, runpy, sys, zipfile',
    "code = '/opt/ml/code'",
    `zipfile.ZipFile(sorted(glob.glob('${codeDir}/*.zip'))[0]).extractall(code)`,
    'sys.path.insert(0, code)',
    'sys.argv = sys.argv[1:]',
    "runpy.run_path(code + '/' + sys.argv[0], run_name='__main__')",
  ].join('\n');
}

const CONTENT_TYPES: Record<ChannelFormat, { content: string; accept: string; split: string; strategy: string }> = {
  [ChannelFormat.LABEL_FIRST_CSV]: { content: 'text/csv', accept: 'text/csv', split: 'Line', strategy: 'MultiRecord' },
  // The AutoGluon test file has a header, so it must reach the model whole.
  [ChannelFormat.HEADER_CSV]: { content: 'text/csv', accept: 'text/csv', split: 'None', strategy: 'SingleRecord' },
  [ChannelFormat.DEEPAR_JSON_LINES]: { content: 'application/jsonlines', accept: 'application/jsonlines', split: 'Line', strategy: 'MultiRecord' },
};

interface ProcessingJobOptions {
  readonly comment: string;
  readonly jobNamePath: string;
  readonly arguments: string[];
  readonly inputs: any[];
  readonly outputs: any[];
  readonly resultPath: string;
}

/** Builds the state graph; see the header comment for the states and the data they leave. */
export class RetrainWorkflow extends Construct {
  /** The first state. */
  public readonly startState: sfn.State;
  /** Every Task state, each with its retry and catch. */
  public readonly taskStates: sfn.State[] = [];
  /** The failure notification every catch leads to. */
  public readonly notifyFailure: tasks.SnsPublish;

  private readonly ctx: RetrainWorkflowContext;
  private readonly failed: sfn.Fail;

  constructor(scope: Construct, id: string, ctx: RetrainWorkflowContext) {
    super(scope, id);
    this.ctx = ctx;
    const targetProblems = ctx.deployTo ? deploymentTargetProblems(ctx.deployTo) : [];
    if (targetProblems.length > 0) {
      throw new Error(`Invalid deployTo of ${scope.node.path}:\n${targetProblems.map((p) => `  - ${p}`).join('\n')}`);
    }

    this.failed = new sfn.Fail(this, 'Failed', { comment: 'The run failed; the failure notification carries the error and cause', errorPath: '$.error.Error', causePath: '$.error.Cause' });
    this.notifyFailure = new tasks.SnsPublish(this, 'Notify failure', {
      topic: ctx.topic,
      subject: `Retraining of ${ctx.schema.name} failed`,
      message: sfn.TaskInput.fromObject({
        'outcome': 'failed',
        'dataset': ctx.schema.name,
        'run.$': '$$.Execution.Name',
        'execution.$': '$$.Execution.Id',
        'error.$': '$.error.Error',
        'cause.$': '$.error.Cause',
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(ctx.timeouts.apiCall),
    });
    this.notifyFailure.addRetry(this.throttlingRetry());
    // A failed notification still ends the run as failed (the failed-executions alarm fires).
    this.notifyFailure.addCatch(this.failed, { resultPath: '$.notificationError' });
    this.notifyFailure.next(this.failed);

    const readInput = new sfn.Pass(this, 'Read input', {
      comment: 'Keeps the execution input beside the defaults, the algorithm hyperparameters and the run hash',
      parameters: {
        'defaults': { dataUri: '', hyperparameters: {}, reason: 'manual', alarm: '' },
        'given.$': '$',
        'hyperparameters': ctx.boundAlgorithm.hyperparameters,
        'runId.$': '$$.Execution.Name',
        'hash.$': "States.Hash($$.Execution.Name, 'MD5')",
      },
    });
    const applyDefaults = new sfn.Pass(this, 'Apply input defaults', {
      comment: `Fills in the optional input and derives every name (${ctx.namePrefix}-<kind>-<md5 of the execution name>) and lake URI of the run`,
      parameters: {
        'input.$': 'States.JsonMerge($.defaults, $.given, false)',
        'algorithmHyperparameters.$': '$.hyperparameters',
        'run': this.runParameters(),
        'approvalPolls': { count: 0 },
        'endpointPolls': { count: 0 },
      },
    });

    const useGiven = new sfn.Pass(this, 'Use given data', {
      comment: 'The execution input names the snapshot: Extract is skipped',
      inputPath: '$.input.dataUri',
      resultPath: '$.snapshotUri',
    });
    const useExtracted = new sfn.Pass(this, 'Use extracted data', {
      comment: `The snapshot the extract leaves: ${ctx.extract.description}`,
      ...(ctx.extract.snapshotUriPath
        ? { inputPath: ctx.extract.snapshotUriPath }
        : { result: sfn.Result.fromString(ctx.extract.snapshotUri) }),
      resultPath: '$.snapshotUri',
    });
    const preprocess = this.preprocessState();
    useGiven.next(preprocess);
    useExtracted.next(preprocess);
    let extractStart: sfn.IChainable = useExtracted;
    if (ctx.extract.task) {
      this.guard(ctx.extract.task);
      ctx.extract.task.next(useExtracted);
      extractStart = ctx.extract.task;
    }
    const dataGiven = new sfn.Choice(this, 'Data given?', { comment: 'dataUri in the input overrides the extract' })
      .when(sfn.Condition.stringEquals('$.input.dataUri', ''), extractStart)
      .otherwise(useGiven);

    const train = this.trainState();
    const createCandidate = this.sdk('Create candidate model', 'sagemaker', 'createModel', {
      comment: 'A model of the trained artifact for the batch transform, run as the pipeline execution role',
      parameters: {
        'ModelName.$': '$.run.candidateModel',
        'ExecutionRoleArn': ctx.executionRole.roleArn,
        'PrimaryContainer': this.container('$.training.modelDataUrl'),
        ...this.modelIsolation(),
      },
      iamResources: [this.sageMakerArn('model', RunNames.pattern(ctx.namePrefix, 'candidateModel'))],
    });
    const transform = this.transformState(this.discard('Discard candidate model', 'deleteModel', 'ModelName', '$.run.candidateModel',
      this.sageMakerArn('model', RunNames.pattern(ctx.namePrefix, 'candidateModel')), this.notifyFailure));
    const deleteCandidate = this.sdk('Delete candidate model', 'sagemaker', 'deleteModel', {
      comment: 'The candidate model served the batch transform only',
      parameters: { 'ModelName.$': '$.run.candidateModel' },
      iamResources: [this.sageMakerArn('model', RunNames.pattern(ctx.namePrefix, 'candidateModel'))],
    });
    const evaluate = this.evaluateState();
    const readEvaluation = this.sdk('Read evaluation', 's3', 'getObject', {
      comment: 'Reads evaluation.json (flat and small) into $.evaluation.metrics',
      parameters: { 'Bucket': ctx.lakeBucket.bucketName, 'Key.$': '$.run.evaluationKey' },
      iamResources: [ctx.lakeBucket.arnForObjects('evaluation/*')],
      resultSelector: { 'metrics.$': 'States.StringToJson($.Body)' },
      resultPath: '$.evaluation',
    });
    const findChampion = this.sdk('Find champion', 'sagemaker', 'listModelPackages', {
      comment: 'The champion is the newest Approved model package of the group: the model that serves (packages are approved only once they serve)',
      parameters: {
        ModelPackageGroupName: ctx.modelPackageGroupName,
        ModelApprovalStatus: 'Approved',
        SortBy: 'CreationTime',
        SortOrder: 'Descending',
        MaxResults: 1,
      },
      // ListModelPackages takes no resource (IAM requires '*').
      iamResources: ['*'],
      resultSelector: { 'packages.$': '$.ModelPackageSummaryList' },
      resultPath: '$.gate',
    });
    const describeChampion = this.sdk('Describe champion', 'sagemaker', 'describeModelPackage', {
      comment: "Reads the champion's gate metric from its CustomerMetadataProperties (the Gate replaces $.gate)",
      parameters: { 'ModelPackageName.$': '$.gate.packages[0].ModelPackageArn' },
      iamResources: [this.modelPackageArn()],
      resultPath: '$.gate.champion',
    });
    const gate = new tasks.LambdaInvoke(this, 'Gate', {
      comment: `${ctx.gate.primaryMetric} must be ${ctx.gate.higherIsBetter ? 'at least' : 'at most'} ${ctx.gate.threshold} and beat the champion by ${ctx.gate.minImprovement}`,
      lambdaFunction: ctx.gateFunction,
      payload: sfn.TaskInput.fromObject({
        'metricName': ctx.gate.primaryMetric,
        'metricValue.$': `$.evaluation.metrics.${ctx.gate.primaryMetric}`,
        'higherIsBetter': ctx.gate.higherIsBetter,
        'threshold': ctx.gate.threshold,
        'minImprovement': ctx.gate.minImprovement,
        'search.$': '$.gate',
      }),
      payloadResponseOnly: true,
      resultPath: '$.gate',
      taskTimeout: sfn.Timeout.duration(ctx.timeouts.apiCall),
    });
    this.guard(gate);
    const championExists = new sfn.Choice(this, 'Champion exists?')
      .when(sfn.Condition.isPresent('$.gate.packages[0]'), describeChampion.next(gate))
      .otherwise(gate);

    const rejected = new sfn.Succeed(this, 'Rejected', {
      comment: 'The candidate did not pass the gate (or its approval): the output is the reason',
      outputPath: '$.gate',
    });
    const notifyRejection = this.guard(new tasks.SnsPublish(this, 'Notify rejection', {
      topic: ctx.topic,
      subject: `Retraining of ${ctx.schema.name}: model rejected`,
      message: sfn.TaskInput.fromObject({
        'outcome': 'rejected',
        'dataset': ctx.schema.name,
        'run.$': '$$.Execution.Name',
        'reason.$': '$.gate.reason',
        'metrics.$': '$.evaluation.metrics',
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(ctx.timeouts.apiCall),
    }));
    notifyRejection.next(rejected);

    const register = this.registerState();
    const passesGate = new sfn.Choice(this, 'Passes gate?')
      .when(sfn.Condition.booleanEquals('$.gate.passed', true), register)
      .otherwise(notifyRejection);

    const notifySuccess = this.guard(new tasks.SnsPublish(this, 'Notify success', {
      topic: ctx.topic,
      subject: `Retraining of ${ctx.schema.name}: ${ctx.deployTo ? 'model deployed' : 'model registered'}`,
      message: sfn.TaskInput.fromObject({
        'outcome': ctx.deployTo ? 'deployed' : 'registered',
        'dataset': ctx.schema.name,
        'run.$': '$$.Execution.Name',
        'reason.$': '$.gate.reason',
        'modelPackageArn.$': '$.modelPackage.arn',
        'metrics.$': '$.evaluation.metrics',
        'endpoint': ctx.deployTo?.endpointName ?? null,
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(ctx.timeouts.apiCall),
    }));
    notifySuccess.next(new sfn.Succeed(this, ctx.deployTo ? 'Deployed' : 'Registered', {
      comment: ctx.deployTo ? 'The new model serves the endpoint' : 'The new model is registered (no endpoint to deploy to)',
    }));

    const afterApproval: sfn.IChainable = ctx.deployTo ? this.deployChain(notifySuccess) : notifySuccess;
    if (ctx.approval === ApprovalMode.MANUAL) {
      register.next(this.approvalLoop(afterApproval, notifyRejection));
    } else {
      register.next(afterApproval);
    }

    readInput.next(applyDefaults).next(dataGiven);
    preprocess.next(train).next(createCandidate).next(transform).next(deleteCandidate).next(evaluate)
      .next(readEvaluation).next(findChampion).next(championExists);
    gate.next(passesGate);
    this.startState = readInput;
  }

  private runParameters(): Record<string, string> {
    const { namePrefix, lakeBucket, schema } = this.ctx;
    const names: Record<string, string> = {};
    for (const kind of Object.keys(RunNames.KINDS)) {
      names[`${kind}.$`] = `States.Format('${RunNames.template(namePrefix, kind)}', $.hash)`;
    }
    const uri = (template: string) => `States.Format('s3://${lakeBucket.bucketName}/${template}', $.runId)`;
    return {
      'id.$': '$.runId',
      'token.$': '$.hash',
      ...names,
      'trainingUri.$': uri('training/{}/'),
      'baselineUri.$': uri('baselines/{}/'),
      'rejectedUri.$': uri(`rejected/preprocess/${schema.name}/{}/`),
      'modelsUri.$': uri('models/{}/'),
      'checkpointsUri.$': uri('checkpoints/{}/'),
      'predictionsUri.$': uri('evaluation/{}/predictions/'),
      'evaluationUri.$': uri('evaluation/{}/'),
      'evaluationKey.$': "States.Format('evaluation/{}/evaluation.json', $.runId)",
    };
  }

  /**
   * XGBoost's entry point on several instances: each gets its share of the train and validation part files
   * (ShardedByS3Key; preprocess writes one part per instance) and trains inside XGBoost's collective.
   */
  private get shardedTraining(): boolean {
    return this.ctx.training.instanceCount > 1 && this.ctx.boundAlgorithm.trainingScript === 'xgboost_train.py';
  }

  private trainingUri(channel: string): string {
    return `States.Format('{}${channel}/', $.run.trainingUri)`;
  }

  private preprocessState(): sfn.CustomState {
    const { ctx } = this;
    const args = [
      'preprocess.py',
      '--schema', JSON.stringify(ctx.schema.toSpec()),
      '--algorithm', ctx.algorithm.algorithm,
      '--task-type', ctx.algorithm.taskType,
      '--features', JSON.stringify(ctx.features ?? {}),
      '--min-rows', String(ctx.processing.minRows),
      '--train-ratio', String(ctx.split.trainRatio),
      '--validation-ratio', String(ctx.split.validationRatio),
      '--test-ratio', String(ctx.split.testRatio),
      '--seed', String(ctx.split.seed),
    ];
    if (this.shardedTraining) args.push('--channel-parts', String(ctx.training.instanceCount));
    if (ctx.algorithm.algorithm === Algorithm.DEEPAR) {
      args.push('--freq', ctx.algorithm.frequency!, '--prediction-length', String(ctx.algorithm.predictionLength!),
        '--series-id-column', (ctx.algorithm.seriesIdColumn ?? ctx.schema.idColumn)!);
    }
    return this.processingJob('Preprocess', {
      comment: 'Validates the snapshot against the schema, engineers features, splits, writes the channels and the drift baseline',
      jobNamePath: '$.run.preprocessJob',
      arguments: args,
      inputs: [this.processingInput('snapshot', '$.snapshotUri', '/opt/ml/processing/input/snapshot')],
      outputs: [
        this.processingOutput('training', '$.run.trainingUri', '/opt/ml/processing/output/training'),
        this.processingOutput('baseline', '$.run.baselineUri', '/opt/ml/processing/output/baseline'),
        this.processingOutput('rejected', '$.run.rejectedUri', '/opt/ml/processing/output/rejected'),
      ],
      resultPath: '$.preprocess',
    });
  }

  private evaluateState(): sfn.CustomState {
    const { ctx } = this;
    return this.processingJob('Evaluate', {
      comment: 'Scores the batch transform predictions of the test channel and writes evaluation.json',
      jobNamePath: '$.run.evaluationJob',
      arguments: ['evaluate.py', '--schema', JSON.stringify(ctx.schema.toSpec()), '--algorithm', ctx.algorithm.algorithm, '--task-type', ctx.algorithm.taskType],
      inputs: [
        this.processingInput('test', this.trainingUri('test'), '/opt/ml/processing/input/test'),
        this.processingInput('predictions', '$.run.predictionsUri', '/opt/ml/processing/input/predictions'),
      ],
      outputs: [this.processingOutput('evaluation', '$.run.evaluationUri', '/opt/ml/processing/output/evaluation')],
      resultPath: '$.evaluate',
    });
  }

  private processingInput(name: string, uriPath: string, localPath: string): any {
    return {
      InputName: name,
      S3Input: { 'S3Uri.$': uriPath, 'LocalPath': localPath, 'S3DataType': 'S3Prefix', 'S3InputMode': 'File', 'S3DataDistributionType': 'FullyReplicated' },
    };
  }

  private processingOutput(name: string, uriPath: string, localPath: string): any {
    return { OutputName: name, S3Output: { 'S3Uri.$': uriPath, 'LocalPath': localPath, 'S3UploadMode': 'EndOfJob' } };
  }

  private processingJob(id: string, options: ProcessingJobOptions): sfn.CustomState {
    const { ctx } = this;
    const state = new sfn.CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Comment: options.comment,
        Resource: this.integrationArn('sagemaker:createProcessingJob.sync'),
        TimeoutSeconds: ctx.processing.maxRuntime.plus(Duration.minutes(15)).toSeconds(),
        Parameters: {
          'ProcessingJobName.$': options.jobNamePath,
          'RoleArn': ctx.executionRole.roleArn,
          'AppSpecification': {
            ImageUri: ctx.processingImageUri,
            ContainerEntrypoint: ['python3', '-c', scriptLauncher(CODE_DIR)],
            ContainerArguments: options.arguments,
          },
          'ProcessingInputs': [
            {
              InputName: 'code',
              S3Input: { S3Uri: ctx.scripts.s3ObjectUrl, LocalPath: CODE_DIR, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
            },
            ...options.inputs,
          ],
          'ProcessingOutputConfig': { KmsKeyId: ctx.lakeKey?.keyArn, Outputs: options.outputs },
          'ProcessingResources': {
            ClusterConfig: {
              InstanceCount: 1,
              InstanceType: ctx.processing.instanceType,
              VolumeSizeInGB: ctx.processing.volumeSizeGb,
              VolumeKmsKeyId: ctx.lakeKey?.keyArn,
            },
          },
          'StoppingCondition': { MaxRuntimeInSeconds: ctx.processing.maxRuntime.toSeconds() },
          'NetworkConfig': {
            EnableInterContainerTrafficEncryption: true,
            // The scripts arrive as an input and need no package index: the job has no network of its own.
            EnableNetworkIsolation: true,
            VpcConfig: this.vpcConfig(),
          },
        },
        ResultSelector: { 'jobName.$': '$.ProcessingJobName', 'status.$': '$.ProcessingJobStatus' },
        ResultPath: options.resultPath,
      },
    });
    return this.guard(state);
  }

  private trainState(): sfn.CustomState {
    const { ctx } = this;
    const format = CONTENT_TYPES[ctx.algorithm.channelFormat];
    const distribution = this.shardedTraining ? 'ShardedByS3Key' : 'FullyReplicated';
    const channel = (name: string) => ({
      ChannelName: name,
      ContentType: format.content,
      DataSource: { S3DataSource: { 'S3DataType': 'S3Prefix', 'S3Uri.$': this.trainingUri(name), 'S3DataDistributionType': distribution } },
    });
    // DeepAR reads train and test (it reports test metrics); the tabular formats train with a validation channel when there is one.
    const channels: any[] = ctx.algorithm.channelFormat === ChannelFormat.DEEPAR_JSON_LINES
      ? [channel('train'), channel('test')]
      : ctx.split.validationRatio > 0 ? [channel('train'), channel('validation')] : [channel('train')];
    const bound = ctx.boundAlgorithm;
    // The job is network-isolated: its own code comes in as a channel, like the processing jobs' (the scripts zip).
    if (bound.trainingScript) {
      channels.push({
        ChannelName: 'code',
        DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: ctx.scripts.s3ObjectUrl, S3DataDistributionType: 'FullyReplicated' } },
      });
    }
    if (bound.servingChannel) {
      channels.push({
        ChannelName: 'serving',
        ContentType: 'application/json',
        DataSource: { S3DataSource: { 'S3DataType': 'S3Prefix', 'S3Uri.$': this.trainingUri('serving'), 'S3DataDistributionType': 'FullyReplicated' } },
      });
    }
    const entrypoint = bound.trainingScript ? ['python3', '-c', scriptLauncher(TRAINING_CODE_DIR), bound.trainingScript] : bound.containerEntrypoint;
    const spot = ctx.training.spotMaxWait;
    const state = new sfn.CustomState(this, 'Train', {
      stateJson: {
        Type: 'Task',
        Comment: `Trains ${ctx.algorithm.algorithm} (${ctx.algorithm.taskType}) on training/<run>/ into models/<run>/`,
        Resource: this.integrationArn('sagemaker:createTrainingJob.sync'),
        TimeoutSeconds: (spot ?? ctx.training.maxRuntime).plus(Duration.minutes(15)).toSeconds(),
        Parameters: {
          'TrainingJobName.$': '$.run.trainingJob',
          'RoleArn': ctx.executionRole.roleArn,
          'AlgorithmSpecification': {
            TrainingImage: ctx.boundAlgorithm.trainingImageUri,
            TrainingInputMode: 'File',
            ContainerEntrypoint: entrypoint,
          },
          'HyperParameters.$': 'States.JsonMerge($.algorithmHyperparameters, $.input.hyperparameters, false)',
          'InputDataConfig': channels,
          'OutputDataConfig': { 'S3OutputPath.$': '$.run.modelsUri', 'KmsKeyId': ctx.lakeKey?.keyArn },
          'ResourceConfig': {
            InstanceType: ctx.training.instanceType,
            InstanceCount: ctx.training.instanceCount,
            VolumeSizeInGB: ctx.training.volumeSizeGb,
            VolumeKmsKeyId: ctx.lakeKey?.keyArn,
          },
          'StoppingCondition': {
            MaxRuntimeInSeconds: ctx.training.maxRuntime.toSeconds(),
            MaxWaitTimeInSeconds: spot?.toSeconds(),
          },
          'EnableManagedSpotTraining': spot ? true : undefined,
          'CheckpointConfig': spot ? { 'S3Uri.$': '$.run.checkpointsUri' } : undefined,
          'EnableInterContainerTrafficEncryption': true,
          // The built-in and AutoGluon training images install nothing at run time.
          'EnableNetworkIsolation': true,
          'VpcConfig': this.vpcConfig(),
        },
        ResultSelector: { 'jobName.$': '$.TrainingJobName', 'modelDataUrl.$': '$.ModelArtifacts.S3ModelArtifacts' },
        ResultPath: '$.training',
      },
    });
    return this.guard(state);
  }

  private transformState(onError: sfn.IChainable): sfn.CustomState {
    const { ctx } = this;
    const format = CONTENT_TYPES[ctx.algorithm.channelFormat];
    const deepar = ctx.algorithm.channelFormat === ChannelFormat.DEEPAR_JSON_LINES;
    const state = new sfn.CustomState(this, 'Transform test channel', {
      stateJson: {
        Type: 'Task',
        Comment: 'Predicts training/<run>/transform-input/ (the test rows without the label, as the prediction API sends them) for evaluate',
        Resource: this.integrationArn('sagemaker:createTransformJob.sync'),
        TimeoutSeconds: ctx.timeouts.transform.toSeconds(),
        Parameters: {
          'TransformJobName.$': '$.run.transformJob',
          'ModelName.$': '$.run.candidateModel',
          'BatchStrategy': format.strategy,
          'MaxPayloadInMB': format.split === 'None' ? 100 : 6,
          'Environment': deepar
            ? { DEEPAR_INFERENCE_CONFIG: JSON.stringify({ num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.5', '0.9'] }) }
            : undefined,
          'TransformInput': {
            DataSource: { S3DataSource: { 'S3DataType': 'S3Prefix', 'S3Uri.$': this.trainingUri('transform-input') } },
            ContentType: format.content,
            SplitType: format.split,
          },
          'TransformOutput': { 'S3OutputPath.$': '$.run.predictionsUri', 'Accept': format.accept, 'AssembleWith': 'Line', 'KmsKeyId': ctx.lakeKey?.keyArn },
          'TransformResources': { InstanceType: ctx.transformInstanceType, InstanceCount: 1, VolumeKmsKeyId: ctx.lakeKey?.keyArn },
        },
        ResultSelector: { 'jobName.$': '$.TransformJobName', 'status.$': '$.TransformJobStatus' },
        ResultPath: '$.transform',
      },
    });
    return this.guard(state, onError);
  }

  /** Every model the workflow creates serves offline; in a VPC when VPC props are given. */
  private modelIsolation(): Record<string, unknown> {
    return { EnableNetworkIsolation: true, VpcConfig: this.vpcConfig() };
  }

  private vpcConfig(): any {
    const vpc = this.ctx.vpcConfig;
    return vpc ? { SecurityGroupIds: vpc.securityGroupIds, Subnets: vpc.subnetIds } : undefined;
  }

  private container(modelDataPath: string): any {
    const { boundAlgorithm } = this.ctx;
    return {
      'Image': boundAlgorithm.inferenceImageUri,
      'ModelDataUrl.$': modelDataPath,
      'Environment': boundAlgorithm.inferenceEnvironment,
    };
  }

  private registerState(): tasks.CallAwsService {
    const { ctx } = this;
    const format = CONTENT_TYPES[ctx.algorithm.channelFormat];
    const metric = ctx.gate.primaryMetric;
    const status = this.registeredStatus();
    return this.sdk('Register model', 'sagemaker', 'createModelPackage', {
      comment: `Registers the model in ${ctx.modelPackageGroupName} as ${status}, with evaluation.json attached`,
      parameters: {
        'ModelPackageGroupName': ctx.modelPackageGroupName,
        'ModelPackageDescription.$': "States.Format('Run {} ({})', $.run.id, $.input.reason)",
        'ModelApprovalStatus': status,
        'ClientToken.$': '$.run.token',
        'InferenceSpecification': {
          Containers: [this.container('$.training.modelDataUrl')],
          SupportedContentTypes: [format.content],
          SupportedResponseMIMETypes: [format.accept],
        },
        'ModelMetrics': {
          ModelQuality: {
            Statistics: { 'ContentType': 'application/json', 'S3Uri.$': `States.Format('s3://${ctx.lakeBucket.bucketName}/{}', $.run.evaluationKey)` },
          },
        },
        'CustomerMetadataProperties': {
          'gateMetricName': metric,
          'gateMetricValue.$': `States.Format('{}', $.evaluation.metrics.${metric})`,
          'run.$': '$.run.id',
          'trainingJob.$': '$.training.jobName',
        },
      },
      iamResources: [this.modelPackageArn(), this.modelPackageGroupArn()],
      resultSelector: { 'arn.$': '$.ModelPackageArn' },
      resultPath: '$.modelPackage',
    });
  }

  /**
   * The status a passing model is registered with. The gate's champion is the
   * newest Approved package, so with an endpoint to deploy to, the workflow
   * approves a package only once it serves: automatic mode registers it
   * PendingManualApproval and "Approve model" approves it after InService on
   * the new config. Without an endpoint, registering is the outcome.
   */
  private registeredStatus(): string {
    return this.ctx.deployTo ? ApprovalMode.MANUAL : this.ctx.approval;
  }

  /**
   * Sets the run's package to Approved or Rejected, with why in its
   * ApprovalDescription (the registry's own record of the decision).
   */
  private setApproval(id: string, status: 'Approved' | 'Rejected', description: string, next: sfn.IChainable, onError: sfn.IChainable): tasks.CallAwsService {
    const state = new tasks.CallAwsService(this, id, {
      comment: status === 'Approved'
        ? 'The model serves: only now may it become the champion the next run is gated against'
        : 'The model does not serve (or is not known to): it must never become the champion',
      service: 'sagemaker',
      action: 'updateModelPackage',
      parameters: {
        'ModelPackageArn.$': '$.modelPackage.arn',
        'ModelApprovalStatus': status,
        'ApprovalDescription.$': description,
      },
      iamResources: [this.modelPackageArn()],
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(this.ctx.timeouts.apiCall),
    });
    state.addRetry(this.throttlingRetry());
    // A rejection that fails keeps the run's own error ($.error) for the notification.
    state.addCatch(onError, { resultPath: status === 'Approved' ? '$.error' : '$.cleanupError' });
    this.taskStates.push(state);
    state.next(next);
    return state;
  }

  private approvalLoop(approved: sfn.IChainable, notifyRejection: sfn.IChainable): sfn.IChainable {
    const { ctx } = this;
    const maxPolls = Math.max(1, Math.ceil(ctx.approvalTimeout.toSeconds() / ctx.timeouts.pollInterval.toSeconds()));
    const wait = new sfn.Wait(this, 'Wait for approval', { time: sfn.WaitTime.duration(ctx.timeouts.pollInterval) });
    const check = this.sdk('Check approval', 'sagemaker', 'describeModelPackage', {
      comment: 'Reads the approval status a reviewer sets in SageMaker Model Registry',
      parameters: { 'ModelPackageName.$': '$.modelPackage.arn' },
      iamResources: [this.modelPackageArn()],
      resultSelector: { 'status.$': '$.ModelApprovalStatus' },
      resultPath: '$.approval',
    });
    const approvalRejected = new sfn.Pass(this, 'Approval rejected', {
      parameters: { 'passed': false, 'reason.$': "States.Format('a reviewer rejected the model package {}', $.modelPackage.arn)" },
      resultPath: '$.gate',
    }).next(notifyRejection);
    // A package left pending could be approved after the run ended, and become a champion that never served.
    const withdraw = this.setApproval('Withdraw model', 'Rejected',
      `States.Format('Not approved within ${ctx.approvalTimeout.toHumanString()}: run {} did not deploy it', $.run.id)`,
      notifyRejection, notifyRejection);
    const approvalTimedOut = new sfn.Pass(this, 'Approval timed out', {
      parameters: { 'passed': false, 'reason.$': `States.Format('nobody approved the model package {} within ${ctx.approvalTimeout.toHumanString()}', $.modelPackage.arn)` },
      resultPath: '$.gate',
    }).next(withdraw);
    const count = new sfn.Pass(this, 'Count approval poll', {
      parameters: { 'count.$': 'States.MathAdd($.approvalPolls.count, 1)' },
      resultPath: '$.approvalPolls',
    });
    const overdue = new sfn.Choice(this, 'Approval overdue?')
      .when(sfn.Condition.numberGreaterThanEquals('$.approvalPolls.count', maxPolls), approvalTimedOut)
      .otherwise(wait);
    count.next(overdue);
    const decided = new sfn.Choice(this, 'Approval decided?')
      .when(sfn.Condition.stringEquals('$.approval.status', 'Approved'), approved)
      .when(sfn.Condition.stringEquals('$.approval.status', 'Rejected'), approvalRejected)
      .otherwise(count);
    wait.next(check).next(decided);
    return this.notifyApprovalNeeded(wait);
  }

  /**
   * Tells the approvers a model waits for them, and what started the run: a run an alarm
   * started (MonitorRetrainTrigger passes `alarm` and `reason`) says so and names the alarm.
   */
  private notifyApprovalNeeded(wait: sfn.IChainable): sfn.IChainable {
    const { ctx } = this;
    const notify = this.guard(new tasks.SnsPublish(this, 'Notify approval needed', {
      topic: ctx.topic,
      subject: `Retraining of ${ctx.schema.name}: a model waits for approval`,
      message: sfn.TaskInput.fromObject({
        'outcome': 'approval-needed',
        'dataset': ctx.schema.name,
        'run.$': '$$.Execution.Name',
        'message.$': '$.startedBy.message',
        'startedByAlarm.$': '$.startedBy.alarm',
        'reason.$': '$.input.reason',
        'modelPackageArn.$': '$.modelPackage.arn',
        'metrics.$': '$.evaluation.metrics',
        'approveWithin': ctx.approvalTimeout.toHumanString(),
        'endpoint': ctx.deployTo?.endpointName ?? null,
      }),
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(ctx.timeouts.apiCall),
    }));
    // Like every task: retried on throttling, else the run fails and says so (nobody would know a model waits).
    notify.next(wait);
    const approve = `approve or reject model package {} in SageMaker Model Registry within ${ctx.approvalTimeout.toHumanString()}.`;
    const byAlarm = new sfn.Pass(this, 'Started by alarm', {
      parameters: {
        'message.$': `States.Format('Run {} was started by the alarm {} ({}). Its model passed the gate: ${approve}', $$.Execution.Name, $.input.alarm, $.input.reason, $.modelPackage.arn)`,
        'alarm.$': '$.input.alarm',
      },
      resultPath: '$.startedBy',
    }).next(notify);
    const otherwise = new sfn.Pass(this, 'Started otherwise', {
      parameters: {
        'message.$': `States.Format('Run {} was started by {}, not by an alarm. Its model passed the gate: ${approve}', $$.Execution.Name, $.input.reason, $.modelPackage.arn)`,
        // Empty, not null: a path to null is a runtime error in Step Functions' parameters.
        'alarm': '',
      },
      resultPath: '$.startedBy',
    }).next(notify);
    return new sfn.Choice(this, 'Started by an alarm?')
      .when(sfn.Condition.and(sfn.Condition.isString('$.input.alarm'), sfn.Condition.not(sfn.Condition.stringEquals('$.input.alarm', ''))), byAlarm)
      .otherwise(otherwise);
  }

  private deployChain(notifySuccess: sfn.IChainable): sfn.IChainable {
    const { ctx } = this;
    const target = ctx.deployTo!;
    const prefix = ctx.namePrefix;
    const endpointConfigArn = this.sageMakerArn('endpoint-config', RunNames.pattern(prefix, 'endpointConfig'));
    const modelArn = this.sageMakerArn('model', RunNames.pattern(prefix, 'model'));
    // Every way the deployment can end without the new model confirmed serving rejects its package on the way to
    // the failure notification, so the next run's gate never compares against a model that did not serve.
    const rejectModel = this.setApproval('Reject model', 'Rejected',
      `States.Format('Not serving ${target.endpointName}: run {} ended with {}', $.run.id, $.error.Error)`,
      this.notifyFailure, this.notifyFailure);
    // What this run created and nothing serves yet is deleted on the way to the failure notification.
    const discardModel = this.discard('Discard new model', 'deleteModel', 'ModelName', '$.run.model', modelArn, rejectModel);
    const discardConfig = this.discard('Discard new config', 'deleteEndpointConfig', 'EndpointConfigName', '$.run.endpointConfig', endpointConfigArn, discardModel);
    // SageMaker refuses network isolation and a VPC on serverless endpoints' models.
    const isolated = target.networkIsolation ?? !target.serverless;
    const createModel = this.sdk('Create model', 'sagemaker', 'createModel', {
      comment: `The model the endpoint ${target.endpointName} serves, run as its model role${isolated ? '' : ' (without network isolation: the endpoint is serverless)'}`,
      parameters: {
        'ModelName.$': '$.run.model',
        'ExecutionRoleArn': target.modelExecutionRole.roleArn,
        'PrimaryContainer': this.container('$.training.modelDataUrl'),
        ...(isolated ? { EnableNetworkIsolation: true } : {}),
        ...(target.serverless ? {} : { VpcConfig: this.vpcConfig() }),
      },
      iamResources: [modelArn],
    }, rejectModel);
    const describeEndpoint = this.sdk('Describe endpoint', 'sagemaker', 'describeEndpoint', {
      comment: 'Remembers the config the endpoint runs now, deleted after a successful update if the workflow created it',
      parameters: { EndpointName: target.endpointName },
      iamResources: [target.endpointArn],
      resultSelector: { 'previousConfigName.$': '$.EndpointConfigName' },
      resultPath: '$.endpoint',
    }, discardModel);
    const createConfig = this.sdk('Create endpoint config', 'sagemaker', 'createEndpointConfig', {
      comment: `Every variant of ${target.endpointName}; ${target.retrainedVariantName} gets the new model`,
      // The tag tells the drift monitor which run's baseline belongs to the model this config serves.
      parameters: { ...this.endpointConfigParameters(target), Tags: [{ 'Key': 'freshet:baseline-uri', 'Value.$': '$.run.baselineUri' }] },
      iamResources: [endpointConfigArn],
      additionalIamStatements: [new iam.PolicyStatement({ actions: ['sagemaker:AddTags'], resources: [endpointConfigArn] })],
    }, discardModel);
    const updateEndpoint = this.sdk('Update endpoint', 'sagemaker', 'updateEndpoint', {
      comment: target.serverless
        ? 'All at once (serverless endpoints take no DeploymentConfig); an update that fails leaves the endpoint InService on its previous config'
        : 'Blue/green update with the guardrails of the target; alarms roll it back',
      parameters: {
        'EndpointName': target.endpointName,
        'EndpointConfigName.$': '$.run.endpointConfig',
        'RetainAllVariantProperties': false,
        'DeploymentConfig': deploymentConfig(target),
      },
      iamResources: [target.endpointArn, endpointConfigArn],
    }, discardConfig);
    const wait = new sfn.Wait(this, 'Wait for endpoint', { time: sfn.WaitTime.duration(ctx.timeouts.pollInterval) });
    const check = this.sdk('Check endpoint', 'sagemaker', 'describeEndpoint', {
      parameters: { EndpointName: target.endpointName },
      iamResources: [target.endpointArn],
      resultSelector: { 'status.$': '$.EndpointStatus', 'configName.$': '$.EndpointConfigName', 'name.$': '$.EndpointName' },
      resultPath: '$.endpointStatus',
    }, rejectModel);
    // A serverless update has no alarm rollback: one that fails leaves the endpoint InService on its previous config.
    const rolledBack = new sfn.Pass(this, 'Deployment rolled back', {
      comment: 'The endpoint serves its previous config again, so the new config and model serve nothing',
      parameters: target.serverless ? {
        'Error': 'DeploymentFailed',
        'Cause.$': `States.Format('${target.endpointName} stayed on {} ({}): the update to {} failed (DescribeEndpoint FailureReason says why)', $.endpointStatus.configName, $.endpointStatus.status, $.run.endpointConfig)`,
      } : {
        'Error': 'DeploymentRolledBack',
        'Cause.$': `States.Format('${target.endpointName} rolled back to {} ({}) instead of {}', $.endpointStatus.configName, $.endpointStatus.status, $.run.endpointConfig)`,
      },
      resultPath: '$.error',
    }).next(discardConfig);
    const deployFailed = new sfn.Pass(this, 'Deployment failed', {
      parameters: { 'Error': 'DeploymentFailed', 'Cause.$': `States.Format('${target.endpointName} is Failed after updating to {}', $.run.endpointConfig)` },
      resultPath: '$.error',
    }).next(rejectModel);
    // A Failed endpoint this run created serves nothing and would block the next run's create: it goes, with its config and model.
    const firstDeployFailed = target.createsEndpoint
      ? new sfn.Pass(this, 'First deployment failed', {
        parameters: { 'Error': 'DeploymentFailed', 'Cause.$': `States.Format('${target.endpointName} is Failed after creation with {}', $.run.endpointConfig)` },
        resultPath: '$.error',
      }).next(this.discard('Discard new endpoint', 'deleteEndpoint', 'EndpointName', '$.endpointStatus.name', target.endpointArn, discardConfig))
      : undefined;
    const timedOut = new sfn.Pass(this, 'Deployment timed out', {
      parameters: {
        'Error': 'DeploymentTimedOut',
        'Cause.$': `States.Format('${target.endpointName} was still {} after ${ctx.timeouts.deployment.toHumanString()}', $.endpointStatus.status)`,
      },
      resultPath: '$.error',
    }).next(rejectModel);
    const deleteSuperseded = this.sdk('Delete superseded config', 'sagemaker', 'deleteEndpointConfig', {
      comment: 'Only configs this workflow created: CloudFormation owns the initial one',
      parameters: { 'EndpointConfigName.$': '$.endpoint.previousConfigName' },
      iamResources: [endpointConfigArn],
    });
    deleteSuperseded.next(notifySuccess);
    const ours = new sfn.Choice(this, 'Superseded config ours?', { comment: `Names ${RunNames.pattern(prefix, 'endpointConfig')} are the workflow's` })
      .when(sfn.Condition.stringMatches('$.endpoint.previousConfigName', RunNames.pattern(prefix, 'endpointConfig')), deleteSuperseded)
      .otherwise(notifySuccess);
    const maxPolls = Math.max(1, Math.ceil(ctx.timeouts.deployment.toSeconds() / ctx.timeouts.pollInterval.toSeconds()));
    const count = new sfn.Pass(this, 'Count endpoint poll', {
      parameters: { 'count.$': 'States.MathAdd($.endpointPolls.count, 1)' },
      resultPath: '$.endpointPolls',
    });
    count.next(new sfn.Choice(this, 'Deployment overdue?')
      .when(sfn.Condition.numberGreaterThanEquals('$.endpointPolls.count', maxPolls), timedOut)
      .otherwise(wait));
    // Automatic mode approves the package now that it serves; a reviewer approved it already in manual mode.
    // A failed approval ends in the failure notification without a rejection: the model does serve.
    const served: sfn.IChainable = ctx.approval === ApprovalMode.AUTOMATIC
      ? this.setApproval('Approve model', 'Approved', `States.Format('Serves ${target.endpointName} since run {}', $.run.id)`, ours, this.notifyFailure)
      : ours;
    // RollingBack keeps polling: the new config is still in use until the endpoint is InService on the old one.
    const updated = new sfn.Choice(this, 'Endpoint updated?')
      .when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.endpointStatus.status', 'InService'),
        sfn.Condition.stringEqualsJsonPath('$.endpointStatus.configName', '$.run.endpointConfig'),
      ), served)
      .when(sfn.Condition.stringEquals('$.endpointStatus.status', 'InService'), rolledBack);
    if (firstDeployFailed) {
      updated.when(sfn.Condition.and(
        sfn.Condition.stringEquals('$.endpointStatus.status', 'Failed'),
        sfn.Condition.stringEquals('$.endpoint.previousConfigName', ''),
      ), firstDeployFailed);
    }
    updated
      .when(sfn.Condition.stringEquals('$.endpointStatus.status', 'Failed'), deployFailed)
      .otherwise(count);
    wait.next(check).next(updated);
    if (!target.createsEndpoint) {
      createModel.next(describeEndpoint).next(createConfig).next(updateEndpoint).next(wait);
      return createModel;
    }
    this.firstEndpointBranch(target, {
      createModel, describeEndpoint, createConfig, updateEndpoint, wait, discardModel, discardConfig, endpointConfigArn,
    });
    return createModel;
  }

  /**
   * The endpoint the workflow creates (ModelSource.fromFirstTraining): after
   * Create model, look for it by exact name; without one, the new config
   * creates it (CreateEndpoint) instead of updating it, then the same polling.
   *
   * ListEndpoints with NameContains and an exact-name filter, not DescribeEndpoint
   * with a Catch: a missing endpoint is then a normal answer, not an error
   * whose name the aws-sdk integration may report differently, and a throttled
   * or denied call still fails the run instead of creating a second endpoint.
   */
  private firstEndpointBranch(target: EndpointDeploymentTarget, s: {
    createModel: sfn.INextable;
    describeEndpoint: sfn.INextable & sfn.IChainable;
    createConfig: sfn.INextable & sfn.IChainable;
    updateEndpoint: sfn.INextable & sfn.IChainable;
    wait: sfn.IChainable;
    discardModel: sfn.IChainable;
    discardConfig: sfn.IChainable;
    endpointConfigArn: string;
  }): void {
    const name = target.endpointName;
    const find = this.sdk('Find endpoint', 'sagemaker', 'listEndpoints', {
      comment: `Whether ${name} exists yet: the first passing run creates it`,
      parameters: { NameContains: name, MaxResults: 100 },
      // ListEndpoints takes no resource (IAM requires '*').
      iamResources: ['*'],
      resultSelector: { 'endpoints.$': '$.Endpoints' },
      resultPath: '$.endpointSearch',
    }, s.discardModel);
    // A path that matches nothing is a States.Runtime error, so names are read only from a non-empty list.
    const names = new sfn.Pass(this, 'List endpoint names', {
      parameters: { 'names.$': '$.endpointSearch.endpoints[*].EndpointName' },
      resultPath: '$.endpointSearch',
    });
    const match = new sfn.Pass(this, 'Match endpoint name', {
      comment: `NameContains also lists other names that contain ${name}: only the exact name counts`,
      parameters: { 'exists.$': `States.ArrayContains($.endpointSearch.names, '${name}')` },
      resultPath: '$.endpointSearch',
    });
    const noEndpoint = new sfn.Pass(this, 'No endpoint yet', {
      comment: 'The first model: no config to supersede',
      parameters: { previousConfigName: '' },
      resultPath: '$.endpoint',
    });
    const createEndpoint = this.sdk('Create endpoint', 'sagemaker', 'createEndpoint', {
      comment: `Creates ${name} with the first model; the stack of the endpoint deletes it on teardown`,
      parameters: { 'EndpointName': name, 'EndpointConfigName.$': '$.run.endpointConfig' },
      iamResources: [target.endpointArn, s.endpointConfigArn],
    }, s.discardConfig);
    s.createModel.next(find);
    find.next(new sfn.Choice(this, 'Any endpoint listed?')
      .when(sfn.Condition.isPresent('$.endpointSearch.endpoints[0]'), names)
      .otherwise(noEndpoint));
    names.next(match).next(new sfn.Choice(this, 'Endpoint exists?')
      .when(sfn.Condition.booleanEquals('$.endpointSearch.exists', true), s.describeEndpoint)
      .otherwise(noEndpoint));
    s.describeEndpoint.next(s.createConfig);
    noEndpoint.next(s.createConfig);
    s.createConfig.next(new sfn.Choice(this, 'Create or update?')
      .when(sfn.Condition.stringEquals('$.endpoint.previousConfigName', ''), createEndpoint)
      .otherwise(s.updateEndpoint));
    createEndpoint.next(s.wait);
    s.updateEndpoint.next(s.wait);
  }

  private endpointConfigParameters(target: EndpointDeploymentTarget): any {
    const variant = (v: EndpointVariantTarget) => ({
      VariantName: v.variantName,
      ...(v.keepModelName ? { ModelName: v.keepModelName } : { 'ModelName.$': '$.run.model' }),
      InitialVariantWeight: v.initialWeight,
      InstanceType: v.instanceType,
      InitialInstanceCount: v.initialInstanceCount,
      ServerlessConfig: v.serverlessMemorySizeInMb !== undefined
        ? {
          MemorySizeInMB: v.serverlessMemorySizeInMb,
          MaxConcurrency: v.serverlessMaxConcurrency,
          ProvisionedConcurrency: v.serverlessProvisionedConcurrency,
        }
        : undefined,
    });
    const capture = target.dataCapture;
    return {
      'EndpointConfigName.$': '$.run.endpointConfig',
      'ProductionVariants': target.productionVariants.map(variant),
      'ShadowProductionVariants': target.shadowVariants?.map(variant),
      'KmsKeyId': target.encryptionKey?.keyArn,
      'DataCaptureConfig': capture ? {
        EnableCapture: true,
        InitialSamplingPercentage: capture.samplingPercent,
        DestinationS3Uri: capture.destinationS3Uri,
        KmsKeyId: capture.kmsKey.keyArn,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: capture.csvContentTypes || capture.jsonContentTypes
          ? { CsvContentTypes: capture.csvContentTypes, JsonContentTypes: capture.jsonContentTypes }
          : undefined,
      } : undefined,
    };
  }

  private sdk(
    id: string, service: string, action: string, props: Omit<tasks.CallAwsServiceProps, 'service' | 'action'>, onError: sfn.IChainable = this.notifyFailure,
  ): tasks.CallAwsService {
    return this.guard(new tasks.CallAwsService(this, id, {
      service,
      action,
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(this.ctx.timeouts.apiCall),
      ...props,
    }), onError);
  }

  /** Adds the throttling retry and the catch that leads (through cleanup, if any) to the failure notification. */
  private guard<T extends sfn.TaskStateBase | sfn.CustomState | sfn.Parallel>(state: T, onError: sfn.IChainable = this.notifyFailure): T {
    state.addRetry(this.throttlingRetry());
    state.addCatch(onError, { resultPath: '$.error' });
    this.taskStates.push(state);
    return state;
  }

  /**
   * Deletes a SageMaker object this run created, on the way to the failure
   * notification. Best effort: an error (the object was never created, say)
   * lands in $.cleanupError and the run goes on to `next`, keeping $.error.
   */
  private discard(id: string, action: string, nameParameter: string, namePath: string, arn: string, next: sfn.IChainable): tasks.CallAwsService {
    const state = new tasks.CallAwsService(this, id, {
      comment: `Deletes ${namePath}: created by this run, served by nothing`,
      service: 'sagemaker',
      action,
      parameters: { [`${nameParameter}.$`]: namePath },
      iamResources: [arn],
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(this.ctx.timeouts.apiCall),
    });
    state.addRetry(this.throttlingRetry());
    state.addCatch(next, { resultPath: '$.cleanupError' });
    this.taskStates.push(state);
    state.next(next);
    return state;
  }

  private throttlingRetry(): sfn.RetryProps {
    return {
      errors: THROTTLING_ERRORS,
      interval: Duration.seconds(5),
      maxAttempts: 4,
      backoffRate: 2,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    };
  }

  private integrationArn(api: string): string {
    return `arn:${Stack.of(this).partition}:states:::${api}`;
  }

  private sageMakerArn(resource: string, name: string): string {
    return Stack.of(this).formatArn({ service: 'sagemaker', resource, resourceName: name });
  }

  /** Every model package of the group (their ARNs are `model-package/<group>/<version>`). */
  public modelPackageArn(): string {
    return this.sageMakerArn('model-package', `${this.ctx.modelPackageGroupName.toLowerCase()}/*`);
  }

  /** The model package group. */
  public modelPackageGroupArn(): string {
    return this.sageMakerArn('model-package-group', this.ctx.modelPackageGroupName.toLowerCase());
  }
}

/** UpdateEndpoint's DeploymentConfig (API shape) from the target's guardrails; undefined means SageMaker's default all-at-once blue/green. */
function deploymentConfig(target: EndpointDeploymentTarget): any {
  const g = target.guardrails;
  // Serverless endpoints refuse guardrails: SageMaker updates them all at once.
  if (!g || target.serverless) {
    return undefined;
  }
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: g.mode,
        WaitIntervalInSeconds: g.mode === TrafficShiftingMode.ALL_AT_ONCE ? undefined : g.waitIntervalSeconds,
        CanarySize: g.mode === TrafficShiftingMode.CANARY ? { Type: 'CAPACITY_PERCENT', Value: g.canarySizePercent } : undefined,
        LinearStepSize: g.mode === TrafficShiftingMode.LINEAR ? { Type: 'CAPACITY_PERCENT', Value: g.linearStepPercent } : undefined,
      },
      TerminationWaitInSeconds: g.bakeTimeSeconds,
    },
    AutoRollbackConfiguration: g.rollbackAlarmNames.length > 0 ? { Alarms: g.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) } : undefined,
  };
}

/** The task types' default gate metric and direction (evaluate.py's primary metrics). */
export const PRIMARY_METRICS: Record<TaskType, string> = {
  [TaskType.REGRESSION]: 'rmse',
  [TaskType.BINARY_CLASSIFICATION]: 'auc',
  [TaskType.MULTICLASS_CLASSIFICATION]: 'f1',
  [TaskType.FORECASTING]: 'wql',
};

/** Every metric evaluate.py writes per task type, and whether higher is better. */
export const METRICS: Record<TaskType, Record<string, boolean>> = {
  [TaskType.REGRESSION]: { rmse: false, mae: false, r2: true },
  [TaskType.BINARY_CLASSIFICATION]: { accuracy: true, f1: true, auc: true },
  [TaskType.MULTICLASS_CLASSIFICATION]: { accuracy: true, f1: true, auc: true },
  [TaskType.FORECASTING]: { wql: false, mape: false },
};
