import { AssemblyResource } from '@freshet/cost';
import {
  assemblyTemplates, AslDefinition, collectStates, FakeServiceError, resolveTemplates, runStateMachine, synthesizedDefinition, TaskFake,
} from '@freshet/test-utils';
import { uploadAssets } from './assembly';
import { LabelledStore, RetrainRunner, RetrainRunOutcome, RetrainRunRequest, RunNotification, RunStep } from './types';
import { AppModel, bundledFunction, LoopModel } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { SageMakerEmulator, SageMakerError } from '../emulators/sagemaker';
import { JobFailedError, JobResult, LocalJobs } from '../jobs/local-jobs';
import { S3Store } from '../jobs/s3-store';
import { loadBundledHandler } from '../runtime/bundled-handler';
import { WarehouseTasks } from '../warehouse/warehouse-tasks';

/** Simulated duration of one API call, a Lambda invocation or an SNS publish (a documented estimate). */
export const API_CALL_MS = 1000;

export interface RetrainRunnerOptions {
  readonly sagemaker: SageMakerEmulator;
  /** moto's endpoint: the lake, the scripts asset, every S3 URI the state machine names. */
  readonly s3Endpoint: string;
  /** What the warehouse holds at a simulated time (the extract's UNLOAD reads it). */
  readonly labelled: LabelledStore;
  /** The Python of processing jobs, XGBoost training and transforms (the shared .venv). */
  readonly python: string;
  /** The Python with autogluon.tabular, for AutoGluon training and its transform. @default python */
  readonly autogluonPython?: string;
  /** Where jobs lay out their containers and models are extracted. */
  readonly workDir: string;
  /**
   * The replay's simulated clock. A run's own time is its startTime plus its steps (the emulator follows it during
   * the run and goes back to its own clock after); kept for callers that build the emulator from it.
   */
  readonly clock: () => number;
}

/** A Task state's answer: the response, or a service error as Step Functions reports it. */
type ServiceHandler = (parameters: any, state: string) => Promise<unknown>;

/**
 * Builds the retrain run executor of a loop: the app's retrain state machine,
 * read from cdk.out and executed in the ASL engine tools/test-utils uses
 * (aws-local-stepfunctions), every Task state answered by the replay's service
 * layer: SageMaker jobs as local processes (src/jobs), SageMaker's control
 * plane by the emulator, the extract by the warehouse (src/warehouse), S3 by
 * moto, Lambda tasks by the built bundles, SNS publishes recorded. A Task
 * whose resource has no handler is refused before anything runs.
 */
export async function createRetrainRunner(app: AppModel, loop: LoopModel, options: RetrainRunnerOptions): Promise<RetrainRunner> {
  const machine = loop.retrainStateMachine;
  if (!machine) throw new RefusalError(`${loop.monitorId} retrains through ${loop.targetKind}: the run executor needs a RetrainPipeline state machine.`);
  if (loop.flavour === 'deepar') {
    throw new RefusalError(`${loop.monitorId} trains with SageMaker's built-in DeepAR (${loop.trainingImage}), which runs only inside SageMaker's `
      + 'container: no local equivalent exists, and the replay never fakes a model.');
  }
  const resources = app.stacks.flatMap((s) => s.resources);
  // The stage's templates resolved as the IAM harness resolves them (each stack's account and region, exports across
  // stacks), so the ARNs the state machine sends are the ones its policies name.
  const resolved = resolveTemplates(assemblyTemplates(machine.stack.assemblyDir, false)).find((t) => t.name === machine.stack.artifactId);
  if (!resolved) throw new Error(`The cloud assembly ${machine.stack.assemblyDir} has no stack ${machine.stack.artifactId}.`);
  const definition = synthesizedDefinition(resolved.template, machine.logicalId, resolved.options);
  const s3 = new S3Store(options.s3Endpoint);
  const sagemaker = options.sagemaker;
  const jobs = new LocalJobs({ s3, sagemaker, workDir: options.workDir, python: options.python, autogluonPython: options.autogluonPython });
  const warehouse = new WarehouseTasks(s3, options.labelled);
  const context = new RunContext();
  const handlers = serviceHandlers({ definition, resources, sagemaker, jobs, warehouse, s3, context, options });
  await uploadAssets(definition, machine.stack, s3);
  for (const group of resources.filter((r) => r.type === 'AWS::SageMaker::ModelPackageGroup')) {
    const name = String(group.properties.ModelPackageGroupName ?? group.logicalId);
    try {
      sagemaker.createModelPackageGroup(name);
    } catch (error) {
      if (!(error instanceof SageMakerError)) throw error;
    }
  }
  const waits = waitsBefore(definition);
  const endpointName = deployedEndpointName(definition) ?? loop.endpointName;

  return {
    async run(request: RetrainRunRequest): Promise<RetrainRunOutcome> {
      const wallStart = performance.now();
      context.begin(request.startTime);
      const restoreClock = sagemaker.useClock(() => context.now);
      if (request.failTraining) jobs.failNextTraining = 'InternalServerError: the scenario fails this training job (training-fails injection)';
      if (request.rollBackDeployment) sagemaker.orderRollback(endpointName);
      const taskResponses: Record<string, TaskFake> = {};
      for (const [state, handler] of handlers) {
        taskResponses[state] = async (parameters: any) => {
          context.elapse(waits.get(state) ?? 0);
          return handler(parameters, state);
        };
      }
      try {
        const execution = await quietly(() => runStateMachine(definition, {
          input: request.input ?? {},
          taskResponses,
          executionName: request.executionName,
          stateMachineArn: request.executionArn.replace(/:execution:([^:]+):[^:]+$/, ':stateMachine:$1'),
        }));
        const gateCall = [...execution.calls].reverse().find((c) => c.state === 'Gate' && c.response);
        const trainingArtifact = [...execution.calls].reverse().find((c) => c.resource.includes('createTrainingJob') && c.response)?.response?.ModelArtifacts?.S3ModelArtifacts;
        const serving = sagemaker.servingModels(endpointName).find((m) => m.role === 'production' && trainingArtifact
          && sagemaker.call('DescribeModel', { ModelName: m.modelName }).PrimaryContainer?.ModelDataUrl === trainingArtifact);
        const gate = gateCall?.response;
        return {
          status: execution.status,
          error: execution.error,
          cause: execution.cause,
          durationMs: context.now - request.startTime,
          visited: execution.visited,
          gate: gate ? {
            passed: Boolean(gate.passed),
            reason: String(gate.reason),
            candidate: typeof gate.metricValue === 'number' ? gate.metricValue : undefined,
            champion: typeof gate.championValue === 'number' ? gate.championValue : undefined,
          } : undefined,
          deployed: serving,
          rolledBack: execution.visited.includes('Deployment rolled back'),
          notifications: context.notifications,
          steps: context.steps,
          calls: execution.calls,
          wallMs: Math.round(performance.now() - wallStart),
        };
      } finally {
        jobs.failNextTraining = undefined;
        sagemaker.useClock(restoreClock);
      }
    },
  };
}

