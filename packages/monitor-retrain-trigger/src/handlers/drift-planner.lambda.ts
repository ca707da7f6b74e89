/**
 * The drift monitor's first step: resolves the serving model's baseline,
 * lists the window's captured requests and labels, writes the job's
 * manifests and returns the processing job's inputs (see drift-planner/plan-window.ts),
 * and publishes the outcome (UnmonitoredWindow, drift-planner/publish-outcome.ts).
 *
 * Environment: ENDPOINT_NAME, LAKE_BUCKET, CAPTURE_BUCKET, CAPTURE_PREFIX,
 * GROUND_TRUTH_PREFIX (empty = model quality off), REPORT_PREFIX,
 * WINDOW_HOURS, JOB_NAME_PREFIX, CODE_URI, SHARED_CODE_URI, JOB_ARGUMENTS
 * and QUALITY_ARGUMENTS (JSON string arrays), MAX_INSTANCE_COUNT, BYTES_PER_INSTANCE and
 * SHARDABLE ('false' for DeepAR: one instance always).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PlanEvent, PlannerConfig, planWindow, WindowPlan } from './drift-planner/plan-window';
import { publishOutcome } from './drift-planner/publish-outcome';
import { DEFAULT_BYTES_PER_INSTANCE } from './drift-planner/scale-out';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set.`);
  return value;
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got '${raw}'.`);
  return value;
}

/** Read once per container: a misconfiguration fails the init, not each run. */
export function configFromEnv(): PlannerConfig {
  const windowHours = Number(required('WINDOW_HOURS'));
  if (!Number.isInteger(windowHours) || windowHours < 1) throw new Error(`WINDOW_HOURS must be a whole number of at least 1, got '${process.env.WINDOW_HOURS}'.`);
  return {
    endpointName: required('ENDPOINT_NAME'),
    lakeBucket: required('LAKE_BUCKET'),
    captureBucket: required('CAPTURE_BUCKET'),
    capturePrefix: required('CAPTURE_PREFIX'),
    groundTruthPrefix: process.env.GROUND_TRUTH_PREFIX || undefined,
    reportPrefix: required('REPORT_PREFIX'),
    windowHours,
    jobNamePrefix: required('JOB_NAME_PREFIX'),
    codeUri: required('CODE_URI'),
    sharedCodeUri: required('SHARED_CODE_URI'),
    jobArguments: JSON.parse(required('JOB_ARGUMENTS')) as string[],
    qualityArguments: JSON.parse(process.env.QUALITY_ARGUMENTS || '[]') as string[],
    maxInstanceCount: positive('MAX_INSTANCE_COUNT', 1),
    bytesPerInstance: positive('BYTES_PER_INSTANCE', DEFAULT_BYTES_PER_INSTANCE),
    shardable: process.env.SHARDABLE !== 'false',
  };
}

const config = configFromEnv();
const clients = { sageMaker: new SageMakerClient({}), s3: new S3Client({}) };
const cloudWatch = new CloudWatchClient({});

/** What the state machine passes: its input (the schedule's `{ scheduledTime }`), start time and execution name. */
export interface PlannerInvocation {
  readonly input?: { readonly scheduledTime?: string };
  readonly startTime?: string;
  readonly executionName: string;
}

export async function handler(event: PlannerInvocation): Promise<WindowPlan> {
  const request: PlanEvent = { scheduledTime: event.input?.scheduledTime, startTime: event.startTime, executionName: event.executionName };
  const plan = await planWindow(clients, config, request);
  // Every outcome is a datum, so a window nothing measures (no capture, no baseline) can alarm; a failed put fails the run.
  await publishOutcome(cloudWatch, plan);
  console.log(JSON.stringify({ level: plan.status === 'ready' ? 'info' : 'warn', message: plan.message, status: plan.status, window: plan.window, captureObjects: plan.captureObjects, captureBytes: plan.captureBytes, instanceCount: plan.instanceCount }));
  return plan;
}
