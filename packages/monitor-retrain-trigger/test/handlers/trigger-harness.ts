import { randomUUID } from 'node:crypto';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { CodePipelineEmulator, MotoServer, startCodePipelineEmulator, startMotoServer } from '@freshet/test-utils';
import type { AlarmStateChangeEvent } from '../../src/handlers/retrain-trigger/alarm-event';
import { dependenciesFromEnvironment } from '../../src/handlers/retrain-trigger/environment';
import { ENVIRONMENT, PIPELINE_VARIABLES, TARGET_KINDS } from '../../src/handlers/retrain-trigger/environment-names';
import { createRetrainTriggerHandler, RetrainTriggerHandler } from '../../src/handlers/retrain-trigger/retrain-trigger';
import type { TriggerEvent } from '../../src/handlers/retrain-trigger/trigger-events';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const PIPELINE = 'retrain-pollution';
const CREDENTIALS = { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake-secret' };

/** One parsed EMF decision line. */
export interface DecisionLine {
  readonly metric: 'TriggerStarted' | 'TriggerSkipped';
  readonly Target: string;
  readonly Reason?: string;
  readonly line: any;
}

/**
 * The trigger against moto server (DynamoDB, Step Functions) and the
 * CodePipeline fake. The handler's clients are the ones the function builds
 * from its environment, pointed at the emulators through the SDK's own
 * `AWS_ENDPOINT_URL_*` variables; only the clock and the log sink are the test's.
 */
export class TriggerHarness {
  public static async start(): Promise<TriggerHarness> {
    const [moto, codepipeline] = await Promise.all([startMotoServer(), startCodePipelineEmulator()]);
    Object.assign(process.env, {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint,
      AWS_ENDPOINT_URL_SFN: moto.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: moto.endpoint,
      AWS_ENDPOINT_URL_CODEPIPELINE: codepipeline.endpoint,
    });
    return new TriggerHarness(moto, codepipeline);
  }

  /** The test's clock: every decision reads it, nothing reads the system time. */
  public clock = new Date('2026-03-02T08:00:00Z');
  public lines: string[] = [];
  public readonly sfn: SFNClient;
  public readonly dynamodb: DynamoDBClient;
  public readonly cloudwatch: CloudWatchClient;
  public stateMachineArn = '';
  public tableName = '';
  /** The RetrainPipeline's run lock table (used when a trigger is built with `lock: true`). */
  public lockTableName = '';
  private counter = 0;

  private constructor(public readonly moto: MotoServer, public readonly codepipeline: CodePipelineEmulator) {
    this.sfn = new SFNClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
    this.dynamodb = new DynamoDBClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
    this.cloudwatch = new CloudWatchClient({ endpoint: moto.endpoint, region: REGION, credentials: CREDENTIALS });
  }

  /** A fresh table, state machine and pipeline, and an empty log. */
  public async reset(): Promise<void> {
    await this.moto.reset();
    this.codepipeline.reset();
    this.lines = [];
    this.counter += 1;
    this.tableName = `storm-${this.counter}`;
    this.lockTableName = `run-lock-${this.counter}`;
    for (const TableName of [this.tableName, this.lockTableName]) {
      await this.dynamodb.send(new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }));
    }
    const machine = await this.sfn.send(new CreateStateMachineCommand({
      name: 'RetrainStocks',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      roleArn: `arn:aws:iam::${ACCOUNT}:role/retrain`,
    }));
    this.stateMachineArn = machine.stateMachineArn!;
    this.codepipeline.addPipeline(PIPELINE, { variables: [PIPELINE_VARIABLES.alarm, PIPELINE_VARIABLES.reason] });
  }

  /** The function's environment, as RetrainTrigger sets it. */
  public environment(kind: 'state-machine' | 'code-pipeline', limits: { cooldownSeconds?: number; dailyCap?: number } = {}, options: { lock?: boolean } = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [ENVIRONMENT.tableName]: this.tableName,
      [ENVIRONMENT.targetKind]: kind === 'state-machine' ? TARGET_KINDS.stateMachine : TARGET_KINDS.codePipeline,
      [ENVIRONMENT.stateMachineArn]: kind === 'state-machine' ? this.stateMachineArn : undefined,
      [ENVIRONMENT.pipelineName]: kind === 'code-pipeline' ? PIPELINE : undefined,
      [ENVIRONMENT.cooldownSeconds]: String(limits.cooldownSeconds ?? 6 * 3600),
      [ENVIRONMENT.dailyCap]: String(limits.dailyCap ?? 3),
      [ENVIRONMENT.runLockTableName]: this.lockTableName,
    };
    // Absent, not 'undefined', when the target has no run lock (process.env turns undefined into a string).
    if (!options.lock) delete env[ENVIRONMENT.runLockTableName];
    return env;
  }

  /** The trigger as the function builds it, with the test's clock and log sink. */
  public trigger(kind: 'state-machine' | 'code-pipeline', limits?: { cooldownSeconds?: number; dailyCap?: number }, options: { lock?: boolean } = {}): RetrainTriggerHandler {
    return createRetrainTriggerHandler({
      ...dependenciesFromEnvironment(this.environment(kind, limits, options), () => this.clock),
      now: () => this.clock,
      log: (line) => this.lines.push(line),
    });
  }

  /** Moves the test's clock on. */
  public advance(seconds: number): void {
    this.clock = new Date(this.clock.getTime() + seconds * 1000);
  }

  /** The parsed EMF decision lines. */
  public decisions(): DecisionLine[] {
    return this.lines.map((l) => JSON.parse(l)).filter((l) => l._aws).map((line) => ({
      metric: line._aws.CloudWatchMetrics[0].Metrics[0].Name,
      Target: line.Target,
      Reason: line.Reason,
      line,
    }));
  }

  /** The state machine's executions, newest first. */
  public async executions(status?: 'RUNNING' | 'ABORTED') {
    const listed = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: status }));
    return listed.executions ?? [];
  }

  /** Ends every running execution (the run finished). */
  public async finishRuns(): Promise<void> {
    for (const execution of await this.executions('RUNNING')) {
      await this.sfn.send(new StopExecutionCommand({ executionArn: execution.executionArn }));
    }
    for (const execution of this.codepipeline.executions) execution.status = 'Succeeded';
  }

  /** Starts a run as the schedule would (not through the trigger). */
  public async startScheduledRun(): Promise<string> {
    const started = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: 'schedule-2026-03-02T03-00-00Z', input: '{"reason":"schedule"}' }));
    return started.executionArn!;
  }

  /** An alarm in moto's CloudWatch, set to a state (as its metric would have it). */
  public async setAlarm(alarmName: string, state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'): Promise<void> {
    await this.cloudwatch.send(new PutMetricAlarmCommand({
      AlarmName: alarmName,
      Namespace: 'Freshet/Drift',
      MetricName: 'MaxFeatureDrift',
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 0.2,
      ComparisonOperator: 'GreaterThanThreshold',
    })).catch(() => undefined);
    await this.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: `Threshold Crossed: set to ${state} by the test` }));
  }

  /** Stops a running execution (moto ends it ABORTED), as a run that did not succeed. */
  public async abort(executionArn: string): Promise<void> {
    await this.sfn.send(new StopExecutionCommand({ executionArn }));
  }

  public async stop(): Promise<void> {
    this.sfn.destroy();
    this.dynamodb.destroy();
    this.cloudwatch.destroy();
    await Promise.all([this.moto.stop(), this.codepipeline.stop()]);
  }
}