/** The simulated time inside one run, and what the run recorded. */
class RunContext {
  now = 0;
  notifications: RunNotification[] = [];
  steps: RunStep[] = [];

  begin(start: number): void {
    this.now = start;
    this.notifications = [];
    this.steps = [];
  }

  elapse(ms: number): void {
    this.now += ms;
  }

  step(state: string, resource: string, durationMs: number, wallMs?: number): void {
    this.steps.push({ state, resource, startTime: this.now, durationMs, wallMs });
    this.now += durationMs;
  }
}

interface HandlerContext {
  readonly definition: AslDefinition;
  readonly resources: AssemblyResource[];
  readonly sagemaker: SageMakerEmulator;
  readonly jobs: LocalJobs;
  readonly warehouse: WarehouseTasks;
  readonly s3: S3Store;
  readonly context: RunContext;
  readonly options: RetrainRunnerOptions;
}

/**
 * Every Task state's handler, by state name, from its Resource. A resource with
 * no handler is refused here, before a run starts, naming the state and why.
 */
function serviceHandlers(h: HandlerContext): Map<string, ServiceHandler> {
  const out = new Map<string, ServiceHandler>();
  const refused: string[] = [];
  for (const [name, state] of collectStates(h.definition)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    const handler = handlerFor(resource, h);
    if (handler) out.set(name, async (parameters) => handler(parameters, name, resource));
    else refused.push(`"${name}" (${resource})`);
  }
  if (refused.length > 0) {
    throw new RefusalError(`The retrain state machine has Task states the replay has no service for: ${refused.join(', ')}. `
      + 'The replay runs SageMaker processing/training/transform jobs, SageMaker control-plane calls, S3 GetObject, the Redshift Data API extract, '
      + 'Lambda functions of the app and SNS publishes; it never lets a task pass without doing its work.');
  }
  return out;
}

type Handler = (parameters: any, state: string, resource: string) => Promise<unknown>;

