import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AslDefinition, FakeServiceError, runStateMachine, synthesizedDefinition } from '@freshet/test-utils';
import { StageResolver, templateOf } from './stage-resolver';
import { LoopModel } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { Handler, loadBundledHandler } from '../runtime/bundled-handler';
import { PythonWorker } from '../runtime/python-worker';

export const DRIFT_WORKER = path.resolve(__dirname, '..', '..', 'python', 'drift_worker.py');
const PROCESSING = '/opt/ml/processing';

/** One feature of a window's report.json (the drift job's own numbers). */
export interface FeatureReading {
  readonly psi: number | null;
  readonly threshold?: number;
  readonly nullShare?: number;
  readonly baselineNullShare?: number | null;
  readonly status?: string;
}

/** One drift monitor run: the state machine's outcome, the planner's verdict and the job's report. */
export interface DriftWindow {
  readonly executionName: string;
  /** The schedule's time (the window ends at its hour). */
  readonly scheduledTime: number;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly visited: string[];
  readonly planStatus?: string;
  readonly message?: string;
  readonly windowStart?: string;
  readonly windowEnd?: string;
  readonly reportStatus?: string;
  readonly sampleSize?: number;
  readonly features?: Record<string, FeatureReading>;
  readonly predictionPsi?: number | null;
  readonly published?: number;
  readonly error?: string;
}

export interface DriftMonitorOptions {
  readonly loop: LoopModel;
  readonly resolver: StageResolver;
  readonly s3: S3Client;
  /** The Python that runs the drift job (the processing image's libraries: the shared .venv). */
  readonly python: string;
  readonly workDir: string;
}

/**
 * The app's drift monitor, run as synthesized: its state machine's definition from cdk.out in the ASL
 * engine (tools/test-utils), the **built** planner and publisher bundles for its Lambda tasks, and its
 * processing job (createProcessingJob.sync) run locally: the job's inputs (the planner's manifests of
 * capture and ground truth, the baseline prefix, the prediction baseline) are downloaded from S3 (moto)
 * to a folder standing for /opt/ml/processing, the container's arguments are mapped to it, the monitor's
 * own drift job runs (python/drift_worker.py: the code and shared assets as the container entry point
 * extracts them, imported once, main(argv) per window), and the report folder is uploaded to its S3Output.
 * The SDK clients of the bundles reach moto (S3), the SageMaker emulator and the replay's CloudWatch
 * through the AWS_ENDPOINT_URL_* variables the caller sets.
 */
export class DriftMonitor {
  private readonly definition: AslDefinition;
  private readonly lambdas = new Map<string, Handler>();
  private readonly worker: PythonWorker;
  private runs = 0;

  constructor(private readonly options: DriftMonitorOptions) {
    const { loop, resolver } = options;
    const stack = resolver.stackOf(loop.driftStateMachine.logicalId);
    const options_ = { stackName: stack.stackName, imports: resolver.imports };
    this.definition = synthesizedDefinition(templateOf(stack), loop.driftStateMachine.logicalId, options_);
    for (const fn of [loop.planner, loop.publisher]) {
      const arn = `arn:aws:lambda:us-east-1:123456789012:function:${fn.logicalId}`;
      this.lambdas.set(arn, loadBundledHandler(fn, resolver.environment(fn.logicalId, fn.environment)));
    }
    const code = this.assembleCode();
    const script = loop.jobArguments[0];
    if (!script || !fs.existsSync(path.join(code, script))) {
      throw new RefusalError(`The drift job's first argument (${script}) is not a file of the monitor's code asset.`);
    }
    this.worker = new PythonWorker('drift job', options.python, [DRIFT_WORKER, code, script]);
  }

  async stop(): Promise<void> {
    await this.worker.stop();
  }

