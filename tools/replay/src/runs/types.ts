import type { TaskCall } from '@freshet/test-utils';

/**
 * The contract between the retrain run executor (src/runs, src/jobs, src/emulators/sagemaker.ts,
 * src/warehouse) and the data-path replay that drives it (src/loop, src/serving, src/monitor).
 */

/** A model as it serves: enough for the endpoint runtime to load it with its own inference code. */
export interface ServingModel {
  readonly endpointName: string;
  readonly variantName: string;
  readonly role: 'production' | 'shadow';
  readonly modelName: string;
  /** The extracted model.tar.gz: holds code/inference.py (or the algorithm's model files). */
  readonly modelDir: string;
  /** 'xgboost' | 'autogluon' | 'deepar' (from the image). */
  readonly algorithm: string;
  /** The Model's container Environment (SAGEMAKER_PROGRAM etc.). */
  readonly environment: Record<string, string>;
  /** Simulated epoch ms at which this config became the endpoint's (DescribeEndpoint LastModifiedTime). */
  readonly deployedAt: number;
  /** The model package (registry) ARN, when the run registered one. */
  readonly modelPackageArn?: string;
  /** Endpoint-side data capture (DataCaptureConfig) of the serving config, if any. */
  readonly dataCapture?: { readonly destinationS3Uri: string; readonly samplingPercentage: number; readonly kmsKeyId?: string };
}

/** The labelled rows that have arrived by a simulated time: what the warehouse holds then. */
export interface LabelledStore {
  /** Header then rows, in the dataset schema's column order (DESIGN.md's contract), labelled on or before `time`. */
  rowsUpTo(time: number): { header: string[]; rows: string[][] };
}

export interface RetrainRunRequest {
  readonly executionName: string;
  readonly executionArn: string;
  /** The execution input as the starter sent it (trigger, start guard). */
  readonly input: unknown;
  /** Simulated epoch ms of the start. */
  readonly startTime: number;
  /** Scenario orders: fail training, roll the deployment back. */
  readonly failTraining?: boolean;
  readonly rollBackDeployment?: boolean;
}

/** One notification a run published (SNS Publish), recorded rather than sent. */
export interface RunNotification {
  readonly topicArn: string;
  readonly subject?: string;
  readonly message: string;
  /** Simulated epoch ms. */
  readonly time: number;
}

/** One step of a run with its simulated start and duration (for the timeline). */
export interface RunStep {
  readonly state: string;
  /** The Task's resource (e.g. arn:aws:states:::sagemaker:createTrainingJob.sync), absent for non-Task states. */
  readonly resource?: string;
  /** Simulated epoch ms. */
  readonly startTime: number;
  readonly durationMs: number;
  /** Wall-clock ms a local job took on this machine (reporting only; never asserted on). */
  readonly wallMs?: number;
}

export interface RetrainRunOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  /** Simulated duration (job durations from the app's own settings/timeouts, or a documented estimate). */
  readonly durationMs: number;
  /** States entered, in order. */
  readonly visited: string[];
  /** Gate outcome as the gate Lambda answered it (candidate vs champion metric), when the run got there. */
  readonly gate?: { readonly passed: boolean; readonly reason: string; readonly candidate?: number; readonly champion?: number };
  /** What serves after the run, when it deployed. */
  readonly deployed?: ServingModel;
  readonly rolledBack?: boolean;
  /** SNS publishes the run made, recorded. */
  readonly notifications?: RunNotification[];
  /** The Task steps with their simulated durations. */
  readonly steps?: RunStep[];
  /** Wall-clock ms the run took on this machine (reporting only; never asserted on). */
  readonly wallMs?: number;
  /** Every Task call with its parameters and response, as the ASL engine recorded it (the IAM harness evaluates them). */
  readonly calls?: readonly TaskCall[];
}

export interface RetrainRunner {
  run(request: RetrainRunRequest): Promise<RetrainRunOutcome>;
}
