import { readFileSync } from 'fs';
import * as path from 'path';
import { ExecuteStatementCommand, DescribeStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { ColumnType, DatasetSchema } from '@freshet/core';
import { REPO_ROOT, RedshiftDataEmulator, startRedshiftDataEmulator } from '@freshet/test-utils';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { StatementRunnerTiming } from '../../src/handlers/table-ddl/statement-runner';
import { createTableDdlHandler, TableDdlHandler } from '../../src/handlers/table-ddl/table-ddl';

const SHARED_DATA = path.join(REPO_ROOT, '..', 'shared', 'data');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:freshet-admin-AbCdEf';
const FAST: StatementRunnerTiming = { firstPollMs: 1, maxPollMs: 5, firstRetryMs: 1, maxRetryMs: 5, reserveMs: 1_000 };
const PLENTY_OF_TIME = { getRemainingTimeInMillis: () => 600_000 };

const stocks = new DatasetSchema({
  name: 'stocks',
  columns: [
    { name: 'ticker_symbol', type: ColumnType.STRING },
    { name: 'sector', type: ColumnType.STRING },
    { name: 'change', type: ColumnType.DOUBLE },
    { name: 'price', type: ColumnType.DOUBLE },
  ],
  targetColumn: 'price',
});

const pollution = new DatasetSchema({
  name: 'pollution',
  columns: [
    { name: 'device_id', type: ColumnType.STRING },
    { name: 'ozone', type: ColumnType.DOUBLE },
    { name: 'particullate_matter', type: ColumnType.DOUBLE, nullable: true },
    { name: 'carbon_monoxide', type: ColumnType.DOUBLE, nullable: true },
    { name: 'sulfure_dioxide', type: ColumnType.DOUBLE, nullable: true },
    { name: 'nitrogen_dioxide', type: ColumnType.DOUBLE, nullable: true },
    { name: 'longitude', type: ColumnType.DOUBLE },
    { name: 'latitude', type: ColumnType.DOUBLE },
    { name: 'timestamp', type: ColumnType.TIMESTAMP },
  ],
  targetColumn: 'ozone',
  eventTimeColumn: 'timestamp',
});

/** The columns as the construct passes them: the schema's spec, as JSON. */
function columnsOf(schema: DatasetSchema, extra: object[] = []): string {
  return JSON.stringify([...schema.toSpec().columns, ...extra]);
}

let emulator: RedshiftDataEmulator;
let lambdaHandler: TableDdlHandler;
let fastHandler: TableDdlHandler;
let sdk: RedshiftDataClient;

beforeAll(async () => {
  emulator = await startRedshiftDataEmulator({ resultPageSize: 3 });
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
  process.env.AWS_ENDPOINT_URL_REDSHIFT_DATA = emulator.endpoint;
  // The Lambda entry point, with its module-scope client configured from the environment only.
  // (required, not imported at the top, so the environment is set first)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  lambdaHandler = (require('../../src/handlers/table-ddl.lambda') as typeof import('../../src/handlers/table-ddl.lambda')).handler;
  // One attempt per SDK call, so only our own retry handles throttling.
  sdk = new RedshiftDataClient({ endpoint: emulator.endpoint, maxAttempts: 1 });
  fastHandler = createTableDdlHandler(sdk, FAST);
});

afterAll(async () => {
  sdk?.destroy();
  await emulator?.stop();
});

beforeEach(() => emulator.reset());

let counter = 0;
/** A schema name of its own per test: the engine keeps state across tests. */
function freshSchema(): string {
  counter += 1;
  return `freshet_${counter}`;
}

function properties(overrides: Record<string, string | undefined>): Record<string, string> {
  const props: Record<string, string | undefined> = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
    Database: 'dev',
    WorkgroupName: 'freshet-wg',
    SecretArn: SECRET_ARN,
    TableName: 'stocks',
    Columns: columnsOf(stocks),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const base = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:provider',
  ResponseURL: 'https://example.invalid/response',
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
  RequestId: 'request-1',
  LogicalResourceId: 'Table',
  ResourceType: 'Custom::FreshetRedshiftTable',
};
const createEvent = (props: Record<string, string>): CloudFormationCustomResourceEvent =>
  ({ ...base, RequestType: 'Create', ResourceProperties: props }) as CloudFormationCustomResourceEvent;
const updateEvent = (physicalId: string, props: Record<string, string>, old: Record<string, string>): CloudFormationCustomResourceEvent =>
  ({ ...base, RequestType: 'Update', PhysicalResourceId: physicalId, ResourceProperties: props, OldResourceProperties: old }) as CloudFormationCustomResourceEvent;
const deleteEvent = (physicalId: string, props: Record<string, string>): CloudFormationCustomResourceEvent =>
  ({ ...base, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: props }) as CloudFormationCustomResourceEvent;

async function columnsInEngine(schema: string, table: string) {
  return emulator.query(
    `SELECT column_name, data_type, character_maximum_length, is_nullable FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
}

/** Runs a statement through the real SDK against the fake and waits for it, as a user would. */
async function runThroughDataApi(sql: string, parameters?: Array<{ name: string; value: string }>): Promise<void> {
  const { Id } = await sdk.send(new ExecuteStatementCommand({ Sql: sql, Parameters: parameters, Database: 'dev', WorkgroupName: 'freshet-wg', SecretArn: SECRET_ARN }));
  for (;;) {
    const status = await sdk.send(new DescribeStatementCommand({ Id }));
    if (status.Status === 'FINISHED') return;
    if (status.Status === 'FAILED' || status.Status === 'ABORTED') throw new Error(status.Error);
  }
}

/** The first rows of the shared stocks sample, inserted through the Data API. */
async function insertStocks(schema: string, count: number): Promise<string[][]> {
  const rows = readFileSync(path.join(SHARED_DATA, 'stocks_all.csv'), 'utf-8').split('\n').slice(1, 1 + count).map((l) => l.trim().split(','));
  for (const [ticker, sector, change, price] of rows) {
    await runThroughDataApi(
      `INSERT INTO "${schema}"."stocks" (ticker_symbol, sector, change, price) VALUES (:ticker, :sector, CAST(:change AS DOUBLE PRECISION), CAST(:price AS DOUBLE PRECISION))`,
      [{ name: 'ticker', value: ticker }, { name: 'sector', value: sector }, { name: 'change', value: change }, { name: 'price', value: price }],
    );
  }
  return rows;
}

async function stockRows(schema: string) {
  return emulator.query(`SELECT * FROM "${schema}"."stocks" ORDER BY ticker_symbol, price`);
}

describe('Create', () => {
  test('makes the schema and the stocks table with the schema\'s columns, through the Lambda entry point', async () => {
    const schema = freshSchema();
    const result = await lambdaHandler(createEvent(properties({ SchemaName: schema })), PLENTY_OF_TIME);

    expect(result.PhysicalResourceId).toBe(`dev.${schema}.stocks`);
    expect(await columnsInEngine(schema, 'stocks')).toEqual([
      { column_name: 'ticker_symbol', data_type: 'character varying', character_maximum_length: 65535, is_nullable: 'NO' },
      { column_name: 'sector', data_type: 'character varying', character_maximum_length: 65535, is_nullable: 'NO' },
      { column_name: 'change', data_type: 'double precision', character_maximum_length: null, is_nullable: 'NO' },
      { column_name: 'price', data_type: 'double precision', character_maximum_length: null, is_nullable: 'NO' },
    ]);
    // Each statement was polled until it finished, through SUBMITTED and STARTED.
    const executes = emulator.requests.filter((r) => r.operation === 'ExecuteStatement');
    expect(executes.map((r) => r.body.Sql)).toEqual([`CREATE SCHEMA IF NOT EXISTS "${schema}"`, expect.stringContaining(`CREATE TABLE IF NOT EXISTS "${schema}"."stocks"`)]);
    for (const statement of emulator.statements) {
      expect(emulator.requests.filter((r) => r.operation === 'DescribeStatement' && r.body.Id === statement.id)).toHaveLength(3);
    }
  });

  test('every Data API request names the workgroup, database and admin secret, and carries no user or password', async () => {
    const schema = freshSchema();
    await lambdaHandler(createEvent(properties({ SchemaName: schema })), PLENTY_OF_TIME);
    const executes = emulator.requests.filter((r) => r.operation === 'ExecuteStatement');
    expect(executes).toHaveLength(2);
    for (const request of executes) {
      expect(request.body).toMatchObject({ WorkgroupName: 'freshet-wg', Database: 'dev', SecretArn: SECRET_ARN });
      expect(request.body).not.toHaveProperty('ClusterIdentifier');
      expect(request.body).not.toHaveProperty('DbUser');
    }
    expect(JSON.stringify(emulator.requests.map((r) => r.body))).not.toMatch(/password|DbUser/i);
  });

  test('targets a provisioned cluster by ClusterIdentifier', async () => {
    const schema = freshSchema();
    await fastHandler(createEvent(properties({ SchemaName: schema, WorkgroupName: undefined, ClusterIdentifier: 'freshet-cluster' })), PLENTY_OF_TIME);
    const executes = emulator.requests.filter((r) => r.operation === 'ExecuteStatement');
    expect(executes.map((r) => r.body.ClusterIdentifier)).toEqual(['freshet-cluster', 'freshet-cluster']);
    expect(executes.every((r) => r.body.WorkgroupName === undefined && r.body.SecretArn === SECRET_ARN)).toBe(true);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
  });

  test('is idempotent: a second create keeps the table and its rows', async () => {
    const schema = freshSchema();
    const props = properties({ SchemaName: schema });
    await fastHandler(createEvent(props), PLENTY_OF_TIME);
    const rows = await insertStocks(schema, 5);
    const again = await fastHandler(createEvent(props), PLENTY_OF_TIME);

    expect(again.PhysicalResourceId).toBe(`dev.${schema}.stocks`);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
    expect(await stockRows(schema)).toHaveLength(rows.length);
  });

  test('makes the pollution table with a timestamp and nullable columns, with distribution and sort keys', async () => {
    const schema = freshSchema();
    await fastHandler(createEvent(properties({
      SchemaName: schema,
      TableName: 'pollution',
      Columns: columnsOf(pollution),
      DistKey: 'device_id',
      SortKeys: JSON.stringify(['device_id', 'timestamp']),
    })), PLENTY_OF_TIME);

    const columns = await columnsInEngine(schema, 'pollution');
    // The table's columns are the fields of the shared pollution messages.
    const message = JSON.parse(readFileSync(path.join(SHARED_DATA, 'pollution.jsonl'), 'utf-8').split('\n')[0]);
    expect(columns.map((c) => c.column_name)).toEqual(Object.keys(message));
    expect(columns.find((c) => c.column_name === 'timestamp')).toMatchObject({ data_type: 'timestamp without time zone', is_nullable: 'NO' });
    expect(columns.find((c) => c.column_name === 'nitrogen_dioxide')).toMatchObject({ data_type: 'double precision', is_nullable: 'YES' });
    expect(emulator.requests.find((r) => r.operation === 'ExecuteStatement' && /CREATE TABLE/.test(r.body.Sql))?.body.Sql)
      .toMatch(/DISTKEY\("device_id"\) SORTKEY\("device_id", "timestamp"\)$/);
  });

  test('quotes hostile schema and column names so the engine holds exactly those names', async () => {
    const schema = `${freshSchema()}"; drop schema public; --`;
    const hostile = "o'brien; drop table x; --\\";
    await fastHandler(createEvent(properties({
      SchemaName: schema,
      Columns: JSON.stringify([{ name: hostile, type: 'string', nullable: true }, { name: 'naïve_名前', type: 'int', nullable: false }]),
    })), PLENTY_OF_TIME);
    expect((await columnsInEngine(schema, 'stocks')).map((c) => c.column_name)).toEqual([hostile, 'naïve_名前']);
    expect(await emulator.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'public'")).toHaveLength(1);
  });

  test('refuses properties naming both a workgroup and a cluster, before any SQL', async () => {
    await expect(fastHandler(createEvent(properties({ SchemaName: freshSchema(), ClusterIdentifier: 'c' })), PLENTY_OF_TIME))
      .rejects.toThrow('exactly one of WorkgroupName (Redshift Serverless) or ClusterIdentifier (provisioned cluster)');
    expect(emulator.requests).toHaveLength(0);
  });

  test('refuses an unknown column type before any SQL, so no schema is left behind', async () => {
    const schema = freshSchema();
    await expect(fastHandler(createEvent(properties({ SchemaName: schema, Columns: JSON.stringify([{ name: 'c', type: 'float', nullable: true }]) })), PLENTY_OF_TIME))
      .rejects.toThrow("Column 'c' has type 'float': use one of string, int, bigint, double, boolean, timestamp.");
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('Update', () => {
  test('adds a new column and keeps the existing rows and the physical id', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    const inserted = await insertStocks(schema, 7);
    emulator.reset();

    const next = properties({ SchemaName: schema, Columns: columnsOf(stocks, [{ name: 'volume', type: 'bigint', nullable: false }]) });
    const result = await fastHandler(updateEvent(PhysicalResourceId, next, old), PLENTY_OF_TIME);

    expect(result.PhysicalResourceId).toBe(PhysicalResourceId);
    expect((await columnsInEngine(schema, 'stocks')).map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['ticker_symbol', 'character varying', 'NO'],
      ['sector', 'character varying', 'NO'],
      ['change', 'double precision', 'NO'],
      ['price', 'double precision', 'NO'],
      ['volume', 'bigint', 'YES'], // nullable: the existing rows have no volume
    ]);
    const rows = await stockRows(schema);
    const expected = inserted
      .map(([ticker, sector, change, price]) => ({ ticker_symbol: ticker, sector, change: Number(change), price: Number(price), volume: null }))
      .sort((a, b) => a.ticker_symbol.localeCompare(b.ticker_symbol) || a.price - b.price);
    expect(rows).toEqual(expected);
    // It read the columns with parameters (paged: 3 rows a page) and changed the table with one ALTER.
    const executes = emulator.requests.filter((r) => r.operation === 'ExecuteStatement');
    expect(executes[0].body.Parameters).toEqual([{ name: 'schema_name', value: schema }, { name: 'table_name', value: 'stocks' }]);
    expect(emulator.requests.filter((r) => r.operation === 'GetStatementResult')).toHaveLength(2);
    expect(executes.slice(1).map((r) => r.body.Sql)).toEqual([`ALTER TABLE "${schema}"."stocks" ADD COLUMN "volume" BIGINT`]);
  });

  test('with no new column changes nothing', async () => {
    const schema = freshSchema();
    const props = properties({ SchemaName: schema, TableName: 'pollution', Columns: columnsOf(pollution) });
    const { PhysicalResourceId } = await fastHandler(createEvent(props), PLENTY_OF_TIME);
    emulator.reset();
    await fastHandler(updateEvent(PhysicalResourceId, props, props), PLENTY_OF_TIME);
    expect(emulator.requests.filter((r) => r.operation === 'ExecuteStatement')).toHaveLength(1);
    expect(await columnsInEngine(schema, 'pollution')).toHaveLength(9);
  });

  test('with a changed type fails with a clear message and changes nothing, not even the other new column', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    await insertStocks(schema, 3);
    const before = await stockRows(schema);
    emulator.reset();

    const columns = stocks.toSpec().columns.map((c) => (c.name === 'price' ? { ...c, type: 'string' } : c));
    const next = properties({ SchemaName: schema, Columns: JSON.stringify([...columns, { name: 'volume', type: 'bigint', nullable: true }]) });
    await expect(fastHandler(updateEvent(PhysicalResourceId, next, old), PLENTY_OF_TIME)).rejects.toThrow(
      `The table dev.${schema}.stocks was not changed: column 'price' is double precision in Redshift but the schema now says string (character varying). `
      + 'Freshet never alters or drops an existing column',
    );
    expect(emulator.requests.filter((r) => r.operation === 'ExecuteStatement').map((r) => r.body.Sql)).toEqual([expect.stringMatching(/^SELECT .* FROM svv_columns/)]);
    expect((await columnsInEngine(schema, 'stocks')).map((c) => c.column_name)).toEqual(['ticker_symbol', 'sector', 'change', 'price']);
    expect(await stockRows(schema)).toEqual(before);
  });

  test('with a changed string length fails rather than altering the column', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    const narrower = stocks.toSpec().columns.map((c) => (c.name === 'sector' ? { ...c, maxLength: 64 } : c));
    const next = properties({ SchemaName: schema, Columns: JSON.stringify(narrower) });
    await expect(fastHandler(updateEvent(PhysicalResourceId, next, old), PLENTY_OF_TIME))
      .rejects.toThrow("column 'sector' is VARCHAR(65535) in Redshift but the schema now says VARCHAR(64)");
  });

  test('keeps columns the schema no longer declares', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    const fewer = JSON.stringify(stocks.toSpec().columns.filter((c) => c.name !== 'change'));
    await fastHandler(updateEvent(PhysicalResourceId, properties({ SchemaName: schema, Columns: fewer }), old), PLENTY_OF_TIME);
    expect((await columnsInEngine(schema, 'stocks')).map((c) => c.column_name)).toContain('change');
  });

  test('refuses to rename the table, before any SQL', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    emulator.reset();
    await expect(fastHandler(updateEvent(PhysicalResourceId, properties({ SchemaName: schema, TableName: 'stocks_v2' }), old), PLENTY_OF_TIME))
      .rejects.toThrow(`The table cannot move from dev.${schema}.stocks to dev.${schema}.stocks_v2`);
    expect(emulator.requests).toHaveLength(0);
    expect(await columnsInEngine(schema, 'stocks_v2')).toHaveLength(0);
  });

  test('recreates a table that was dropped by hand', async () => {
    const schema = freshSchema();
    const old = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await fastHandler(createEvent(old), PLENTY_OF_TIME);
    await emulator.query(`DROP TABLE "${schema}"."stocks"`);
    await fastHandler(updateEvent(PhysicalResourceId, old, old), PLENTY_OF_TIME);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
  });
});

