/**
 * Converts validated JSON records into the model's content type and the
 * model's response back into JSON predictions.
 */

/** The wire formats the proxy speaks; the values match `PayloadFormat` of the construct. */
export type WireFormat = 'xgboost-csv' | 'autogluon-csv' | 'deepar-json';

/** One CSV field, quoted when it holds a delimiter, a quote, a line break or edge spaces (RFC 4180). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV rows of the features in schema order, without the label; a header row first when asked. */
export function toCsv(records: Record<string, unknown>[], featureOrder: string[], header: boolean): string {
  const lines: string[] = header ? [featureOrder.map(csvField).join(',')] : [];
  for (const record of records) {
    lines.push(featureOrder.map((name) => csvField(record[name])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else {
      field += c;
    }
    i++;
  }
  if (quoted) throw new ModelResponseError('a quoted CSV field is not closed');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

/** The model answered something the proxy cannot read: a 502, never a 500. */
export class ModelResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelResponseError';
  }
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$|^\s*[+-]?(nan|inf|infinity)\s*$/i;

function toNumber(text: string): number {
  if (!NUMBER.test(text)) throw new ModelResponseError(`expected a number, got ${JSON.stringify(text.slice(0, 40))}`);
  const lower = text.trim().toLowerCase().replace(/^\+/, '');
  if (lower === 'nan' || lower === '-nan') return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

function numberOrText(text: string): number | string {
  return NUMBER.test(text) ? toNumber(text) : text;
}

/**
 * XGBoost's text/csv answer: one prediction a line, or all on one line
 * separated by commas; multi-class probabilities are several numbers a line.
 */
export function parseXgboostCsv(text: string, count: number): unknown[] {
  const rows = parseCsv(text);
  if (rows.length === count) {
    return rows.map((fields) => (fields.length === 1 ? toNumber(fields[0]) : fields.map(toNumber)));
  }
  if (rows.length === 1 && rows[0].length === count) {
    return rows[0].map(toNumber);
  }
  throw new ModelResponseError(`expected ${count} predictions, got ${rows.length} lines`);
}

/**
 * AutoGluon's text/csv answer: a header row and one row per record. One column
 * gives one value per record; several (class probabilities) an object per record.
 */
export function parseAutoGluonCsv(text: string, count: number): unknown[] {
  const rows = parseCsv(text);
  if (rows.length === count + 1) {
    const [header, ...body] = rows;
    if (header.length === 1) return body.map((fields) => numberOrText(fields[0]));
    return body.map((fields) => {
      if (fields.length !== header.length) throw new ModelResponseError(`expected ${header.length} columns, got ${fields.length}`);
      return Object.fromEntries(header.map((name, i) => [name, numberOrText(fields[i])]));
    });
  }
  if (rows.length === count) {
    return rows.map((fields) => (fields.length === 1 ? numberOrText(fields[0]) : fields.map(numberOrText)));
  }
  throw new ModelResponseError(`expected ${count} predictions and a header, got ${rows.length} lines`);
}

/** DeepAR's application/json answer: `{ "predictions": [ { "mean": [...], "quantiles": {...} } ] }`. */
export function parseDeepArJson(text: string, count: number): unknown[] {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ModelResponseError('the answer is not JSON');
  }
  if (!parsed || !Array.isArray(parsed.predictions) || parsed.predictions.length !== count) {
    throw new ModelResponseError(`expected { "predictions": [...] } with ${count} forecasts`);
  }
  return parsed.predictions;
}
