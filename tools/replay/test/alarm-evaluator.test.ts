import { AlarmSpec, evaluateAlarm, MetricStore } from '../src';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

function spec(overrides: Partial<AlarmSpec> = {}): AlarmSpec {
  return {
    name: 'Drift',
    namespace: 'Freshet/ModelMonitor',
    metricName: 'MaxFeatureDrift',
    dimensions: { Endpoint: 'e' },
    statistic: 'Maximum',
    periodSeconds: 3600,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 0.2,
    comparison: 'GreaterThanThreshold',
    treatMissingData: 'notBreaching',
    ...overrides,
  };
}

/** A store with one value per hour: index 0 is the hour ending at `now`; undefined leaves the hour missing. */
function store(s: AlarmSpec, newestFirst: (number | undefined)[], now: number): MetricStore {
  const m = new MetricStore();
  newestFirst.forEach((v, i) => {
    if (v !== undefined) m.put(s, now - (i + 1) * HOUR + 5 * 60_000, v);
  });
  return m;
}

const NOW = T0 + 10 * HOUR;

describe('M out of N', () => {
  test('2 of 3 breaching alarms; 1 of 3 does not', () => {
    const s = spec();
    expect(evaluateAlarm(s, store(s, [0.5, 0.1, 0.3], NOW), NOW, 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(s, store(s, [0.5, 0.1, 0.1], NOW), NOW, 'OK').state).toBe('OK');
  });

  test('only the newest N real datapoints count when the range holds N of them', () => {
    const s = spec();
    // Two old breaches beyond the newest three do not count.
    expect(evaluateAlarm(s, store(s, [0.1, 0.1, 0.1, 0.9, 0.9], NOW), NOW, 'ALARM').state).toBe('OK');
  });

  test('the comparison is strict or inclusive as the template says', () => {
    const strict = spec({ evaluationPeriods: 1, datapointsToAlarm: 1 });
    expect(evaluateAlarm(strict, store(strict, [0.2], NOW), NOW, 'OK').state).toBe('OK');
    const inclusive = spec({ evaluationPeriods: 1, datapointsToAlarm: 1, comparison: 'GreaterThanOrEqualToThreshold' });
    expect(evaluateAlarm(inclusive, store(inclusive, [0.2], NOW), NOW, 'OK').state).toBe('ALARM');
    const below = spec({ evaluationPeriods: 1, datapointsToAlarm: 1, comparison: 'LessThanThreshold' });
    expect(evaluateAlarm(below, store(below, [0.1], NOW), NOW, 'OK').state).toBe('ALARM');
  });

  test('the period is aggregated with the statistic; an unfinished period is not evaluated', () => {
    const s = spec({ evaluationPeriods: 1, datapointsToAlarm: 1, statistic: 'Average' });
    const m = new MetricStore();
    m.put(s, NOW - HOUR + 1, 0.1);
    m.put(s, NOW - HOUR + 2, 0.5);
    expect(evaluateAlarm(s, m, NOW, 'OK').state).toBe('ALARM'); // average 0.3
    m.put(s, NOW + 1, 9); // inside the current, unfinished hour
    expect(evaluateAlarm({ ...s, statistic: 'Maximum' }, m, NOW, 'OK').datapoints[0].value).toBe(0.5);
  });

  test('the reason reads like CloudWatch\'s', () => {
    const s = spec();
    const result = evaluateAlarm(s, store(s, [0.5, 0.1, 0.3], NOW), NOW, 'OK');
    expect(result.reason).toMatch(/^Threshold Crossed: 2 out of the last 3 datapoints \[0.5 \(.*\)\] were greater than the threshold \(0.2\) \(minimum 2 datapoints for OK -> ALARM transition\)\.$/);
  });
});

describe('missing data', () => {
  test('all missing: missing -> INSUFFICIENT_DATA, ignore keeps the state, breaching -> ALARM, notBreaching -> OK', () => {
    const states = (['missing', 'ignore', 'breaching', 'notBreaching'] as const).map((treat) => {
      const s = spec({ treatMissingData: treat });
      return evaluateAlarm(s, new MetricStore(), NOW, 'ALARM').state;
    });
    expect(states).toEqual(['INSUFFICIENT_DATA', 'ALARM', 'ALARM', 'OK']);
    const ignoreOk = spec({ treatMissingData: 'ignore' });
    expect(evaluateAlarm(ignoreOk, new MetricStore(), NOW, 'OK').state).toBe('OK');
  });

  test('fewer real points than N: missing ones are filled with the treatment', () => {
    // One breach present, two periods missing, M=2.
    const newest = [0.5, undefined, undefined];
    const result = (treat: AlarmSpec['treatMissingData']) => {
      const s = spec({ treatMissingData: treat });
      return evaluateAlarm(s, store(s, newest, NOW), NOW, 'OK').state;
    };
    expect(result('breaching')).toBe('ALARM'); // 1 real + 2 filled breaching
    expect(result('notBreaching')).toBe('OK'); // 1 of 3
    expect(result('missing')).toBe('OK'); // only the real point is evaluated: 1 < M
  });

  test('real points from farther back in the evaluation range are used before any missing one is filled', () => {
    // Newest three: breach, missing, missing; then two older breaches within the range (2N = 6 periods).
    const s = spec({ treatMissingData: 'notBreaching' });
    const m = store(s, [0.5, undefined, undefined, 0.6, 0.7], NOW);
    const result = evaluateAlarm(s, m, NOW, 'OK');
    expect(result.state).toBe('ALARM');
    expect(result.datapoints.filter((d) => d.value !== undefined)).toHaveLength(3);
  });
});
