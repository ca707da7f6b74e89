import { createHash } from 'node:crypto';

/**
 * The EventBridge event CloudWatch sends on an alarm state change
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
 * Only the fields the trigger reads.
 */
export interface AlarmStateChangeEvent {
  readonly 'id': string;
  readonly 'detail-type'?: string;
  readonly 'source'?: string;
  readonly 'time'?: string;
  readonly 'resources'?: string[];
  readonly 'detail'?: {
    readonly alarmName?: string;
    readonly state?: { readonly value?: string; readonly reason?: string; readonly timestamp?: string };
    readonly previousState?: { readonly value?: string };
  };
}

/** What the trigger needs from one event. */
export interface AlarmTransition {
  /** The EventBridge event id: a re-delivered event keeps it. */
  readonly eventId: string;
  readonly alarmName: string;
  /** The new state, `ALARM` for the events the rule matches. */
  readonly state: string;
  /** `<alarm name>: <the state reason>`, as RetrainPipeline records it. */
  readonly reason: string;
  /** Epoch seconds of the alarm's state change (the event's time when it has none). */
  readonly alarmTime?: number;
}

/**
 * RetrainPipeline puts `reason` into the model package description
 * (`Run <execution name> (<reason>)`, 1024 characters at most, no control
 * characters), so the reason is kept to this length.
 */
export const MAX_REASON_LENGTH = 900;

/** Reads an alarm state change; throws on an event that is not one (it then reaches the DLQ, never dropped). */
export function parseAlarmEvent(event: AlarmStateChangeEvent): AlarmTransition {
  const alarmName = event?.detail?.alarmName;
  const state = event?.detail?.state?.value;
  if (typeof event?.id !== 'string' || event.id === '' || !alarmName || !state) {
    throw new Error(`Not a CloudWatch alarm state change (needs id, detail.alarmName and detail.state.value): ${JSON.stringify(event).slice(0, 500)}`);
  }
  const stateReason = (event.detail?.state?.reason ?? 'no reason given').replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return {
    eventId: event.id,
    alarmName,
    state,
    reason: `${alarmName}: ${stateReason}`.slice(0, MAX_REASON_LENGTH),
    alarmTime: epochSeconds(event.detail?.state?.timestamp) ?? epochSeconds(event.time),
  };
}

/** CloudWatch writes `2026-03-02T08:00:00.000+0000`; Date.parse wants the offset with a colon. */
function epochSeconds(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const parsed = Date.parse(time.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(parsed) ? undefined : Math.floor(parsed / 1000);
}

/**
 * The part of a run's name that comes from the event: the event id as is when
 * it is a plain token of at most 36 characters (EventBridge ids are UUIDs),
 * else 32 hex digits of its SHA-256, so the name stays unique per event.
 */
export function eventToken(eventId: string): string {
  return /^[A-Za-z0-9-]{1,36}$/.test(eventId) ? eventId : createHash('sha256').update(eventId).digest('hex').slice(0, 32);
}

/**
 * The Step Functions execution name of the run an event starts:
 * `alarm-<alarm name>-<event token>`, at most 80 characters of
 * `[A-Za-z0-9_-]`. It is the same for a re-delivered event, so Step Functions
 * itself refuses a second run of one event.
 */
export function executionNameFor(transition: AlarmTransition): string {
  const token = eventToken(transition.eventId);
  const room = 80 - 'alarm-'.length - 1 - token.length;
  const alarm = transition.alarmName.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, room).replace(/-+$/, '');
  return `alarm-${alarm}-${token}`;
}
