import { CodePipelineClient, ListPipelineExecutionsCommand, StartPipelineExecutionCommand } from '@aws-sdk/client-codepipeline';
import { ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { AlarmTransition, eventToken, executionNameFor } from './alarm-event';
import { PIPELINE_VARIABLES } from './environment-names';


/** CodePipeline variable values are 1-1000 characters. */
const MAX_VARIABLE_LENGTH = 1000;

/** The run a start created (or found, when the event had already started it). */
export interface StartedRun {
  /** The execution ARN or the pipeline execution id. */
  readonly runId: string;
}

/** What the trigger starts: a RetrainPipeline state machine or a CodePipeline. */
export interface RetrainTargetApi {
  /** The metric dimension and log name of the target. */
  readonly name: string;
  /** A run of the target in flight (from any starter: the schedule, a push, a person), or undefined. */
  runInFlight(): Promise<string | undefined>;
  /** Starts one run for the event; starting it again for the same event starts nothing new. */
  start(transition: AlarmTransition): Promise<StartedRun>;
}

/** A state machine target: StartExecution with `{ "reason": ... }`, named after the event. */
export class StateMachineTarget implements RetrainTargetApi {
  public readonly name: string;

  constructor(private readonly sfn: SFNClient, private readonly stateMachineArn: string) {
    this.name = stateMachineArn.split(':').pop() ?? stateMachineArn;
  }

  public async runInFlight(): Promise<string | undefined> {
    const running = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }));
    return running.executions?.[0]?.executionArn;
  }

  public async start(transition: AlarmTransition): Promise<StartedRun> {
    const name = executionNameFor(transition);
    try {
      // Same name and input as a running execution: Step Functions returns that execution.
      const started = await this.sfn.send(new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name,
        input: JSON.stringify({ reason: transition.reason }),
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
}

/** A CodePipeline (V2) target: StartPipelineExecution with the alarm in pipeline variables. */
export class CodePipelineTarget implements RetrainTargetApi {
  /** The statuses of an execution still running. */
  private static readonly IN_FLIGHT = new Set(['InProgress', 'Stopping']);
  /** How many recent executions are checked for one in flight. */
  private static readonly RECENT = 25;

  constructor(private readonly codepipeline: CodePipelineClient, public readonly name: string) {}

  public async runInFlight(): Promise<string | undefined> {
    const recent = await this.codepipeline.send(
      new ListPipelineExecutionsCommand({ pipelineName: this.name, maxResults: CodePipelineTarget.RECENT }),
    );
    return recent.pipelineExecutionSummaries?.find((e) => CodePipelineTarget.IN_FLIGHT.has(String(e.status)))?.pipelineExecutionId;
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
}
