import {
  CancelStatementCommand,
  DescribeStatementCommand,
  DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  Field,
  GetStatementResultCommand,
  RedshiftDataClient,
  SqlParameter,
} from '@aws-sdk/client-redshift-data';
import { DataApiTarget } from './table-ddl-properties';

/** Errors the Data API answers when too busy; the call is safe to repeat. */
const RETRYABLE_ERRORS = new Set(['ThrottlingException', 'ActiveStatementsExceededException', 'TooManyRequestsException']);

/** How a {@link StatementRunner} waits. */
export interface StatementRunnerTiming {
  /** First wait between DescribeStatement polls, in ms. */
  readonly firstPollMs: number;
  /** Longest wait between polls, in ms. */
  readonly maxPollMs: number;
  /** First (jittered) wait before repeating a throttled call, in ms. */
  readonly firstRetryMs: number;
  /** Longest wait before repeating a throttled call, in ms. */
  readonly maxRetryMs: number;
  /** Time kept back from the deadline to cancel the statement and report, in ms. */
  readonly reserveMs: number;
}

export const DEFAULT_TIMING: StatementRunnerTiming = {
  firstPollMs: 200,
  maxPollMs: 5_000,
  firstRetryMs: 200,
  maxRetryMs: 10_000,
  reserveMs: 5_000,
};

/** Where and as whom statements run. */
export interface StatementContext {
  readonly database: string;
  readonly target: DataApiTarget;
  readonly secretArn: string;
}

/** A result row as plain values, by column name. */
export type ResultRow = Record<string, string | number | boolean | null>;

/**
 * Runs one statement at a time through the Redshift Data API and waits for it:
 * ExecuteStatement, then DescribeStatement with growing waits until FINISHED,
 * FAILED or ABORTED, never past the Lambda's remaining time. Throttled calls
 * are repeated with jittered backoff.
 */
export class StatementRunner {
  constructor(
    private readonly client: RedshiftDataClient,
    private readonly context: StatementContext,
    /** Milliseconds the Lambda has left, e.g. `context.getRemainingTimeInMillis`. */
    private readonly remainingTimeMs: () => number,
    private readonly timing: StatementRunnerTiming = DEFAULT_TIMING,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  /** Runs a statement and waits until it finished; throws with Redshift's error text and the statement if it did not. */
  public async execute(sql: string, parameters?: SqlParameter[]): Promise<DescribeStatementCommandOutput> {
    const { Id: id } = await this.withRetry('ExecuteStatement', () =>
      this.client.send(new ExecuteStatementCommand({
        Sql: sql,
        Parameters: parameters && parameters.length > 0 ? parameters : undefined,
        Database: this.context.database,
        SecretArn: this.context.secretArn,
        StatementName: 'freshet-table-ddl',
        ...this.context.target,
      })));
    if (!id) {
      throw new Error(`The Data API returned no statement id for: ${sql}`);
    }
    log('statement submitted', { id, sql });
    let wait = this.timing.firstPollMs;
    for (;;) {
      const status = await this.withRetry('DescribeStatement', () => this.client.send(new DescribeStatementCommand({ Id: id })));
      switch (status.Status) {
        case 'FINISHED':
          log('statement finished', { id, durationNs: status.Duration });
          return status;
        case 'FAILED':
        case 'ABORTED':
          throw new Error(`Redshift statement ${status.Status}: ${status.Error ?? '(no error text)'} (statement ${id}: ${sql})`);
        default:
          break;
      }
      if (this.remainingTimeMs() - wait < this.timing.reserveMs) {
        await this.client.send(new CancelStatementCommand({ Id: id })).catch((error: Error) => log('cancel failed', { id, error: error.message }));
        throw new Error(`Redshift statement ${id} was still ${status.Status} when the Lambda ran out of time; it was cancelled. Raise the custom resource Lambda's timeout, or check the workgroup is available. Statement: ${sql}`);
      }
      await this.sleep(wait);
      wait = Math.min(this.timing.maxPollMs, Math.ceil(wait * 1.5));
    }
  }

  /** Runs a query and returns every row of its result (following NextToken). */
  public async query(sql: string, parameters?: SqlParameter[]): Promise<ResultRow[]> {
    const status = await this.execute(sql, parameters);
    if (!status.HasResultSet) {
      return [];
    }
    const rows: ResultRow[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.withRetry('GetStatementResult', () =>
        this.client.send(new GetStatementResultCommand({ Id: status.Id, NextToken: nextToken })));
      const names = (page.ColumnMetadata ?? []).map((c) => c.name ?? '');
      for (const record of page.Records ?? []) {
        rows.push(Object.fromEntries(record.map((field, i) => [names[i], fieldValue(field)])));
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return rows;
  }

  private async withRetry<T>(operation: string, call: () => Promise<T>): Promise<T> {
    let ceiling = this.timing.firstRetryMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const name = (error as Error).name;
        // Full jitter: concurrent deployments that were throttled together do not retry together.
        const wait = Math.round(Math.random() * ceiling);
        if (!RETRYABLE_ERRORS.has(name) || this.remainingTimeMs() - wait < this.timing.reserveMs) {
          throw error;
        }
        log('throttled, retrying', { operation, error: name, attempt, waitMs: wait });
        await this.sleep(wait);
        ceiling = Math.min(this.timing.maxRetryMs, ceiling * 2);
      }
    }
  }
}

function fieldValue(field: Field): string | number | boolean | null {
  if (field.isNull) {
    return null;
  }
  return field.stringValue ?? field.longValue ?? field.doubleValue ?? field.booleanValue ?? null;
}

/** One JSON line per event, so CloudWatch Logs Insights can filter on fields. */
export function log(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ message, ...fields }));
}
