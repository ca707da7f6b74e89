import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { RedshiftDataEmulator, startRedshiftDataEmulator } from '@freshet/test-utils';

/**
 * The fake's fidelity, through the real SDK: the handler tests trust it, so
 * what it promises (batch transactions, typed fields, paging, validation) is
 * checked here.
 */
let emulator: RedshiftDataEmulator;
let client: RedshiftDataClient;
const target = { Database: 'dev', WorkgroupName: 'wg', SecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:admin' };

beforeAll(async () => {
  emulator = await startRedshiftDataEmulator({ resultPageSize: 2 });
  client = new RedshiftDataClient({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } });
});

afterAll(async () => {
  client?.destroy();
  await emulator?.stop();
});

async function waitFor(id: string): Promise<DescribeStatementCommandOutput[]> {
  const seen: DescribeStatementCommandOutput[] = [];
  for (;;) {
    const status = await client.send(new DescribeStatementCommand({ Id: id }));
    seen.push(status);
    if (['FINISHED', 'FAILED', 'ABORTED'].includes(status.Status!)) return seen;
  }
}

test('a statement goes SUBMITTED, STARTED, FINISHED and returns typed fields, page by page', async () => {
  const { Id } = await client.send(new ExecuteStatementCommand({
    ...target,
    Sql: "SELECT CAST(:n AS BIGINT) AS n, 1.5::DOUBLE PRECISION AS d, true AS b, NULL::VARCHAR AS missing, 'x' AS s, TIMESTAMP '2026-08-01 00:00:00' AS t"
      + ' FROM generate_series(1, 5)',
    Parameters: [{ name: 'n', value: '42' }],
  }));
  const seen = await waitFor(Id!);
  // STARTED lasts until the engine is done, however many polls that takes.
  expect(seen.map((s) => s.Status).join(' ')).toMatch(/^SUBMITTED( STARTED)+ FINISHED$/);

  const first = await client.send(new GetStatementResultCommand({ Id }));
  expect(first.ColumnMetadata?.map((c) => [c.name, c.typeName])).toEqual([
    ['n', 'int8'], ['d', 'float8'], ['b', 'bool'], ['missing', 'varchar'], ['s', 'text'], ['t', 'timestamp'],
  ]);
  expect(first.Records?.[0]).toEqual([
    { longValue: 42 }, { doubleValue: 1.5 }, { booleanValue: true }, { isNull: true }, { stringValue: 'x' }, { stringValue: '2026-08-01 00:00:00' },
  ]);
  expect(first.TotalNumRows).toBe(5);
  let rows = first.Records!.length;
  let token = first.NextToken;
  while (token) {
    const page = await client.send(new GetStatementResultCommand({ Id, NextToken: token }));
    rows += page.Records!.length;
    token = page.NextToken;
  }
  expect(rows).toBe(5);
});

test('a batch runs in one transaction: a failing statement rolls back the ones before it', async () => {
  const { Id } = await client.send(new BatchExecuteStatementCommand({
    ...target,
    Sqls: ['CREATE TABLE batch_t (id INTEGER)', 'INSERT INTO batch_t VALUES (1)', 'INSERT INTO no_such_table VALUES (1)'],
  }));
  const final = (await waitFor(Id!)).pop()!;
  expect(final.Status).toBe('FAILED');
  expect(final.Error).toMatch(/relation "no_such_table" does not exist/);
  expect(await emulator.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'batch_t'")).toHaveLength(0);

  const ok = await client.send(new BatchExecuteStatementCommand({ ...target, Sqls: ['CREATE TABLE batch_ok (id INTEGER)', 'INSERT INTO batch_ok VALUES (7)', 'SELECT id FROM batch_ok'] }));
  const done = (await waitFor(ok.Id!)).pop()!;
  expect(done.SubStatements?.map((s) => [s.Id, s.Status, s.HasResultSet])).toEqual([
    [`${ok.Id}:1`, 'FINISHED', false], [`${ok.Id}:2`, 'FINISHED', false], [`${ok.Id}:3`, 'FINISHED', true],
  ]);
  const result = await client.send(new GetStatementResultCommand({ Id: `${ok.Id}:3` }));
  expect(result.Records).toEqual([[{ longValue: 7 }]]);
});

test('refuses what the service refuses, with its error names', async () => {
  await expect(client.send(new ExecuteStatementCommand({ Database: 'dev', Sql: 'SELECT 1' })))
    .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('Either WorkgroupName or ClusterIdentifier') });
  await expect(client.send(new ExecuteStatementCommand({ ...target, DbUser: 'admin', Sql: 'SELECT 1' })))
    .rejects.toMatchObject({ name: 'ValidationException' });
  await expect(client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT :missing' })))
    .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('missing') });
  await expect(client.send(new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000' })))
    .rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  emulator.throttle(1, 'ActiveStatementsExceededException');
  await expect(client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 1' })))
    .rejects.toMatchObject({ name: 'ActiveStatementsExceededException' });
});

test('an injected failure carries the given error text and never reaches the engine', async () => {
  emulator.failStatement(1, 'ERROR: permission denied for relation stocks');
  const { Id } = await client.send(new ExecuteStatementCommand({ ...target, Sql: 'CREATE TABLE injected (id INTEGER)' }));
  const final = (await waitFor(Id!)).pop()!;
  expect([final.Status, final.Error]).toEqual(['FAILED', 'ERROR: permission denied for relation stocks']);
  expect(await emulator.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'injected'")).toHaveLength(0);
});
