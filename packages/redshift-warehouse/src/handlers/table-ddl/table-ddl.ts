import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { DEFAULT_TIMING, log, ResultRow, StatementRunner, StatementRunnerTiming } from './statement-runner';
import { StatementsProperties, TableDdlProperties, TableDdlPropertiesParser } from './table-ddl-properties';
import { RedshiftSql } from '../../sql/redshift-sql';
import { RedshiftColumn } from '../../sql/redshift-sql-props';

/** What a custom_resources.Provider `onEvent` handler returns. */
export interface TableDdlResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** The `onEvent` handler's signature. */
export type TableDdlHandler = (event: CloudFormationCustomResourceEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<TableDdlResponse>;

/**
 * Builds the table custom resource's handler around a Data API client.
 *
 * - Create: CREATE SCHEMA and CREATE TABLE, both IF NOT EXISTS, so a retried
 *   or repeated create is harmless.
 * - Update: adds the columns the table lacks; never drops or alters one. A
 *   changed type or a renamed table fails before any SQL changes anything.
 * - Delete: keeps the table and its rows (the data outlives the stack).
 *
 * The same handler serves statements resources (a `Statements` property: a
 * JSON array of SQL, e.g. the streaming ingestion schema and view): they run
 * in order on create, again on an update that changes them, and nothing runs
 * on delete (the objects are kept, like the table). A materialized view that
 * already exists is kept on create (a retry), and refused on update with what
 * to do, never dropped.
 */
export function createTableDdlHandler(client: RedshiftDataClient, timing: StatementRunnerTiming = DEFAULT_TIMING): TableDdlHandler {
  return async (event, context) => {
    log('event', { requestType: event.RequestType, logicalResourceId: event.LogicalResourceId });
    const remaining = () => context.getRemainingTimeInMillis();
    if (TableDdlPropertiesParser.isStatements(event.ResourceProperties)) {
      return onStatementsEvent(event, new StatementsRunnerFactory(client, remaining, timing));
    }
    switch (event.RequestType) {
      case 'Create': {
        const props = TableDdlPropertiesParser.parse(event.ResourceProperties);
        await createTable(new StatementRunner(client, props, remaining, timing), props);
        return response(physicalIdOf(props), props);
      }
      case 'Update': {
        const props = TableDdlPropertiesParser.parse(event.ResourceProperties);
        const old = TableDdlPropertiesParser.parse(event.OldResourceProperties);
        refuseRename(old, props);
        await updateTable(new StatementRunner(client, props, remaining, timing), old, props);
        // The same id: a new one would make CloudFormation delete the "old" table.
        return response(event.PhysicalResourceId, props);
      }
      case 'Delete':
        log('table kept: delete leaves the table and its rows in place (retain)', { table: event.PhysicalResourceId });
        return { PhysicalResourceId: event.PhysicalResourceId };
      default:
        throw new Error(`Unknown custom resource request type ${(event as { RequestType: string }).RequestType}.`);
    }
  };
}

class StatementsRunnerFactory {
  constructor(
    private readonly client: RedshiftDataClient,
    private readonly remaining: () => number,
    private readonly timing: StatementRunnerTiming,
  ) {}

  public runnerFor(props: StatementsProperties): StatementRunner {
    return new StatementRunner(this.client, props, this.remaining, this.timing);
  }
}

async function onStatementsEvent(event: CloudFormationCustomResourceEvent, runners: StatementsRunnerFactory): Promise<TableDdlResponse> {
  switch (event.RequestType) {
    case 'Create': {
      const props = TableDdlPropertiesParser.parseStatements(event.ResourceProperties);
      await runAll(runners.runnerFor(props), props.statements, 'create');
      return { PhysicalResourceId: `${props.database}.${event.LogicalResourceId}` };
    }
    case 'Update': {
      const props = TableDdlPropertiesParser.parseStatements(event.ResourceProperties);
      const old = TableDdlPropertiesParser.parseStatements(event.OldResourceProperties);
      const fingerprint = (p: StatementsProperties) => JSON.stringify([p.database, p.target, p.statements]);
      const unchanged = fingerprint(old) === fingerprint(props);
      if (unchanged) {
        log('statements unchanged: nothing to run', { resource: event.PhysicalResourceId });
      } else {
        await runAll(runners.runnerFor(props), props.statements, 'update');
      }
      return { PhysicalResourceId: event.PhysicalResourceId };
    }
    case 'Delete':
      log('objects kept: delete runs no SQL (retain)', { resource: event.PhysicalResourceId });
      return { PhysicalResourceId: event.PhysicalResourceId };
    default:
      throw new Error(`Unknown custom resource request type ${(event as { RequestType: string }).RequestType}.`);
  }
}

/** `CREATE MATERIALIZED VIEW <name>`: Redshift has no IF NOT EXISTS for it. */
const CREATE_MATERIALIZED_VIEW = /^\s*CREATE\s+MATERIALIZED\s+VIEW\s+("(?:[^"]|"")+"(?:\s*\.\s*"(?:[^"]|"")+")?|[^\s(]+)/i;

async function runAll(runner: StatementRunner, statements: string[], request: 'create' | 'update'): Promise<void> {
  for (const sql of statements) {
    const view = CREATE_MATERIALIZED_VIEW.exec(sql)?.[1];
    try {
      await runner.execute(sql);
    } catch (error) {
      if (!view || !/already exists/i.test((error as Error).message)) throw error;
      if (request === 'update') {
        // Dropping it would lose every row it ingested that the stream no longer holds.
        throw new Error(`The materialized view ${view} already exists and its definition changed; Freshet never drops it, `
          + `because that loses the rows it ingested. Drop it yourself (DROP MATERIALIZED VIEW ${view}) and deploy again, `
          + 'or keep the previous definition.');
      }
      // A retried create (or a view made before): it is there, as the create wants.
      log('materialized view already exists: kept as is', { view });
    }
  }
}

function physicalIdOf(props: TableDdlProperties): string {
  return `${props.database}.${props.schemaName}.${props.tableName}`;
}

function response(physicalResourceId: string, props: TableDdlProperties): TableDdlResponse {
  return {
    PhysicalResourceId: physicalResourceId,
    Data: { Database: props.database, SchemaName: props.schemaName, TableName: props.tableName },
  };
}

async function createTable(runner: StatementRunner, props: TableDdlProperties): Promise<void> {
  // Generate both statements before running either, so bad columns fail before the schema exists.
  const statements = [
    RedshiftSql.createSchema(props.schemaName),
    RedshiftSql.createTable({
      schemaName: props.schemaName,
      tableName: props.tableName,
      columns: props.columns,
      distKey: props.distKey,
      sortKeys: props.sortKeys,
    }),
  ];
  for (const sql of statements) {
    await runner.execute(sql);
  }
  log('table ready', { table: physicalIdOf(props), columns: props.columns.map((c) => c.name) });
}

function refuseRename(old: TableDdlProperties, props: TableDdlProperties): void {
  if (old.database !== props.database || old.schemaName !== props.schemaName || old.tableName !== props.tableName) {
    throw new Error(
      `The table cannot move from ${physicalIdOf(old)} to ${physicalIdOf(props)}: renaming would need to drop or copy data. `
      + 'Keep the old names, or create the new table as a new resource (new construct id) and migrate the rows by hand.',
    );
  }
}

async function updateTable(runner: StatementRunner, old: TableDdlProperties, props: TableDdlProperties): Promise<void> {
  const listing = RedshiftSql.listColumnsQuery(props);
  const existing = await runner.query(listing.sql, listing.parameters);
  if (existing.length === 0) {
    // The table is gone (dropped by hand, or the create never ran): make it again rather than fail.
    log('table not found on update: creating it', { table: physicalIdOf(props) });
    await createTable(runner, props);
    return;
  }
  const byName = new Map(existing.map((row) => [String(row.column_name).toLowerCase(), row]));
  const conflicts: string[] = [];
  const missing: RedshiftColumn[] = [];
  for (const column of props.columns) {
    const row = byName.get(column.name.toLowerCase());
    if (!row) {
      missing.push(column);
      continue;
    }
    const problem = typeConflict(column, row);
    if (problem) {
      conflicts.push(problem);
    }
  }
  if (conflicts.length > 0) {
    throw new Error(
      `The table ${physicalIdOf(props)} was not changed: ${conflicts.join('; ')}. `
      + 'Freshet never alters or drops an existing column, because that could lose data. '
      + 'Keep the old type, or add the column under a new name, or create a new table and migrate the rows by hand.',
    );
  }
  const statements = missing.map((column) => RedshiftSql.addColumn({ schemaName: props.schemaName, tableName: props.tableName, column }));
  for (const sql of statements) {
    await runner.execute(sql);
  }
  const declared = new Set(props.columns.map((c) => c.name.toLowerCase()));
  const kept = existing.map((row) => String(row.column_name)).filter((name) => !declared.has(name.toLowerCase()));
  if (old.distKey !== props.distKey || JSON.stringify(old.sortKeys ?? []) !== JSON.stringify(props.sortKeys ?? [])) {
    log('distribution or sort key change not applied: change them by hand with ALTER TABLE ... ALTER DISTKEY / ALTER SORTKEY', {
      table: physicalIdOf(props),
      distKey: props.distKey,
      sortKeys: props.sortKeys,
    });
  }
  log('table updated', {
    table: physicalIdOf(props),
    added: missing.map((c) => c.name),
    keptUndeclared: kept,
  });
}

/** Why an existing column does not match the declared one, or undefined when it does. */
function typeConflict(column: RedshiftColumn, row: ResultRow): string | undefined {
  const expected = RedshiftSql.catalogTypeName(column.type);
  const actual = String(row.data_type);
  if (actual !== expected) {
    return `column '${column.name}' is ${actual} in Redshift but the schema now says ${column.type} (${expected})`;
  }
  if (column.type === 'string') {
    const wanted = RedshiftSql.columnType(column);
    const length = row.character_maximum_length;
    if (length !== null && length !== undefined && `VARCHAR(${length})` !== wanted) {
      return `column '${column.name}' is VARCHAR(${length}) in Redshift but the schema now says ${wanted}`;
    }
  }
  return undefined;
}
