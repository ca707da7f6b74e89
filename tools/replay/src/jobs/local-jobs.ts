import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobContainer } from './container';
import { S3Store } from './s3-store';
import { algorithmOf, SageMakerEmulator } from '../emulators/sagemaker';

const MINUTE = 60_000;

/**
 * Simulated durations of SageMaker jobs (documented estimates, README "Simulated durations"):
 * a job's instance start and image pull dominate on small data, so each kind has a fixed cost;
 * training adds the run's own time budget when the algorithm has one (AutoGluon's time_limit).
 */
export const JOB_DURATIONS_MS = {
  processing: 5 * MINUTE,
  training: 10 * MINUTE,
  trainingStartup: 5 * MINUTE,
  transform: 8 * MINUTE,
};

/** A job that ended Failed: the FailureReason SageMaker would report. */
export class JobFailedError extends Error {
  constructor(readonly kind: 'ProcessingJob' | 'TrainingJob' | 'TransformJob', readonly jobName: string, readonly failureReason: string, readonly described: Record<string, unknown>) {
    super(failureReason);
  }
}

/** What a finished job answers (its Describe* response), its simulated duration and its wall time (performance.now: the replay may simulate Date). */
export interface JobResult {
  readonly response: Record<string, unknown>;
  readonly durationMs: number;
  readonly wallMs: number;
}

export interface LocalJobsOptions {
  readonly s3: S3Store;
  readonly sagemaker: SageMakerEmulator;
  readonly workDir: string;
  /** The Python of processing jobs, XGBoost training and transform. */
  readonly python: string;
  /** The Python of AutoGluon training and its transform (a venv with autogluon.tabular). @default python */
  readonly autogluonPython?: string;
}

/**
 * SageMaker processing, training and transform jobs run as local processes:
 * the request's inputs copied from S3 into the container's paths, the app's
 * own entry point run with `/opt/ml` mapped (JobContainer), the outputs
 * uploaded back, and model.tar.gz built as SageMaker builds it (the contents of
 * /opt/ml/model, at `<S3OutputPath><job>/output/model.tar.gz`).
 */
export class LocalJobs {
  /** The scenario orders the next training job to fail (training-fails). */
  failNextTraining?: string;

  constructor(private readonly options: LocalJobsOptions) {}

  async processing(r: any): Promise<JobResult> {
    const name = String(r.ProcessingJobName);
    const started = performance.now();
    const container = new JobContainer(this.options.workDir, 'processing', name);
    for (const input of r.ProcessingInputs ?? []) {
      const s3 = input.S3Input;
      if (!s3) throw this.fail('ProcessingJob', name, `ProcessingInput ${input.InputName} is not an S3Input: the replay copies S3 inputs only.`, r);
      await this.copyIn(s3.S3Uri, container.local(s3.LocalPath), 'ProcessingJob', name, r);
    }
    const outputs = (r.ProcessingOutputConfig?.Outputs ?? []) as any[];
    for (const o of outputs) fs.mkdirSync(container.local(o.S3Output.LocalPath), { recursive: true });
    const app = r.AppSpecification ?? {};
    const done = await container.run(app.ContainerEntrypoint ?? [], app.ContainerArguments ?? [], {
      python: this.options.python,
      env: { ...r.Environment },
      timeoutMs: Number(r.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400) * 1000,
    });
    if (done.code !== 0) {
      throw this.fail('ProcessingJob', name, `AlgorithmError: ${container.failureMessage(done.output)} (exit code ${done.code})`, r);
    }
    for (const o of outputs) await this.options.s3.upload(container.local(o.S3Output.LocalPath), o.S3Output.S3Uri);
    return {
      response: { ProcessingJobName: name, ProcessingJobStatus: 'Completed', ProcessingInputs: r.ProcessingInputs, ProcessingOutputConfig: r.ProcessingOutputConfig },
      durationMs: JOB_DURATIONS_MS.processing,
      wallMs: Math.round(performance.now() - started),
    };
  }

