import { AlarmStateChangeEvent, AlarmTransition, MAX_REASON_LENGTH, parseAlarmEvent } from './alarm-event';
import { AlarmStates } from './alarm-states';
import { DecisionLog, LogWriter, stdoutWriter } from './decision-log';
import { RetrainTargetApi, RunStatus } from './retrain-targets';
import { Claim, decideClaim, pendingServedByClaim, RETRIED_REASONS, SkipReason, StormControlTable, StormLimits } from './storm-control';
import { RunEndEvent, ScheduledEvent, TriggerEvent, classifyEvent } from './trigger-events';

/** What the trigger decided for one event; `idle`: a retry tick or a run's end found nothing to start. */
export type TriggerDecision =
  | { readonly started: true; readonly runId: string }
  | { readonly started: false; readonly reason: SkipReason | 'idle'; readonly detail: string };

/** The trigger's collaborators: SDK-backed, so tests give them emulator endpoints. */
export interface RetrainTriggerDependencies {
  readonly target: RetrainTargetApi;
  readonly table: StormControlTable;
  readonly limits: StormLimits;
  /** Reads the state of the alarms a pending request waits on. */
  readonly alarms: AlarmStates;
  /** @default the system clock */
  readonly now?: () => Date;
  /** @default stdout */
  readonly log?: LogWriter;
}

/** The handler of one event: an alarm state change, a retry tick, or the end of a run. */
export type RetrainTriggerHandler = (event: TriggerEvent | AlarmStateChangeEvent) => Promise<TriggerDecision>;

/** Concurrent writers each win at most once per round, so a few rounds always settle. */
const MAX_CLAIM_ROUNDS = 8;

/**
 * Decides, for one alarm event, whether to start a retraining run, and
 * starts it. In order: an event already decided is a duplicate; the alarm's
 * request is recorded as pending; a run of the target in flight (whoever
 * started it) skips; then the event takes the target's claim item with a
 * conditional write, which enforces the cooldown and the daily cap even for
 * concurrent invocations; then the target starts with an idempotency key from
 * the event (under the RetrainPipeline's run lock when it has one). A start
 * the target refuses gives the claim back and throws, so Lambda retries the
 * event and finally dead-letters it.
 *
 * A pending request is served by a run started at or after its alarm's
 * transition that succeeds. Until then, every retry tick (and the end of any
 * run) tries it again while one of its alarms is still in ALARM, under the
 * same storm control; a run that fails, times out or is stopped gives its
 * cooldown and day count back first.
 */