function handlerFor(resource: string, h: HandlerContext): Handler | undefined {
  const job = (run: (p: any) => Promise<JobResult>): Handler => async (p, state) => {
    try {
      const result = await run(p);
      h.context.step(state, resource, result.durationMs, result.wallMs);
      return result.response;
    } catch (error) {
      if (!(error instanceof JobFailedError)) throw error;
      h.context.step(state, resource, 60_000);
      // A .sync job that ends Failed: Step Functions fails the task with States.TaskFailed and the job's description as the Cause.
      throw new FakeServiceError('States.TaskFailed', JSON.stringify(error.described));
    }
  };
  const sync = /^arn:aws:states:::sagemaker:(createProcessingJob|createTrainingJob|createTransformJob)\.sync$/.exec(resource);
  if (sync) {
    return job({
      createProcessingJob: (p: any) => h.jobs.processing(p),
      createTrainingJob: (p: any) => h.jobs.training(p),
      createTransformJob: (p: any) => h.jobs.transform(p),
    }[sync[1]]!);
  }
  const sdk = /^arn:aws:states:::aws-sdk:([a-z0-9]+):([A-Za-z]+)$/.exec(resource);
  if (sdk) {
    const [, service, action] = sdk;
    const operation = action[0].toUpperCase() + action.slice(1);
    if (service === 'sagemaker') {
      return async (p, state) => {
        h.context.step(state, resource, API_CALL_MS);
        try {
          return h.sagemaker.call(operation, p);
        } catch (error) {
          if (!(error instanceof SageMakerError)) throw error;
          // The aws-sdk integration reports SageMaker's errors under the service's exception name.
          throw new FakeServiceError(`SageMaker.${error.type === 'ValidationException' ? 'SageMakerException' : error.type}`, error.message);
        }
      };
    }
    if (service === 's3' && operation === 'GetObject') {
      return async (p, state) => {
        h.context.step(state, resource, API_CALL_MS);
        try {
          const body = await h.s3.get(`s3://${p.Bucket}/${p.Key}`);
          return { Body: body.toString('utf8'), ContentLength: body.length };
        } catch (error) {
          throw new FakeServiceError('S3.NoSuchKeyException', `s3://${p.Bucket}/${p.Key}: ${(error as Error).name}`);
        }
      };
    }
    if (service === 'redshiftdata') {
      return async (p, state) => {
        h.context.step(state, resource, API_CALL_MS);
        if (operation === 'ExecuteStatement' || operation === 'BatchExecuteStatement') return h.warehouse.executeStatement(p, h.context.now);
        if (operation === 'DescribeStatement') {
          const described = h.warehouse.describeStatement(p);
          if (!described) throw new FakeServiceError('RedshiftData.ResourceNotFoundException', `Statement ${p.Id} does not exist.`);
          return described;
        }
        if (operation === 'CancelStatement') return h.warehouse.cancelStatement(p);
        throw new FakeServiceError('RedshiftData.ValidationException', `The replay's Redshift Data API does not run ${operation}.`);
      };
    }
    return undefined;
  }
  if (resource === 'arn:aws:states:::sns:publish') {
    return async (p, state) => {
      h.context.step(state, resource, API_CALL_MS);
      h.context.notifications.push({ topicArn: String(p.TopicArn), subject: p.Subject, message: typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message), time: h.context.now });
      return { MessageId: `replay-${h.context.notifications.length}` };
    };
  }
  const lambda = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)$/.exec(resource);
  const invoke = resource === 'arn:aws:states:::lambda:invoke';
  if (lambda || invoke) {
    const load = (functionArn: string) => {
      const logicalId = /function:([^:]+)/.exec(functionArn)?.[1] ?? functionArn;
      const fn = h.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.logicalId === logicalId);
      if (!fn) throw new RefusalError(`The state machine invokes ${functionArn}, which is not a function of the stage.`);
      return loadBundledHandler(bundledFunction(fn), {
        AWS_ENDPOINT_URL_SAGEMAKER: h.sagemaker.endpoint,
        AWS_ENDPOINT_URL_S3: h.options.s3Endpoint,
        AWS_REGION: 'us-east-1',
      });
    };
    if (lambda && !h.resources.some((r) => r.type === 'AWS::Lambda::Function' && r.logicalId === lambda[1])) return undefined;
    const cache = new Map<string, ReturnType<typeof load>>();
    return async (p, state) => {
      h.context.step(state, resource, API_CALL_MS);
      const arn = lambda ? resource : String(p.FunctionName);
      if (!cache.has(arn)) cache.set(arn, load(arn));
      const payload = lambda ? p : p.Payload;
      let result: unknown;
      try {
        result = await cache.get(arn)!(payload);
      } catch (error) {
        // An unhandled error of the function: Step Functions reports its errorType.
        throw new FakeServiceError((error as Error).name || 'Error', (error as Error).message);
      }
      return lambda ? result : { StatusCode: 200, Payload: result };
    };
  }
  return undefined;
}

/** For each Task state that follows a Wait state, the Wait's seconds (the simulated time the poll waited). */
function waitsBefore(definition: AslDefinition): Map<string, number> {
  const out = new Map<string, number>();
  for (const [, state] of collectStates(definition)) {
    if (state.Type === 'Wait' && typeof state.Seconds === 'number' && state.Next) out.set(state.Next, state.Seconds * 1000);
  }
  return out;
}

/** The endpoint the run deploys to (its "Update endpoint"/"Create endpoint" parameters). */
function deployedEndpointName(definition: AslDefinition): string | undefined {
  for (const [, state] of collectStates(definition)) {
    if (state.Type === 'Task' && /sagemaker:(updateEndpoint|createEndpoint)$/.test(String(state.Resource)) && typeof state.Parameters?.EndpointName === 'string') {
      return state.Parameters.EndpointName;
    }
  }
  return undefined;
}

/** The bundles and jobs log to stdout; the replay keeps its own output readable. */
async function quietly<T>(fn: () => Promise<T>): Promise<T> {
  const log = console.log;
  console.log = () => undefined;
  try {
    return await fn();
  } finally {
    console.log = log;
  }
}

