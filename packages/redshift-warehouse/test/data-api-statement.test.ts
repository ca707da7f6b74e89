import './fixtures/promise-with-resolvers';
import { loadEngine } from '@freshet/test-utils';
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DataApiStatement, LoadMode, RedshiftWarehouseProps } from '../src';
import { buildWarehouse, definitionOf } from './fixtures/stocks';

/**
 * The fragments run as synthesized, in aws-local-stepfunctions; only the Data API
 * calls are faked, at the task boundary, and each fake records what it was sent.
 */
interface FakeDataApi {
  readonly executed: any[];
  readonly described: any[];
  readonly cancelled: any[];
  readonly handlers: Record<string, (input: any) => any>;
}

function fakeDataApi(statuses: string[], error = 'ERROR: permission denied for relation stocks'): FakeDataApi {
  const fake: FakeDataApi = { executed: [], described: [], cancelled: [], handlers: {} };
  let polls = 0;
  Object.assign(fake.handlers, {
    'Snapshot: Execute': (input: any) => { fake.executed.push(input); return { Id: 'stmt-1', Database: input.Database }; },
    'Load: Execute': (input: any) => { fake.executed.push(input); return { Id: 'stmt-2', Database: input.Database }; },
    'Snapshot: Describe': (input: any) => { fake.described.push(input); return describeResult(input.Id, statuses[Math.min(polls++, statuses.length - 1)]); },
    'Load: Describe': (input: any) => { fake.described.push(input); return describeResult(input.Id, statuses[Math.min(polls++, statuses.length - 1)]); },
    'Snapshot: DescribeFailure': (input: any) => ({ ...describeResult(input.Id, 'FAILED'), Error: error }),
    'Load: DescribeFailure': (input: any) => ({ ...describeResult(input.Id, 'FAILED'), Error: error }),
    'Snapshot: Cancel': (input: any) => { fake.cancelled.push(input); return { Status: true }; },
    'Load: Cancel': (input: any) => { fake.cancelled.push(input); return { Status: true }; },
  });
  return fake;
}

function describeResult(id: string, status: string): any {
  // The fields DescribeStatement returns; the fragment must keep only what it needs.
  return { Id: id, Status: status, QueryString: 'UNLOAD (...)', Duration: 1200, HasResultSet: false, ResultRows: -1, RedshiftPid: 1073 };
}

function machineFor(kind: 'unload' | 'copy', props: Partial<RedshiftWarehouseProps> = {}, options: any = {}) {
  const { stack, warehouse } = buildWarehouse(props);
  const fragment = kind === 'unload'
    ? warehouse.unloadSnapshotTask(stack, 'Snapshot', { pollInterval: Duration.seconds(5), ...options })
    : warehouse.copyTask(stack, 'Load', { pollInterval: Duration.seconds(5), ...options });
  const machine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(fragment),
  });
  return { definition: definitionOf(stack, machine), fragment, warehouse, stack };
}

/** The execution's failure: the error name and cause of the Fail state or failed task. */
async function failureOf(result: Promise<unknown>): Promise<{ error: string; cause: string }> {
  try {
    await result;
  } catch (thrown: any) {
    return { error: thrown.cause?.name ?? thrown.cause?.error, cause: thrown.cause?.message ?? thrown.cause?.cause };
  }
  throw new Error('the execution succeeded, but was expected to fail');
}

async function run(definition: any, fake: FakeDataApi, executionName: string, input: any = { model: 'stocks-xgb' }) {
  // The engine as the shared harness loads it (an ES module, with States.Hash computed by node:crypto).
  const { StateMachine: LocalStateMachine } = loadEngine();
  const machine = new LocalStateMachine(definition, { validationOptions: { checkArn: false } });
  const waits: Record<string, number> = {};
  const collect = (states: any, prefix = '') => {
    for (const [name, state] of Object.entries<any>(states)) {
      if (state.Type === 'Wait') waits[`${prefix}${name}`] = 0;
      if (state.Type === 'Parallel') state.Branches.forEach((b: any) => collect(b.States));
    }
  };
  collect(definition.States);
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: fake.handlers, waitTimeOverrides: waits },
    context: { Execution: { Name: executionName, Id: `arn:aws:states:us-east-1:123456789012:execution:m:${executionName}` } } as any,
  });
  return execution.result;
}

