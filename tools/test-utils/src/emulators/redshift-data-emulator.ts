/**
 * A local Redshift Data API: a small HTTP server speaking the API's wire
 * protocol (awsJson1_1: `POST /`, `X-Amz-Target: RedshiftData.<Operation>`,
 * JSON bodies, errors as HTTP 400 `{"__type", "message"}`), so handlers run
 * through the real AWS SDK v3 client unchanged.
 *
 * Behind it, a real SQL engine keeps state between statements: PGlite
 * (Postgres compiled to WebAssembly, in process). Create, update and delete
 * are then proven by what the database holds, not by echoed requests.
 *
 * What the fake translates, because Postgres lacks it (and nothing else):
 * - `svv_columns` (Redshift's catalog view of table columns) is read from
 *   `information_schema.columns`, which has the same column names;
 * - `DISTKEY(...)` and `SORTKEY(...)` table attributes are removed;
 * - Data API parameters `:name` become Postgres placeholders `$n`;
 * - `standard_conforming_strings` is off, so a backslash in a literal is an
 *   escape character, as in Redshift.
 * COPY, UNLOAD and streaming ingestion are not emulated: Postgres rejects them.
 *
 * Statements finish asynchronously as the service's do: DescribeStatement
 * reports SUBMITTED, then STARTED, and only then FINISHED, FAILED or ABORTED
 * (counted in DescribeStatement calls, never in wall-clock time), so callers
 * must poll. A statement reaches the engine at the poll that reports it
 * STARTED, so one cancelled while SUBMITTED changes nothing. Every request is recorded, and faults can be injected: fail the
 * Nth statement with a given Redshift error text, or throttle the next N calls.
 *
 * The engine runs in a worker thread started from this same (compiled) file:
 * PGlite loads Node built-ins with dynamic `import()`, which Jest's module
 * sandbox refuses, while a worker runs in plain Node.
 */
import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { isMainThread, parentPort, Worker, workerData } from 'worker_threads';
import { PGlite } from '@electric-sql/pglite';

/** One Data API call as the fake received it. */
export interface RedshiftDataRequest {
  /** The operation, e.g. `ExecuteStatement`. */
  readonly operation: string;
  /** The parsed JSON body. */
  readonly body: Record<string, any>;
  /** Every request header, lower-cased. */
  readonly headers: http.IncomingHttpHeaders;
}

/** A statement the fake ran (or refused), for assertions. */
export interface RedshiftDataStatement {
  /** The statement id returned by ExecuteStatement or BatchExecuteStatement. */
  readonly id: string;
  /** The SQL as sent (one entry for ExecuteStatement, several for a batch). */
  readonly sqls: string[];
  /** The SQL as given to Postgres, after the translations in the header comment. */
  readonly translatedSqls: string[];
  /** Its final status, once it finished. */
  status: 'SUBMITTED' | 'STARTED' | 'FINISHED' | 'FAILED' | 'ABORTED';
  /** The error text, when it failed. */
  error?: string;
}

/** Options of {@link startRedshiftDataEmulator}. */
export interface RedshiftDataEmulatorOptions {
  /**
   * How many DescribeStatement calls see a statement still SUBMITTED or
   * STARTED before its final status is reported.
   * @default 2
   */
  readonly describesBeforeFinish?: number;
  /**
   * Rows per GetStatementResult page; a smaller value exercises NextToken.
   * @default 1000
   */
  readonly resultPageSize?: number;
}

/** A running local Redshift Data API. */
export interface RedshiftDataEmulator {
  /** The endpoint URL, for `AWS_ENDPOINT_URL_REDSHIFT_DATA` or a client's `endpoint`. */
  readonly endpoint: string;
  /** Every call received, in order (throttled ones included). */
  readonly requests: RedshiftDataRequest[];
  /** Every statement submitted, in order. */
  readonly statements: RedshiftDataStatement[];
  /**
   * Runs SQL directly on the engine, bypassing the API (no translation), to
   * inspect or prepare state in tests. Returns the rows as objects.
   */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Makes the `n`th statement submitted from now on (1 = the next one) fail
   * with `errorText`, as Redshift reports it in DescribeStatement's `Error`.
   * It does not reach the engine.
   */
  failStatement(n: number, errorText: string): void;
  /** Answers the next `count` calls, of any operation, with a throttling error. */
  throttle(count: number, errorType?: 'ThrottlingException' | 'ActiveStatementsExceededException'): void;
  /** Forgets recorded requests and statements and pending faults (the database keeps its state). */
  reset(): void;
  /** Stops the server and closes the engine. */
  stop(): Promise<void>;
}

