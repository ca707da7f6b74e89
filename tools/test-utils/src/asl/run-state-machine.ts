import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AslDefinition, AslState } from './synthesized-definition';

/**
 * An error a faked service raises, as Step Functions reports it to Retry and
 * Catch: `name` is the error name matched by `ErrorEquals`
 * (e.g. `SageMaker.AmazonSageMakerException`, `States.TaskFailed`,
 * `SageMaker.ThrottlingException`), `cause` becomes the Cause.
 */
export class FakeServiceError extends Error {
  constructor(name: string, cause: string = `${name} raised by the fake`) {
    super(cause);
    this.name = name;
  }
}

/** What the fake of one Task state knows about the call it answers. */
export interface TaskCallContext {
  readonly state: string;
  readonly resource: string;
  /** How many times this state has been called before in this execution (retries and loops count). */
  readonly previousCalls: number;
}

/**
 * Answers one Task state's call: receives the resolved parameters (what the
 * service would have received) and returns the service's response, or throws
 * a {@link FakeServiceError} to fail the task.
 */
export type TaskFake = (parameters: any, call: TaskCallContext) => unknown;

/** One call a Task state made, in execution order. */
export interface TaskCall {
  readonly state: string;
  readonly resource: string;
  /** The task's input after InputPath and Parameters: the request the service would have received. */
  readonly parameters: any;
  /** What the fake answered, when it answered (absent when it raised a service error). */
  readonly response?: any;
}

export interface RunStateMachineOptions {
  /** The execution input. @default {} */
  readonly input?: unknown;
  /**
   * The fake of each Task state, by state name: a function, or a plain value
   * returned as is. A Task state without one fails the run with an error
   * that names it (so a missing fake can never pass silently through a Catch).
   */
  readonly taskResponses?: Record<string, TaskFake | object | string | number | boolean | null>;
  /** `$$.Execution.Name`. @default 'test-execution' */
  readonly executionName?: string;
  /** Used for `$$.Execution.Id`, `$$.StateMachine.*`. @default 'arn:aws:states:us-east-1:123456789012:stateMachine:TestStateMachine' */
  readonly stateMachineArn?: string;
  /** `$$.Execution.RoleArn`. @default 'arn:aws:iam::123456789012:role/TestStateMachineRole' */
  readonly roleArn?: string;
}

/** The outcome of one execution. */
export interface StateMachineExecution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** Every Task call, in order. */
  readonly calls: TaskCall[];
  /** The name of every state entered, in order (states inside Map/Parallel included, as the engine reports them). */
  readonly visited: string[];
}

/**
 * Executes an ASL definition with aws-local-stepfunctions, faking every
 * Task state at the service boundary.
 *
 * - Task states run their fake from `taskResponses` instead of calling AWS;
 *   the engine still applies InputPath/Parameters before, and
 *   ResultSelector/ResultPath/OutputPath, Retry and Catch after.
 * - Wait states and Retry intervals are overridden to 0 ms, so runs take no
 *   wall-clock time and never depend on it.
 * - The Context Object carries Execution.Name/Id/RoleArn and StateMachine.Id/Name,
 *   which the engine leaves out by default.
 *
 * Engine gaps handled here (aws-local-stepfunctions 3.0.0):
 * - its States.Hash digests are wrong for inputs of 56 bytes or more; the
 *   harness loads the engine with States.Hash routed to node:crypto (see {@link loadEngine});
 * - it needs Node 22's `Promise.withResolvers` for every Task; on Node 20 the
 *   harness installs a spec-equivalent polyfill before running;
 * - it sets `$$.Execution.StartTime` to the wall clock, whatever the context
 *   says (so definitions must not derive names from it for a test to be deterministic);
 * - a task timer longer than 2^31-1 ms would fire at once in Node, so a
 *   TimeoutSeconds above 2,147,483 is rejected with a clear message;
 * - JSONata (QueryLanguage) and variables (Assign) are not supported by the
 *   engine: such definitions are rejected up front;
 * - its validator (asl-validator) rejects multi-line string values in
 *   Parameters, which Step Functions accepts: validation runs on a copy with
 *   line breaks flattened, and the engine runs the definition unchanged.
 */
