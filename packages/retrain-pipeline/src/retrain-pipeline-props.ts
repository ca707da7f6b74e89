import { AlarmOptions, AlarmThreshold, DatasetSchema, EndpointDeploymentTarget } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataExtract } from './data-extract';
import { TrainingAlgorithm } from './training-algorithm';

/** Whether a model that passes the gate is approved by the workflow or by a person. */
export enum ApprovalMode {
  /** Registered as Approved and deployed right away. */
  AUTOMATIC = 'Approved',
  /** Registered as PendingManualApproval; the workflow polls until someone approves or rejects it. */
  MANUAL = 'PendingManualApproval',
}

/** Training job resources. */
export interface TrainingResources {
  /**
   * The instance type.
   * @default 'ml.m5.xlarge'
   */
  readonly instanceType?: string;
  /**
   * The instance count.
   *
   * Above 1, XGBoost trains distributed: preprocess writes one part of the train and validation channels
   * per instance, each instance reads its share (`ShardedByS3Key`) and XGBoost's collective builds one
   * model from all of them. DeepAR's built-in algorithm spreads over the instances itself. AutoGluon
   * trains on one instance, so more are refused at synth.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * The ML storage volume in GB.
   * @default 30
   */
  readonly volumeSizeGb?: number;
  /**
   * The longest the job may run.
   * @default Duration.hours(2)
   */
  readonly maxRuntime?: Duration;
  /**
   * Managed spot training: checkpoints go to `checkpoints/<run>/`.
   * @default - on-demand
   */
  readonly spot?: SpotTraining;
}

/** Managed spot training. */
export interface SpotTraining {
  /** The longest the job may wait for spot capacity and run; at least `maxRuntime`. */
  readonly maxWait: Duration;
}

/** Processing jobs' (preprocess, evaluate) resources. */
export interface ProcessingResources {
  /**
   * The instance type.
   * @default 'ml.m5.xlarge'
   */
  readonly instanceType?: string;
  /**
   * The volume in GB.
   * @default 30
   */
  readonly volumeSizeGb?: number;
  /**
   * The longest each job may run.
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;
  /**
   * The fewest valid rows preprocess accepts (`--min-rows`).
   * @default 100
   */
  readonly minRows?: number;
}

/** How preprocess splits the snapshot (ignored by DeepAR, which holds out the last prediction length). */
export interface DataSplit {
  /**
   * The training share.
   * @default 0.7
   */
  readonly trainRatio?: number;
  /**
   * The validation share (0 leaves the validation channel out).
   * @default 0.15
   */
  readonly validationRatio?: number;
  /**
   * The test share, which evaluate scores.
   * @default 0.15
   */
  readonly testRatio?: number;
  /**
   * The random split's seed (a schema with an event time splits by time instead).
   * @default 42
   */
  readonly seed?: number;
}

/** How a categorical column is encoded for XGBoost. */
export enum CategoricalEncoding {
  /** One 0/1 column per category seen in training. */
  ONE_HOT = 'one_hot',
  /** The index in the sorted training categories. */
  CODES = 'codes',
}

/** Parts of the event time added as features. */
export enum TimePart {
  /** Hour of day (UTC). */
  HOUR = 'hour',
  /** Day of week, Monday = 0. */
  DAY_OF_WEEK = 'day_of_week',
  /** Day of month. */
  DAY_OF_MONTH = 'day_of_month',
  /** Month. */
  MONTH = 'month',
}

/** Feature engineering preprocess applies (its `--features`). */
export interface FeatureEngineering {
  /**
   * Encodings of categorical columns (XGBoost only); unlisted ones use codes.
   * @default - codes for every categorical column
   */
  readonly categorical?: Record<string, CategoricalEncoding>;
  /**
   * Parts of the event time added as columns (the schema needs an event time).
   * @default - none
   */
  readonly timeParts?: TimePart[];
  /**
   * Columns left out of the features.
   * @default - none
   */
  readonly exclude?: string[];
}

/** The accuracy gate. */
export interface QualityGate {
  /**
   * The metric gated on, a key of evaluation.json.
   * @default - the task's primary metric: rmse (regression), auc (binary), f1 (multiclass), wql (forecasting)
   */
  readonly primaryMetric?: string;
  /** The absolute bar: at most this for error metrics (rmse, mae, wql, mape), at least this for scores (r2, accuracy, f1, auc). */
  readonly threshold: number;
  /**
   * How much better than the champion (the newest Approved model package) the candidate must be, in the metric's units.
   * @default 0 - at least as good as the champion
   */
  readonly minImprovement?: number;
}