interface StatementState extends RedshiftDataStatement {
  readonly hasResultSet: boolean[];
  readonly results: Array<{ fields: Array<{ name: string; dataTypeID: number }>; rows: Record<string, unknown>[] } | undefined>;
  readonly createdAt: Date;
  readonly database: string;
  readonly target: Record<string, string>;
  describes: number;
  /** Whether the statement was handed to the engine (or to its injected fault). */
  started: boolean;
  /** Whether the engine is done with it. */
  finished: boolean;
  /** Whether a caller has already been told its final status. */
  reportedFinal: boolean;
  cancelled: boolean;
  begin: () => void;
}

class DataApiError extends Error {
  constructor(public readonly type: string, message: string) {
    super(message);
  }
}

/** Postgres type OIDs, mapped to the Data API's typed Field and the type name Redshift reports. */
const LONG_TYPES = new Set([20, 21, 23, 26]);
const DOUBLE_TYPES = new Set([700, 701]);
const TYPE_NAMES: Record<number, string> = Object.fromEntries([
  [16, 'bool'], [19, 'name'], [20, 'int8'], [21, 'int2'], [23, 'int4'], [25, 'text'], [700, 'float4'], [701, 'float8'],
  [1043, 'varchar'], [1114, 'timestamp'], [1184, 'timestamptz'], [1700, 'numeric'],
]);

