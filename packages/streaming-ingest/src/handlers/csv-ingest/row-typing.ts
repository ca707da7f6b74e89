import type { ColumnSpec, DatasetSchemaSpec } from '@freshet/core';
// The calendar rule the predict proxy applies too; a deep import keeps the CDK out of the bundle.
import { calendarProblem } from '@freshet/core/lib/schema/calendar-date';

/** A row turned into a typed JSON record, or the reason it cannot be. */
export type TypedRow = { readonly json: string } | { readonly reason: string };

type FieldEncoder = (value: string) => string | undefined;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
// A date-time with an optional offset (none means UTC), or a bare date.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Encoders return the JSON text of a value, or undefined when it does not fit the type. */
const ENCODERS: Record<string, FieldEncoder> = {
  string: (v) => JSON.stringify(v),
  int: (v) => {
    if (!INTEGER.test(v)) return undefined;
    const n = Number(v);
    return n >= INT32_MIN && n <= INT32_MAX ? String(n) : undefined;
  },
  // Exact digits are kept: a bigint beyond 2^53 must not pass through a double.
  bigint: (v) => {
    if (!INTEGER.test(v)) return undefined;
    const n = BigInt(v);
    return n >= INT64_MIN && n <= INT64_MAX ? n.toString() : undefined;
  },
  double: (v) => {
    if (!DECIMAL.test(v)) return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? String(n) : undefined;
  },
  boolean: (v) => {
    const lower = v.toLowerCase();
    if (lower === 'true' || v === '1') return 'true';
    if (lower === 'false' || v === '0') return 'false';
    return undefined;
  },
  timestamp: (v) => {
    // Date.parse rolls impossible dates over (30 February becomes 1 March): they are rejected instead.
    if (!ISO_8601.test(v) || calendarProblem(v) !== undefined) return undefined;
    const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(v) || v.length === 10 ? v : `${v}Z`;
    const time = Date.parse(withZone.replace(' ', 'T'));
    return Number.isNaN(time) ? undefined : JSON.stringify(new Date(time).toISOString());
  },
};

const EXPECTED: Record<string, string> = {
  int: 'a whole number between -2147483648 and 2147483647',
  bigint: 'a whole number that fits in 64 bits',
  double: 'a finite decimal number such as 12.5 or 1e-3',
  boolean: 'true, false, 1 or 0',
  timestamp: 'an ISO 8601 date-time such as 2024-05-01T13:00:00Z (no offset means UTC)',
};

/**
 * Turns CSV rows into typed JSON records for one schema. The header may list
 * the schema's columns in any order; records always carry them in schema
 * order. Numbers become JSON numbers, timestamps ISO 8601 UTC strings, and an
 * empty field is null (allowed only in nullable columns).
 */
export class RowTyping {
  /** Checks a header against the schema and returns the typing for files with that header, or throws with what is wrong. */
  public static forHeader(schema: DatasetSchemaSpec, header: string[]): RowTyping {
    const names = header.map((h) => h.trim());
    const expected = schema.columns.map((c) => c.name);
    const missing = expected.filter((name) => !names.includes(name));
    const unknown = names.filter((name) => !expected.includes(name));
    const duplicated = names.filter((name, i) => names.indexOf(name) !== i);
    const problems = [
      ...(missing.length ? [`missing column(s) ${missing.join(', ')}`] : []),
      ...(unknown.length ? [`unknown column(s) ${unknown.join(', ')}`] : []),
      ...(duplicated.length ? [`repeated column(s) ${duplicated.join(', ')}`] : []),
    ];
    if (problems.length > 0) {
      throw new Error(`The header does not match schema '${schema.name}': ${problems.join('; ')}. Expected the columns ${expected.join(',')} (any order).`);
    }
    return new RowTyping(schema.columns.map((column) => ({ column, index: names.indexOf(column.name) })), names.length);
  }

  private readonly keys: string[];

  private constructor(
    private readonly layout: { column: ColumnSpec; index: number }[],
    private readonly fieldCount: number,
  ) {
    this.keys = layout.map(({ column }) => `${JSON.stringify(column.name)}:`);
  }

  /** Types one row's fields. */
  public type(fields: string[]): TypedRow {
    if (fields.length === 1 && fields[0] === '' && this.fieldCount > 1) {
      return { reason: 'empty line' };
    }
    if (fields.length !== this.fieldCount) {
      return { reason: `expected ${this.fieldCount} fields but found ${fields.length}` };
    }
    const parts: string[] = new Array(this.layout.length);
    const problems: string[] = [];
    for (let i = 0; i < this.layout.length; i++) {
      const { column, index } = this.layout[i];
      const value = fields[index];
      if (value === '') {
        if (!column.nullable) problems.push(`column '${column.name}' is required but empty`);
        parts[i] = this.keys[i] + 'null';
        continue;
      }
      const encoded = ENCODERS[column.type](value);
      if (encoded === undefined) {
        const impossible = column.type === 'timestamp' ? rolledOver(value) : undefined;
        problems.push(impossible
          ? `column '${column.name}' must be a real calendar date-time (${impossible}), got ${JSON.stringify(truncate(value))}`
          : `column '${column.name}' must be ${EXPECTED[column.type]}, got ${JSON.stringify(truncate(value))}`);
      }
      parts[i] = this.keys[i] + encoded;
    }
    return problems.length > 0 ? { reason: problems.join('; ') } : { json: `{${parts.join(',')}}` };
  }
}

/** The calendar problem of a timestamp that `Date.parse` would silently roll over (30 February), or undefined. */
function rolledOver(value: string): string | undefined {
  if (!ISO_8601.test(value)) return undefined;
  const withZone = /(Z|[+-]\d{2}:?\d{2})$/.test(value) || value.length === 10 ? value : `${value}Z`;
  return Number.isNaN(Date.parse(withZone.replace(' ', 'T'))) ? undefined : calendarProblem(value);
}

function truncate(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