describe('unloadSnapshotTask, run by an ASL engine', () => {
  test('unloads to snapshots/<dataset>/<execution name>/ and returns only the statement id, status and URI', async () => {
    const { definition } = machineFor('unload');
    const fake = fakeDataApi(['SUBMITTED', 'STARTED', 'FINISHED']);
    const output: any = await run(definition, fake, 'run-42');

    expect(fake.executed).toHaveLength(1);
    const sent = fake.executed[0];
    expect(sent.WorkgroupName).toMatch(/^WarehouseWorkgroup.*\.Workgroup\.WorkgroupName$/);
    expect(sent.Database).toBe('freshet');
    expect(sent.SecretArn).toMatch(/AdminSecret.*namespace\.adminPasswordSecretArn$/);
    expect(sent.StatementName).toBe('freshet.stocks.snapshot');
    expect(sent.WithEvent).toBe(true);
    const bucket = sent.Sql.match(/TO 's3:\/\/([^/]+)\//)[1];
    expect(bucket).toMatch(/^LakeBucket/);
    expect(sent.Sql).toBe(
      `UNLOAD ('SELECT "ticker_symbol", "sector", "change", "price" FROM "freshet"."stocks"') TO 's3://${bucket}/snapshots/stocks/run-42/'`
      + ` IAM_ROLE '${sent.Sql.match(/IAM_ROLE '([^']+)'/)[1]}' KMS_KEY_ID '${sent.Sql.match(/KMS_KEY_ID '([^']+)'/)[1]}' ENCRYPTED`
      + ' FORMAT AS CSV HEADER ALLOWOVERWRITE MAXFILESIZE 256 MB',
    );
    expect(sent.Sql).toMatch(/IAM_ROLE 'WarehouseLakeRole[0-9A-F]+\.Arn'/);
    expect(sent.Sql).toMatch(/KMS_KEY_ID 'LakeKey[0-9A-F]+\.Arn'/);
    expect(fake.described.map((d) => d.Id)).toEqual(['stmt-1', 'stmt-1', 'stmt-1']);
    expect(output).toEqual({
      model: 'stocks-xgb',
      snapshot: { statementId: 'stmt-1', status: 'FINISHED', s3Uri: `s3://${bucket}/snapshots/stocks/run-42/` },
    });
  });

  test('a custom query with quotes and braces reaches Redshift intact', async () => {
    const { definition } = machineFor('unload', { snapshotQuery: "SELECT * FROM freshet.stocks WHERE sector = '{tech}' AND ticker_symbol <> 'O''Neil'" });
    const fake = fakeDataApi(['FINISHED']);
    await run(definition, fake, 'nightly-2024-06-01');
    expect(fake.executed[0].Sql).toContain(
      "UNLOAD ('SELECT * FROM freshet.stocks WHERE sector = ''{tech}'' AND ticker_symbol <> ''O''''Neil''') TO 's3://",
    );
    expect(fake.executed[0].Sql).toContain('/snapshots/stocks/nightly-2024-06-01/');
  });

  test.each([
    ["run'); DROP TABLE freshet.stocks; --"],
    ['run\\1'],
    ['run/../other'],
    ['run 1'],
  ])('refuses the run id %j before any SQL runs', async (name) => {
    const { definition } = machineFor('unload');
    const fake = fakeDataApi(['FINISHED']);
    expect(await failureOf(run(definition, fake, name))).toEqual({
      error: 'InvalidRunId',
      cause: expect.stringContaining('must be a non-empty string without quotes, backslashes, slashes or spaces'),
    });
    expect(fake.executed).toHaveLength(0);
  });

  test('a run id from the state input is used when runIdPath says so', async () => {
    const { definition } = machineFor('unload', {}, { runIdPath: '$.runId', resultKey: 'training' });
    const fake = fakeDataApi(['FINISHED']);
    const output: any = await run(definition, fake, 'ignored', { runId: 'from-input-7' });
    expect(fake.executed[0].Sql).toContain('/snapshots/stocks/from-input-7/');
    expect(output.training.s3Uri).toMatch(/\/snapshots\/stocks\/from-input-7\/$/);
  });

  test("a failed statement fails the run with Redshift's error text", async () => {
    const { definition } = machineFor('unload');
    const fake = fakeDataApi(['STARTED', 'FAILED'], 'ERROR: S3ServiceException:Access Denied,Status 403');
    expect(await failureOf(run(definition, fake, 'run-43'))).toEqual({
      error: 'RedshiftStatementFailed',
      cause: 'ERROR: S3ServiceException:Access Denied,Status 403',
    });
  });

  test('an aborted statement fails the run', async () => {
    const { definition } = machineFor('unload');
    expect((await failureOf(run(definition, fakeDataApi(['ABORTED']), 'run-44'))).error).toBe('RedshiftStatementAborted');
  });

  test('a statement still running after maxPolls checks is cancelled and fails the run', async () => {
    const { definition } = machineFor('unload', {}, { maxPolls: 3 });
    const fake = fakeDataApi(['STARTED']);
    expect((await failureOf(run(definition, fake, 'run-45'))).error).toBe('RedshiftStatementTimedOut');
    expect(fake.described).toHaveLength(3);
    expect(fake.cancelled).toEqual([{ Id: 'stmt-1' }]);
  });
});

describe('copyTask, run by an ASL engine', () => {
  test('REPLACE deletes and copies the curated prefix in one transaction', async () => {
    const { definition } = machineFor('copy');
    const fake = fakeDataApi(['STARTED', 'FINISHED']);
    const output: any = await run(definition, fake, 'run-46');
    const sent = fake.executed[0];
    expect(sent.Sql).toBeUndefined();
    expect(sent.StatementName).toBe('freshet.stocks.copy');
    expect(sent.Sqls).toHaveLength(2);
    expect(sent.Sqls[0]).toBe('DELETE FROM "freshet"."stocks"');
    expect(sent.Sqls[1]).toMatch(/^COPY "freshet"\."stocks" FROM 's3:\/\/LakeBucket[0-9A-F]+\/curated\/stocks\/' IAM_ROLE 'WarehouseLakeRole[0-9A-F]+\.Arn' FORMAT AS PARQUET$/);
    expect(output.copy).toEqual({ statementId: 'stmt-2', status: 'FINISHED' });
  });

  test('APPEND copies only, from the prefix given', async () => {
    const { definition } = machineFor('copy', {}, { mode: LoadMode.APPEND, prefix: 'curated/stocks/year=2024/month=06/' });
    const fake = fakeDataApi(['FINISHED']);
    await run(definition, fake, 'run-47');
    expect(fake.executed[0].Sqls).toBeUndefined();
    expect(fake.executed[0].Sql).toMatch(/^COPY "freshet"\."stocks" FROM 's3:\/\/LakeBucket[0-9A-F]+\/curated\/stocks\/year=2024\/month=06\/' /);
  });

  test('a prefix with the run id placeholder loads that run\'s folder, after the run id is checked', async () => {
    const { definition } = machineFor('copy', {}, { mode: LoadMode.APPEND, prefix: `curated/stocks/run=${DataApiStatement.RUN_ID}/`, runIdPath: '$.runId' });
    const fake = fakeDataApi(['FINISHED']);
    await run(definition, fake, 'ignored', { runId: 'batch-9' });
    expect(fake.executed[0].Sql).toMatch(/ FROM 's3:\/\/LakeBucket[0-9A-F]+\/curated\/stocks\/run=batch-9\/' /);
    const refused = fakeDataApi(['FINISHED']);
    expect((await failureOf(run(definition, refused, 'ignored', { runId: "x'y" }))).error).toBe('InvalidRunId');
    expect(refused.executed).toHaveLength(0);
  });

  test('a copy has no run id to check and starts with the statement', () => {
    const { fragment } = machineFor('copy');
    expect(fragment.startState.stateId).toBe('Load: Execute');
  });
});

describe('DataApiStatement validation says what to change', () => {
  test.each([
    [{ resultKey: 'snap shot' }, "resultKey 'snap shot' must be a plain JSON key"],
    [{ maxPolls: 0 }, 'maxPolls is 0: use a whole number of at least 1.'],
    [{ runIdPath: 'runId' }, "runIdPath 'runId' must be a JSONPath"],
  ])('%j', (options, message) => {
    const { stack, warehouse } = buildWarehouse();
    expect(() => new DataApiStatement(stack, 'Bad', {
      connection: warehouse.dataApiConnection,
      sqls: ['SELECT 1'],
      statementName: 'freshet.stocks.test',
      resultKey: 'result',
      ...options,
    })).toThrow(message);
  });

  test('copyTask refuses a prefix without a trailing slash', () => {
    const { stack, warehouse } = buildWarehouse();
    expect(() => warehouse.copyTask(stack, 'Load', { prefix: 'curated/stocks' })).toThrow("copyTask prefix 'curated/stocks' must end with '/'");
  });
});
