import * as http from 'http';
import { AddressInfo } from 'net';

/** A pipeline the fake CodePipeline knows. */
export interface FakePipelineOptions {
  /**
   * The pipeline type: only V2 pipelines take variables.
   * @default 'V2'
   */
  readonly pipelineType?: 'V1' | 'V2';
  /** The declared pipeline-level variables: StartPipelineExecution refuses any other. */
  readonly variables?: string[];
}

/** One execution the fake knows. */
export interface FakePipelineExecution {
  readonly pipelineName: string;
  readonly pipelineExecutionId: string;
  /** The variables it was started with. */
  readonly variables: { readonly name: string; readonly value: string }[];
  readonly clientRequestToken?: string;
  /** `InProgress` when started; tests set `Succeeded`, `Failed`, `Stopped`... to end it. */
  status: string;
  readonly startTime: number;
}

/** One API call the fake received. */
export interface CodePipelineCall {
  /** The operation from `X-Amz-Target`, e.g. `StartPipelineExecution`. */
  readonly operation: string;
  /** The parsed awsJson1_1 request body. */
  readonly body: any;
}

/** A running local CodePipeline API (StartPipelineExecution, ListPipelineExecutions, GetPipelineExecution). */
export interface CodePipelineEmulator {
  /** The endpoint URL, for `AWS_ENDPOINT_URL_CODEPIPELINE` or a client's `endpoint`. */
  readonly endpoint: string;
  /** Every execution, oldest first. */
  readonly executions: FakePipelineExecution[];
  /** Every call received, in order (refused ones included). */
  readonly calls: CodePipelineCall[];
  /** Declares a pipeline. */
  addPipeline(name: string, options?: FakePipelineOptions): void;
  /** Adds an execution as if started elsewhere (a push, a schedule). */
  addExecution(pipelineName: string, status?: string): FakePipelineExecution;
  /**
   * Answers the next `count` calls of an operation with a service error
   * instead, e.g. `('StartPipelineExecution', 'ThrottlingException', 3)`.
   * `Infinity` refuses every call from now on.
   */
  failNext(operation: string, errorType: string, count: number, status?: number): void;
  /** Forgets pipelines, executions, calls and faults. */
  reset(): void;
  /** Stops the server. */
  stop(): Promise<void>;
}

/**
 * A small HTTP fake of the CodePipeline API speaking awsJson1_1
 * (`X-Amz-Target: CodePipeline_20150709.<Operation>`), for handlers that call
 * it through the real AWS SDK v3 client. Semantics kept from the service:
 * unknown pipelines answer PipelineNotFoundException; variables need a V2
 * pipeline that declares them (else ValidationException); a repeated
 * `clientRequestToken` returns the execution it started (idempotent);
 * ListPipelineExecutions lists newest first, `maxResults` at a time, with
 * `nextToken` paging.
 */
