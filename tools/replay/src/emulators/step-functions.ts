import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** One execution of the replay's Step Functions. */
export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** Simulated epoch ms. */
  readonly startDate: number;
  stopDate?: number;
}

/**
 * Step Functions' API for the handlers (ListExecutions, StartExecution,
 * DescribeExecution over awsJson1_0, through the real SDK), on the replay's
 * simulated clock. Two properties of the real service are kept because the
 * loop depends on them: execution names are unique per state machine
 * (ExecutionAlreadyExists), and ListExecutions is eventually consistent: an
 * execution is listed only `listLagMs` of simulated time after it started
 * (AWS documents ListExecutions as eventually consistent; the replay's
 * default lag of 1 s hides a start from a caller at the same instant).
 */
export class StepFunctionsEmulator {
  readonly executions: Execution[] = [];
  /** The state machines that exist; a call naming another fails as Step Functions fails it. */
  readonly stateMachines = new Set<string>();
  endpoint = '';
  private server?: http.Server;

  constructor(private readonly now: () => number, private readonly listLagMs = 1000) {}

  /** Called when a start is accepted, so the replay can play the run. */
  onStart: (execution: Execution) => void = () => undefined;

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Ends a run (the replay plays the state machine's outcome). */
  finish(executionArn: string, status: Execution['status']): void {
    const e = this.executions.find((x) => x.executionArn === executionArn);
    if (!e || e.status !== 'RUNNING') return;
    e.status = status;
    e.stopDate = this.now();
  }

  private answer(target: string, text: string, res: http.ServerResponse): void {
    const operation = target.replace(/^AWSStepFunctions\./, '');
    const ok = (payload: unknown) => {
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    const error = (type: string, message: string) => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type });
      res.end(JSON.stringify({ __type: `com.amazonaws.swf.service.v2.model#${type}`, message }));
    };
    const body = JSON.parse(text || '{}');
    const seconds = (ms: number) => ms / 1000;
    if ((operation === 'ListExecutions' || operation === 'StartExecution') && !this.stateMachines.has(body.stateMachineArn)) {
      return error('StateMachineDoesNotExist', `State Machine Does Not Exist: '${body.stateMachineArn}'`);
    }
    switch (operation) {
      case 'ListExecutions': {
        const visible = this.executions
          .filter((e) => e.stateMachineArn === body.stateMachineArn && this.now() - e.startDate >= this.listLagMs)
          .filter((e) => !body.statusFilter || e.status === body.statusFilter)
          .sort((a, b) => b.startDate - a.startDate)
          .slice(0, body.maxResults || 100);
        return ok({
          executions: visible.map((e) => ({
            executionArn: e.executionArn, stateMachineArn: e.stateMachineArn, name: e.name, status: e.status, startDate: seconds(e.startDate),
          })),
        });
      }
      case 'StartExecution': {
        const name: string = body.name ?? `run-${this.executions.length + 1}`;
        if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) return error('InvalidName', `Invalid Name: '${name}'`);
        const existing = this.executions.find((e) => e.stateMachineArn === body.stateMachineArn && e.name === name);
        if (existing) {
          if (existing.status === 'RUNNING' && existing.input === (body.input ?? '{}')) {
            return ok({ executionArn: existing.executionArn, startDate: seconds(existing.startDate) });
          }
          return error('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
        }
        const execution: Execution = {
          executionArn: `${String(body.stateMachineArn).replace(':stateMachine:', ':execution:')}:${name}`,
          stateMachineArn: body.stateMachineArn,
          name,
          input: body.input ?? '{}',
          status: 'RUNNING',
          startDate: this.now(),
        };
        this.executions.push(execution);
        this.onStart(execution);
        return ok({ executionArn: execution.executionArn, startDate: seconds(execution.startDate) });
      }
      case 'DescribeExecution': {
        const e = this.executions.find((x) => x.executionArn === body.executionArn);
        if (!e) return error('ExecutionDoesNotExist', `Execution Does Not Exist: '${body.executionArn}'`);
        return ok({
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          input: e.input,
          startDate: seconds(e.startDate),
        });
      }
      default:
        return error('UnknownOperationException', `The replay's Step Functions does not implement ${operation}.`);
    }
  }
}
