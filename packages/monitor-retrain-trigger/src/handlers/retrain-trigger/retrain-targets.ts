import { CodePipelineClient, GetPipelineExecutionCommand, ListPipelineExecutionsCommand, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { RunLock } from '@freshet/retrain-pipeline/lib/handlers/start-guard/run-lock';
import { AlarmTransition, eventToken, executionNameFor } from './alarm-event';
import { PIPELINE_VARIABLES } from './environment-names';


/** CodePipeline variable values are 1-1000 characters. */
const MAX_VARIABLE_LENGTH = 1000;

/** The run a start created (or found, when the event had already started it), or the run that holds the target's lock. */
export type StartedRun =
  | { readonly runId: string; readonly busy?: undefined }
  /** Another starter's run holds the RetrainPipeline's run lock: nothing started. */
  | { readonly runId?: undefined; readonly busy: string };

/** How a run ended, or that it still runs. */
export type RunStatus = 'running' | 'succeeded' | 'failed';

/** What the trigger starts: a RetrainPipeline state machine or a CodePipeline. */
export interface RetrainTargetApi {
  /** The metric dimension and log name of the target. */
  readonly name: string;
  /** A run of the target in flight (from any starter: the schedule, a push, a person), or undefined. */
  runInFlight(): Promise<string | undefined>;
  /** Starts one run for the event; starting it again for the same event starts nothing new. */
  start(transition: AlarmTransition): Promise<StartedRun>;
  /** The status of a run this target started. */
  runStatus(runId: string): Promise<RunStatus>;
}

/** Step Functions statuses of an execution that did not succeed. */
const SFN_FAILED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * A state machine target: StartExecution with `{ "reason": ... }`, named after
 * the event. With a RetrainPipeline's run lock, the start takes the lock the
 * pipeline's own start guard takes, so the two never run at once.
 */
export class StateMachineTarget implements RetrainTargetApi {
  public readonly name: string;

  constructor(private readonly sfn: SFNClient, private readonly stateMachineArn: string, private readonly lock?: RunLock) {
    this.name = stateMachineArn.split(':').pop() ?? stateMachineArn;
  }

  public async runInFlight(): Promise<string | undefined> {
    const holder = await this.lock?.runningHolder();
    if (holder) return holder;
    const running = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }));
    return running.executions?.[0]?.executionArn;
  }

  public async start(transition: AlarmTransition): Promise<StartedRun> {
    const name = executionNameFor(transition);
    // The alarm by name, so the run's notifications (the approval request in Prod) can say an alarm started it.
    const input = JSON.stringify({ reason: transition.reason, alarm: transition.alarmName });
    if (this.lock) {
      const locked = await this.lock.start(name, input, 'trigger');
      if (locked.started) return { runId: locked.executionArn };
      return locked.reason === 'running' ? { busy: locked.runningExecutionArn } : { runId: locked.executionArn };
    }
    try {
      // Same name and input as a running execution: Step Functions returns that execution.
      const started = await this.sfn.send(new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name,
        input,
      }));
      return { runId: started.executionArn! };
    } catch (error) {
      // The event's run exists and has ended: it was started, by an earlier attempt.
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { runId: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
      }
      throw error;
    }
  }

  public async runStatus(runId: string): Promise<RunStatus> {
    const { status } = await this.sfn.send(new DescribeExecutionCommand({ executionArn: runId }));
    if (status === 'SUCCEEDED') return 'succeeded';
    return SFN_FAILED.has(String(status)) ? 'failed' : 'running';
  }
}

/** A CodePipeline (V2) target: StartPipelineExecution with the alarm in pipeline variables. */
export class CodePipelineTarget implements RetrainTargetApi {
  /** The statuses of an execution still running. */
  private static readonly IN_FLIGHT = new Set(['InProgress', 'Stopping']);
  /** The most executions ListPipelineExecutions returns per page. */
  private static readonly PAGE_SIZE = 100;

  constructor(private readonly codepipeline: CodePipelineClient, public readonly name: string) {}

  /**
   * Pages through every execution the pipeline keeps (CodePipeline has no
   * status filter, and an old execution can still be in progress behind newer
   * superseded or failed ones), newest first, stopping at the first one in flight.
   */
  public async runInFlight(): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.codepipeline.send(
        new ListPipelineExecutionsCommand({ pipelineName: this.name, maxResults: CodePipelineTarget.PAGE_SIZE, nextToken }),
      );
      const running = page.pipelineExecutionSummaries?.find((e) => CodePipelineTarget.IN_FLIGHT.has(String(e.status)));
      if (running) return running.pipelineExecutionId;
      nextToken = page.nextToken;
    } while (nextToken);
    return undefined;
  }

  public async start(transition: AlarmTransition): Promise<StartedRun> {
    const started = await this.codepipeline.send(new StartPipelineExecutionCommand({
      name: this.name,
      // The service's idempotency token: a second start for the same event returns the first execution.
      clientRequestToken: eventToken(transition.eventId),
      variables: [
        { name: PIPELINE_VARIABLES.alarm, value: transition.alarmName.slice(0, MAX_VARIABLE_LENGTH) },
        { name: PIPELINE_VARIABLES.reason, value: transition.reason.slice(0, MAX_VARIABLE_LENGTH) },
      ],
    }));
    return { runId: started.pipelineExecutionId! };
  }

  /** Succeeded is success; Failed, Stopped, Superseded and Cancelled gave no retrained model from this execution. */
  public async runStatus(runId: string): Promise<RunStatus> {
    const { pipelineExecution } = await this.codepipeline.send(
      new GetPipelineExecutionCommand({ pipelineName: this.name, pipelineExecutionId: runId }),
    );
    const status = String(pipelineExecution?.status);
    if (status === 'Succeeded') return 'succeeded';
    return CodePipelineTarget.IN_FLIGHT.has(status) ? 'running' : 'failed';
  }
}
