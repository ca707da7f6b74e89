/**
 * The one lock every starter of a RetrainPipeline takes before StartExecution:
 * the schedule's and the deployments' start guard, and MonitorRetrainTrigger.
 * One item in the pipeline's lock table names the execution that holds it.
 *
 * Why it is race-free (two executions never run at once, whatever the timing):
 * - an execution is started only by the starter whose conditional write made
 *   it the holder (`attribute_not_exists(pk)` or the version it read), and
 *   DynamoDB applies conditional writes on one item one at a time;
 * - the holder changes only when the holder's execution is found ended by
 *   DescribeExecution (strongly consistent, unlike ListExecutions), or when it
 *   does not exist and the lock is older than {@link STALE_UNSTARTED_SECONDS}:
 *   longer than any starter lives (Lambda ends it at its timeout, 1 minute at
 *   most), so that starter can no longer call StartExecution;
 * - the release when the execution ends deletes the item only if it still
 *   names that execution.
 *
 * No SDK client is built here: the guard and the trigger pass theirs.
 */
import { AttributeValue, ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionAlreadyExists, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

/** The key of the one lock item. */
export const RUN_LOCK_KEY = 'run-lock';

/** A lock whose execution never appeared is stale after this long (every starter's Lambda times out well before). */
export const STALE_UNSTARTED_SECONDS = 15 * 60;

/** Statuses of an execution that still runs or may continue (a redrive pending). */
const ACTIVE = new Set(['RUNNING', 'PENDING_REDRIVE']);

/** The lock item. */
export interface RunLockHolder {
  readonly executionName: string;
  readonly executionArn: string;
  /** Epoch seconds when it was taken. */
  readonly takenAt: number;
  /** Who took it: `schedule`, `deployment`, `trigger`, ... */
  readonly starter: string;
  readonly version: number;
}

/** The outcome of a start under the lock. */
export type LockedStart =
  | { readonly started: true; readonly executionArn: string }
  | { readonly started: false; readonly reason: 'running'; readonly runningExecutionArn: string }
  | { readonly started: false; readonly reason: 'exists'; readonly executionArn: string };

const s = (value: string): AttributeValue => ({ S: value });
const n = (value: number): AttributeValue => ({ N: String(value) });

function isNamed(error: unknown, name: string): boolean {
  return (error as Error)?.name === name;
}

/** Concurrent starters each change the item at most once per round, so a few rounds always settle. */
const MAX_ROUNDS = 6;

/** The lock of one state machine, in one table. */
export class RunLock {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly sfn: SFNClient,
    private readonly tableName: string,
    public readonly stateMachineArn: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The ARN an execution of this state machine gets for a name. */
  public executionArn(executionName: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  }

  /** The holder, read strongly consistent. */
  public async holder(): Promise<RunLockHolder | undefined> {
    const { Item: item } = await this.dynamodb.send(new GetItemCommand({
      TableName: this.tableName,
      Key: { pk: s(RUN_LOCK_KEY) },
      ConsistentRead: true,
    }));
    if (!item) return undefined;
    return {
      executionName: item.executionName.S!,
      executionArn: item.executionArn.S!,
      takenAt: Number(item.takenAt.N),
      starter: item.starter.S!,
      version: Number(item.version.N),
    };
  }

  /** The execution that holds the lock and still runs (or is about to start), or undefined. */
  public async runningHolder(): Promise<string | undefined> {
    const held = await this.holder();
    return held && (await this.holds(held)) ? held.executionArn : undefined;
  }

  /**
   * Takes the lock for `executionName` and starts it; refuses while another
   * execution holds it. A name that already ran is `exists` (the lock stays
   * until the next starter finds it ended). A start that fails gives the lock
   * back when no execution of that name exists, and throws.
   */
  public async start(executionName: string, input: string, starter: string): Promise<LockedStart> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const held = await this.holder();
      if (held && held.executionName !== executionName && (await this.holds(held))) {
        return { started: false, reason: 'running', runningExecutionArn: held.executionArn };
      }
      // Free, stale, or taken by an earlier attempt with this very name (finish it: StartExecution is idempotent).
      // An execution started outside the lock (by a person, or before the lock existed) still counts when listed.
      const listed = await this.listedRunning();
      if (listed && listed !== this.executionArn(executionName)) return { started: false, reason: 'running', runningExecutionArn: listed };
      if (held?.executionName !== executionName && !(await this.take(held, executionName, starter))) continue;
      return this.startHeld(executionName, input);
    }
    throw new Error(`The run lock in ${this.tableName} kept changing for ${MAX_ROUNDS} rounds; failing so the caller retries.`);
  }

  /**
   * Gives the lock back when `executionName` holds it (its execution ended).
   * @returns whether it held it
   */
  public async release(executionName: string): Promise<boolean> {
    try {
      await this.dynamodb.send(new DeleteItemCommand({
        TableName: this.tableName,
        Key: { pk: s(RUN_LOCK_KEY) },
        ConditionExpression: 'executionName = :name',
        ExpressionAttributeValues: { ':name': s(executionName) },
      }));
      return true;
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  /** A RUNNING execution as ListExecutions (eventually consistent: a belt, never the lock) lists it. */
  private async listedRunning(): Promise<string | undefined> {
    const listed = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING', maxResults: 1 }));
    return listed.executions?.[0]?.executionArn;
  }

  /** Whether a holder still counts: its execution runs, or has not appeared yet and the lock is fresh. */
  private async holds(held: RunLockHolder): Promise<boolean> {
    const status = await this.status(held.executionArn);
    if (status === undefined) return this.seconds() - held.takenAt < STALE_UNSTARTED_SECONDS;
    return ACTIVE.has(status);
  }

  /** An execution's status, or undefined when it does not exist. */
  private async status(executionArn: string): Promise<string | undefined> {
    try {
      return (await this.sfn.send(new DescribeExecutionCommand({ executionArn }))).status;
    } catch (error) {
      if (isNamed(error, 'ExecutionDoesNotExist')) return undefined;
      throw error;
    }
  }

  private async take(seen: RunLockHolder | undefined, executionName: string, starter: string): Promise<boolean> {
    try {
      await this.dynamodb.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: s(RUN_LOCK_KEY),
          executionName: s(executionName),
          executionArn: s(this.executionArn(executionName)),
          takenAt: n(this.seconds()),
          starter: s(starter),
          version: n((seen?.version ?? 0) + 1),
        },
        ConditionExpression: seen ? '#version = :seen' : 'attribute_not_exists(pk)',
        ExpressionAttributeNames: seen ? { '#version': 'version' } : undefined,
        ExpressionAttributeValues: seen ? { ':seen': n(seen.version) } : undefined,
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || isNamed(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  private async startHeld(executionName: string, input: string): Promise<LockedStart> {
    try {
      // Same name and input as a running execution: Step Functions returns that execution.
      const started = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName, input }));
      return { started: true, executionArn: started.executionArn! };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || isNamed(error, 'ExecutionAlreadyExists')) {
        return { started: false, reason: 'exists', executionArn: this.executionArn(executionName) };
      }
      // Only when no execution of the name exists is it safe to let another starter in now.
      if ((await this.status(this.executionArn(executionName)).catch(() => 'UNKNOWN')) === undefined) await this.release(executionName);
      throw error;
    }
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
