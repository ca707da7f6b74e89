import * as http from 'http';
import { AddressInfo } from 'net';

/** One execution the fake Step Functions knows. */
export interface FakeExecution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly startDate: number;
}

/** One API call the fake received. */
export interface SfnCall {
  /** The operation from `X-Amz-Target`, e.g. `ListExecutions`. */
  readonly operation: string;
  /** The parsed awsJson1_0 request body. */
  readonly body: any;
}

/** A running local Step Functions API (ListExecutions, StartExecution, DescribeExecution only). */
export interface SfnEmulator {
  /** The endpoint URL, for a client's `endpoint`. */
  readonly endpoint: string;
  /** Every execution, oldest first; tests may change a status to end a run. */
  readonly executions: FakeExecution[];
  /** Every call received, in order. */
  readonly calls: SfnCall[];
  /** Adds an execution as if started elsewhere. */
  addExecution(stateMachineArn: string, name: string, status?: FakeExecution['status']): FakeExecution;
  /** Stops the server. */
  stop(): Promise<void>;
}

/**
 * A small HTTP fake of the Step Functions API speaking awsJson1_0
 * (`X-Amz-Target: AWSStepFunctions.<Operation>`), for handlers that call it
 * through the real AWS SDK v3 client. Execution semantics kept: names are
 * unique per state machine; a repeated StartExecution with the same name and
 * input of a RUNNING execution returns it (idempotent), otherwise it answers
 * ExecutionAlreadyExists; ListExecutions filters by status, newest first.
 */
export async function startSfnEmulator(): Promise<SfnEmulator> {
  const executions: FakeExecution[] = [];
  const calls: SfnCall[] = [];
  let clock = 1_700_000_000;
  const addExecution = (stateMachineArn: string, name: string, status: FakeExecution['status'] = 'RUNNING', input = '{}'): FakeExecution => {
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const execution: FakeExecution = { executionArn, stateMachineArn, name, input, status, startDate: clock++ };
    executions.push(execution);
    return execution;
  };
  const error = (res: http.ServerResponse, status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
    res.end(JSON.stringify({ __type: `com.amazonaws.swf.service.v2.model#${type}`, message }));
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.replace(/^AWSStepFunctions\./, '');
      let body: any;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf-8') || '{}');
      } catch {
        return error(res, 400, 'SerializationException', 'body is not JSON');
      }
      calls.push({ operation, body });
      const ok = (payload: unknown) => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      switch (operation) {
        case 'ListExecutions': {
          const matching = executions
            .filter((e) => e.stateMachineArn === body.stateMachineArn && (!body.statusFilter || e.status === body.statusFilter))
            .sort((a, b) => b.startDate - a.startDate)
            .slice(0, body.maxResults || 100);
          return ok({
            executions: matching.map((e) => ({
              executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: e.startDate,
            })),
          });
        }
        case 'StartExecution': {
          const name: string = body.name ?? `generated-${clock}`;
          if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
            return error(res, 400, 'InvalidName', `Invalid Name: '${name}'`);
          }
          const existing = executions.find((e) => e.stateMachineArn === body.stateMachineArn && e.name === name);
          if (existing) {
            if (existing.status === 'RUNNING' && existing.input === (body.input ?? '{}')) {
              return ok({ executionArn: existing.executionArn, startDate: existing.startDate });
            }
            return error(res, 400, 'ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
          }
          const started = addExecution(body.stateMachineArn, name, 'RUNNING', body.input ?? '{}');
          return ok({ executionArn: started.executionArn, startDate: started.startDate });
        }
        case 'DescribeExecution': {
          const e = executions.find((x) => x.executionArn === body.executionArn);
          if (!e) return error(res, 400, 'ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
          return ok({
            executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, input: e.input, startDate: e.startDate,
          });
        }
        default:
          return error(res, 400, 'UnknownOperationException', `The fake does not implement ${operation}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    executions,
    calls,
    addExecution: (arn, name, status) => addExecution(arn, name, status),
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
