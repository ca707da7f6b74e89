import { randomUUID } from 'node:crypto';
import { parseUnload, unloadFiles, UnsupportedStatementError } from './unload';
import { S3Store } from '../jobs/s3-store';
import { LabelledStore } from '../runs/types';

/** A statement the warehouse ran, for the run's record and the tests. */
export interface WarehouseStatement {
  readonly id: string;
  readonly sql: string;
  readonly status: 'FINISHED' | 'FAILED';
  readonly error?: string;
  /** Simulated epoch ms at which it ran (the rows labelled by then are unloaded). */
  readonly time: number;
  readonly files: string[];
  readonly rows: number;
}

/**
 * The Redshift Data API as the retrain state machine's extract calls it
 * (`aws-sdk:redshiftdata:executeStatement`, `describeStatement`,
 * `cancelStatement`): an UNLOAD writes the labelled store's rows up to the
 * run's simulated time to S3 (moto), exactly where and as the app's own
 * statement asks (src/warehouse/unload.ts). Any other statement, or an UNLOAD
 * the replay cannot honour, ends FAILED with the reason, as Redshift reports a
 * statement error in DescribeStatement.
 */
export class WarehouseTasks {
  readonly statements: WarehouseStatement[] = [];

  constructor(private readonly s3: S3Store, private readonly store: LabelledStore) {}

  async executeStatement(request: any, time: number): Promise<any> {
    const sqls: string[] = request.Sqls ?? (request.Sql !== undefined ? [request.Sql] : []);
    const id = randomUUID();
    let statement: WarehouseStatement;
    try {
      if (sqls.length !== 1) throw new UnsupportedStatementError(`The replay's warehouse runs one UNLOAD per call; this call sends ${sqls.length} statements.`);
      const unload = parseUnload(sqls[0]);
      const files = unloadFiles(unload, this.store, time);
      for (const f of files) await this.s3.put(f.key, f.body);
      statement = { id, sql: sqls[0], status: 'FINISHED', time, files: files.map((f) => f.key), rows: files.reduce((n, f) => n + f.rows, 0) };
    } catch (error) {
      if (!(error instanceof UnsupportedStatementError)) throw error;
      statement = { id, sql: sqls.join(';\n'), status: 'FAILED', error: error.message, time, files: [], rows: 0 };
    }
    this.statements.push(statement);
    return {
      Id: id,
      CreatedAt: new Date(time).toISOString(),
      Database: request.Database,
      WorkgroupName: request.WorkgroupName,
      ClusterIdentifier: request.ClusterIdentifier,
    };
  }

  describeStatement(request: any): any {
    const s = this.statements.find((x) => x.id === request.Id);
    if (!s) return undefined;
    return {
      Id: s.id,
      Status: s.status,
      Error: s.error,
      QueryString: s.sql,
      ResultRows: s.rows,
      HasResultSet: false,
      CreatedAt: new Date(s.time).toISOString(),
      UpdatedAt: new Date(s.time).toISOString(),
    };
  }

  cancelStatement(request: any): any {
    return { Status: this.statements.some((x) => x.id === request.Id) ? false : undefined };
  }
}