export async function runStateMachine(definition: AslDefinition, options: RunStateMachineOptions = {}): Promise<StateMachineExecution> {
  installPromiseWithResolvers();
  assertEngineCanRun(definition);
  const { StateMachine } = loadEngine();

  const executionName = options.executionName ?? 'test-execution';
  const stateMachineArn = options.stateMachineArn ?? 'arn:aws:states:us-east-1:123456789012:stateMachine:TestStateMachine';
  const stateMachineName = stateMachineArn.split(':').pop()!;
  const input = options.input ?? {};

  const calls: TaskCall[] = [];
  const callCounts = new Map<string, number>();
  const missingFakes: string[] = [];
  const brokenFakes: string[] = [];
  const taskStates = collectStates(definition).filter(([, state]) => state.Type === 'Task');
  const taskResourceLocalHandlers: Record<string, (input: any) => Promise<any>> = {};
  for (const [name, state] of taskStates) {
    taskResourceLocalHandlers[name] = async (parameters: any) => {
      const previousCalls = callCounts.get(name) ?? 0;
      callCounts.set(name, previousCalls + 1);
      // A deep copy, so a later state (or fake) mutating its input cannot rewrite the record.
      const call: { state: string; resource: string; parameters: any; response?: any } = {
        state: name, resource: state.Resource, parameters: cloneJson(parameters),
      };
      calls.push(call);
      const fake = options.taskResponses?.[name];
      if (fake === undefined) {
        missingFakes.push(name);
        throw new FakeServiceError('Harness.MissingTaskResponse', `No fake for Task state "${name}" in taskResponses.`);
      }
      if (typeof fake !== 'function') {
        call.response = cloneJson(fake ?? {});
        return cloneJson(fake ?? {});
      }
      try {
        const response = await (fake as TaskFake)(cloneJson(parameters), { state: name, resource: state.Resource, previousCalls });
        call.response = cloneJson(response ?? {});
        return cloneJson(response ?? {});
      } catch (error) {
        // Only FakeServiceError is a service failure; anything else is a bug in the test's fake.
        if (!(error instanceof FakeServiceError)) brokenFakes.push(`${name}: ${String((error as Error)?.stack ?? error)}`);
        throw error;
      }
    };
  }
  const waitTimeOverrides: Record<string, number> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of collectStates(definition)) {
    if (state.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (Array.isArray(state.Retry)) retryIntervalOverrides[name] = 0;
  }

  // Validate with the engine's own validator, on a copy whose multi-line strings are flattened (see below),
  // then run the real definition, byte for byte as synthesized.
  new StateMachine(withSingleLineStrings(definition) as any);
  const machine = new StateMachine(definition as any, { validationOptions: { noValidate: true } });
  const execution = machine.run(input as any, {
    overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides },
    context: {
      Execution: {
        Id: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`,
        Name: executionName,
        RoleArn: options.roleArn ?? 'arn:aws:iam::123456789012:role/TestStateMachineRole',
        RedriveCount: 0,
      },
      StateMachine: { Id: stateMachineArn, Name: stateMachineName },
    },
  });

  const visited: string[] = [];
  let failure: { error?: string; cause?: string } | undefined;
  const logsDone = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') visited.push(event.state.name);
      if (event.type === 'ExecutionFailed') failure = { error: event.Error, cause: causeText(event.Cause) };
      if (event.type === 'ExecutionSucceeded' || event.type === 'ExecutionFailed') return;
    }
  })();

  let output: unknown;
  let status: 'SUCCEEDED' | 'FAILED';
  try {
    output = await execution.result;
    status = 'SUCCEEDED';
  } catch (error: any) {
    status = 'FAILED';
    if (error?.name !== 'ExecutionError') throw error;
    const caught = error.cause as Error | undefined;
    failure = { error: caught?.name, cause: caught?.message };
  }
  await logsDone;
  if (missingFakes.length > 0) {
    throw new Error(`Task states ran without a fake: ${[...new Set(missingFakes)].join(', ')}. Add them to taskResponses.`);
  }
  if (brokenFakes.length > 0) {
    throw new Error(`A fake threw something other than FakeServiceError (a bug in the test, not a service failure):\n${brokenFakes.join('\n')}`);
  }
  return status === 'SUCCEEDED'
    ? { status, output, calls, visited }
    : { status, error: failure?.error, cause: failure?.cause, calls, visited };
}

type Engine = typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'require' } });
let engine: Engine | undefined;

/** The hash classes aws-local-stepfunctions 3.0.0 implements itself, and Node's names for them. */
const ENGINE_HASHES: Record<string, string> = { md5: 'md5', sha1: 'sha1', sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/**
 * Loads the engine's CommonJS build with one fix: its own MD5/SHA
 * implementations give wrong digests for inputs of 56 bytes or more (a
 * padding bug), so `States.Hash` of a long execution name differs from Step
 * Functions'. The fix routes `States.Hash` to node:crypto, changing nothing
 * else; if the engine's source no longer has the code it replaces, loading
 * fails so the shim can be reviewed (and dropped once upstream fixes it).
 */
export function loadEngine(): Engine {
  if (engine) return engine;
  const entry = require.resolve('aws-local-stepfunctions');
  const source = fs.readFileSync(entry, 'utf-8');
  let replaced = 0;
  const patched = source.replace(/return (md5|sha1|sha256|sha384|sha512)\.getDigest\(str\);/g, (_whole, name: string) => {
    replaced++;
    return `return require("node:crypto").createHash("${ENGINE_HASHES[name]}").update(str, "utf8").digest("hex");`;
  });
  if (replaced !== Object.keys(ENGINE_HASHES).length) {
    throw new Error(`aws-local-stepfunctions at ${entry} changed: the States.Hash shim matched ${replaced} of 5 digests. Review the shim in run-state-machine.ts.`);
  }
  // Evaluated in this realm (Jest gives each test file its own globals), so the engine sees the
  // Promise the polyfill is installed on; its dependencies resolve from its own folder.
  const folder = path.dirname(entry);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engineRequire = (id: string) => require(require.resolve(id, { paths: [folder] }));
  const loaded = { exports: {} as Engine };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  new Function('exports', 'require', 'module', '__filename', '__dirname', patched)(loaded.exports, engineRequire, loaded, entry, folder);
  engine = loaded.exports;
  return engine;
}

/** Every state of a definition, those inside Map and Parallel included, as [name, state]. */
export function collectStates(definition: { States: Record<string, AslState> }): [string, AslState][] {
  const found: [string, AslState][] = [];
  for (const name of Object.keys(definition.States)) {
    const state = definition.States[name];
    found.push([name, state]);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) found.push(...collectStates(processor));
    for (const branch of state.Branches ?? []) found.push(...collectStates(branch));
  }
  return found;
}

function assertEngineCanRun(definition: AslDefinition): void {
  if (definition.QueryLanguage === 'JSONata') {
    throw new Error('aws-local-stepfunctions 3.0.0 runs JSONPath definitions only; this one sets QueryLanguage JSONata.');
  }
  for (const [name, state] of collectStates(definition)) {
    if (state.QueryLanguage === 'JSONata' || state.Assign !== undefined) {
      throw new Error(`State "${name}" uses JSONata or Assign, which aws-local-stepfunctions 3.0.0 cannot run.`);
    }
    if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > 2_147_483) {
      throw new Error(`State "${name}" has TimeoutSeconds ${state.TimeoutSeconds}: the engine's Node timer cannot hold more than 2,147,483 s.`);
    }
  }
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

function cloneJson<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/**
 * asl-validator (the engine's validator) matches payload-template strings
 * against `^(?!\{% )(.+)(?! %\})$`, whose `.` stops at a line break, so it
 * rejects any multi-line string value (e.g. a container's inline script),
 * which Step Functions accepts. The copy it validates has line breaks
 * replaced by spaces; nothing else changes.
 */
function withSingleLineStrings(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/[\r\n\u2028\u2029]/g, ' ');
  if (Array.isArray(value)) return value.map(withSingleLineStrings);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withSingleLineStrings(v)]));
  }
  return value;
}

/** Node 22 added Promise.withResolvers; the engine calls it for every Task state. */
function installPromiseWithResolvers(): void {
  const promiseConstructor = Promise as any;
  if (typeof promiseConstructor.withResolvers === 'function') return;
  promiseConstructor.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