/** The retry rule's tick, as EventBridge sends a scheduled rule's event. */
export function tickEvent(): TriggerEvent {
  return { 'id': randomUUID(), 'detail-type': 'Scheduled Event', 'source': 'aws.events', 'detail': {} };
}

/** A Step Functions execution that ended, as EventBridge sends it. */
export function executionEnded(executionArn: string, status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED'): TriggerEvent {
  return {
    'id': randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    'source': 'aws.states',
    'detail': { executionArn, status, name: executionArn.split(':').pop(), stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '') },
  };
}

/** A CodePipeline execution that ended, as EventBridge sends it. */
export function pipelineEnded(executionId: string, state: 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'SUPERSEDED'): TriggerEvent {
  return {
    'id': randomUUID(),
    'detail-type': 'CodePipeline Pipeline Execution State Change',
    'source': 'aws.codepipeline',
    'detail': { 'pipeline': PIPELINE, 'execution-id': executionId, state },
  };
}

/** An ALARM state change as CloudWatch sends it to EventBridge. */
export function alarmEvent(overrides: { id?: string; alarmName?: string; state?: string; reason?: string; at?: Date } = {}): AlarmStateChangeEvent {
  const alarmName = overrides.alarmName ?? 'stocks-MaxFeatureDrift';
  return {
    'id': overrides.id ?? randomUUID(),
    'detail-type': 'CloudWatch Alarm State Change',
    'source': 'aws.cloudwatch',
    'time': '2026-03-02T08:00:00Z',
    'resources': [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
    'detail': {
      alarmName,
      state: {
        value: overrides.state ?? 'ALARM',
        reason: overrides.reason ?? 'Threshold Crossed: 1 out of the last 1 datapoints [0.41 (02/03/26 07:00:00)] was greater than the threshold (0.2).',
        timestamp: (overrides.at ?? new Date('2026-03-02T08:00:00Z')).toISOString().replace('Z', '+0000'),
      },
      previousState: { value: 'OK' },
    },
  };
}
