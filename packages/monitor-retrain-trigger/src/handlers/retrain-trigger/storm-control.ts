import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/** Why an alarm event started nothing. */
export type SkipReason = 'in-flight' | 'cooldown' | 'daily-cap' | 'duplicate' | 'not-alarm';

/** Every skip reason, as the `Reason` dimension of TriggerSkipped takes it. */
export const SKIP_REASONS: readonly SkipReason[] = ['in-flight', 'cooldown', 'daily-cap', 'duplicate', 'not-alarm'];

/** The storm limits of one target. */
export interface StormLimits {
  /** No trigger-started run within this many seconds of the last one. */
  readonly cooldownSeconds: number;
  /** At most this many trigger-started runs per UTC day. */
  readonly dailyCap: number;
  /** A claim still `starting` after this many seconds belongs to an attempt that died; it no longer means in flight. */
  readonly staleStartSeconds: number;
}

/**
 * The target's claim item: the one item every decision is written to with a
 * condition on its version, so concurrent invocations serialize on it.
 */
export interface Claim {
  readonly version: number;
  /** Epoch seconds of the last trigger-started run (0: never). */
  readonly lastStart: number;
  /** The UTC day (`YYYY-MM-DD`) `dayCount` counts. */
  readonly day: string;
  readonly dayCount: number;
  /** The event that holds the claim. */
  readonly claimedBy: string;
  /** `starting` until the target accepted the start, then `started`; `released` when the start failed. */
  readonly claimState: 'starting' | 'started' | 'released';
  /** The run the claim started. */
  readonly run?: string;
}

/** The decision on one claim. */
export type ClaimDecision =
  | { readonly claim: true }
  | { readonly claim: false; readonly reason: SkipReason; readonly detail: string };

/** The UTC day of an epoch second. */
export function utcDay(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * Decides whether an event may claim the target now: not while another event
 * is starting a run, not inside the cooldown, not over the daily cap.
 */
export function decideClaim(claim: Claim | undefined, now: number, limits: StormLimits): ClaimDecision {
  if (!claim) return { claim: true };
  const since = now - claim.lastStart;
  if (claim.claimState === 'starting' && since < limits.staleStartSeconds) {
    return { claim: false, reason: 'in-flight', detail: `event ${claim.claimedBy} is starting a run` };
  }
  if (claim.lastStart > 0 && since < limits.cooldownSeconds) {
    return { claim: false, reason: 'cooldown', detail: `the last trigger-started run was ${since} s ago; the cooldown is ${limits.cooldownSeconds} s` };
  }
  const today = utcDay(now);
  const count = claim.day === today ? claim.dayCount : 0;
  if (count >= limits.dailyCap) {
    return { claim: false, reason: 'daily-cap', detail: `${count} trigger-started runs on ${today}; the daily cap is ${limits.dailyCap}` };
  }
  return { claim: true };
}

/** The outcome of an attempt to take the claim. */
export type ClaimAttempt = { readonly taken: true } | { readonly taken: false; readonly current: Claim | undefined };

/** The decision recorded per event id, so a re-delivered event is recognised. */
export interface EventRecord {
  readonly decision: 'started' | 'skipped';
  readonly detail: string;
}

/** How long an event's decision is kept: longer than EventBridge (24 h) and Lambda (6 h) redeliver. */
export const EVENT_RECORD_TTL_SECONDS = 7 * 24 * 3600;

const CLAIM_KEY = 'claim';
/** Placeholders for attribute names that are (`day`) or may become DynamoDB reserved words. */
const NAMES: Record<string, string> = { '#version': 'version', '#state': 'claimState', '#day': 'day', '#run': 'run' };
const eventKey = (eventId: string) => `event#${eventId}`;
const n = (value: number): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });

/**
 * The DynamoDB side of storm control: one claim item per target (the table
 * belongs to one trigger) and one record per event id.
 */
export class StormControlTable {
  constructor(private readonly dynamodb: DynamoDBClient, private readonly tableName: string) {}

  /** The claim, read strongly consistent. */
  public async readClaim(): Promise<Claim | undefined> {
    return parseClaim(await this.readItem(CLAIM_KEY));
  }