export function createRetrainTriggerHandler(deps: RetrainTriggerDependencies): RetrainTriggerHandler {
  const now = deps.now ?? (() => new Date());
  const log = new DecisionLog(deps.target.name, deps.log ?? stdoutWriter, now);
  const seconds = () => Math.floor(now().getTime() / 1000);

  const skip = async (transition: AlarmTransition, reason: SkipReason, detail: string, record = true): Promise<TriggerDecision> => {
    if (record) await deps.table.recordEvent(transition.eventId, { decision: 'skipped', detail: `${reason}: ${detail}` }, seconds());
    const retried = RETRIED_REASONS.includes(reason) ? { retried: 'while the alarm stays in ALARM, once this no longer holds' } : {};
    log.skipped(reason, { detail, eventId: transition.eventId, alarm: transition.alarmName, alarmReason: transition.reason, ...retried });
    return { started: false, reason, detail };
  };

  const start = async (transition: AlarmTransition): Promise<TriggerDecision> => {
    let runId: string;
    try {
      const started = await deps.target.start(transition);
      if (started.busy !== undefined) {
        // Another starter (the pipeline's schedule or a deployment) took the run lock between the check and the start.
        await deps.table.releaseClaim(transition.eventId);
        return await skip(transition, 'in-flight', `${started.busy} holds the run lock`);
      }
      runId = started.runId;
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

  /** The decision on one transition into ALARM (an event's, or a pending request's retry). */
  const decide = async (transition: AlarmTransition): Promise<TriggerDecision> => {
    let inFlightChecked = false;
    let claim = await deps.table.readClaim();
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      if (claim?.claimedBy === transition.eventId && claim.claimState !== 'released') {
        if (claim.claimState === 'started' || claim.claimState === 'ended') {
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

  const onAlarm = async (event: AlarmStateChangeEvent): Promise<TriggerDecision> => {
    const transition = parseAlarmEvent(event);
    if (transition.state !== 'ALARM') {
      return skip(transition, 'not-alarm', `the alarm went to ${transition.state}, not ALARM`);
    }
    const previous = await deps.table.readEvent(transition.eventId);
    if (previous) {
      return skip(transition, 'duplicate', `this event was already decided (${previous.decision}: ${previous.detail})`, false);
    }
    // Recorded before deciding, so neither a refusal nor a run that fails loses it.
    await deps.table.addPending(transition.alarmName, transition.alarmTime ?? seconds());
    return decide(transition);
  };

  /**
   * Settles the claim's run when it has ended: success serves the pending
   * requests it covers; anything else gives its cooldown and day count back.
   */
  const settle = async (claim: Claim, status: RunStatus): Promise<void> => {
    if (claim.claimState !== 'started' || !claim.run || status === 'running') return;
    if (status === 'failed') {
      const given = await deps.table.giveBackRun(claim, claim.run, seconds());
      if (given) log.info('the run did not succeed: its cooldown and day count are given back', { run: claim.run, pending: claim.pendingAlarms });
      return;
    }
    await deps.table.markEnded(claim, claim.run);
    if (claim.pendingAlarms.length > 0 && pendingServedByClaim(claim) && (await deps.table.dropPending(claim))) {
      log.info('the run succeeded: the pending retrain requests it covers are served', { run: claim.run, served: claim.pendingAlarms });
    }
  };

  /** Tries the pending request again (a tick, or a run's end): only while one of its alarms is in ALARM. */
  const retry = async (eventId: string): Promise<TriggerDecision> => {
    let claim = await deps.table.readClaim();
    if (claim?.claimState === 'started' && claim.run) {
      await settle(claim, await deps.target.runStatus(claim.run));
      claim = await deps.table.readClaim();
    }
    if (!claim || claim.pendingAlarms.length === 0) return { started: false, reason: 'idle', detail: 'no retrain request is pending' };
    if (pendingServedByClaim(claim)) {
      if (claim.claimState === 'started') return { started: false, reason: 'idle', detail: `${claim.run} serves the pending requests; it is still running` };
      // It succeeded (settled by an earlier event), and every request now pending predates it.
      await deps.table.dropPending(claim);
      return { started: false, reason: 'idle', detail: `${claim.run} succeeded and served the pending requests` };
    }
    if (await deps.table.readEvent(eventId)) return { started: false, reason: 'idle', detail: `event ${eventId} was already decided` };

    const states = await deps.alarms.describe(claim.pendingAlarms);
    const inAlarm = states.filter((a) => a.state === 'ALARM');
    const left = claim.pendingAlarms.filter((name) => !inAlarm.some((a) => a.alarmName === name));
    if (left.length > 0) await deps.table.dropPending(claim, left);
    if (inAlarm.length === 0) {
      const transition: AlarmTransition = { eventId, alarmName: left.join(', ').slice(0, 256), state: 'OK', reason: 'retry' };
      return skip(transition, 'alarm-ok', `${left.join(', ')} no longer in ALARM (${states.map((a) => `${a.alarmName}: ${a.state}`).join(', ') || 'not found'}): the pending retrain is dropped`);
    }
    const alarm = inAlarm[0];
    return decide({
      eventId,
      alarmName: alarm.alarmName,
      state: 'ALARM',
      reason: `${alarm.alarmName}: ${alarm.reason.replace(/[\u0000-\u001f\u007f]+/g, ' ')} (retried)`.slice(0, MAX_REASON_LENGTH),
      alarmTime: alarm.since,
    });
  };

  const onRunEnd = async (event: RunEndEvent): Promise<TriggerDecision> => {
    const claim = await deps.table.readClaim();
    if (claim && claim.run === event.runId) await settle(claim, event.status);
    return retry(event.eventId);
  };

  return async (event) => {
    const classified = classifyEvent(event);
    switch (classified.kind) {
      case 'tick': return retry((classified as ScheduledEvent).eventId);
      case 'run-end': return onRunEnd(classified as RunEndEvent);
      default: return onAlarm(event as AlarmStateChangeEvent);
    }
  };
}
