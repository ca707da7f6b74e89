import { readFileSync } from 'fs';
import * as path from 'path';
import { pollutionSchema, SAMPLE_DATA_DIR, stocksSchema } from '../src';

/** The declarations must describe the sample data the tests and benchmarks read. */
describe('example datasets', () => {
  test('stocks: the CSV header is the schema columns in order, and every row types', () => {
    const [header, ...rows] = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv'), 'utf-8').trim().split('\n');
    const schema = stocksSchema();
    expect(header.trim().split(',')).toEqual(schema.columns.map((c) => c.name));
    const doubles = schema.columns.map((c) => c.type === 'double');
    for (const row of rows.slice(0, 1000)) {
      row.trim().split(',').forEach((value, i) => expect(doubles[i] ? Number.isFinite(Number(value)) : value.length > 0).toBe(true));
    }
  });

  test('pollution: every reading has exactly the schema columns, a parseable timestamp and a device', () => {
    const schema = pollutionSchema();
    const names = schema.columns.map((c) => c.name).sort();
    const readings = readFileSync(path.join(SAMPLE_DATA_DIR, 'pollution.jsonl'), 'utf-8').trim().split('\n').map((l) => JSON.parse(l));
    expect(readings.length).toBeGreaterThan(100);
    for (const reading of readings) {
      expect(Object.keys(reading).sort()).toEqual(names);
      expect(Number.isNaN(Date.parse(reading[schema.eventTimeColumn!]))).toBe(false);
    }
    expect(new Set(readings.map((r) => r.device_id)).size).toBeGreaterThan(1);
  });
});
