/**
 * Starts a retraining run unless one is in flight. EventBridge Scheduler
 * invokes it (asynchronously, with retries): the execution name comes from the
 * scheduled time, so a retried or duplicated invocation starts nothing new.
 */
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** The schedule's input. */
export interface StartGuardEvent {
  /** Why the run starts (recorded in the execution input). */
  readonly reason?: string;
  /** `<aws.scheduler.scheduled-time>`, e.g. `2024-05-01T03:00:00Z`. */
  readonly scheduledTime?: string;
}

export interface StartGuardResult {
  readonly started: boolean;
  readonly executionName: string;
  /** Why nothing started: `running` (another run is in flight) or `exists` (this time already started). */
  readonly skipped?: 'running' | 'exists';
  readonly runningExecutionArn?: string;
  readonly executionArn?: string;
}

const client = new SFNClient({});

export async function handler(event: StartGuardEvent): Promise<StartGuardResult> {
  return startUnlessRunning(client, process.env.STATE_MACHINE_ARN!, event);
}

/** Execution names allow letters, digits, `-` and `_`, 80 characters at most. */
export function executionNameFor(event: StartGuardEvent, now: () => Date = () => new Date()): string {
  const time = event.scheduledTime && !Number.isNaN(Date.parse(event.scheduledTime)) ? new Date(event.scheduledTime) : now();
  const stamp = time.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[:.]/g, '-');
  const reason = (event.reason ?? 'schedule').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 40);
  return `${reason}-${stamp}`.slice(0, 80);
}

export async function startUnlessRunning(sfn: SFNClient, stateMachineArn: string, event: StartGuardEvent): Promise<StartGuardResult> {
  const executionName = executionNameFor(event);
  const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }));
  const inFlight = running.executions?.[0];
  if (inFlight) {
    console.log(JSON.stringify({ message: 'a run is in flight: skipping this start', executionName, running: inFlight.executionArn }));
    return { started: false, executionName, skipped: 'running', runningExecutionArn: inFlight.executionArn };
  }
  try {
    const started = await sfn.send(new StartExecutionCommand({
      stateMachineArn,
      name: executionName,
      input: JSON.stringify({ reason: event.reason ?? 'schedule' }),
    }));
    console.log(JSON.stringify({ message: 'started', executionName, executionArn: started.executionArn }));
    return { started: true, executionName, executionArn: started.executionArn };
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
      console.log(JSON.stringify({ message: 'this scheduled time already started a run', executionName }));
      return { started: false, executionName, skipped: 'exists' };
    }
    throw error;
  }
}
