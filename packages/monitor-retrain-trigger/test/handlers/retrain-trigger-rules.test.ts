import { alarmEvent } from './trigger-harness';
import { eventToken, executionNameFor, MAX_REASON_LENGTH, parseAlarmEvent } from '../../src/handlers/retrain-trigger/alarm-event';
import { Claim, decideClaim, utcDay } from '../../src/handlers/retrain-trigger/storm-control';

const LIMITS = { cooldownSeconds: 6 * 3600, dailyCap: 3, staleStartSeconds: 900 };
const NOON = Date.parse('2026-03-02T12:00:00Z') / 1000;

function claim(overrides: Partial<Claim>): Claim {
  return {
    version: 1,
    lastStart: NOON - 7 * 3600,
    day: '2026-03-02',
    dayCount: 1,
    claimedBy: 'e1',
    claimState: 'started',
    failDay: '',
    failCount: 0,
    pendingAlarms: [],
    pendingLatest: 0,
    pendingVersion: 0,
    ...overrides,
  };
}

describe('the storm decision', () => {
  test('the first event ever claims', () => {
    expect(decideClaim(undefined, NOON, LIMITS)).toEqual({ claim: true });
  });

  test('another event starting a run means in flight, until that attempt is stale', () => {
    const starting = claim({ claimState: 'starting', lastStart: NOON - 10 });
    expect(decideClaim(starting, NOON, LIMITS)).toMatchObject({ claim: false, reason: 'in-flight' });
    // A dead attempt no longer blocks as in flight, but its cooldown still counts.
    expect(decideClaim(claim({ claimState: 'starting', lastStart: NOON - 901 }), NOON, LIMITS)).toMatchObject({ claim: false, reason: 'cooldown' });
  });

  test('the cooldown is measured from the last trigger-started run, to the second', () => {
    expect(decideClaim(claim({ lastStart: NOON - LIMITS.cooldownSeconds + 1 }), NOON, LIMITS)).toMatchObject({ claim: false, reason: 'cooldown' });
    expect(decideClaim(claim({ lastStart: NOON - LIMITS.cooldownSeconds }), NOON, LIMITS)).toEqual({ claim: true });
  });

  test('the daily cap counts the runs of the current UTC day only', () => {
    expect(decideClaim(claim({ dayCount: 3 }), NOON, LIMITS)).toMatchObject({ claim: false, reason: 'daily-cap' });
    expect(decideClaim(claim({ dayCount: 2 }), NOON, LIMITS)).toEqual({ claim: true });
    expect(decideClaim(claim({ dayCount: 3, day: '2026-03-01' }), NOON, LIMITS)).toEqual({ claim: true });
    expect(utcDay(Date.parse('2026-03-02T23:59:59Z') / 1000)).toBe('2026-03-02');
    expect(utcDay(Date.parse('2026-03-03T00:00:00Z') / 1000)).toBe('2026-03-03');
  });

  test('a released claim (its start failed) has given its cooldown back', () => {
    expect(decideClaim(claim({ claimState: 'released', lastStart: 0, dayCount: 0 }), NOON, LIMITS)).toEqual({ claim: true });
  });
});

describe('names and reasons', () => {
  test('the execution name carries the alarm and the event id and fits Step Functions\' rules', () => {
    const event = alarmEvent({ id: '7bf73129-1428-4cd3-a780-95db273d1602', alarmName: 'Dev/stocks MaxFeatureDrift' });
    expect(executionNameFor(parseAlarmEvent(event))).toBe('alarm-Dev-stocks-MaxFeatureDrift-7bf73129-1428-4cd3-a780-95db273d1602');
  });

  const cases: [string, { id?: string; alarmName?: string }][] = [
    ['a long alarm name', { alarmName: 'x'.repeat(255) }],
    ['an id that is no UUID', { id: 'not a uuid: ' + 'y'.repeat(100) }],
    ['a name of symbols only', { alarmName: '!!!' }],
  ];
  test.each(cases)('%s still gives a valid, unique name', (_case, overrides) => {
    const name = executionNameFor(parseAlarmEvent(alarmEvent(overrides)));
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(name).not.toBe(executionNameFor(parseAlarmEvent(alarmEvent({ ...overrides, id: `${overrides.id ?? 'other'}-2` }))));
  });

  test('the event token is a valid CodePipeline clientRequestToken', () => {
    expect(eventToken('7bf73129-1428-4cd3-a780-95db273d1602')).toBe('7bf73129-1428-4cd3-a780-95db273d1602');
    expect(eventToken('a/b c')).toMatch(/^[0-9a-f]{32}$/);
  });

  test('the reason names the alarm, drops control characters and fits the model package description', () => {
    const transition = parseAlarmEvent(alarmEvent({ alarmName: 'drift', reason: `line one\nline two\t${'z'.repeat(2000)}` }));
    expect(transition.reason.startsWith('drift: line one line two z')).toBe(true);
    expect(transition.reason).not.toMatch(/[\u0000-\u001f]/);
    expect(transition.reason).toHaveLength(MAX_REASON_LENGTH);
    // RetrainPipeline writes `Run <execution name> (<reason>)` into a 1024-character field.
    expect(`Run ${'n'.repeat(80)} (${transition.reason})`.length).toBeLessThanOrEqual(1024);
  });
});
