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

/** Prefixes the string that stands for a bare NaN/Infinity token of a JSON answer (a forecast holds no such text). */
const NON_FINITE_MARK = '\u0000non-finite:';

/**
 * The model answered NaN or an infinity for a record: the model failed on it, and a client must
 * not read `null` (JSON's only spelling of it) as a prediction.
 */
export class NonFinitePrediction extends Error {
  constructor(
    /** The record's position in the request (0 for a single record). */
    public readonly recordIndex: number,
    /** What the model wrote, e.g. `nan`, `-Infinity`. */
    public readonly value: string,
  ) {
    super(`the model answered ${value} for record ${recordIndex}`);
    this.name = 'NonFinitePrediction';
  }
}

/** Throws NonFinitePrediction for the first record whose prediction holds a number that is not finite. */
function requireFinite(predictions: unknown[]): unknown[] {
  predictions.forEach((prediction, index) => {
    const bad = firstNonFinite(prediction);
    if (bad !== undefined) throw new NonFinitePrediction(index, bad);
  });
  return predictions;
}

function firstNonFinite(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : String(value);
  if (typeof value === 'string') return value.startsWith(NON_FINITE_MARK) ? value.slice(NON_FINITE_MARK.length) : undefined;
  if (value && typeof value === 'object') {
    for (const item of Object.values(value)) {
      const bad = firstNonFinite(item);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
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
    return requireFinite(rows.map((fields) => (fields.length === 1 ? toNumber(fields[0]) : fields.map(toNumber))));
  }
  if (rows.length === 1 && rows[0].length === count) {
    return requireFinite(rows[0].map(toNumber));
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
    if (header.length === 1) return requireFinite(body.map((fields) => numberOrText(fields[0])));
    return requireFinite(body.map((fields) => {
      if (fields.length !== header.length) throw new ModelResponseError(`expected ${header.length} columns, got ${fields.length}`);
      return Object.fromEntries(header.map((name, i) => [name, numberOrText(fields[i])]));
    }));
  }
  if (rows.length === count) {
    return requireFinite(rows.map((fields) => (fields.length === 1 ? numberOrText(fields[0]) : fields.map(numberOrText))));
  }
  throw new ModelResponseError(`expected ${count} predictions and a header, got ${rows.length} lines`);
}

/** DeepAR's application/json answer: `{ "predictions": [ { "mean": [...], "quantiles": {...} } ] }`. */
export function parseDeepArJson(text: string, count: number): unknown[] {
  let parsed: any;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Python's json writes NaN, Infinity and -Infinity, which JSON.parse refuses: read them to name the record.
    try {
      parsed = JSON.parse(markNonFiniteTokens(text));
    } catch {
      throw new ModelResponseError('the answer is not JSON');
    }
  }
  if (!parsed || !Array.isArray(parsed.predictions) || parsed.predictions.length !== count) {
    throw new ModelResponseError(`expected { "predictions": [...] } with ${count} forecasts`);
  }
  return requireFinite(parsed.predictions);
}

/** Rewrites the bare tokens NaN, Infinity and -Infinity outside strings as marked strings. */
function markNonFiniteTokens(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const token = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (token) {
      out += JSON.stringify(NON_FINITE_MARK + token[1]);
      i += token[1].length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
