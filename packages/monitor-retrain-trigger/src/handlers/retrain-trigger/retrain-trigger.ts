import { AlarmStateChangeEvent, AlarmTransition, parseAlarmEvent } from './alarm-event';
import { DecisionLog, LogWriter, stdoutWriter } from './decision-log';
import { RetrainTargetApi } from './retrain-targets';
import { decideClaim, SkipReason, StormControlTable, StormLimits } from './storm-control';

/** What the trigger decided for one event. */
export type TriggerDecision =
  | { readonly started: true; readonly runId: string }
  | { readonly started: false; readonly reason: SkipReason; readonly detail: string };

/** The trigger's collaborators: SDK-backed, so tests give them emulator endpoints. */
export interface RetrainTriggerDependencies {
  readonly target: RetrainTargetApi;
  readonly table: StormControlTable;
  readonly limits: StormLimits;
  /** @default the system clock */
  readonly now?: () => Date;
  /** @default stdout */
  readonly log?: LogWriter;
}

/** The handler of one alarm state change event. */
export type RetrainTriggerHandler = (event: AlarmStateChangeEvent) => Promise<TriggerDecision>;

/** Concurrent writers each win at most once per round, so a few rounds always settle. */
const MAX_CLAIM_ROUNDS = 8;

/**
 * Decides, for one alarm event, whether to start a retraining run, and
 * starts it. In order: an event already decided is a duplicate; a run of the
 * target in flight (whoever started it) skips; then the event takes the
 * target's claim item with a conditional write, which enforces the cooldown
 * and the daily cap even for concurrent invocations; then the target starts
 * with an idempotency key from the event. A start the target refuses gives the
 * claim back and throws, so Lambda retries the event and finally dead-letters it.
 */
export function createRetrainTriggerHandler(deps: RetrainTriggerDependencies): RetrainTriggerHandler {
  const now = deps.now ?? (() => new Date());
  const log = new DecisionLog(deps.target.name, deps.log ?? stdoutWriter, now);
  const seconds = () => Math.floor(now().getTime() / 1000);

  const skip = async (transition: AlarmTransition, reason: SkipReason, detail: string, record = true): Promise<TriggerDecision> => {
    if (record) await deps.table.recordEvent(transition.eventId, { decision: 'skipped', detail: `${reason}: ${detail}` }, seconds());
    log.skipped(reason, { detail, eventId: transition.eventId, alarm: transition.alarmName, alarmReason: transition.reason });
    return { started: false, reason, detail };
  };

  const start = async (transition: AlarmTransition): Promise<TriggerDecision> => {
    let runId: string;
    try {
      runId = (await deps.target.start(transition)).runId;
    } catch (error) {
      const released = await deps.table.releaseClaim(transition.eventId);
      log.info('the target refused the start: the claim is given back and the event fails (Lambda retries it, then dead-letters it)', {
        eventId: transition.eventId, alarm: transition.alarmName, error: (error as Error).name, errorMessage: (error as Error).message, released,
      });
      throw error;
    }
    const first = await deps.table.markStarted(transition.eventId, runId);
    await deps.table.recordEvent(transition.eventId, { decision: 'started', detail: runId }, seconds());
    if (!first) {
      // Another delivery of this same event started the run and counted it.
      return skip(transition, 'duplicate', `another delivery of this event started ${runId}`, false);
    }
    log.started({ runId, eventId: transition.eventId, alarm: transition.alarmName, alarmReason: transition.reason });
    return { started: true, runId };
  };

  return async (event) => {
    const transition = parseAlarmEvent(event);
    if (transition.state !== 'ALARM') {
      return skip(transition, 'not-alarm', `the alarm went to ${transition.state}, not ALARM`);
    }
    const previous = await deps.table.readEvent(transition.eventId);
    if (previous) {
      return skip(transition, 'duplicate', `this event was already decided (${previous.decision}: ${previous.detail})`, false);
    }
    let inFlightChecked = false;
    let claim = await deps.table.readClaim();
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      if (claim?.claimedBy === transition.eventId && claim.claimState !== 'released') {
        if (claim.claimState === 'started') {
          return skip(transition, 'duplicate', `this event already started ${claim.run}`, false);
        }
        // An earlier attempt took the claim and died before finishing: the start is idempotent, so finish it.
        return start(transition);
      }
      if (!inFlightChecked) {
        const running = await deps.target.runInFlight();
        if (running) return skip(transition, 'in-flight', `${running} is running`);
        inFlightChecked = true;
      }
      const decision = decideClaim(claim, seconds(), deps.limits);
      if (!decision.claim) return skip(transition, decision.reason, decision.detail);
      const taken = await deps.table.takeClaim(claim, transition.eventId, seconds());
      if (taken.taken) return start(transition);
      claim = taken.current;
    }
    throw new Error(`The claim kept changing under event ${transition.eventId} for ${MAX_CLAIM_ROUNDS} rounds; failing so Lambda retries it.`);
  };
}
