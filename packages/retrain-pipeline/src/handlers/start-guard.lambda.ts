/**
 * Starts a retraining run unless one is in flight, under the pipeline's run
 * lock (./start-guard/run-lock), which MonitorRetrainTrigger takes too.
 * EventBridge Scheduler and the deployment rule invoke it (asynchronously,
 * with retries): the execution name comes from the scheduled or event time,
 * so a retried or duplicated invocation starts nothing new. The rule on the
 * state machine's executions ending invokes it too: it then gives the lock back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { START_GUARD_ENVIRONMENT } from './start-guard/environment-names';
import { RunLock } from './start-guard/run-lock';

/** The schedule's and the deployment rule's input. */
export interface StartGuardEvent {
  /** Why the run starts (recorded in the execution input). */
  readonly reason?: string;
  /** `<aws.scheduler.scheduled-time>`, e.g. `2024-05-01T03:00:00Z`. */
  readonly scheduledTime?: string;
}

/** The Step Functions event of an execution that ended (the rule matches SUCCEEDED, FAILED, TIMED_OUT, ABORTED). */
export interface ExecutionStatusChangeEvent {
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly 'detail': { readonly name: string; readonly status: string; readonly executionArn?: string };
}

export interface StartGuardResult {
  readonly started: boolean;
  readonly executionName: string;
  /** Why nothing started: `running` (another run holds the lock or is in flight) or `exists` (this time already started). */
  readonly skipped?: 'running' | 'exists';
  readonly runningExecutionArn?: string;
  readonly executionArn?: string;
}

export interface ReleaseResult {
  readonly released: boolean;
  readonly executionName: string;
}


let lock: RunLock | undefined;

function lockFromEnvironment(): RunLock {
  const arn = process.env[START_GUARD_ENVIRONMENT.stateMachineArn];
  const table = process.env[START_GUARD_ENVIRONMENT.lockTableName];
  if (!arn || !table) throw new Error(`The start guard needs ${START_GUARD_ENVIRONMENT.stateMachineArn} and ${START_GUARD_ENVIRONMENT.lockTableName}.`);
  lock ??= new RunLock(new DynamoDBClient({}), new SFNClient({}), table, arn);
  return lock;
}

export async function handler(event: StartGuardEvent | ExecutionStatusChangeEvent): Promise<StartGuardResult | ReleaseResult> {
  if (isExecutionEnd(event)) return releaseEnded(lockFromEnvironment(), event);
  return startUnlessRunning(lockFromEnvironment(), event);
}

function isExecutionEnd(event: StartGuardEvent | ExecutionStatusChangeEvent): event is ExecutionStatusChangeEvent {
  return (event as ExecutionStatusChangeEvent)['detail-type'] === 'Step Functions Execution Status Change';
}

/** Execution names allow letters, digits, `-` and `_`, 80 characters at most. */
export function executionNameFor(event: StartGuardEvent, now: () => Date = () => new Date()): string {
  const time = event.scheduledTime && !Number.isNaN(Date.parse(event.scheduledTime)) ? new Date(event.scheduledTime) : now();
  const stamp = time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[:.]/g, '-');
  const reason = (event.reason ?? 'schedule').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  return `${reason}-${stamp}`.slice(0, 80);
}

/**
 * Starts unless a run is in flight: the lock decides (a RUNNING execution
 * started outside the lock, listed by ListExecutions, also skips).
 */
export async function startUnlessRunning(runLock: RunLock, event: StartGuardEvent): Promise<StartGuardResult> {
  const executionName = executionNameFor(event);
  const result = await runLock.start(executionName, JSON.stringify({ reason: event.reason ?? 'schedule' }), event.reason ?? 'schedule');
  if (result.started) {
    console.log(JSON.stringify({ message: 'started', executionName, executionArn: result.executionArn }));
    return { started: true, executionName, executionArn: result.executionArn };
  }
  if (result.reason === 'running') {
    console.log(JSON.stringify({ message: 'a run holds the lock: skipping this start', executionName, running: result.runningExecutionArn }));
    return { started: false, executionName, skipped: 'running', runningExecutionArn: result.runningExecutionArn };
  }
  console.log(JSON.stringify({ message: 'this scheduled time already started a run', executionName }));
  return { started: false, executionName, skipped: 'exists' };
}

/** Gives the lock back for an execution that ended (a no-op when it no longer holds it). */
export async function releaseEnded(runLock: RunLock, event: ExecutionStatusChangeEvent): Promise<ReleaseResult> {
  const executionName = event.detail?.name;
  if (!executionName) throw new Error(`Not a Step Functions execution status change (needs detail.name): ${JSON.stringify(event).slice(0, 500)}`);
  const released = await runLock.release(executionName);
  console.log(JSON.stringify({ message: released ? 'the run ended: lock given back' : 'the run ended; it did not hold the lock', executionName, status: event.detail.status }));
  return { released, executionName };
}