  async training(r: any): Promise<JobResult> {
    const name = String(r.TrainingJobName);
    const started = performance.now();
    const spec = r.AlgorithmSpecification ?? {};
    const algorithm = algorithmOf(spec.TrainingImage);
    if (algorithm === 'deepar') {
      throw this.fail('TrainingJob', name, `The training image ${spec.TrainingImage} is SageMaker's built-in DeepAR, which runs only inside SageMaker: the replay never fakes a model.`, r);
    }
    if (this.failNextTraining) {
      const reason = this.failNextTraining;
      this.failNextTraining = undefined;
      throw this.fail('TrainingJob', name, reason, r);
    }
    const container = new JobContainer(this.options.workDir, 'training', name);
    const hyperparameters: Record<string, string> = r.HyperParameters ?? {};
    const config = container.local('/opt/ml/input/config');
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(path.join(config, 'hyperparameters.json'), JSON.stringify(hyperparameters));
    const channels: Record<string, unknown> = {};
    const channelEnv: Record<string, string> = {};
    for (const c of r.InputDataConfig ?? []) {
      const dir = container.local(`/opt/ml/input/data/${c.ChannelName}`);
      await this.copyIn(c.DataSource.S3DataSource.S3Uri, dir, 'TrainingJob', name, r);
      channels[c.ChannelName] = { ContentType: c.ContentType, TrainingInputMode: spec.TrainingInputMode ?? 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' };
      channelEnv[`SM_CHANNEL_${String(c.ChannelName).toUpperCase()}`] = dir;
    }
    fs.writeFileSync(path.join(config, 'inputdataconfig.json'), JSON.stringify(channels));
    fs.writeFileSync(path.join(config, 'resourceconfig.json'), JSON.stringify({ current_host: 'algo-1', hosts: ['algo-1'], network_interface_name: 'eth0' }));
    const modelDir = container.local('/opt/ml/model');
    fs.mkdirSync(modelDir, { recursive: true });
    fs.mkdirSync(container.local('/opt/ml/output/data'), { recursive: true });
    const python = algorithm === 'autogluon' ? this.options.autogluonPython ?? this.options.python : this.options.python;
    const done = await container.run(spec.ContainerEntrypoint ?? [], spec.ContainerArguments ?? [], {
      python,
      env: {
        ...r.Environment,
        ...channelEnv,
        SM_MODEL_DIR: modelDir,
        SM_OUTPUT_DATA_DIR: container.local('/opt/ml/output/data'),
        SM_INPUT_DIR: container.local('/opt/ml/input'),
        SM_INPUT_CONFIG_DIR: config,
        SM_HPS: JSON.stringify(hyperparameters),
        SM_CHANNELS: JSON.stringify(Object.keys(channels)),
        SM_CURRENT_HOST: 'algo-1',
        SM_HOSTS: '["algo-1"]',
        SM_NUM_GPUS: '0',
        SM_NUM_CPUS: '2',
        TRAINING_JOB_NAME: name,
      },
      timeoutMs: Number(r.StoppingCondition?.MaxRuntimeInSeconds ?? 86_400) * 1000,
    });
    if (done.code !== 0) throw this.fail('TrainingJob', name, `AlgorithmError: ${container.failureMessage(done.output)} (exit code ${done.code})`, r);
    // SageMaker archives the contents of /opt/ml/model (not the folder) and uploads it under the job's name.
    const outputPath = String(r.OutputDataConfig?.S3OutputPath ?? '');
    const artifact = `${outputPath.endsWith('/') ? outputPath : `${outputPath}/`}${name}/output/model.tar.gz`;
    const tarball = path.join(path.dirname(modelDir), 'model.tar.gz');
    execFileSync('tar', ['-czf', tarball, '-C', modelDir, '.']);
    await this.options.s3.put(artifact, fs.readFileSync(tarball));
    await this.extractArtifact(artifact);
    return {
      response: { TrainingJobName: name, TrainingJobStatus: 'Completed', SecondaryStatus: 'Completed', ModelArtifacts: { S3ModelArtifacts: artifact }, HyperParameters: hyperparameters },
      durationMs: algorithm === 'autogluon' && hyperparameters.time_limit
        ? JOB_DURATIONS_MS.trainingStartup + Number(hyperparameters.time_limit) * 1000
        : JOB_DURATIONS_MS.training,
      wallMs: Math.round(performance.now() - started),
    };
  }

  async transform(r: any): Promise<JobResult> {
    const name = String(r.TransformJobName);
    const started = performance.now();
    let model: any;
    try {
      model = this.options.sagemaker.call('DescribeModel', { ModelName: r.ModelName }, 'task');
    } catch (error) {
      throw this.fail('TransformJob', name, `ClientError: ${(error as Error).message}`, r);
    }
    const container = model.PrimaryContainer ?? {};
    const algorithm = algorithmOf(container.Image);
    if (algorithm === 'deepar') throw this.fail('TransformJob', name, `The model ${r.ModelName} serves SageMaker's built-in DeepAR, which runs only inside SageMaker.`, r);
    const modelDir = await this.extractArtifact(String(container.ModelDataUrl));
    const work = new JobContainer(this.options.workDir, 'transform', name);
    const input = r.TransformInput ?? {};
    const inputDir = work.local('/opt/ml/transform/input');
    await this.copyIn(input.DataSource.S3DataSource.S3Uri, inputDir, 'TransformJob', name, r);
    const outputDir = work.local('/opt/ml/transform/output');
    fs.mkdirSync(outputDir, { recursive: true });
    const spec = {
      modelDir,
      inputDir,
      outputDir,
      contentType: input.ContentType ?? 'text/csv',
      accept: r.TransformOutput?.Accept ?? input.ContentType ?? 'text/csv',
      splitType: input.SplitType ?? 'None',
      batchStrategy: r.BatchStrategy ?? 'MultiRecord',
      maxPayloadBytes: Number(r.MaxPayloadInMB ?? 6) * 1024 * 1024,
      assembleWith: r.TransformOutput?.AssembleWith ?? 'None',
    };
    const python = algorithm === 'autogluon' ? this.options.autogluonPython ?? this.options.python : this.options.python;
    const runner = path.resolve(__dirname, '..', '..', 'python', 'transform_runner.py');
    const done = await work.run(['python3', runner, JSON.stringify(spec)], [], {
      python,
      env: { ...container.Environment, ...r.Environment },
      timeoutMs: 3_600_000,
      mapPaths: false,
    });
    if (done.code !== 0) throw this.fail('TransformJob', name, `ClientError: the model's inference code failed: ${done.output.trim().split('\n').slice(-3).join(' | ')}`, r);
    await this.options.s3.upload(outputDir, String(r.TransformOutput.S3OutputPath));
    return {
      response: { TransformJobName: name, TransformJobStatus: 'Completed', ModelName: r.ModelName },
      durationMs: JOB_DURATIONS_MS.transform,
      wallMs: Math.round(performance.now() - started),
    };
  }

  /**
   * The model.tar.gz at `uri`, extracted once into the work dir (as SageMaker
   * extracts it into /opt/ml/model of the serving container); the emulator
   * learns where, so what an endpoint serves can be loaded.
   */
  async extractArtifact(uri: string): Promise<string> {
    const known = this.options.sagemaker.artifactDir(uri);
    if (known && fs.existsSync(known)) return known;
    const dir = path.join(this.options.workDir, 'models', uri.replace(/^s3:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '_'));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const tarball = path.join(dir, '..', `${path.basename(dir)}.tar.gz`);
    fs.writeFileSync(tarball, await this.options.s3.get(uri));
    execFileSync('tar', ['-xzf', tarball, '-C', dir]);
    fs.rmSync(tarball);
    this.options.sagemaker.registerArtifact(uri, dir);
    return dir;
  }

  private async copyIn(uri: string, dir: string, kind: JobFailedError['kind'], name: string, r: any): Promise<void> {
    try {
      await this.options.s3.download(uri, dir);
    } catch (error) {
      throw this.fail(kind, name, `ClientError: ${(error as Error).message}`, r);
    }
  }

  private fail(kind: JobFailedError['kind'], name: string, reason: string, r: any): JobFailedError {
    return new JobFailedError(kind, name, reason, { ...r, [`${kind}Status`]: 'Failed', FailureReason: reason });
  }
}
