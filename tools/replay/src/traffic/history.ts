import * as fs from 'node:fs';
import { ScenarioError } from '../scenario/scenario';

/** One column of the dataset schema (DatasetSchema.toSpec()), as the app's handlers and jobs read it. */
export interface SchemaColumn {
  readonly name: string;
  readonly type: 'string' | 'double' | 'bigint' | 'int' | 'boolean' | 'timestamp';
  readonly nullable?: boolean;
}

/** DatasetSchema.toSpec(): the contract every layer of the app shares (DESIGN.md, "One schema through every layer"). */
export interface SchemaSpec {
  readonly name: string;
  readonly columns: SchemaColumn[];
  readonly targetColumn: string;
  readonly eventTimeColumn?: string;
  readonly idColumn?: string;
}

/** The history a replay plays: the schema's columns, typed, one row per record. */
export interface History {
  readonly schema: SchemaSpec;
  /** Columns in schema order. */
  readonly header: string[];
  /** Raw field text, in schema order (what the warehouse would hold). */
  readonly rows: string[][];
  /** Per numeric feature: mean and standard deviation over the history (covariate shifts are in these units). */
  readonly stats: Record<string, { mean: number; std: number }>;
  /** Per string feature: its categories, most frequent first. */
  readonly categories: Record<string, string[]>;
}

const NUMERIC = new Set(['double', 'bigint', 'int']);

/** The feature columns (every column but the target, the event time and the id), in schema order. */
export function featureColumns(schema: SchemaSpec): SchemaColumn[] {
  return schema.columns.filter((c) => c.name !== schema.targetColumn && c.name !== schema.eventTimeColumn && c.name !== schema.idColumn);
}

export function isNumeric(column: SchemaColumn): boolean {
  return NUMERIC.has(column.type);
}

/**
 * Reads a history CSV (a header, then one record a line) against the schema. A bad file is
 * refused with the file, its line and the column: a missing column, a row with the wrong number
 * of fields, a value that is not of its column's type. Nothing runs on bad data.
 */
export function readHistory(file: string, schema: SchemaSpec): History {
  if (!fs.existsSync(file)) throw new ScenarioError(`${file}: the history file does not exist (give it with --data).`);
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split(/\r?\n/);
  const head = splitCsvLine(lines[0] ?? '');
  const missing = schema.columns.map((c) => c.name).filter((name) => !head.includes(name));
  if (missing.length > 0) {
    throw new ScenarioError(`${file}:1: the header (${head.join(', ')}) lacks the schema's column(s) ${missing.join(', ')} (schema ${schema.name}: ${schema.columns.map((c) => c.name).join(', ')}).`);
  }
  const index = schema.columns.map((c) => head.indexOf(c.name));
  const rows: string[][] = [];
  const sums: Record<string, { n: number; sum: number; sq: number }> = {};
  const counts: Record<string, Map<string, number>> = {};
  for (const c of schema.columns) {
    if (isNumeric(c)) sums[c.name] = { n: 0, sum: 0, sq: 0 };
    else if (c.type === 'string') counts[c.name] = new Map();
  }
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const fields = splitCsvLine(lines[i]);
    if (fields.length !== head.length) throw new ScenarioError(`${file}:${i + 1}: ${fields.length} fields, the header has ${head.length}.`);
    const row = index.map((j) => fields[j]);
    schema.columns.forEach((c, k) => {
      const value = row[k];
      if (value === '') {
        if (c.nullable === false) throw new ScenarioError(`${file}:${i + 1}: column ${c.name} is empty, and the schema says it is not nullable.`);
        return;
      }
      if (isNumeric(c)) {
        const n = Number(value);
        if (!Number.isFinite(n)) throw new ScenarioError(`${file}:${i + 1}: column ${c.name} must be a number (${c.type}), not ${JSON.stringify(value)}.`);
        const s = sums[c.name];
        s.n++;
        s.sum += n;
        s.sq += n * n;
      } else if (c.type === 'string') {
        counts[c.name].set(value, (counts[c.name].get(value) ?? 0) + 1);
      }
    });
    rows.push(row);
  }
  if (rows.length === 0) throw new ScenarioError(`${file}: no records after the header.`);
  const stats: History['stats'] = {};
  for (const [name, s] of Object.entries(sums)) {
    const mean = s.sum / Math.max(1, s.n);
    stats[name] = { mean, std: Math.sqrt(Math.max(0, s.sq / Math.max(1, s.n) - mean * mean)) };
  }
  const categories: History['categories'] = {};
  for (const [name, m] of Object.entries(counts)) categories[name] = [...m.entries()].sort((a, b) => b[1] - a[1]).map(([k]) => k);
  return { schema, header: schema.columns.map((c) => c.name), rows, stats, categories };
}

/** One CSV line's fields (RFC 4180 quotes; a history line never spans lines). */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  out.push(field);
  return out;
}
