import { parseScenario, requestsInHour } from '../src';

const good = `{
  "name": "drift",
  "days": 28,
  "start": "2026-01-05",
  "traffic": { "requestsPerHour": 100, "hourOfDay": [${Array(24).fill(1).join(',')}] },
  "groundTruthDelayHours": 24,
  "injections": [
    { "kind": "covariate-shift", "fromDay": 10, "feature": "change", "stdDevs": 2 },
    { "kind": "traffic-drop", "fromDay": 20, "requestsPerDay": 480 }
  ]
}`;

test('a good scenario reads, with defaults', () => {
  const s = parseScenario(good, 'good.json', ['ticker_symbol', 'sector', 'change']);
  expect(s).toMatchObject({ name: 'drift', days: 28, seed: 1, groundTruthDelayHours: 24 });
  expect(s.injections).toHaveLength(2);
  expect(requestsInHour(s, Date.UTC(2026, 0, 6), 1)).toBe(100);
  expect(requestsInHour(s, Date.UTC(2026, 0, 26), 21)).toBe(20);
});

test.each([
  ['"days": 28', '"days": "many"', /good.json:3: days must be a number, not "many"/],
  ['"stdDevs": 2', '"stdDevs": "x"', /good.json:8: injections\[0\].stdDevs must be a number/],
  ['"kind": "covariate-shift"', '"kind": "meteor"', /good.json:8: injections\[0\].kind must be one of covariate-shift/],
  ['"feature": "change"', '"feature": "volume"', /good.json:8: injections\[0\].feature names volume, which is not a feature of the dataset/],
  ['"requestsPerHour": 100', '"requestsPerHour": -1', /good.json:5: traffic.requestsPerHour must be between 0/],
  ['"name": "drift",', '"name": "drift", "speed": 2,', /good.json:2: speed is not a scenario field/],
  ['"requestsPerDay": 480', '"requestsPerDay": null', /good.json:9: injections\[1\].requestsPerDay must be a number/],
])('a bad field is named with its line: %s -> %s', (from, to, message) => {
  expect(() => parseScenario(good.replace(from, to), 'good.json', ['ticker_symbol', 'sector', 'change'])).toThrow(message);
});

test('broken JSON names the line', () => {
  expect(() => parseScenario(good.replace('"days": 28,', '"days": 28,,'), 'good.json')).toThrow(/good.json:3: not valid JSON/);
});
