import { AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';

/** Why an alarm event (or a retry of a pending one) started nothing; `alarm-ok`: a pending retry dropped because its alarms left ALARM. */
export type SkipReason = 'in-flight' | 'cooldown' | 'daily-cap' | 'duplicate' | 'not-alarm' | 'alarm-ok';

/** Every skip reason, as the `Reason` dimension of TriggerSkipped takes it. */
export const SKIP_REASONS: readonly SkipReason[] = ['in-flight', 'cooldown', 'daily-cap', 'duplicate', 'not-alarm', 'alarm-ok'];

/** The refusals a pending request outlives: it is retried once they no longer hold. */
export const RETRIED_REASONS: readonly SkipReason[] = ['in-flight', 'cooldown', 'daily-cap'];

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
  /**
   * `starting` until the target accepted the start, then `started`; `ended`
   * once the run succeeded; `released` when the start failed or the run did not succeed.
   */
  readonly claimState: 'starting' | 'started' | 'ended' | 'released';
  /** The run the claim started. */
  readonly run?: string;
  /** The UTC day `failCount` counts. */
  readonly failDay: string;
  /** Runs that ended without success on `failDay` (they gave their cooldown and count back; at most `dailyCap` a day). */
  readonly failCount: number;
  /** The alarms with a retrain request not yet served by a successful run (while they stay in ALARM). */
  readonly pendingAlarms: string[];
  /** Epoch seconds of the latest alarm transition recorded as pending: a run started at or after it serves every pending request. */
  readonly pendingLatest: number;
  /** Bumped by every pending write, so clearing the requests never drops one recorded meanwhile. */
  readonly pendingVersion: number;
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
  if (!claim || claim.version === 0) return { claim: true };
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
  const failures = claim.failDay === today ? claim.failCount : 0;
  if (failures >= limits.dailyCap) {
    return { claim: false, reason: 'daily-cap', detail: `${failures} trigger-started runs failed on ${today}; no more than the daily cap (${limits.dailyCap}) failed runs are retried a day` };
  }
  return { claim: true };
}