  /**
   * Takes the claim for an event if nobody wrote it since `seen` was read.
   * Keeps the previous run's time and count, so a failed start can give them back.
   * @returns taken, or the claim as another invocation just wrote it (decide again on that)
   */
  public async takeClaim(seen: Claim | undefined, eventId: string, now: number): Promise<ClaimAttempt> {
    const today = utcDay(now);
    const dayCount = seen && seen.day === today ? seen.dayCount + 1 : 1;
    try {
      await this.dynamodb.send(new PutItemCommand({
        TableName: this.tableName,
        Item: {
          pk: s(CLAIM_KEY),
          version: n((seen?.version ?? 0) + 1),
          lastStart: n(now),
          day: s(today),
          dayCount: n(dayCount),
          claimedBy: s(eventId),
          claimState: s('starting'),
          previousLastStart: n(seen?.lastStart ?? 0),
          previousDay: s(seen?.day ?? ''),
          previousDayCount: n(seen?.dayCount ?? 0),
        },
        ConditionExpression: seen ? '#version = :seen' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: seen ? { ':seen': n(seen.version) } : undefined,
        ExpressionAttributeNames: seen ? { '#version': 'version' } : undefined,
        // The winner's item comes back with the refusal, saving a read per loser in a storm.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }));
      return { taken: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const current = (error as ConditionalCheckFailedException).Item;
      return { taken: false, current: current ? parseClaim(current) : await this.readClaim() };
    }
  }

  /**
   * Marks the event's claim started with its run.
   * @returns false when another delivery of the same event already did (it counted the start)
   */
  public async markStarted(eventId: string, run: string): Promise<boolean> {
    return this.updateOwnClaim(eventId, 'SET #state = :started, #run = :run', { ':started': s('started'), ':run': s(run) });
  }

  /** Gives back the cooldown and the day's count of a claim whose start failed, so the retry (or the next alarm) can start. */
  public async releaseClaim(eventId: string): Promise<boolean> {
    return this.updateOwnClaim(eventId,
      'SET #state = :released, lastStart = previousLastStart, #day = previousDay, dayCount = previousDayCount',
      { ':released': s('released') });
  }

  /** The decision recorded for an event, if any. */
  public async readEvent(eventId: string): Promise<EventRecord | undefined> {
    const item = await this.readItem(eventKey(eventId));
    return item ? { decision: item.decision.S as EventRecord['decision'], detail: item.detail.S! } : undefined;
  }

  /** Records the decision on an event (expires after {@link EVENT_RECORD_TTL_SECONDS}). */
  public async recordEvent(eventId: string, record: EventRecord, now: number): Promise<void> {
    await this.dynamodb.send(new PutItemCommand({
      TableName: this.tableName,
      Item: {
        pk: s(eventKey(eventId)),
        decision: s(record.decision),
        detail: s(record.detail),
        decidedAt: n(now),
        expiresAt: n(now + EVENT_RECORD_TTL_SECONDS),
      },
    }));
  }

  /** One item, read strongly consistent. */
  private async readItem(pk: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item: item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: s(pk) }, ConsistentRead: true }));
    return item;
  }

  /** Updates the claim only while this event holds it and is starting; every update bumps the version. */
  private async updateOwnClaim(eventId: string, update: string, values: Record<string, AttributeValue>): Promise<boolean> {
    const updateExpression = `${update}, #version = #version + :one`;
    const conditionExpression = 'claimedBy = :event AND #state = :starting';
    try {
      await this.dynamodb.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: s(CLAIM_KEY) },
        UpdateExpression: updateExpression,
        ConditionExpression: conditionExpression,
        ExpressionAttributeValues: { ...values, ':event': s(eventId), ':starting': s('starting'), ':one': n(1) },
        // DynamoDB refuses a name the expressions do not use.
        ExpressionAttributeNames: Object.fromEntries(Object.entries(NAMES).filter(([placeholder]) => `${updateExpression} ${conditionExpression}`.includes(placeholder))),
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

function parseClaim(item: Record<string, AttributeValue> | undefined): Claim | undefined {
  if (!item) return undefined;
  return {
    version: Number(item.version.N),
    lastStart: Number(item.lastStart.N),
    day: item.day.S!,
    dayCount: Number(item.dayCount.N),
    claimedBy: item.claimedBy.S!,
    claimState: item.claimState.S as Claim['claimState'],
    run: item.run?.S,
  };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
