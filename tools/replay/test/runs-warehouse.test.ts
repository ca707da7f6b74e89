import { stocksStore } from './runs-fixtures';
import { parseUnload, unloadFiles, UnsupportedStatementError } from '../src/warehouse/unload';

// RedshiftSql.unload's form, as the warehouse's snapshot task sends it (the run id already formatted in).
const UNLOAD = 'UNLOAD (\'SELECT "ticker_symbol", "sector", "change", "price" FROM "public"."stocks"\') TO \'s3://lake/snapshots/stocks/run-1/\' '
  + 'IAM_ROLE \'arn:aws:iam::123456789012:role/LakeRole\' KMS_KEY_ID \'arn:aws:kms:us-east-1:123456789012:key/k\' ENCRYPTED FORMAT AS CSV HEADER ALLOWOVERWRITE MAXFILESIZE 100 MB';
const T0 = Date.parse('2026-01-05T00:00:00Z');

describe('the warehouse UNLOAD', () => {
  test('writes the rows labelled on or before the time, the SELECT\'s columns in its order, with a header, under the TO prefix', () => {
    const parsed = parseUnload(UNLOAD.replace('"ticker_symbol", "sector", "change", "price"', '"price", "ticker_symbol"'));
    expect(parsed).toMatchObject({ columns: ['price', 'ticker_symbol'], table: '"public"."stocks"', s3Uri: 's3://lake/snapshots/stocks/run-1/', header: true, parallel: true });
    const store = stocksStore(T0, 60_000, 10);
    const [file] = unloadFiles(parsed, store, T0 + 2 * 60_000 + 59_999);
    expect(file.key).toBe('s3://lake/snapshots/stocks/run-1/0000_part_00');
    expect(file.rows).toBe(3);
    const lines = file.body.trim().split('\n');
    const { rows } = store.rowsUpTo(T0 + 2 * 60_000);
    expect(lines).toEqual(['price,ticker_symbol', ...rows.map((r) => `${r[3]},${r[0]}`)]);
    expect(unloadFiles(parsed, store, T0 - 1)[0]).toMatchObject({ rows: 0 });
  });

  test('quotes a field as Redshift CSV does, and PARALLEL OFF names the single file 000', () => {
    const store = { rowsUpTo: () => ({ header: ['a', 'b'], rows: [['x,y', 'say "hi"'], ['', 'z']] }) };
    const [file] = unloadFiles(parseUnload('UNLOAD (\'SELECT a, b FROM t\') TO \'s3://b/p/\' IAM_ROLE \'r\' FORMAT AS CSV PARALLEL OFF'), store, 0);
    expect(file.key).toBe('s3://b/p/000');
    expect(file.body).toBe('"x,y","say ""hi"""\n,z\n');
  });

  test.each([
    [UNLOAD.replace('FROM "public"."stocks"', 'FROM "public"."stocks" WHERE price > 0'), /not a plain SELECT/],
    [UNLOAD.replace('FORMAT AS CSV HEADER', 'FORMAT AS PARQUET'), /Parquet/],
    [UNLOAD.replace('ALLOWOVERWRITE', 'ALLOWOVERWRITE DELIMITER \'|\''), /DELIMITER .* not one the replay honours/],
    [UNLOAD.replace('"sector"', 'upper(sector)'), /not a column name/],
    ['SELECT 1', /Not an UNLOAD/],
  ])('refuses what it cannot honour, saying what: %#', (sql, message) => {
    expect(() => parseUnload(sql)).toThrow(UnsupportedStatementError);
    expect(() => parseUnload(sql)).toThrow(message);
  });

  test('a column the store lacks is refused by name', () => {
    const parsed = parseUnload(UNLOAD.replace('"price"', '"volume"'));
    expect(() => unloadFiles(parsed, stocksStore(T0, 1, 1), T0)).toThrow(/selects volume; the labelled store's columns are ticker_symbol, sector, change, price/);
  });
});
