import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STOCKS_CSV, STOCKS_SCHEMA } from './data-path-fixtures';
import { parseScenario, ScenarioError } from '../src/scenario/scenario';
import { readHistory } from '../src/traffic/history';
import { ArrivingLabels } from '../src/traffic/labelled-store';
import { TrafficGenerator } from '../src/traffic/traffic';

const HOUR = 3_600_000;
const START = Date.parse('2026-01-05T00:00:00Z');
const schema = STOCKS_SCHEMA as any;
const history = readHistory(STOCKS_CSV, schema);
const scenario = (injections: unknown[], traffic: unknown = { requestsPerHour: 400 }) => parseScenario(JSON.stringify({ days: 5, start: '2026-01-05', seed: 7, traffic, injections }));

test('bad history data is refused with the file, the line and the column', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-history-'));
  const write = (text: string) => {
    const file = path.join(dir, `h${Math.random()}.csv`);
    fs.writeFileSync(file, text);
    return file;
  };
  expect(() => readHistory(write('ticker_symbol,sector,change,price\nA,TECH,0.5,10\nB,TECH,x,11\n'), schema)).toThrow(/:3: column change must be a number \(double\), not "x"/);
  expect(() => readHistory(write('ticker_symbol,sector,price\nA,TECH,10\n'), schema)).toThrow(/:1: the header .* lacks the schema's column\(s\) change/);
  expect(() => readHistory(write('ticker_symbol,sector,change,price\nA,TECH,0.5\n'), schema)).toThrow(/:2: 3 fields, the header has 4/);
  expect(() => readHistory(write('ticker_symbol,sector,change,price\nA,,0.5,3\n'), schema)).toThrow(ScenarioError);
});

test('traffic is deterministic with the seed and follows the profile', () => {
  const a = new TrafficGenerator(history, scenario([]), { seedRows: 1000 }).batchesInHour(START + 5 * HOUR);
  const b = new TrafficGenerator(history, scenario([]), { seedRows: 1000 }).batchesInHour(START + 5 * HOUR);
  expect(a).toEqual(b);
  expect(a[0].records).toHaveLength(400);
  expect(Object.keys(a[0].records[0].features)).toEqual(['ticker_symbol', 'sector', 'change']);
  const dropped = new TrafficGenerator(history, scenario([{ kind: 'traffic-drop', fromDay: 0, requestsPerDay: 480 }]), { seedRows: 1000 });
  const inHour = (h: number) => dropped.batchesInHour(START + h * HOUR).reduce((n, batch) => n + batch.records.length, 0);
  const perDay = Array.from({ length: 24 }, (_, h) => inHour(h)).reduce((x, y) => x + y, 0);
  expect(perDay).toBe(480);
});

test('a covariate shift moves the feature by about its standard deviations and keeps each record a row of the history (label and all)', () => {
  const shifted = new TrafficGenerator(history, scenario([{ kind: 'covariate-shift', fromDay: 1, feature: 'change', stdDevs: 2 }]), { seedRows: 1000 });
  const before = shifted.batchesInHour(START + 5 * HOUR)[0].records;
  const after = shifted.batchesInHour(START + 29 * HOUR)[0].records;
  const mean = (rs: typeof before) => rs.reduce((s, r) => s + Number(r.features.change), 0) / rs.length;
  const std = history.stats.change.std;
  expect((mean(after) - mean(before)) / std).toBeGreaterThan(1.2);
  const rows = new Set(history.rows.map((r) => r.join(',')));
  expect(after.every((r) => rows.has(r.row.join(',')))).toBe(true);
});

test('feature-null nulls its share, concept drift changes the label, and labels land after the delay', () => {
  const injections = [{ kind: 'feature-null', fromDay: 0, feature: 'change', share: 0.5 }, { kind: 'concept-drift', fromDay: 0, factor: 2, offset: 1 }];
  const g = new TrafficGenerator(history, scenario(injections), { seedRows: 1000 });
  const batches = g.batchesInHour(START);
  const nulls = batches.filter((b) => b.records.every((r) => r.injectedNull));
  expect(nulls).toHaveLength(1);
  const share = nulls[0].records.length / batches.reduce((n, b) => n + b.records.length, 0);
  expect(share).toBeGreaterThan(0.4);
  expect(share).toBeLessThan(0.6);
  expect(nulls[0].records.every((r) => r.features.change === null)).toBe(true);
  const labels = new ArrivingLabels(history.header, history.rows.slice(0, 10));
  labels.add(START + 24 * HOUR, batches[0].records[0].row);
  expect(labels.rowsUpTo(START + 23 * HOUR).rows).toHaveLength(10);
  expect(labels.rowsUpTo(START + 24 * HOUR).rows).toHaveLength(11);
  // The row carries the drifted label: label × 2 + 1 of a history row.
  const label = Number(batches[0].records[0].label);
  expect(history.rows.some((r) => Math.abs(Number(r[3]) * 2 + 1 - label) < 1e-3)).toBe(true);
});

test('each request is a new record: the id column gets a fresh id, the event time column the request\'s hour', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-ids-'));
  const file = path.join(dir, 'readings.csv');
  fs.writeFileSync(file, `reading_id,machine_id,rpm,vibration,read_at\n${Array.from({ length: 50 }, (_, i) => `r${i},m${i % 3},${1000 + i},${i / 10},2025-12-01T00:00:00Z`).join('\n')}\n`);
  const readings = readHistory(file, {
    name: 'readings',
    targetColumn: 'vibration',
    idColumn: 'reading_id',
    eventTimeColumn: 'read_at',
    columns: [{ name: 'reading_id', type: 'string' }, { name: 'machine_id', type: 'string' }, { name: 'rpm', type: 'int' }, { name: 'vibration', type: 'double' }, { name: 'read_at', type: 'timestamp' }],
  });
  const records = new TrafficGenerator(readings, scenario([], { requestsPerHour: 100 }), { seedRows: 10 }).batchesInHour(START + 3 * HOUR)[0].records;
  expect(new Set(records.map((r) => r.features.reading_id)).size).toBe(records.length);
  expect(records.some((r) => /^r\d+$/.test(String(r.features.reading_id)))).toBe(false);
  expect(new Set(records.map((r) => r.features.read_at))).toEqual(new Set([new Date(START + 3 * HOUR).toISOString()]));
});