/** Starts the fake on a free local port, with an empty database (`dev`, schema `public`). */
export async function startRedshiftDataEmulator(options: RedshiftDataEmulatorOptions = {}): Promise<RedshiftDataEmulator> {
  const describesBeforeFinish = options.describesBeforeFinish ?? 2;
  const resultPageSize = options.resultPageSize ?? 1000;
  const db = await EngineClient.start();

  const requests: RedshiftDataRequest[] = [];
  const statements: StatementState[] = [];
  const byId = new Map<string, StatementState>();
  let failures = new Map<number, string>();
  let submitted = 0;
  let throttled: { count: number; type: string } = { count: 0, type: 'ThrottlingException' };
  // PGlite has one connection: run engine work one piece at a time so a batch's transaction is not interleaved.
  let engineQueue: Promise<unknown> = Promise.resolve();
  const onEngine = <T>(work: () => Promise<T>): Promise<T> => {
    const next = engineQueue.then(work, work);
    engineQueue = next.catch(() => undefined);
    return next;
  };

  const submit = (body: Record<string, any>, sqls: string[]): StatementState => {
    requireString(body, 'Database');
    const target = targetOf(body);
    if (sqls.length === 0 || sqls.some((s) => typeof s !== 'string' || s.trim().length === 0)) {
      throw new DataApiError('ValidationException', 'Sql must not be empty.');
    }
    const parameters: Array<{ name: string; value: string }> = body.Parameters ?? [];
    if (parameters.length > 0 && sqls.length > 1) {
      throw new DataApiError('ValidationException', 'Parameters are not supported with BatchExecuteStatement.');
    }
    const translated = sqls.map((sql) => translate(sql, parameters));
    submitted += 1;
    const injected = failures.get(submitted);
    const state: StatementState = {
      id: randomUUID(),
      sqls,
      translatedSqls: translated.map((t) => t.sql),
      status: 'SUBMITTED',
      hasResultSet: sqls.map(() => false),
      results: sqls.map(() => undefined),
      createdAt: new Date(),
      database: body.Database,
      target,
      describes: 0,
      started: false,
      finished: false,
      reportedFinal: false,
      cancelled: false,
      // A statement waits in the queue (SUBMITTED) until the poll that reports it STARTED.
      begin: () => {
        if (state.started) {
          return;
        }
        state.started = true;
        void (injected !== undefined
          ? Promise.resolve().then(() => {
            state.status = 'FAILED';
            state.error = injected;
          })
          : onEngine(() => run(state, translated))
        ).finally(() => {
          if (state.cancelled) {
            state.status = 'ABORTED';
            state.error = 'Query cancelled on user request';
          }
          state.finished = true;
        });
      },
    };
    if (describesBeforeFinish === 0) {
      state.begin();
    }
    statements.push(state);
    byId.set(state.id, state);
    return state;
  };

  const run = async (state: StatementState, translated: Array<{ sql: string; values: string[] }>) => {
    const batch = translated.length > 1;
    try {
      if (batch) {
        await db.query('BEGIN');
      }
      for (let i = 0; i < translated.length; i++) {
        const result = await db.query<Record<string, unknown>>(translated[i].sql, translated[i].values);
        state.hasResultSet[i] = result.fields.length > 0;
        state.results[i] = { fields: result.fields, rows: result.rows };
      }
      if (batch) {
        await db.query('COMMIT');
      }
      state.status = 'FINISHED';
    } catch (error) {
      if (batch) {
        await db.query('ROLLBACK').catch(() => undefined);
      }
      state.status = 'FAILED';
      state.error = `ERROR: ${(error as Error).message}`;
    }
  };

  const statementOf = (id: unknown): { state: StatementState; index: number } => {
    if (typeof id !== 'string') {
      throw new DataApiError('ValidationException', 'Id is required.');
    }
    const [base, sub] = id.split(':');
    const state = byId.get(base);
    if (!state) {
      throw new DataApiError('ResourceNotFoundException', `Query does not exist: ${id}`);
    }
    const index = sub === undefined ? 0 : Number(sub) - 1;
    if (!Number.isInteger(index) || index < 0 || index >= state.sqls.length) {
      throw new DataApiError('ResourceNotFoundException', `Query does not exist: ${id}`);
    }
    return { state, index };
  };

  const operations: Record<string, (body: Record<string, any>) => Promise<Record<string, unknown>>> = {
    ExecuteStatement: async (body) => {
      const sql = requireString(body, 'Sql');
      const state = submit(body, [sql]);
      return { Id: state.id, CreatedAt: epochSeconds(state.createdAt), Database: state.database, ...state.target };
    },
    BatchExecuteStatement: async (body) => {
      if (!Array.isArray(body.Sqls) || body.Sqls.length === 0) {
        throw new DataApiError('ValidationException', 'Sqls must hold at least one statement.');
      }
      const state = submit(body, body.Sqls);
      return { Id: state.id, CreatedAt: epochSeconds(state.createdAt), Database: state.database, ...state.target };
    },
    DescribeStatement: async (body) => {
      const { state } = statementOf(body.Id);
      state.describes += 1;
      if (state.describes >= describesBeforeFinish && !state.cancelled) {
        state.begin();
      }
      if (state.describes <= describesBeforeFinish || !state.finished) {
        return describe(state, state.started ? 'STARTED' : 'SUBMITTED');
      }
      state.reportedFinal = true;
      return describe(state, state.status);
    },
    GetStatementResult: async (body) => {
      const { state, index } = statementOf(body.Id);
      if (!state.reportedFinal || state.status !== 'FINISHED') {
        throw new DataApiError('ValidationException', `Query has not finished: its status is ${state.finished ? state.status : 'STARTED'}.`);
      }
      const result = state.results[index];
      if (!state.hasResultSet[index] || !result) {
        throw new DataApiError('ResourceNotFoundException', 'Query does not have result. Please check query status with DescribeStatement.');
      }
      const start = body.NextToken ? Number(Buffer.from(String(body.NextToken), 'base64').toString('utf8')) : 0;
      const page = result.rows.slice(start, start + resultPageSize);
      const next = start + resultPageSize < result.rows.length ? Buffer.from(String(start + resultPageSize)).toString('base64') : undefined;
      return {
        ColumnMetadata: result.fields.map((f) => ({ name: f.name, label: f.name, typeName: TYPE_NAMES[f.dataTypeID] ?? 'unknown' })),
        Records: page.map((row) => result.fields.map((f) => toField(row[f.name], f.dataTypeID))),
        TotalNumRows: result.rows.length,
        ...(next ? { NextToken: next } : {}),
      };
    },
    CancelStatement: async (body) => {
      const { state } = statementOf(body.Id);
      if (state.reportedFinal) {
        throw new DataApiError('ValidationException', `Could not cancel a query that is already in ${state.status} state.`);
      }
      state.cancelled = true;
      if (!state.started) {
        // Still queued: it never reaches the engine.
        state.started = true;
        state.status = 'ABORTED';
        state.error = 'Query cancelled on user request';
        state.finished = true;
      }
      // Once running, the engine cannot stop it: it is reported ABORTED when it ends (its effects may remain).
      return { Status: true };
    },
  };

  const describe = (state: StatementState, status: string): Record<string, unknown> => ({
    Id: state.id,
    Status: status,
    QueryString: state.sqls.join('; '),
    Database: state.database,
    ...state.target,
    CreatedAt: epochSeconds(state.createdAt),
    UpdatedAt: epochSeconds(new Date()),
    HasResultSet: state.hasResultSet.some(Boolean),
    ...(status === 'FAILED' || status === 'ABORTED' ? { Error: state.error } : {}),
    ...(state.sqls.length > 1
      ? {
        SubStatements: state.sqls.map((sql, i) => ({
          Id: `${state.id}:${i + 1}`,
          QueryString: sql,
          Status: status === 'FINISHED' ? 'FINISHED' : status === 'FAILED' ? 'FAILED' : 'SUBMITTED',
          HasResultSet: state.hasResultSet[i],
        })),
      }
      : {}),
  });

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: Record<string, unknown>) => {
        const text = JSON.stringify(body);
        response.writeHead(status, {
          'Content-Type': 'application/x-amz-json-1.1',
          'x-amzn-RequestId': randomUUID(),
          'Content-Length': String(Buffer.byteLength(text)),
        });
        response.end(text);
      };
      const sendError = (status: number, type: string, message: string) => send(status, { __type: type, message });

      const target = String(request.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('RedshiftData.') ? target.slice('RedshiftData.'.length) : '';
      if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/' || !operations[operation]) {
        sendError(400, 'UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'} at ${request.method} ${request.url}`);
        return;
      }
      if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ') || !request.headers['x-amz-date']) {
        sendError(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
        return;
      }
      let body: Record<string, any>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      } catch {
        sendError(400, 'SerializationException', 'The request body is not JSON.');
        return;
      }
      requests.push({ operation, body, headers: request.headers });
      if (throttled.count > 0) {
        throttled.count -= 1;
        sendError(400, throttled.type, throttled.type === 'ThrottlingException' ? 'Rate exceeded' : 'Active statements exceeded the allowed quota.');
        return;
      }
      operations[operation](body)
        .then((result) => send(200, result))
        .catch((error: Error) =>
          error instanceof DataApiError
            ? sendError(400, error.type, error.message)
            : sendError(500, 'InternalServerException', `fake failed: ${error.message}`));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    statements,
    query: async (sql, params) => (await onEngine(() => db.query<Record<string, unknown>>(sql, params))).rows,
    failStatement: (n, errorText) => {
      if (!Number.isInteger(n) || n < 1) {
        throw new Error(`failStatement: n must be 1 or more, got ${n}.`);
      }
      failures.set(submitted + n, errorText);
    },
    throttle: (count, errorType = 'ThrottlingException') => {
      throttled = { count, type: errorType };
    },
    reset: () => {
      requests.length = 0;
      statements.length = 0;
      byId.clear();
      failures = new Map();
      throttled = { count: 0, type: 'ThrottlingException' };
    },
    stop: async () => {
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
      await engineQueue;
      await db.close();
    },
  };
}

function requireString(body: Record<string, any>, key: string): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new DataApiError('ValidationException', `${key} is required.`);
  }
  return value;
}

/** The Data API takes exactly one of a Serverless workgroup or a provisioned cluster. */
function targetOf(body: Record<string, any>): Record<string, string> {
  const workgroup = body.WorkgroupName;
  const cluster = body.ClusterIdentifier;
  if ((workgroup === undefined) === (cluster === undefined)) {
    throw new DataApiError('ValidationException', 'Either WorkgroupName or ClusterIdentifier must be specified, but not both.');
  }
  if (workgroup !== undefined && body.DbUser !== undefined) {
    throw new DataApiError('ValidationException', 'DbUser is not supported with WorkgroupName.');
  }
  return workgroup !== undefined ? { WorkgroupName: workgroup } : { ClusterIdentifier: cluster };
}

/** Applies the translations listed in the file's header comment, outside string literals and quoted identifiers. */
function translate(sql: string, parameters: Array<{ name: string; value: string }>): { sql: string; values: string[] } {
  const names = parameters.map((p) => p.name);
  const values = parameters.map((p) => p.value);
  const pieces = sql.split(/('(?:[^'\\]|\\.|'')*'|"(?:[^"]|"")*")/);
  const translated = pieces.map((piece, i) => {
    if (i % 2 === 1) {
      return piece; // a literal or quoted identifier
    }
    return piece
      .replace(/\bsvv_columns\b/gi, 'information_schema.columns')
      .replace(/(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g, (_whole, name: string) => {
        const index = names.indexOf(name);
        if (index < 0) {
          throw new DataApiError('ValidationException', `The parameter ${name} is used in the SQL but was not supplied.`);
        }
        return `$${index + 1}`;
      });
  }).join('');
  const withoutKeys = translated.replace(/\s+(DISTKEY|SORTKEY)\s*\((?:"(?:[^"]|"")*"|[^()"])*\)/gi, '');
  return { sql: withoutKeys, values };
}

function toField(value: unknown, typeId: number): Record<string, unknown> {
  if (value === null || value === undefined) {
    return { isNull: true };
  }
  if (typeof value === 'boolean') {
    return { booleanValue: value };
  }
  if (LONG_TYPES.has(typeId)) {
    return { longValue: Number(value) };
  }
  if (DOUBLE_TYPES.has(typeId)) {
    return { doubleValue: Number(value) };
  }
  // Not instanceof: the Date was made in the worker's messaging realm, which may not be the caller's (Jest).
  if (Object.prototype.toString.call(value) === '[object Date]') {
    // Redshift returns timestamps as text without a zone: 2024-01-01 00:00:00.
    return { stringValue: (value as Date).toISOString().replace('T', ' ').replace(/(\.000)?Z$/, '') };
  }
  return { stringValue: String(value) };
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

interface EngineResult {
  readonly fields: Array<{ name: string; dataTypeID: number }>;
  readonly rows: Record<string, unknown>[];
}

type EngineReply = { id: number; result: EngineResult } | { id: number; error: string };

const ENGINE_ROLE = 'freshet-redshift-data-engine';

/** The main thread's side of the engine worker: one query at a time is the caller's job. */
class EngineClient {
  public static async start(): Promise<EngineClient> {
    const worker = new Worker(__filename, { workerData: { role: ENGINE_ROLE } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (message: { ready?: boolean; error?: string }) =>
        message.ready ? resolve() : reject(new Error(`the SQL engine did not start: ${message.error}`)));
      worker.once('error', reject);
    });
    return new EngineClient(worker);
  }

  private readonly pending = new Map<number, { resolve: (r: EngineResult) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (reply: EngineReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if ('error' in reply) {
        waiter?.reject(new Error(reply.error));
      } else {
        waiter?.resolve(reply.result);
      }
    });
    // A crashed engine fails every query still waiting, rather than leaving a test hanging.
    worker.on('error', (error) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(error);
      }
      this.pending.clear();
    });
  }

  public query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ fields: EngineResult['fields']; rows: T[] }> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: EngineResult) => void, reject });
      this.worker.postMessage({ id, sql, params: params ?? [] });
    });
  }

  public async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** The worker's side: a PGlite database that answers one message per query. */
async function runEngineWorker(): Promise<void> {
  const port = parentPort!;
  let db: PGlite;
  try {
    db = await PGlite.create();
    // Redshift treats a backslash in a string literal as an escape character.
    await db.exec('SET standard_conforming_strings = off; SET escape_string_warning = off;');
  } catch (error) {
    port.postMessage({ error: (error as Error).message });
    return;
  }
  port.on('message', (message: { id: number; sql: string; params: unknown[] }) => {
    db.query<Record<string, unknown>>(message.sql, message.params)
      .then((result) => {
        const fields = result.fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
        port.postMessage({ id: message.id, result: { fields, rows: result.rows } });
      })
      .catch((error: Error) => port.postMessage({ id: message.id, error: error.message }));
  });
  port.postMessage({ ready: true });
}

if (!isMainThread && workerData?.role === ENGINE_ROLE) {
  void runEngineWorker();
}