  /** One run of the drift state machine, as its schedule starts it at `scheduledTime` (simulated now). */
  async runWindow(scheduledTime: number): Promise<DriftWindow> {
    const executionName = `drift-${new Date(scheduledTime).toISOString().replace(/[:.]/g, '-')}`;
    const input = this.scheduleInput(scheduledTime);
    let report: any;
    let plan: any;
    let published: any;
    const taskResponses: Record<string, (parameters: any) => Promise<unknown>> = {};
    for (const [name, state] of Object.entries(this.definition.States)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      const lambda = this.lambdas.get(resource);
      if (lambda) {
        taskResponses[name] = async (parameters) => {
          const out = await lambda(parameters);
          if (out && typeof out === 'object' && 'status' in out && 'windowEnd' in out) plan = out;
          if (out && typeof out === 'object' && 'published' in out) published = out;
          return out;
        };
      } else if (/:states:::sagemaker:createProcessingJob/.test(resource)) {
        taskResponses[name] = async (parameters) => {
          report = await this.processingJob(parameters);
          return { ProcessingJobName: parameters.ProcessingJobName, ProcessingJobStatus: 'Completed' };
        };
      } else {
        throw new RefusalError(`The drift state machine's task ${name} calls ${resource}, which the replay does not run.`);
      }
    }
    const execution = await runStateMachine(this.definition, {
      input,
      taskResponses,
      executionName,
      stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${this.options.loop.driftStateMachine.logicalId}`,
    });
    const features: Record<string, FeatureReading> | undefined = report?.features
      ? Object.fromEntries(Object.entries(report.features as Record<string, any>).map(([k, f]) => [k, {
        psi: f.psi ?? null, threshold: f.threshold, nullShare: f.nullShare, baselineNullShare: f.baselineNullShare ?? null, status: f.status,
      }]))
      : undefined;
    return {
      executionName,
      scheduledTime,
      status: execution.status,
      visited: execution.visited,
      planStatus: plan?.status,
      message: plan?.message,
      windowStart: plan?.windowStart,
      windowEnd: plan?.windowEnd,
      reportStatus: report?.status,
      sampleSize: report?.sampleSize,
      features,
      predictionPsi: report?.prediction?.psi ?? null,
      published: published?.published,
      error: execution.status === 'FAILED' ? `${execution.error}: ${execution.cause}` : undefined,
    };
  }

  /** What the schedule sends: its target's Input with the scheduled time filled in. */
  private scheduleInput(t: number): unknown {
    const input = this.options.loop.driftSchedule.input;
    if (!input) return {};
    return JSON.parse(input.replace('<aws.scheduler.scheduled-time>', new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')));
  }

  /**
   * The processing job, locally: inputs downloaded to the folders their LocalPath maps to, the arguments
   * mapped, the job run, its report folder uploaded to the S3Output. A job that exits non-zero fails the
   * task as SageMaker fails a processing job (its message file's text as the cause).
   */
  private async processingJob(parameters: any): Promise<any> {
    const root = path.join(this.options.workDir, 'drift', `run-${++this.runs}`);
    const local = (p: string) => (p.startsWith(PROCESSING) ? path.join(root, 'processing', p.slice(PROCESSING.length)) : p);
    for (const input of parameters.ProcessingInputs ?? []) {
      const s3Input = input.S3Input;
      if (!s3Input) continue;
      // The code and shared inputs are the assets the worker already runs (assembled once, as the entry point extracts them).
      if (s3Input.LocalPath.startsWith(`${PROCESSING}/input/`)) continue;
      const into = local(s3Input.LocalPath);
      fs.mkdirSync(into, { recursive: true });
      if (s3Input.S3DataType === 'ManifestFile') {
        const manifest = JSON.parse(await this.getText(s3Input.S3Uri));
        const prefix = String(manifest[0].prefix);
        for (const relative of manifest.slice(1) as string[]) await this.download(`${prefix}${relative}`, path.join(into, relative));
      } else {
        const { bucket, key } = parseS3(s3Input.S3Uri);
        for (const object of await this.list(bucket, key)) {
          const relative = object.slice(key.length).replace(/^\//, '') || path.basename(object);
          await this.download(`s3://${bucket}/${object}`, path.join(into, relative));
        }
      }
    }
    const output = parameters.ProcessingOutputConfig.Outputs[0].S3Output;
    fs.mkdirSync(local(output.LocalPath), { recursive: true });
    const failure = path.join(root, 'output', 'message');
    const argv = [...parameters.AppSpecification.ContainerArguments.map((a: string) => local(a)), '--failure-file', failure];
    const answer = await this.worker.ask({ argv });
    if (answer.code !== 0) {
      const message = fs.existsSync(failure) ? fs.readFileSync(failure, 'utf8').trim() : answer.error ?? `exit code ${answer.code}`;
      throw new FakeServiceError('States.TaskFailed', JSON.stringify({ ProcessingJobStatus: 'Failed', FailureReason: message }));
    }
    const reportDir = local(output.LocalPath);
    const { bucket, key } = parseS3(output.S3Uri);
    for (const file of fs.readdirSync(reportDir)) {
      await this.options.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key.replace(/\/?$/, '/')}${file}`, Body: fs.readFileSync(path.join(reportDir, file)) }));
    }
    const reportFile = path.join(reportDir, 'report.json');
    const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined;
    fs.rmSync(root, { recursive: true, force: true });
    return report;
  }

  /** The job's code as the container entry point lays it out: the code zip's files, the shared zip under freshet_ml/. */
  private assembleCode(): string {
    const env = this.options.resolver.environment(this.options.loop.planner.logicalId, this.options.loop.planner.environment);
    const code = path.join(this.options.workDir, 'drift-code');
    fs.rmSync(code, { recursive: true, force: true });
    fs.mkdirSync(path.join(code, 'freshet_ml'), { recursive: true });
    const stack = this.options.resolver.stackOf(this.options.loop.planner.logicalId);
    extractAsset(env.CODE_URI, stack.assemblyDir, code);
    extractAsset(env.SHARED_CODE_URI, stack.assemblyDir, path.join(code, 'freshet_ml'));
    return code;
  }

  private async getText(uri: string): Promise<string> {
    const { bucket, key } = parseS3(uri);
    const object = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return object.Body!.transformToString('utf-8');
  }

  private async download(uri: string, file: string): Promise<void> {
    const { bucket, key } = parseS3(uri);
    const object = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, await object.Body!.transformToByteArray());
  }

  private async list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.options.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter((k) => !k.endsWith('/')));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}

function parseS3(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3:// URI.`);
  return { bucket: match[1], key: match[2] };
}

/** A CDK file asset (`s3://cdk-...-assets-.../<hash>.zip`) from the cloud assembly: its zip extracted, or its folder copied. */
function extractAsset(uri: string | undefined, assemblyDir: string, into: string): void {
  const hash = /([0-9a-f]{64})\.zip$/.exec(uri ?? '')?.[1];
  if (!hash) throw new RefusalError(`The drift planner's code URI ${uri} is not a CDK file asset of the cloud assembly.`);
  for (const dir of [assemblyDir, path.dirname(assemblyDir)]) {
    const zip = path.join(dir, `asset.${hash}.zip`);
    const folder = path.join(dir, `asset.${hash}`);
    if (fs.existsSync(zip)) {
      execFileSync('unzip', ['-q', '-o', zip, '-d', into]);
      return;
    }
    if (fs.existsSync(folder) && fs.statSync(folder).isDirectory()) {
      fs.cpSync(folder, into, { recursive: true });
      return;
    }
  }
  throw new RefusalError(`The asset ${hash} (${uri}) is not in the cloud assembly: synthesize the app again.`);
}
