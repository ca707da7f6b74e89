import { ColumnType, DatasetSchema } from '@freshet/core';
import { RowTyping } from '../../../src/handlers/csv-ingest/row-typing';

const schema = new DatasetSchema({
  name: 'events',
  columns: [
    { name: 'id', type: ColumnType.BIGINT },
    { name: 'count', type: ColumnType.INT, nullable: true },
    { name: 'score', type: ColumnType.DOUBLE },
    { name: 'ok', type: ColumnType.BOOLEAN },
    { name: 'at', type: ColumnType.TIMESTAMP },
    { name: 'label', type: ColumnType.STRING, nullable: true },
  ],
  targetColumn: 'score',
}).toSpec();

const typing = RowTyping.forHeader(schema, ['at', 'ok', 'score', 'count', 'id', 'label']);
const row = (at: string, ok: string, score: string, count: string, id: string, label: string) => typing.type([at, ok, score, count, id, label]);

describe('RowTyping', () => {
  test('types a row in schema order whatever the header order, keeping bigint digits exact', () => {
    const typed = row('2024-05-01T13:00:00+02:00', 'TRUE', '1.50', '', '9007199254740993', 'a "b"');
    expect(typed).toEqual({ json: '{"id":9007199254740993,"count":null,"score":1.5,"ok":true,"at":"2024-05-01T11:00:00.000Z","label":"a \\"b\\""}' });
    expect(JSON.parse((typed as { json: string }).json).at).toBe('2024-05-01T11:00:00.000Z');
  });

  test('a timestamp without an offset is UTC', () => {
    expect(JSON.parse((row('2024-05-01 13:00:00', '0', '1', '1', '1', '') as { json: string }).json).at).toBe('2024-05-01T13:00:00.000Z');
  });

  test.each([
    ['score', ['2024-05-01T00:00:00Z', 'true', '1,5', '1', '1', ''], "column 'score' must be a finite decimal number such as 12.5 or 1e-3, got \"1,5\""],
    ['score', ['2024-05-01T00:00:00Z', 'true', 'Infinity', '1', '1', ''], "column 'score' must be a finite decimal number such as 12.5 or 1e-3, got \"Infinity\""],
    ['count', ['2024-05-01T00:00:00Z', 'true', '1', '2147483648', '1', ''], "column 'count' must be a whole number between -2147483648 and 2147483647, got \"2147483648\""],
    ['id', ['2024-05-01T00:00:00Z', 'true', '1', '1', '9223372036854775808', ''], "column 'id' must be a whole number that fits in 64 bits, got \"9223372036854775808\""],
    ['ok', ['2024-05-01T00:00:00Z', 'yes', '1', '1', '1', ''], "column 'ok' must be true, false, 1 or 0, got \"yes\""],
    ['at', ['2024-13-45T00:00:00Z', 'true', '1', '1', '1', ''], "column 'at' must be an ISO 8601 date-time such as 2024-05-01T13:00:00Z (no offset means UTC), got \"2024-13-45T00:00:00Z\""],
    ['id', ['2024-05-01T00:00:00Z', 'true', '1', '1', '', ''], "column 'id' is required but empty"],
  ])('rejects a bad %s with a reason that names the column and the rule', (_, fields, reason) => {
    expect(typing.type(fields)).toEqual({ reason });
  });

  test.each([
    ['2024-02-30T10:00:00Z', '2024 has no February 30'],
    ['2024-04-31 08:00', '2024 has no April 31'],
    ['2023-02-29', '2023 has no February 29'],
    ['2024-05-01T24:00:00Z', 'there is no time of day 24:00:00'],
  ])('rejects the impossible date-time %s instead of rolling it over, naming the column, the problem and the value', (at, problem) => {
    expect(row(at, 'true', '1', '1', '1', '')).toEqual({
      reason: `column 'at' must be a real calendar date-time (${problem}), got ${JSON.stringify(at)}`,
    });
  });

  test('keeps the real edge dates: 29 February of a leap year, 30 April, a day\'s last second', () => {
    const at = (value: string) => JSON.parse((row(value, '1', '1', '1', '1', '') as { json: string }).json).at;
    expect(at('2024-02-29T10:00:00Z')).toBe('2024-02-29T10:00:00.000Z');
    expect(at('2024-04-30 08:00')).toBe('2024-04-30T08:00:00.000Z');
    expect(at('2024-12-31T23:59:59+00:00')).toBe('2024-12-31T23:59:59.000Z');
  });

  test('lists every problem of a row at once', () => {
    expect(row('x', 'y', '', '1', '1', '')).toEqual({
      reason: "column 'score' is required but empty; column 'ok' must be true, false, 1 or 0, got \"y\"; column 'at' must be an ISO 8601 date-time such as 2024-05-01T13:00:00Z (no offset means UTC), got \"x\"",
    });
  });

  test('rejects a wrong field count and an empty line', () => {
    expect(typing.type(['1', '2'])).toEqual({ reason: 'expected 6 fields but found 2' });
    expect(typing.type([''])).toEqual({ reason: 'empty line' });
  });

  test('a header that does not match says what is missing, unknown or repeated', () => {
    expect(() => RowTyping.forHeader(schema, ['at', 'ok', 'ok', 'score', 'extra', 'id', 'label']))
      .toThrow("The header does not match schema 'events': missing column(s) count; unknown column(s) extra; repeated column(s) ok. Expected the columns id,count,score,ok,at,label (any order).");
  });
});
