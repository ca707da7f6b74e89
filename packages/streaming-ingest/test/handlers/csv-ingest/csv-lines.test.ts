import { csvRecords, MAX_RECORD_CHARS } from '../../../src/handlers/csv-ingest/csv-lines';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

async function collect(...parts: string[]) {
  const out = [];
  for await (const record of csvRecords(chunks(...parts))) out.push(record);
  return out;
}

describe('csvRecords', () => {
  test('splits lines across chunk boundaries and strips a BOM and CRLF', async () => {
    const records = await collect('\ufeffa,b\r', '\n1,', '2\r\n3,4');
    expect(records).toEqual([
      { line: 1, raw: 'a,b', fields: ['a', 'b'] },
      { line: 2, raw: '1,2', fields: ['1', '2'] },
      { line: 3, raw: '3,4', fields: ['3', '4'] },
    ]);
  });

  test('keeps quoted commas, doubled quotes and quoted line breaks, numbering by the first physical line', async () => {
    const records = await collect('"x, y","say ""hi""",z\n"two\nlines",b,c\nnext,1,2\n');
    expect(records.map((r) => [r.line, r.fields])).toEqual([
      [1, ['x, y', 'say "hi"', 'z']],
      [2, ['two\nlines', 'b', 'c']],
      [4, ['next', '1', '2']],
    ]);
  });

  test('reports malformed quoting per record and goes on with the next line', async () => {
    const records = await collect('ok,1\n"closed"x,2\nbro"ken,3\nfine,4\n');
    expect(records.map((r) => [r.line, r.fields ?? r.error])).toEqual([
      [1, ['ok', '1']],
      [2, 'field 1 has text after its closing quote; quote the whole field and double any quote inside it'],
      [3, 'field 1 has a quote inside an unquoted value; quote the whole field and double any quote inside it'],
      [4, ['fine', '4']],
    ]);
  });

  test('an unclosed quote does not swallow the file: the opening line is reported and the rest re-read', async () => {
    const filler = Array.from({ length: 20 }, (_, i) => `row${i},${'x'.repeat(MAX_RECORD_CHARS / 10)}`);
    const records = await collect(['"open,1', ...filler].join('\n'));
    expect(records[0]).toMatchObject({ line: 1, error: expect.stringMatching(/not closed within/) });
    expect(records.slice(1).map((r) => r.line)).toEqual(filler.map((_, i) => i + 2));
    expect(records.slice(1).every((r) => r.fields?.length === 2)).toBe(true);
  });

  test('an unclosed quote at the end of the file is reported, not lost', async () => {
    const records = await collect('a,b\n"never,1\nlast,2');
    expect(records.map((r) => [r.line, r.fields ?? r.error])).toEqual([
      [1, ['a', 'b']],
      [2, 'a quoted field opened on this line is never closed'],
      [3, ['last', '2']],
    ]);
  });

  test('an empty line is a record with one empty field and empty raw text, so the ingest can skip it', async () => {
    const records = await collect('a,b\n\nc,d\n');
    expect(records.map((r) => r.fields)).toEqual([['a', 'b'], [''], ['c', 'd']]);
    expect(records[1]).toMatchObject({ line: 2, raw: '' });
  });
});
