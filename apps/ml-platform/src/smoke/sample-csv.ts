import { readFileSync } from 'fs';

/** A CSV of a header and plain values (no quoted fields), as stocks_sample.csv is. */
export interface SampleCsv {
  readonly text: string;
  readonly columns: string[];
  readonly rows: Record<string, string>[];
}

export function readSampleCsv(file: string): SampleCsv {
  const text = readFileSync(file, 'utf8');
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const columns = header.split(',');
  const rows = lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i], value])));
  return { text, columns, rows };
}

/** One row's identity across CSV (strings) and the stream (typed JSON): numbers compare as numbers. */
export function rowKey(columns: string[], row: Record<string, unknown>): string {
  return columns.map((c) => {
    const value = row[c];
    const asNumber = typeof value === 'number' ? value : Number(value);
    return value !== '' && value !== null && value !== undefined && Number.isFinite(asNumber) ? String(asNumber) : String(value);
  }).join('|');
}
