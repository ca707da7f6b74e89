import { Algorithm, DatasetSchema, EndpointDeploymentTarget } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Drift thresholds and the smallest window the drift job judges. */
export interface DriftThresholds {
  /**
   * The PSI above which a feature counts as drifted; the MaxFeatureDrift alarm's threshold.
   * @default 0.2
   */
  readonly psiThreshold?: number;
  /**
   * PSI thresholds of single features, keyed by column name (higher for a
   * noisy feature, lower for a sensitive one). With any given, the drift
   * alarm counts the features over their own thresholds (DriftedFeatures)
   * instead of comparing the worst PSI with `psiThreshold` (MaxFeatureDrift).
   * @default - every feature at `psiThreshold`
   */
  readonly featureThresholds?: Record<string, number>;
  /**
   * The PSI of the model's outputs above which predictions count as drifted.
   * @default 0.2
   */
  readonly predictionDriftThreshold?: number;
  /**
   * The fewest captured records in a window that the job compares; a smaller
   * window is reported as "not enough data" and publishes no drift metrics.
   * @default 100
   */
  readonly minSamples?: number;
  /**
   * The significance of a change: a feature (or the predictions) drifts only when its PSI is above
   * its threshold and above the PSI an unchanged window of the same size reaches with probability
   * `1 - alpha` (its noise floor, from its number of bins and the window's size); a null or invalid
   * share counts only when its increase is significant at `alpha`. An unchanged window is flagged
   * at most this often, whatever its size.
   * @default 0.001
   */
  readonly alpha?: number;
  /**
   * The absolute increase of a feature's null share over the baseline's (0.1 = ten more null
   * values in a hundred) above which the feature is reported as `null share` and the
   * NullShareIncrease alarm fires. A feature that is all null (a dead sensor) always passes it.
   * @default 0.1
   */
  readonly nullShareIncrease?: number;
  /**
   * The absolute increase of a feature's invalid share (values not of the column's type) over
   * the baseline's above which the feature is reported as `invalid share` and the
   * InvalidShareIncrease alarm fires.
   * @default 0.05
   */
  readonly invalidShareIncrease?: number;
}

/** Model quality from labels that arrive later (ground truth joined by inference id). */
export interface ModelQualityMonitoring {
  /** The metric the job computes over the matched pairs: the gate's metric, e.g. `rmse`, `auc`, `wql`. */
  readonly metric: string;
  /** The alarm's bar, in the metric's units: the RetrainPipeline gate's threshold is the natural value. */
  readonly threshold: number;
  /**
   * Whether a higher value is better (scores such as auc, accuracy, f1, r2) or worse (errors such as rmse, mae, wql, mape).
   * @default - known from the metric name
   */
  readonly higherIsBetter?: boolean;
  /**
   * The lake prefix clients write ground truth under; the endpoint name and `yyyy/mm/dd/hh/` follow.
   * @default 'ground-truth/'
   */
  readonly groundTruthPrefix?: string;
}

/** The drift job's SageMaker Processing resources. */
export interface DriftJobResources {
  /**
   * The instance type.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
  /**
   * The volume in GB.
   * @default 30
   */
  readonly volumeSizeGb?: number;
  /**
   * The longest a job may run.
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;
  /**
   * The most instances one window's drift job may count on, a whole number from 1 to 20. Above 1, a
   * window of more than `bytesPerInstance` of capture is counted on `ceil(bytes / bytesPerInstance)`
   * instances (at most this many, at most one per capture file) over `ShardedByS3Key` capture, and a
   * single-instance job sums their counts into the report. Windows with model quality (ground truth in
   * the window), shadow variants or DeepAR requests always run on one instance.
   * @default 1 (one instance, never sharded)
   */
  readonly maxInstanceCount?: number;
  /**
   * The capture bytes one instance counts before the planner adds another (with `maxInstanceCount` above 1).
   * @default 10_000_000_000 (10 GB: about 25 million stocks records, about 10 minutes of one core at the measured 44,000 records per CPU second)
   */
  readonly bytesPerInstance?: number;
}

/** Properties of a {@link DriftMonitor}. */
export interface DriftMonitorProps {
  /** The endpoint to watch: ModelEndpoint's `deploymentTarget()`. It must capture data. */
  readonly endpoint: EndpointDeploymentTarget;
  /** The dataset the endpoint's model was trained on. */
  readonly schema: DatasetSchema;
  /** How the endpoint's requests are encoded (the proxy's codec of this algorithm). */
  readonly algorithm: Algorithm;
  /** The lake bucket: `baselines/` (from RetrainPipeline), `ground-truth/`, and `reports/drift/<endpoint>/`. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake's KMS key; also encrypts the job's volume and report.
   * @default - the bucket's encryptionKey
   */
  readonly lakeKey?: kms.IKey;
  /**
   * The bucket data capture writes to.
   * @default - the lake bucket
   */
  readonly captureBucket?: s3.IBucket;
  /**
   * How often the drift job runs: whole hours, 1 to 24.
   * @default Duration.hours(1)
   */
  readonly interval?: Duration;
  /**
   * The window of captured requests each run compares: whole hours, at least the interval, at most 7 days.
   * @default Duration.hours(24)
   */
  readonly window?: Duration;
  /**
   * Whether the schedule is on.
   * @default true
   */
  readonly scheduleEnabled?: boolean;
  /**
   * Drift thresholds and the minimum sample size.
   * @default - PSI 0.2 for every feature and the predictions, at least 100 records
   */
  readonly drift?: DriftThresholds;
  /**
   * Model quality from ground truth.
   * @default - off
   */
  readonly modelQuality?: ModelQualityMonitoring;
  /**
   * The drift job's resources.
   * @default - one ml.m5.large, 30 GB, 1 hour
   */
  readonly jobResources?: DriftJobResources;
  /**
   * The prefix of the drift jobs' names; lowercase letters, digits and hyphens, at most 20 characters.
   * @default - `dm-<endpoint name>`, shortened
   */
  readonly namePrefix?: string;
  /**
   * The removal policy of the keys and log groups; DESTROY is honoured only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
