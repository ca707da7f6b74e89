import * as fc from 'fast-check';
import {
  csvField, ModelResponseError, parseAutoGluonCsv, parseCsv, parseDeepArJson, parseXgboostCsv, toCsv,
} from '../../../src/handlers/predict-proxy/payload-codec';

describe('CSV writing', () => {
  test.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rhere', '"cr\rhere"'],
    [' edge', '" edge"'],
    [null, ''],
    [-1.5, '-1.5'],
    [true, 'true'],
  ])('%j is written as %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  test('features in the given order, the label left out, a header only when asked', () => {
    const records = [{ price: 9, change: 1, ticker_symbol: 'A', sector: 'X' }];
    expect(toCsv(records, ['ticker_symbol', 'sector', 'change'], false)).toBe('A,X,1\n');
    expect(toCsv(records, ['ticker_symbol', 'sector', 'change'], true)).toBe('ticker_symbol,sector,change\nA,X,1\n');
  });

  test('property: any strings written and read back are the same strings', () => {
    fc.assert(fc.property(fc.array(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }), (rows) => {
      // A row of one empty field is a blank line, which readers skip; the proxy never writes one (a record has features).
      const kept = rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
      const names = kept[0]?.map((_, i) => `c${i}`) ?? [];
      const width = names.length;
      const records = kept.filter((r) => r.length === width).map((r) => Object.fromEntries(r.map((v, i) => [`c${i}`, v])));
      const parsed = parseCsv(toCsv(records, names, false));
      expect(parsed).toEqual(records.map((r) => names.map((n) => r[n])));
    }), { numRuns: 500 });
  });
});

describe('model answers', () => {
  test('XGBoost: one number a line, all on one line, or several a line (class probabilities)', () => {
    expect(parseXgboostCsv('1.5\n2\n-3e2\n', 3)).toEqual([1.5, 2, -300]);
    expect(parseXgboostCsv('1.5,2,3', 3)).toEqual([1.5, 2, 3]);
    expect(parseXgboostCsv('0.1,0.9\r\n0.8,0.2\r\n', 2)).toEqual([[0.1, 0.9], [0.8, 0.2]]);
  });

  test('a NaN or infinite prediction is a NonFinitePrediction naming the record (issue 22), in every format', () => {
    expect(() => parseXgboostCsv('nan\n', 1)).toThrow(expect.objectContaining({ name: 'NonFinitePrediction', recordIndex: 0, value: 'NaN' }));
    expect(() => parseXgboostCsv('1,2,-inf', 3)).toThrow(expect.objectContaining({ recordIndex: 2, value: '-Infinity' }));
    expect(() => parseAutoGluonCsv('price\n1\nInfinity\n', 2)).toThrow(expect.objectContaining({ recordIndex: 1, value: 'Infinity' }));
    expect(() => parseDeepArJson('{"predictions": [{"mean": [NaN]}]}', 1)).toThrow(expect.objectContaining({ recordIndex: 0, value: 'NaN' }));
    expect(() => parseDeepArJson('{"predictions": [{"mean": [1]}, {"quantiles": {"0.5": [-Infinity]}}]}', 2))
      .toThrow(expect.objectContaining({ recordIndex: 1, value: '-Infinity' }));
    expect(() => parseDeepArJson('{"predictions": [NaN', 1)).toThrow(ModelResponseError);
  });

  test('XGBoost: a wrong count or a non-number is a ModelResponseError', () => {
    expect(() => parseXgboostCsv('1\n2\n', 3)).toThrow(ModelResponseError);
    expect(() => parseXgboostCsv('abc\n', 1)).toThrow(/expected a number/);
  });

  test('AutoGluon: a header and one column, several columns, or no header', () => {
    expect(parseAutoGluonCsv('price\n1.5\n2.5\n', 2)).toEqual([1.5, 2.5]);
    expect(parseAutoGluonCsv('label\nup\ndown\n', 2)).toEqual(['up', 'down']);
    expect(parseAutoGluonCsv('down,up\n0.2,0.8\n', 1)).toEqual([{ down: 0.2, up: 0.8 }]);
    expect(parseAutoGluonCsv('1.5\n', 1)).toEqual([1.5]);
    expect(() => parseAutoGluonCsv('a,b\n1\n', 1)).toThrow(/expected 2 columns/);
  });

  test('DeepAR: the predictions array, checked against the instance count', () => {
    expect(parseDeepArJson('{"predictions":[{"mean":[1,2]}]}', 1)).toEqual([{ mean: [1, 2] }]);
    expect(() => parseDeepArJson('{"predictions":[]}', 1)).toThrow(ModelResponseError);
    expect(() => parseDeepArJson('<html>', 1)).toThrow(/not JSON/);
  });

  test('an unclosed quote is a ModelResponseError, not a crash', () => {
    expect(() => parseCsv('"open')).toThrow(ModelResponseError);
  });
});
