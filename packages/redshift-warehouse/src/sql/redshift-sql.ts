import {
  AddColumnOptions,
  CopyParquetOptions,
  CreateTableOptions,
  RedshiftColumn,
  RedshiftParameterizedQuery,
  RedshiftTableName,
  StreamingExternalSchemaOptions,
  StreamingMaterializedViewOptions,
  UnloadFormat,
  UnloadOptions,
} from './redshift-sql-props';

// Plain data only: the table-ddl Lambda bundles this file, so it must not pull in aws-cdk-lib.

/** Redshift identifiers are at most 127 bytes of UTF-8. */
const MAX_IDENTIFIER_BYTES = 127;
/** Redshift's widest VARCHAR, the default for string columns. */
const MAX_VARCHAR_LENGTH = 65535;
const DEFAULT_MAX_FILE_SIZE_MB = 256;
/** UNLOAD's MAXFILESIZE bounds, in MB. */
const MIN_FILE_SIZE_MB = 5;
const MAX_FILE_SIZE_MB = 6200;

/**
 * Core `ColumnType` values mapped to Redshift DDL types and to the type names
 * the catalog (`SVV_COLUMNS.data_type`) reports for them. Strings, not the
 * enum, so the handler bundle stays free of `@freshet/core` (and aws-cdk-lib).
 */
const TYPES: Record<string, { ddl: string; catalog: string }> = {
  string: { ddl: 'VARCHAR', catalog: 'character varying' },
  int: { ddl: 'INTEGER', catalog: 'integer' },
  bigint: { ddl: 'BIGINT', catalog: 'bigint' },
  double: { ddl: 'DOUBLE PRECISION', catalog: 'double precision' },
  boolean: { ddl: 'BOOLEAN', catalog: 'boolean' },
  timestamp: { ddl: 'TIMESTAMP', catalog: 'timestamp without time zone' },
};

/** Columns every Kinesis streaming view carries; schema columns may not reuse these names. */
const STREAM_METADATA_COLUMNS = ['approximate_arrival_timestamp', 'partition_key', 'shard_id', 'sequence_number', 'payload'];

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\s']*)?$/;
const IAM_ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const KMS_KEY = /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/+=,.@-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias\/[\w/+=,.@-]+)$/;

/**
 * Generates the Redshift SQL Freshet runs: the dataset table's DDL, COPY of
 * curated Parquet, UNLOAD of a training snapshot, and Kinesis streaming
 * ingestion. Every identifier is quoted and every literal escaped, so a name
 * or value can never end a statement early.
 *
 * Values that are CDK tokens at synth (a bucket name, a role ARN) are passed
 * through unchecked; literal values are checked and refused with a message
 * that says what to change.
 */
