/**
 * One column of a Redshift table, as plain data: the handler receives it as
 * JSON from the custom resource, so it carries no CDK types.
 */
export interface RedshiftColumn {
  /** The column name. */
  readonly name: string;
  /**
   * The column type: a core `ColumnType` value (`string`, `int`, `bigint`,
   * `double`, `boolean` or `timestamp`).
   */
  readonly type: string;
  /** Whether the column may hold NULL. */
  readonly nullable: boolean;
  /**
   * The VARCHAR length of a string column, in bytes. Pass the schema's
   * `maxLength` to match `DatasetSchema.toRedshiftColumnDdl()`.
   * @default 65535 (Redshift's widest VARCHAR)
   */
  readonly maxLength?: number;
}

/** A table named by its schema. */
export interface RedshiftTableName {
  /** The Redshift schema (namespace) that holds the table. */
  readonly schemaName: string;
  /** The table name. */
  readonly tableName: string;
}

/** Options for {@link RedshiftSql.createTable}. */
export interface CreateTableOptions extends RedshiftTableName {
  /** The table's columns, in order. */
  readonly columns: RedshiftColumn[];
  /**
   * The column that distributes rows across slices (DISTSTYLE KEY).
   * @default - none: Redshift chooses (DISTSTYLE AUTO)
   */
  readonly distKey?: string;
  /**
   * The compound sort key's columns, in order.
   * @default - none: Redshift chooses (SORTKEY AUTO)
   */
  readonly sortKeys?: string[];
}

/** Options for {@link RedshiftSql.addColumn}. */
export interface AddColumnOptions extends RedshiftTableName {
  /** The column to add. Its `nullable` is ignored: added columns are always nullable. */
  readonly column: RedshiftColumn;
}

/** A named parameter of a Redshift Data API statement (`:name` in the SQL). */
export interface RedshiftSqlParameter {
  /** The parameter name, without the colon. */
  readonly name: string;
  /** The parameter value, always sent as text. */
  readonly value: string;
}

/** A statement with its Data API parameters, so values are never spliced into SQL. */
export interface RedshiftParameterizedQuery {
  /** The SQL, with `:name` placeholders. */
  readonly sql: string;
  /** The values of the placeholders. */
  readonly parameters: RedshiftSqlParameter[];
}

/** Options for {@link RedshiftSql.copyParquet}. */
export interface CopyParquetOptions extends RedshiftTableName {
  /** The S3 prefix to load, `s3://bucket/prefix/`. May be a CDK token. */
  readonly s3Uri: string;
  /** The role Redshift assumes to read S3: an IAM role ARN, or `default`. May be a CDK token. */
  readonly iamRoleArn: string;
}

/** The file format an UNLOAD writes. */
export enum UnloadFormat {
  /** CSV with a header line: what the retraining preprocess step reads. */
  CSV = 'CSV',
  /** Parquet. */
  PARQUET = 'PARQUET',
}

/** Options for {@link RedshiftSql.unload}. */
export interface UnloadOptions {
  /** The SELECT whose rows are written. */
  readonly query: string;
  /** The S3 prefix to write, ending in `/`, e.g. `s3://lake/snapshots/stocks/run-1/`. May be a CDK token. */
  readonly s3Uri: string;
  /** The role Redshift assumes to write S3: an IAM role ARN, or `default`. May be a CDK token. */
  readonly iamRoleArn: string;
  /**
   * The KMS key that encrypts the written files (SSE-KMS).
   * @default - the bucket's default encryption
   */
  readonly kmsKeyId?: string;
  /**
   * The file format.
   * @default UnloadFormat.CSV
   */
  readonly format?: UnloadFormat;
  /**
   * Whether slices write in parallel (one or more files per slice) or one file at a time.
   * @default true
   */
  readonly parallel?: boolean;
  /**
   * The largest file UNLOAD writes, in MB (5 to 6200).
   * @default 256
   */
  readonly maxFileSizeMb?: number;
}

/** Options for {@link RedshiftSql.streamingExternalSchema}. */
export interface StreamingExternalSchemaOptions {
  /** The external schema's name. */
  readonly schemaName: string;
  /** The role Redshift assumes to read Kinesis: an IAM role ARN, or `default`. May be a CDK token. */
  readonly iamRoleArn: string;
}

/** Options for {@link RedshiftSql.streamingMaterializedView}. */
export interface StreamingMaterializedViewOptions {
  /** The schema that holds the view. */
  readonly viewSchema: string;
  /** The view's name. */
  readonly viewName: string;
  /** The external schema made by {@link RedshiftSql.streamingExternalSchema}. */
  readonly externalSchema: string;
  /** The Kinesis data stream's name (not its ARN). May be a CDK token. */
  readonly streamName: string;
  /** The columns extracted from each JSON record. */
  readonly columns: RedshiftColumn[];
}
