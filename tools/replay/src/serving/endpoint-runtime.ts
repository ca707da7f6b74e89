import * as path from 'node:path';
import {
  SageMakerInvocation, SageMakerRuntimeEmulator, SageMakerRuntimeFaults, startSageMakerRuntimeEmulator,
} from '@freshet/test-utils/lib/emulators/sagemaker-runtime-emulator';
import { CaptureWriter } from './capture-writer';
import { ServingModel } from '../runs/types';
import { PythonWorker } from '../runtime/python-worker';

/** What serves behind each endpoint now (RUNS's SageMaker emulator answers it). */
export interface ServingSource {
  servingModels(endpointName: string): ServingModel[];
}

/** One answered invocation: which model answered it (the serving model version), for the model's error later. */
export interface ServedInvocation {
  readonly inferenceId?: string;
  readonly time: number;
  readonly endpointName: string;
  readonly variantName: string;
  readonly modelName: string;
  readonly modelPackageArn?: string;
}

export const INFERENCE_WORKER = path.resolve(__dirname, '..', '..', 'python', 'inference_worker.py');

/**
 * SageMaker Runtime's InvokeEndpoint (restJson1, tools/test-utils' emulator) answered by the serving
 * model's **own** inference code: each model (one per model name) runs in a long-lived Python worker
 * that loaded it once with `model_fn` (python/inference_worker.py, the inference toolkit's contract).
 * The production variant answers; every shadow variant is invoked with the same request and its answer
 * only captured, as SageMaker's shadow variants are. Each variant's invocation is captured when its
 * serving config has DataCaptureConfig. A call to an endpoint that serves nothing answers SageMaker's
 * ValidationError, which the proxy maps (503 FirstModelTraining while the first model trains).
 */
export class EndpointRuntime {
  private emulator?: SageMakerRuntimeEmulator;
  private readonly workers = new Map<string, PythonWorker>();
  readonly served: ServedInvocation[] = [];
  /** Model errors the runtime answered (the model's code raised), with their reason. */
  readonly modelErrors: { time: number; modelName: string; error: string }[] = [];

  constructor(private readonly options: {
    readonly source: ServingSource;
    readonly capture: CaptureWriter;
    readonly clock: () => number;
    /** The Python that runs a model of this algorithm (AutoGluon needs its own environment). */
    readonly python: (algorithm: string) => string;
  }) {}

  get endpoint(): string {
    if (!this.emulator) throw new Error('The endpoint runtime is not started.');
    return this.emulator.endpoint;
  }

  async start(): Promise<void> {
    this.emulator = await startSageMakerRuntimeEmulator((invocation) => this.invoke(invocation));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    await this.emulator?.stop();
  }

  /** The worker of one model: started at its first request, kept for the replay. */
  worker(model: ServingModel): PythonWorker {
    const key = `${model.modelName}|${model.modelDir}`;
    let worker = this.workers.get(key);
    if (!worker) {
      worker = new PythonWorker(`model ${model.modelName}`, this.options.python(model.algorithm), [INFERENCE_WORKER, model.modelDir], {
        ...model.environment,
        SAGEMAKER_SUBMIT_DIRECTORY: path.join(model.modelDir, 'code'),
      });
      this.workers.set(key, worker);
    }
    return worker;
  }

  private async invoke(invocation: SageMakerInvocation) {
    const models = this.options.source.servingModels(invocation.endpointName);
    const production = models.filter((m) => m.role === 'production');
    if (production.length === 0) {
      return { fault: SageMakerRuntimeFaults.validationError(`Endpoint ${invocation.endpointName} of account 123456789012 not found.`) };
    }
    const time = this.options.clock();
    const inferenceId = header(invocation.headers['x-amzn-sagemaker-inference-id']);
    const body = invocation.body.toString('utf8');
    const answers = await Promise.all([production[0], ...models.filter((m) => m.role === 'shadow')].map(async (model) => {
      const answer = await this.worker(model).ask({ body, contentType: invocation.contentType, accept: invocation.accept });
      if (answer.error) {
        this.modelErrors.push({ time, modelName: model.modelName, error: answer.error });
        return { model, fault: SageMakerRuntimeFaults.modelError(500, String(answer.error).slice(0, 500)) };
      }
      if (model.dataCapture) {
        await this.options.capture.write({
          endpointName: invocation.endpointName,
          variantName: model.variantName,
          time,
          inferenceId,
          input: { contentType: invocation.contentType, data: body },
          output: { contentType: answer.contentType, data: answer.body },
        }, model.dataCapture);
      }
      return { model, body: answer.body as string, contentType: answer.contentType as string };
    }));
    const primary = answers[0];
    if ('fault' in primary && primary.fault) return { fault: primary.fault };
    const { model } = primary;
    this.served.push({
      inferenceId,
      time,
      endpointName: invocation.endpointName,
      variantName: model.variantName,
      modelName: model.modelName,
      modelPackageArn: model.modelPackageArn,
    });
    const ok = primary as { body: string; contentType: string };
    return { body: ok.body, contentType: ok.contentType, variant: model.variantName };
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
