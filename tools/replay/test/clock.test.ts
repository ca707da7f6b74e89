import { fireTimes, SimulatedClock } from '../src';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5); // a Monday

test('cron(5 * * * ? *) fires at five past every hour', () => {
  const times = fireTimes('cron(5 * * * ? *)', T0, T0 + DAY);
  expect(times).toHaveLength(24);
  expect(new Date(times[0]).toISOString()).toBe('2026-01-05T00:05:00.000Z');
  expect(new Date(times[23]).toISOString()).toBe('2026-01-05T23:05:00.000Z');
});

test('cron(0 3 * * ? *) fires daily at 03:00; day-of-week names and ranges are read', () => {
  expect(fireTimes('cron(0 3 * * ? *)', T0, T0 + 7 * DAY).map((t) => new Date(t).toISOString().slice(0, 13)))
    .toEqual(['2026-01-05T03', '2026-01-06T03', '2026-01-07T03', '2026-01-08T03', '2026-01-09T03', '2026-01-10T03', '2026-01-11T03']);
  // MON-FRI in AWS numbering (1 = Sunday).
  expect(fireTimes('cron(0 12 ? * MON-FRI *)', T0, T0 + 7 * DAY)).toHaveLength(5);
  expect(fireTimes('cron(0/15 * * * ? *)', T0, T0 + 3_600_000)).toHaveLength(4);
});

test('rate(1 day) counts from the start', () => {
  expect(fireTimes('rate(1 day)', T0, T0 + 3 * DAY + 1)).toEqual([T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]);
});

test('expressions the replay cannot evaluate are refused, not guessed', () => {
  expect(() => fireTimes('cron(0 12 L * ? *)', T0, T0 + DAY)).toThrow(/L, W or #/);
  expect(() => fireTimes('every day', T0, T0 + DAY)).toThrow(/expected rate/);
});

test('the clock runs events in time order, then priority, then insertion, without sleeping', async () => {
  const clock = new SimulatedClock(T0, T0 + DAY);
  const seen: string[] = [];
  clock.at(T0 + 2000, 'late', () => { seen.push(`late@${clock.now - T0}`); });
  clock.at(T0 + 1000, 'b', () => { seen.push('b'); }, 60);
  clock.at(T0 + 1000, 'a', () => {
    seen.push('a');
    clock.at(clock.now, 'a-child', () => { seen.push('a-child'); }, 60);
  }, 10);
  clock.at(T0 + DAY, 'after the end', () => { seen.push('never'); });
  expect(await clock.run()).toBe(4);
  expect(seen).toEqual(['a', 'b', 'a-child', 'late@2000']);
  expect(() => clock.at(T0, 'past', () => undefined)).toThrow(/Cannot schedule past/);
});