export async function startCodePipelineEmulator(): Promise<CodePipelineEmulator> {
  const pipelines = new Map<string, Required<FakePipelineOptions>>();
  const executions: FakePipelineExecution[] = [];
  const calls: CodePipelineCall[] = [];
  let faults: { operation: string; errorType: string; remaining: number; status: number }[] = [];
  let clock = 1_700_000_000;
  let sequence = 0;

  const addExecution = (pipelineName: string, status = 'InProgress', variables: FakePipelineExecution['variables'] = [], clientRequestToken?: string) => {
    sequence += 1;
    const execution: FakePipelineExecution = {
      pipelineName,
      pipelineExecutionId: `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`,
      variables,
      clientRequestToken,
      status,
      startTime: clock++,
    };
    executions.push(execution);
    return execution;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').replace(/^CodePipeline_20150709\./, '');
      const error = (status: number, type: string, message: string) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
        res.end(JSON.stringify({ __type: type, message }));
      };
      const ok = (payload: unknown) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf-8') || '{}');
      } catch {
        return error(400, 'SerializationException', 'body is not JSON');
      }
      calls.push({ operation, body });
      const fault = faults.find((f) => f.operation === operation && f.remaining > 0);
      if (fault) {
        fault.remaining -= 1;
        return error(fault.status, fault.errorType, `${fault.errorType} injected by the fake`);
      }
      const pipeline = pipelines.get(body.name ?? body.pipelineName);
      if (!pipeline && ['StartPipelineExecution', 'ListPipelineExecutions', 'GetPipelineExecution'].includes(operation)) {
        return error(400, 'PipelineNotFoundException', `Account does not have a pipeline with name '${body.name ?? body.pipelineName}'`);
      }
      switch (operation) {
        case 'StartPipelineExecution': {
          const variables: { name: string; value: string }[] = body.variables ?? [];
          if (variables.length > 0 && pipeline!.pipelineType !== 'V2') {
            return error(400, 'ValidationException', 'Pipeline variables are supported by V2 pipelines only');
          }
          const undeclared = variables.filter((v) => !pipeline!.variables.includes(v.name));
          if (undeclared.length > 0) {
            return error(400, 'ValidationException', `Variables ${undeclared.map((v) => v.name).join(', ')} are not declared by pipeline '${body.name}'`);
          }
          const tooLong = variables.find((v) => typeof v.value !== 'string' || v.value.length < 1 || v.value.length > 1000);
          if (tooLong) {
            return error(400, 'ValidationException', `Value of variable ${tooLong.name} must be 1-1000 characters`);
          }
          if (body.clientRequestToken !== undefined && !/^[a-zA-Z0-9-]{1,128}$/.test(body.clientRequestToken)) {
            return error(400, 'ValidationException', 'clientRequestToken must match ^[a-zA-Z0-9-]+$ and be at most 128 characters');
          }
          const token = body.clientRequestToken;
          const again = token && executions.find((e) => e.pipelineName === body.name && e.clientRequestToken === token);
          if (again) return ok({ pipelineExecutionId: again.pipelineExecutionId });
          const started = addExecution(body.name, 'InProgress', variables, body.clientRequestToken);
          return ok({ pipelineExecutionId: started.pipelineExecutionId });
        }
        case 'ListPipelineExecutions': {
          const all = executions.filter((e) => e.pipelineName === body.pipelineName).sort((a, b) => b.startTime - a.startTime);
          const from = body.nextToken ? Number(body.nextToken) : 0;
          const size = body.maxResults ?? 100;
          const page = all.slice(from, from + size);
          return ok({
            pipelineExecutionSummaries: page.map((e) => ({
              pipelineExecutionId: e.pipelineExecutionId,
              status: e.status,
              startTime: e.startTime,
              lastUpdateTime: e.startTime,
              trigger: { triggerType: 'StartPipelineExecution' },
            })),
            ...(from + size < all.length ? { nextToken: String(from + size) } : {}),
          });
        }
        case 'GetPipelineExecution': {
          const e = executions.find((x) => x.pipelineName === body.pipelineName && x.pipelineExecutionId === body.pipelineExecutionId);
          if (!e) return error(400, 'PipelineExecutionNotFoundException', `Execution ${body.pipelineExecutionId} not found`);
          return ok({
            pipelineExecution: {
              pipelineName: e.pipelineName,
              pipelineExecutionId: e.pipelineExecutionId,
              status: e.status,
              variables: e.variables.map((v) => ({ name: v.name, resolvedValue: v.value })),
            },
          });
        }
        default:
          return error(400, 'UnknownOperationException', `The fake does not implement ${operation}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    calls,
    addPipeline: (name, options = {}) => {
      pipelines.set(name, { pipelineType: options.pipelineType ?? 'V2', variables: options.variables ?? [] });
    },
    addExecution: (pipelineName, status) => addExecution(pipelineName, status),
    failNext: (operation, errorType, count, status = 400) => {
      faults.push({ operation, errorType, remaining: count, status });
    },
    reset: () => {
      pipelines.clear();
      executions.length = 0;
      calls.length = 0;
      faults = [];
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