/** Alarms of the workflow. */
export interface RetrainPipelineAlarmProps extends AlarmOptions {
  /**
   * Failed executions in 1 hour.
   * @default - alarm at more than 0
   */
  readonly failedExecutions?: AlarmThreshold;
  /**
   * Timed-out executions in 1 hour.
   * @default - alarm at more than 0
   */
  readonly timedOutExecutions?: AlarmThreshold;
  /**
   * Runs the start guard skipped or failed to start, in 1 day.
   * @default - alarm at more than 0 guard errors
   */
  readonly guardErrors?: AlarmThreshold;
}

/** Timeouts of the workflow. */
export interface RetrainTimeouts {
  /**
   * The whole execution.
   * @default Duration.hours(12)
   */
  readonly execution?: Duration;
  /**
   * The extract step.
   * @default Duration.hours(2)
   */
  readonly extract?: Duration;
  /**
   * Batch transform of the test channel.
   * @default Duration.hours(1)
   */
  readonly transform?: Duration;
  /**
   * Every request/response task (S3, SageMaker API calls, the gate, SNS).
   * @default Duration.minutes(5)
   */
  readonly apiCall?: Duration;
  /**
   * How long a deployment may take before it is reported as failed.
   * @default Duration.hours(2)
   */
  readonly deployment?: Duration;
  /**
   * The pause between polls of the endpoint (and of a manual approval).
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;
}

/** Properties of a {@link RetrainPipeline}. */
export interface RetrainPipelineProps {
  /** The dataset. */
  readonly schema: DatasetSchema;
  /** The lake bucket (snapshots/, training/, models/, evaluation/, baselines/, checkpoints/ prefixes). */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake's KMS key; also encrypts job outputs and volumes.
   * @default - the bucket's encryptionKey
   */
  readonly lakeKey?: kms.IKey;
  /**
   * Where each run's data comes from.
   * @default DataExtract.s3Prefix('snapshots/<dataset>/latest/')
   */
  readonly extract?: DataExtract;
  /** The training algorithm. */
  readonly algorithm: TrainingAlgorithm;
  /**
   * Training resources.
   * @default - one ml.m5.xlarge, 30 GB, 2 hours, on-demand
   */
  readonly training?: TrainingResources;
  /**
   * Processing (preprocess and evaluate) resources.
   * @default - one ml.m5.xlarge, 30 GB, 1 hour, at least 100 rows
   */
  readonly processing?: ProcessingResources;
  /**
   * The batch transform instance type (scores the test channel for evaluate).
   * @default 'ml.m5.xlarge'
   */
  readonly transformInstanceType?: string;
  /**
   * The train/validation/test split.
   * @default - 0.7/0.15/0.15, seed 42
   */
  readonly split?: DataSplit;
  /**
   * Feature engineering.
   * @default - none beyond the default encodings
   */
  readonly features?: FeatureEngineering;
  /** The accuracy gate. */
  readonly gate: QualityGate;
  /**
   * Who approves a model that passed the gate.
   * @default ApprovalMode.AUTOMATIC
   */
  readonly approval?: ApprovalMode;
  /**
   * How long a manual approval may take before the run ends rejected.
   * @default Duration.days(2)
   */
  readonly approvalTimeout?: Duration;
  /**
   * The endpoint each approved model rolls out to.
   * @default - the workflow ends after registering the model
   */
  readonly deployTo?: EndpointDeploymentTarget;
  /**
   * The VPC the processing, training and transform jobs and the models the
   * workflow creates run in (each also has network isolation on, so the VPC
   * carries only SageMaker's own data traffic, e.g. through an S3 gateway endpoint).
   * @default - no VPC: network isolation only
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` the jobs and models use.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The security groups of the jobs and models in `vpc`.
   * @default - a new group: inbound only from itself (distributed training), all outbound
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * The topic told about every outcome.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * When runs start: an EventBridge Scheduler expression such as `rate(1 day)` or `cron(0 3 * * ? *)`.
   * @default 'rate(1 day)'
   */
  readonly schedule?: string;
  /**
   * The schedule's time zone.
   * @default 'UTC'
   */
  readonly scheduleTimeZone?: string;
  /**
   * Whether the schedule is on.
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /**
   * Timeouts.
   * @default - see RetrainTimeouts
   */
  readonly timeouts?: RetrainTimeouts;
  /**
   * The model package group.
   * @default - `<dataset>-models` (underscores become hyphens)
   */
  readonly modelPackageGroupName?: string;
  /**
   * The prefix of every SageMaker resource the workflow names (jobs, models, endpoint configs); IAM is scoped to it.
   * Lowercase letters, digits and hyphens, at most 20 characters, starting with a letter.
   * @default - `ct-<dataset>`, shortened to 20 characters
   */
  readonly namePrefix?: string;
  /**
   * Alarms.
   * @default - failed and timed-out executions, guard errors
   */
  readonly alarms?: RetrainPipelineAlarmProps;
  /**
   * The removal policy of the keys and log groups; DESTROY is honoured only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
