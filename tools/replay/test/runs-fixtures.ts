import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';
import { LabelledStore } from '../src/runs/types';

export const STOCKS_CSV = path.join(ROOT, '..', 'shared', 'data', 'stocks_all.csv');

/**
 * The stocks sample as a warehouse fills up: row i (of the first `count`) is
 * labelled at `start + i * everyMs`. rowsUpTo(t) holds the rows labelled on or
 * before t, in the file's column order (the stocks schema's).
 */
export function stocksStore(start: number, everyMs: number, count: number): LabelledStore & { labelledAt(i: number): number } {
  const lines = fs.readFileSync(STOCKS_CSV, 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.slice(1, count + 1).map((l) => l.split(','));
  return {
    rowsUpTo(time: number) {
      const n = time < start ? 0 : Math.min(rows.length, Math.floor((time - start) / everyMs) + 1);
      return { header, rows: rows.slice(0, n) };
    },
    labelledAt: (i: number) => start + i * everyMs,
  };
}

/**
 * The consumer app's pump readings (tools/scripts/consumer/app.ts's schema), generated: a reading
 * every `everyMs` from `start`, vibration a noisy function of temperature and shaft speed, so a
 * model has something to learn. Deterministic (a fixed linear congruential generator).
 */
export function sensorsStore(start: number, everyMs: number, count: number): LabelledStore {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const header = ['reading_id', 'machine_id', 'temperature', 'rpm', 'vibration', 'read_at'];
  const rows: string[][] = [];
  for (let i = 0; i < count; i++) {
    const machine = `pump-${1 + Math.floor(random() * 8)}`;
    const temperature = 40 + random() * 40;
    const rpm = 1000 + Math.floor(random() * 2000);
    const vibration = 0.02 * temperature + 0.0004 * rpm + (machine === 'pump-3' ? 0.5 : 0) + (random() - 0.5) * 0.2;
    rows.push([`r-${i}`, machine, temperature.toFixed(2), String(rpm), vibration.toFixed(4), new Date(start + i * everyMs).toISOString()]);
  }
  return {
    rowsUpTo(time: number) {
      return { header, rows: rows.filter((_, i) => start + i * everyMs <= time) };
    },
  };
}