/** Whether the claim's run (running or succeeded) serves every pending request: it started at or after the latest pending alarm transition. */
export function pendingServedByClaim(claim: Claim): boolean {
  return (claim.claimState === 'started' || claim.claimState === 'ended') && claim.lastStart >= claim.pendingLatest;
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
    const version = seen?.version ?? 0;
    try {
      // An update, not a put: the pending requests on the item are written by refusals without the version and must survive.
      await this.dynamodb.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: s(CLAIM_KEY) },
        UpdateExpression: 'SET #version = :next, lastStart = :now, #day = :today, dayCount = :count, claimedBy = :event, #state = :starting, '
          + 'previousLastStart = :pls, previousDay = :pday, previousDayCount = :pcount REMOVE #run',
        ConditionExpression: version === 0 ? 'attribute_not_exists(#version)' : '#version = :seen',
        ExpressionAttributeNames: { '#version': 'version', '#day': 'day', '#state': 'claimState', '#run': 'run' },
        ExpressionAttributeValues: {
          ':next': n(version + 1),
          ':now': n(now),
          ':today': s(today),
          ':count': n(dayCount),
          ':event': s(eventId),
          ':starting': s('starting'),
          ':pls': n(seen?.lastStart ?? 0),
          ':pday': s(seen?.day ?? ''),
          ':pcount': n(seen?.dayCount ?? 0),
          ...(version === 0 ? {} : { ':seen': n(version) }),
        },
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

  /**
   * Marks the claim's run succeeded, so it is not asked about again.
   * @returns false when the claim no longer holds that run started
   */
  public async markEnded(claim: Claim, run: string): Promise<boolean> {
    try {
      await this.dynamodb.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: s(CLAIM_KEY) },
        UpdateExpression: 'SET #state = :ended, #version = #version + :one',
        ConditionExpression: '#run = :run AND #state = :started AND #version = :seen',
        ExpressionAttributeNames: { '#state': 'claimState', '#version': 'version', '#run': 'run' },
        ExpressionAttributeValues: { ':ended': s('ended'), ':one': n(1), ':run': s(run), ':started': s('started'), ':seen': n(claim.version) },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Gives back the cooldown and the day's count of the claim's run that ended
   * without success, and counts the failure for the day.
   * @returns false when the claim no longer holds that run started (another run since, or already given back)
   */
  public async giveBackRun(claim: Claim, run: string, now: number): Promise<boolean> {
    const today = utcDay(now);
    const failCount = claim.failDay === today ? claim.failCount + 1 : 1;
    try {
      await this.dynamodb.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: s(CLAIM_KEY) },
        UpdateExpression: 'SET #state = :released, lastStart = previousLastStart, #day = previousDay, dayCount = previousDayCount, '
          + 'failDay = :today, failCount = :fails, #version = #version + :one',
        ConditionExpression: '#run = :run AND #state = :started AND #version = :seen',
        ExpressionAttributeNames: { '#state': 'claimState', '#day': 'day', '#version': 'version', '#run': 'run' },
        ExpressionAttributeValues: {
          ':released': s('released'),
          ':today': s(today),
          ':fails': n(failCount),
          ':one': n(1),
          ':run': s(run),
          ':started': s('started'),
          ':seen': n(claim.version),
        },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records a retrain request of an alarm that is in ALARM (since `alarmTime`):
   * it stays until a run started at or after the latest such time succeeds, or
   * the alarm leaves ALARM. No version condition: it never conflicts with a claim.
   */
  public async addPending(alarmName: string, alarmTime: number): Promise<void> {
    await this.dynamodb.send(new UpdateItemCommand({
      TableName: this.tableName,
      Key: { pk: s(CLAIM_KEY) },
      UpdateExpression: 'ADD pendingAlarms :alarm, pendingVersion :one SET pendingLatest = :time',
      ExpressionAttributeValues: { ':alarm': { SS: [alarmName] }, ':one': n(1), ':time': n(alarmTime) },
    }));
  }

  /**
   * Drops pending requests (all of them, or the alarms named) unless another
   * was recorded since `seen` was read.
   * @returns whether they were dropped
   */
  public async dropPending(seen: Claim, alarms?: string[]): Promise<boolean> {
    try {
      await this.dynamodb.send(new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: s(CLAIM_KEY) },
        UpdateExpression: alarms ? 'DELETE pendingAlarms :alarms ADD pendingVersion :one' : 'REMOVE pendingAlarms, pendingLatest ADD pendingVersion :one',
        ConditionExpression: 'pendingVersion = :seen',
        ExpressionAttributeValues: { ':seen': n(seen.pendingVersion), ':one': n(1), ...(alarms ? { ':alarms': { SS: alarms } } : {}) },
      }));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
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

/** The claim item; one holding only pending requests (no run claimed yet) is version 0. */
function parseClaim(item: Record<string, AttributeValue> | undefined): Claim | undefined {
  if (!item) return undefined;
  return {
    version: Number(item.version?.N ?? 0),
    lastStart: Number(item.lastStart?.N ?? 0),
    day: item.day?.S ?? '',
    dayCount: Number(item.dayCount?.N ?? 0),
    claimedBy: item.claimedBy?.S ?? '',
    claimState: (item.claimState?.S ?? 'released') as Claim['claimState'],
    run: item.run?.S,
    failDay: item.failDay?.S ?? '',
    failCount: Number(item.failCount?.N ?? 0),
    pendingAlarms: [...(item.pendingAlarms?.SS ?? [])].sort(),
    pendingLatest: Number(item.pendingLatest?.N ?? 0),
    pendingVersion: Number(item.pendingVersion?.N ?? 0),
  };
}

function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error)?.name === 'ConditionalCheckFailedException';
}