describe('Delete', () => {
  test('keeps the table and its rows, without running any SQL', async () => {
    const schema = freshSchema();
    const props = properties({ SchemaName: schema });
    const { PhysicalResourceId } = await lambdaHandler(createEvent(props), PLENTY_OF_TIME);
    const rows = await insertStocks(schema, 4);
    emulator.reset();

    const result = await lambdaHandler(deleteEvent(PhysicalResourceId, props), PLENTY_OF_TIME);
    expect(result.PhysicalResourceId).toBe(PhysicalResourceId);
    expect(emulator.requests).toHaveLength(0);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
    expect(await stockRows(schema)).toHaveLength(rows.length);
  });
});

describe('Failures and retries', () => {
  test('a failed statement surfaces Redshift\'s error text and the statement', async () => {
    const schema = freshSchema();
    emulator.failStatement(2, 'ERROR: permission denied for schema ' + schema);
    await expect(fastHandler(createEvent(properties({ SchemaName: schema })), PLENTY_OF_TIME)).rejects.toThrow(
      new RegExp(`^Redshift statement FAILED: ERROR: permission denied for schema ${schema} \\(statement [0-9a-f-]{36}: CREATE TABLE IF NOT EXISTS "${schema}"\\."stocks"`),
    );
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(0);
  });

  test('an error from the engine itself reaches the caller', async () => {
    // Redshift, like Postgres, allows at most 1,600 columns in a table.
    const schema = freshSchema();
    const tooMany = JSON.stringify(Array.from({ length: 1601 }, (_, i) => ({ name: `feature_${i}`, type: 'double', nullable: true })));
    await expect(fastHandler(createEvent(properties({ SchemaName: schema, Columns: tooMany })), PLENTY_OF_TIME))
      .rejects.toThrow(/^Redshift statement FAILED: ERROR: tables can have at most 1600 columns \(statement .*: CREATE TABLE IF NOT EXISTS/);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(0);
  });

  test('throttled calls are retried with backoff until they succeed', async () => {
    const schema = freshSchema();
    emulator.throttle(4, 'ThrottlingException');
    await fastHandler(createEvent(properties({ SchemaName: schema })), PLENTY_OF_TIME);
    expect(emulator.requests.slice(0, 5).map((r) => r.operation)).toEqual(Array(5).fill('ExecuteStatement'));
    // Only the fifth attempt reached the engine: one schema, one table.
    expect(emulator.statements).toHaveLength(2);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
  });

  test('too many active statements is retried too, through the Lambda entry point', async () => {
    const schema = freshSchema();
    emulator.throttle(2, 'ActiveStatementsExceededException');
    await lambdaHandler(createEvent(properties({ SchemaName: schema })), PLENTY_OF_TIME);
    expect(emulator.statements).toHaveLength(2);
    expect(await columnsInEngine(schema, 'stocks')).toHaveLength(4);
  });

  test('a statement still running when the Lambda runs out of time is cancelled and reported', async () => {
    const schema = freshSchema();
    // Only the reserve is left: after the first poll (SUBMITTED), waiting again would pass the deadline.
    const almostOut = { getRemainingTimeInMillis: () => FAST.reserveMs };
    await expect(fastHandler(createEvent(properties({ SchemaName: schema })), almostOut))
      .rejects.toThrow(/was still SUBMITTED when the Lambda ran out of time; it was cancelled\. Raise the custom resource Lambda's timeout/);
    const cancel = emulator.requests.find((r) => r.operation === 'CancelStatement');
    expect(cancel?.body.Id).toBe(emulator.statements[0].id);
    expect(emulator.statements.map((st) => st.status)).toEqual(['ABORTED']);
    expect(await emulator.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).toHaveLength(0);
  });
});

describe('Statements resources (the streaming view)', () => {
  function statementsProps(statements: string[]): Record<string, string> {
    return {
      ServiceToken: base.ServiceToken,
      Database: 'dev',
      WorkgroupName: 'freshet-wg',
      SecretArn: SECRET_ARN,
      Statements: JSON.stringify(statements),
    };
  }
  const view = (schema: string, body: string) => `CREATE VIEW "${schema}"."latest" AS ${body}`;

  test('run in order on create, not again on an unchanged update, again on a changed one, and never on delete', async () => {
    const schema = freshSchema();
    const first = statementsProps([`CREATE SCHEMA IF NOT EXISTS "${schema}"`, view(schema, 'SELECT 1 AS answer')]);
    const created = await fastHandler(createEvent(first), PLENTY_OF_TIME);
    expect(created.PhysicalResourceId).toBe('dev.Table');
    expect(await emulator.query(`SELECT * FROM "${schema}"."latest"`)).toEqual([{ answer: 1 }]);
    expect(emulator.requests.filter((r) => r.operation === 'ExecuteStatement').map((r) => r.body.Sql)).toEqual(JSON.parse(first.Statements));

    emulator.reset();
    await fastHandler(updateEvent(created.PhysicalResourceId, first, first), PLENTY_OF_TIME);
    expect(emulator.requests).toHaveLength(0);

    const second = statementsProps([`DROP VIEW IF EXISTS "${schema}"."latest"`, view(schema, 'SELECT 2 AS answer')]);
    const updated = await fastHandler(updateEvent(created.PhysicalResourceId, second, first), PLENTY_OF_TIME);
    expect(updated.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(await emulator.query(`SELECT * FROM "${schema}"."latest"`)).toEqual([{ answer: 2 }]);

    emulator.reset();
    await fastHandler(deleteEvent(created.PhysicalResourceId, second), PLENTY_OF_TIME);
    expect(emulator.requests).toHaveLength(0);
    expect(await emulator.query(`SELECT * FROM "${schema}"."latest"`)).toEqual([{ answer: 2 }]);
  });

  test('a failing statement stops the rest and surfaces the engine\'s error', async () => {
    const schema = freshSchema();
    const props = statementsProps([view(schema, 'SELECT 1'), `CREATE SCHEMA "${schema}"`]);
    await expect(fastHandler(createEvent(props), PLENTY_OF_TIME)).rejects.toThrow(new RegExp(`ERROR: schema "${schema}" does not exist .*CREATE VIEW`));
    expect(emulator.requests.filter((r) => r.operation === 'ExecuteStatement')).toHaveLength(1);
  });

  test('a materialized view: a retried create keeps it; a changed definition is refused with what to do, and nothing is dropped', async () => {
    const schema = freshSchema();
    const mv = (body: string) => `CREATE MATERIALIZED VIEW "${schema}"."readings" AS ${body}`;
    const first = statementsProps([`CREATE SCHEMA IF NOT EXISTS "${schema}"`, mv('SELECT 1 AS answer')]);
    const created = await fastHandler(createEvent(first), PLENTY_OF_TIME);
    // CloudFormation retries a create whose response was lost: the view exists by then.
    await expect(fastHandler(createEvent(first), PLENTY_OF_TIME)).resolves.toEqual(created);
    expect(await emulator.query(`SELECT * FROM "${schema}"."readings"`)).toEqual([{ answer: 1 }]);

    const changed = statementsProps([`CREATE SCHEMA IF NOT EXISTS "${schema}"`, mv('SELECT 2 AS answer')]);
    await expect(fastHandler(updateEvent(created.PhysicalResourceId, changed, first), PLENTY_OF_TIME))
      .rejects.toThrow(`The materialized view "${schema}"."readings" already exists and its definition changed; Freshet never drops it`);
    expect(await emulator.query(`SELECT * FROM "${schema}"."readings"`)).toEqual([{ answer: 1 }]);
    expect(emulator.requests.filter((r) => r.operation === 'ExecuteStatement').every((r) => !/DROP/i.test(r.body.Sql))).toBe(true);
  });

  test('refuses a resource that mixes Statements with a table', async () => {
    await expect(fastHandler(createEvent({ ...properties({ SchemaName: 's' }), Statements: '["SELECT 1"]' }), PLENTY_OF_TIME))
      .rejects.toThrow('either Statements or TableName/Columns, not both');
    expect(emulator.requests).toHaveLength(0);
  });
});
