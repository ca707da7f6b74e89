import { RedshiftDataEmulator, startRedshiftDataEmulator } from '@freshet/test-utils';
import { RedshiftSql } from '../../src/sql';

/**
 * Quoting proven by a SQL engine rather than by string comparison: the fake's
 * Postgres treats backslashes in literals as escapes, as Redshift does, so a
 * hostile value must come back unchanged and never end the statement early.
 */
const HOSTILE = [
  "it's",
  "'; DROP TABLE victims; --",
  'back\\slash',
  "\\'; SELECT 1; --",
  'trailing backslash \\',
  '"double" quotes',
  'ünïcødé 名前 🚀',
  'line\nbreak\ttab',
];

let emulator: RedshiftDataEmulator;

beforeAll(async () => {
  emulator = await startRedshiftDataEmulator();
  await emulator.query('CREATE TABLE victims (id INTEGER)');
});

afterAll(async () => {
  await emulator?.stop();
});

test.each(HOSTILE)('a literal quoted by quoteLiteral reads back as %j', async (value) => {
  const rows = await emulator.query(`SELECT ${RedshiftSql.quoteLiteral(value)} AS value`);
  expect(rows).toEqual([{ value }]);
  expect(await emulator.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'victims'")).toHaveLength(1);
});

test.each(HOSTILE)('an identifier quoted by quoteIdentifier names a column %j exactly', async (name) => {
  const sql = RedshiftSql.createTable({ schemaName: 'public', tableName: 'quoting', columns: [{ name, type: 'int', nullable: true }] });
  await emulator.query('DROP TABLE IF EXISTS "public"."quoting"');
  await emulator.query(sql);
  const columns = await emulator.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'quoting'");
  expect(columns).toEqual([{ column_name: name }]);
});

test('an UNLOAD query survives its literal: unquoting it gives back the query', async () => {
  const query = "SELECT * FROM t WHERE note = 'a\\b' AND sector <> 'it''s'";
  const sql = RedshiftSql.unload({ query, s3Uri: 's3://lake/snapshots/x/run/', iamRoleArn: 'default' });
  const literal = /^UNLOAD \((.*)\) TO /s.exec(sql)![1];
  expect(await emulator.query(`SELECT ${literal} AS query`)).toEqual([{ query }]);
});
