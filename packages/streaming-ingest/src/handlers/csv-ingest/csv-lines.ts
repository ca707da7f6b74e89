/**
 * One logical CSV record as it appeared in the file: its fields (or why they
 * could not be read), the 1-based physical line it starts on and its raw text.
 */
export interface CsvRecord {
  /** The physical line (1-based) the record starts on. */
  readonly line: number;
  /** The record's text without its line terminator. */
  readonly raw: string;
  /** The parsed fields, when the text is well-formed CSV. */
  readonly fields?: string[];
  /** Why the text is not well-formed CSV, when it is not. */
  readonly error?: string;
}

/** A quoted field may span lines (RFC 4180), but no more than this, so an unclosed quote cannot swallow the file. */
export const MAX_RECORD_CHARS = 64 * 1024;

/**
 * Splits a decoded character stream into RFC 4180 records. It accepts LF and
 * CRLF line ends and a leading byte-order mark, keeps quoted commas, quotes and
 * line breaks intact, and reports malformed records instead of throwing, so
 * one bad line never stops the file. Memory stays bounded by one chunk plus
 * one record.
 */
export async function* csvRecords(chunks: AsyncIterable<string>): AsyncGenerator<CsvRecord> {
  let remainder = '';
  let lineNumber = 0;
  let first = true;
  // Physical lines of a record whose quote is still open.
  let pending: string[] = [];
  let pendingStart = 0;
  let pendingChars = 0;

  function* takeLine(text: string, line: number): Generator<CsvRecord> {
    if (pending.length === 0) {
      pendingStart = line;
    }
    pending.push(text);
    pendingChars += text.length + 1;
    const joined = pending.join('\n');
    if (!hasOpenQuote(joined)) {
      pending = [];
      pendingChars = 0;
      yield parseRecord(joined, pendingStart);
      return;
    }
    if (pendingChars > MAX_RECORD_CHARS) {
      // Give up on the first line and re-read the rest: they may be good rows.
      const [head, ...rest] = pending;
      const restStart = pendingStart + 1;
      pending = [];
      pendingChars = 0;
      yield { line: pendingStart, raw: head, error: `a quoted field opened on this line is not closed within ${MAX_RECORD_CHARS} characters` };
      for (let i = 0; i < rest.length; i++) {
        yield* takeLine(rest[i], restStart + i);
      }
    }
  }

  for await (let chunk of chunks) {
    if (first && chunk.length > 0) {
      first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    const text = remainder + chunk;
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      lineNumber++;
      yield* takeLine(stripCarriageReturn(text.slice(start, newline)), lineNumber);
      start = newline + 1;
      newline = text.indexOf('\n', start);
    }
    remainder = text.slice(start);
  }
  if (remainder.length > 0) {
    lineNumber++;
    yield* takeLine(stripCarriageReturn(remainder), lineNumber);
  }
  if (pending.length > 0) {
    const [head, ...rest] = pending;
    const restStart = pendingStart + 1;
    pending = [];
    yield { line: pendingStart, raw: head, error: 'a quoted field opened on this line is never closed' };
    for (let i = 0; i < rest.length; i++) {
      yield* takeLine(rest[i], restStart + i);
    }
    if (pending.length > 0) {
      // Every remaining line re-opened a quote; report each one rather than lose it.
      for (let i = 0; i < pending.length; i++) {
        yield { line: pendingStart + i, raw: pending[i], error: 'a quoted field opened on this line is never closed' };
      }
    }
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Whether a quoted field is still open at the end of the text. Only a quote at
 * the start of a field opens one; a quote inside an unquoted value does not
 * (the record is reported as malformed instead of swallowing the next lines).
 */
function hasOpenQuote(text: string): boolean {
  if (text.indexOf('"') === -1) return false;
  let inQuotes = false;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else inQuotes = false;
      }
    } else if (c === '"' && fieldStart) {
      inQuotes = true;
      fieldStart = false;
    } else {
      fieldStart = c === ',' || c === '\n';
    }
  }
  return inQuotes;
}

/** Parses one complete record's text into fields, or says why it is malformed. */
export function parseRecord(raw: string, line: number): CsvRecord {
  if (raw.indexOf('"') === -1) {
    return { line, raw, fields: raw.split(',') };
  }
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (raw[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const quote = raw.indexOf('"', i);
        if (quote === -1) return { line, raw, error: `field ${fields.length + 1} opens a quote that is never closed` };
        value += raw.slice(i, quote);
        if (raw[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
          continue;
        }
        i = quote + 1;
        break;
      }
      fields.push(value);
      if (i === raw.length) return { line, raw, fields };
      if (raw[i] !== ',') return { line, raw, error: `field ${fields.length} has text after its closing quote; quote the whole field and double any quote inside it` };
      i++;
    } else {
      const comma = raw.indexOf(',', i);
      const value = comma === -1 ? raw.slice(i) : raw.slice(i, comma);
      if (value.includes('"')) return { line, raw, error: `field ${fields.length + 1} has a quote inside an unquoted value; quote the whole field and double any quote inside it` };
      fields.push(value);
      if (comma === -1) return { line, raw, fields };
      i = comma + 1;
    }
  }
}
