import { runsPerMonth } from '../src/schedule';

const DAYS = 730 / 24;

describe('runsPerMonth', () => {
  test.each([
    ['rate(1 hour)', 730],
    ['rate(15 minutes)', 730 * 4],
    ['rate(1 day)', DAYS],
    ['rate(7 days)', DAYS / 7],
    ['cron(15 * * * ? *)', 730],
    ['cron(45 * * * ? *)', 730],
    ['cron(0 9 ? * MON-FRI *)', (DAYS * 5) / 7],
    ['cron(0/30 8-17 * * ? *)', 2 * 10 * DAYS],
    ['cron(0 */6 * * ? *)', 4 * DAYS],
    ['cron(0 0 1 * ? *)', 1],
    ['cron(0 0 1,15 * ? *)', 2],
    ['cron(0 0 1 1 ? *)', 1 / 12],
    ['cron(0 12 ? * 2#1 *)', 1],
    ['at(2026-12-01T00:00:00)', 0],
  ])('%s runs %d times a month', (expression, expected) => {
    expect(runsPerMonth(expression)).toBeCloseTo(expected, 6);
  });

  test.each(['every hour', 'rate(1 fortnight)', 'cron(0 * * *)', 'cron(x * * * ? *)'])('rejects %s', (expression) => {
    expect(() => runsPerMonth(expression)).toThrow();
  });
});