export class RedshiftSql {
  /**
   * Quotes an identifier: `"name"`, with `"` doubled.
   *
   * Redshift folds quoted identifiers to lower case unless
   * `enable_case_sensitive_identifier` is on, so keep names lower case.
   */
  public static quoteIdentifier(name: string): string {
    if (typeof name !== 'string' || name.length === 0) {
      throw new Error('Redshift identifier is empty: give the schema, table or column a name.');
    }
    if (name.includes('\0')) {
      throw new Error(`Redshift identifier ${JSON.stringify(name)} contains a NUL character: remove it.`);
    }
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > MAX_IDENTIFIER_BYTES) {
      throw new Error(`Redshift identifier '${name.slice(0, 40)}…' is ${bytes} bytes: Redshift allows at most ${MAX_IDENTIFIER_BYTES} bytes of UTF-8; shorten it.`);
    }
    return `"${name.replace(/"/g, '""')}"`;
  }

  /**
   * Quotes a string literal: `'text'`, with `'` and `\` doubled (Redshift
   * treats a backslash in a literal as an escape character).
   */
  public static quoteLiteral(text: string): string {
    if (typeof text !== 'string') {
      throw new Error(`Redshift literal must be a string, got ${typeof text}.`);
    }
    if (text.includes('\0')) {
      throw new Error(`Redshift literal ${JSON.stringify(text.slice(0, 40))} contains a NUL character: remove it.`);
    }
    return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
  }

  /** `"schema"."table"`. */
  public static qualifiedName(table: RedshiftTableName): string {
    return `${RedshiftSql.quoteIdentifier(table.schemaName)}.${RedshiftSql.quoteIdentifier(table.tableName)}`;
  }

  /** The Redshift DDL type of a column, e.g. `VARCHAR(65535)` or `DOUBLE PRECISION`. */
  public static columnType(column: RedshiftColumn): string {
    const type = RedshiftSql.typeOf(column);
    if (column.type !== 'string') {
      if (column.maxLength !== undefined) {
        throw new Error(`Column '${column.name}' sets maxLength but is a ${column.type}: remove maxLength, or make the column a string.`);
      }
      return type.ddl;
    }
    const length = column.maxLength ?? MAX_VARCHAR_LENGTH;
    if (!Number.isInteger(length) || length < 1 || length > MAX_VARCHAR_LENGTH) {
      throw new Error(`Column '${column.name}' has maxLength ${length}: use a whole number from 1 to ${MAX_VARCHAR_LENGTH}.`);
    }
    return `${type.ddl}(${length})`;
  }

  /**
   * The type name the catalog (`SVV_COLUMNS.data_type`) reports for a column
   * of this type, e.g. `character varying` for `string`: what an update
   * compares an existing column with.
   */
  public static catalogTypeName(type: string): string {
    return RedshiftSql.typeOf({ name: '(column)', type, nullable: true }).catalog;
  }

  /** `CREATE SCHEMA IF NOT EXISTS "schema"`. */
  public static createSchema(schemaName: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${RedshiftSql.quoteIdentifier(schemaName)}`;
  }

  /**
   * `CREATE TABLE IF NOT EXISTS "schema"."table" (...) [DISTKEY(..)] [SORTKEY(..)]`.
   * Run {@link createSchema} first.
   */
  public static createTable(options: CreateTableOptions): string {
    const columns = RedshiftSql.checkColumns(options.columns, `table '${options.schemaName}.${options.tableName}'`);
    const names = new Set(columns.map((c) => c.name));
    const definitions = columns.map(
      (c) => `${RedshiftSql.quoteIdentifier(c.name)} ${RedshiftSql.columnType(c)}${c.nullable ? '' : ' NOT NULL'}`,
    );
    let sql = `CREATE TABLE IF NOT EXISTS ${RedshiftSql.qualifiedName(options)} (${definitions.join(', ')})`;
    if (options.distKey !== undefined) {
      if (!names.has(options.distKey)) {
        throw new Error(`distKey '${options.distKey}' is not a column of ${options.tableName}: use one of ${[...names].join(', ')}.`);
      }
      sql += ` DISTKEY(${RedshiftSql.quoteIdentifier(options.distKey)})`;
    }
    if (options.sortKeys !== undefined && options.sortKeys.length > 0) {
      const unknown = options.sortKeys.filter((k) => !names.has(k));
      if (unknown.length > 0) {
        throw new Error(`sortKeys ${unknown.join(', ')} are not columns of ${options.tableName}: use columns from ${[...names].join(', ')}.`);
      }
      if (new Set(options.sortKeys).size !== options.sortKeys.length) {
        throw new Error(`sortKeys ${options.sortKeys.join(', ')} name a column twice: list each column once.`);
      }
      sql += ` SORTKEY(${options.sortKeys.map((k) => RedshiftSql.quoteIdentifier(k)).join(', ')})`;
    }
    return sql;
  }

  /**
   * `ALTER TABLE "schema"."table" ADD COLUMN "column" TYPE`.
   *
   * The added column is always nullable: rows already in the table have no
   * value for it, and Redshift refuses NOT NULL without a DEFAULT (a made-up
   * default would be a lie in training data).
   */
  public static addColumn(options: AddColumnOptions): string {
    const column = options.column;
    RedshiftSql.checkColumns([column], `table '${options.schemaName}.${options.tableName}'`);
    return `ALTER TABLE ${RedshiftSql.qualifiedName(options)} ADD COLUMN ${RedshiftSql.quoteIdentifier(column.name)} ${RedshiftSql.columnType(column)}`;
  }

  /**
   * A query of the table's existing columns (`column_name`, `data_type`,
   * `character_maximum_length`, `is_nullable`, in column order), with the
   * schema and table as Data API parameters so names are never spliced into SQL.
   * Names are compared as Redshift stores them: lower case.
   */
  public static listColumnsQuery(table: RedshiftTableName): RedshiftParameterizedQuery {
    RedshiftSql.quoteIdentifier(table.schemaName);
    RedshiftSql.quoteIdentifier(table.tableName);
    return {
      sql:
        'SELECT column_name, data_type, character_maximum_length, is_nullable FROM svv_columns'
        + ' WHERE table_schema = :schema_name AND table_name = :table_name ORDER BY ordinal_position',
      parameters: [
        { name: 'schema_name', value: table.schemaName.toLowerCase() },
        { name: 'table_name', value: table.tableName.toLowerCase() },
      ],
    };
  }

  /** `COPY "schema"."table" FROM 's3://…' IAM_ROLE '…' FORMAT AS PARQUET`. */
  public static copyParquet(options: CopyParquetOptions): string {
    RedshiftSql.checkS3Uri(options.s3Uri, 'COPY s3Uri', false);
    return `COPY ${RedshiftSql.qualifiedName(options)} FROM ${RedshiftSql.quoteLiteral(options.s3Uri)}`
      + ` IAM_ROLE ${RedshiftSql.iamRole(options.iamRoleArn)} FORMAT AS PARQUET`;
  }

  /**
   * `UNLOAD ('query') TO 's3://…/' IAM_ROLE '…' [KMS_KEY_ID '…' ENCRYPTED] FORMAT AS CSV HEADER ALLOWOVERWRITE …`.
   *
   * CSV with a header by default: the retraining preprocess step reads part
   * files by header. ALLOWOVERWRITE makes a retried run idempotent.
   */
  public static unload(options: UnloadOptions): string {
    if (typeof options.query !== 'string' || options.query.trim().length === 0) {
      throw new Error('UNLOAD query is empty: give the SELECT whose rows make the snapshot, e.g. SELECT * FROM "public"."stocks".');
    }
    if (/;\s*\S/.test(RedshiftSql.stripLiterals(options.query))) {
      throw new Error('UNLOAD query holds more than one statement: give a single SELECT (no ";" between statements).');
    }
    RedshiftSql.checkS3Uri(options.s3Uri, 'UNLOAD s3Uri', true);
    const format = options.format ?? UnloadFormat.CSV;
    if (!Object.values(UnloadFormat).includes(format)) {
      throw new Error(`UNLOAD format '${format}' is not supported: use ${Object.values(UnloadFormat).join(' or ')}.`);
    }
    const maxFileSizeMb = options.maxFileSizeMb ?? DEFAULT_MAX_FILE_SIZE_MB;
    if (!Number.isInteger(maxFileSizeMb) || maxFileSizeMb < MIN_FILE_SIZE_MB || maxFileSizeMb > MAX_FILE_SIZE_MB) {
      throw new Error(`UNLOAD maxFileSizeMb ${maxFileSizeMb} is out of range: use a whole number from ${MIN_FILE_SIZE_MB} to ${MAX_FILE_SIZE_MB}.`);
    }
    const query = options.query.trim().replace(/;\s*$/, '');
    const parts = [`UNLOAD (${RedshiftSql.quoteLiteral(query)}) TO ${RedshiftSql.quoteLiteral(options.s3Uri)}`];
    parts.push(`IAM_ROLE ${RedshiftSql.iamRole(options.iamRoleArn)}`);
    if (options.kmsKeyId !== undefined) {
      if (!RedshiftSql.isToken(options.kmsKeyId) && !KMS_KEY.test(options.kmsKeyId)) {
        throw new Error(`UNLOAD kmsKeyId '${options.kmsKeyId}' is not a KMS key id, key ARN or alias: pass key.keyArn.`);
      }
      parts.push(`KMS_KEY_ID ${RedshiftSql.quoteLiteral(options.kmsKeyId)} ENCRYPTED`);
    }
    parts.push(format === UnloadFormat.CSV ? 'FORMAT AS CSV HEADER' : 'FORMAT AS PARQUET');
    parts.push('ALLOWOVERWRITE');
    if (options.parallel === false) {
      parts.push('PARALLEL OFF');
    }
    parts.push(`MAXFILESIZE ${maxFileSizeMb} MB`);
    return parts.join(' ');
  }

  /** `CREATE EXTERNAL SCHEMA IF NOT EXISTS "schema" FROM KINESIS IAM_ROLE '…'`. */
  public static streamingExternalSchema(options: StreamingExternalSchemaOptions): string {
    return `CREATE EXTERNAL SCHEMA IF NOT EXISTS ${RedshiftSql.quoteIdentifier(options.schemaName)} FROM KINESIS`
      + ` IAM_ROLE ${RedshiftSql.iamRole(options.iamRoleArn)}`;
  }

  /**
   * `CREATE MATERIALIZED VIEW … AUTO REFRESH YES AS SELECT …` over a Kinesis
   * stream, as Redshift's streaming ingestion documents it: the record
   * metadata, each schema column extracted from the JSON record and cast to
   * its type, and the whole record as SUPER (`payload`) for fields the schema
   * does not declare. Records that are not JSON are skipped (`CAN_JSON_PARSE`).
   *
   * A missing field extracts as an empty string, which becomes NULL for
   * non-string columns (NULLIF) so the cast cannot fail on it.
   */
  public static streamingMaterializedView(options: StreamingMaterializedViewOptions): string {
    const columns = RedshiftSql.checkColumns(options.columns, `streaming view '${options.viewSchema}.${options.viewName}'`);
    const clash = columns.filter((c) => STREAM_METADATA_COLUMNS.includes(c.name.toLowerCase()));
    if (clash.length > 0) {
      throw new Error(
        `Column(s) ${clash.map((c) => c.name).join(', ')} clash with the streaming view's own columns (${STREAM_METADATA_COLUMNS.join(', ')}): rename them in the schema.`,
      );
    }
    const extracted = columns.map((c) => {
      const text = `JSON_EXTRACT_PATH_TEXT(FROM_VARBYTE(kinesis_data, 'utf-8'), ${RedshiftSql.quoteLiteral(c.name)}, TRUE)`;
      const value = c.type === 'string' ? text : `NULLIF(${text}, '')`;
      return `CAST(${value} AS ${RedshiftSql.columnType(c)}) AS ${RedshiftSql.quoteIdentifier(c.name)}`;
    });
    const select = [
      'approximate_arrival_timestamp',
      'partition_key',
      'shard_id',
      'sequence_number',
      ...extracted,
      'JSON_PARSE(kinesis_data) AS payload',
    ];
    return `CREATE MATERIALIZED VIEW ${RedshiftSql.qualifiedName({ schemaName: options.viewSchema, tableName: options.viewName })}`
      + ` AUTO REFRESH YES AS SELECT ${select.join(', ')}`
      + ` FROM ${RedshiftSql.quoteIdentifier(options.externalSchema)}.${RedshiftSql.quoteIdentifier(options.streamName)}`
      + ' WHERE CAN_JSON_PARSE(kinesis_data)';
  }

  /** Whether a string holds an unresolved CDK token, whose content is only known at deploy time. */
  public static isToken(value: string): boolean {
    return value.includes('${Token[');
  }

  private static typeOf(column: RedshiftColumn): { ddl: string; catalog: string } {
    const type = Object.prototype.hasOwnProperty.call(TYPES, column.type) ? TYPES[column.type] : undefined;
    if (!type) {
      throw new Error(`Column '${column.name}' has type '${column.type}': use one of ${Object.keys(TYPES).join(', ')}.`);
    }
    return type;
  }

  private static checkColumns(columns: RedshiftColumn[], where: string): RedshiftColumn[] {
    if (!Array.isArray(columns) || columns.length === 0) {
      throw new Error(`${where} has no columns: give at least one column.`);
    }
    const seen = new Set<string>();
    for (const column of columns) {
      RedshiftSql.quoteIdentifier(column.name);
      RedshiftSql.columnType(column);
      // Redshift folds names to lower case, so `Price` and `price` are the same column.
      const folded = column.name.toLowerCase();
      if (seen.has(folded)) {
        throw new Error(`${where} declares column '${column.name}' twice: column names must be unique (Redshift ignores case).`);
      }
      seen.add(folded);
    }
    return columns;
  }

  private static iamRole(iamRoleArn: string): string {
    if (iamRoleArn === 'default') {
      return 'default';
    }
    if (!RedshiftSql.isToken(iamRoleArn) && !IAM_ROLE_ARN.test(iamRoleArn)) {
      throw new Error(`IAM role '${iamRoleArn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>): pass role.roleArn, or 'default' for the namespace's default role.`);
    }
    return RedshiftSql.quoteLiteral(iamRoleArn);
  }

  private static checkS3Uri(s3Uri: string, what: string, mustEndWithSlash: boolean): void {
    if (RedshiftSql.isToken(s3Uri)) {
      return;
    }
    if (!S3_URI.test(s3Uri)) {
      throw new Error(`${what} '${s3Uri}' is not an S3 URI: use s3://<bucket>/<prefix>/ (bucket name in lower case, no quotes or spaces).`);
    }
    if (mustEndWithSlash && !s3Uri.endsWith('/')) {
      throw new Error(`${what} '${s3Uri}' does not end with '/': end the prefix with '/' so the part files land under it, e.g. ${s3Uri}/.`);
    }
  }

  /** The query without its string literals, so a ';' inside a literal is not taken for a statement end. */
  private static stripLiterals(query: string): string {
    return query.replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
  }

  private constructor() {}
}
