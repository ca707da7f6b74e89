/**
 * The column types a Freshet dataset may use. Every layer maps them the same
 * way: Glue and Parquet, Redshift, JSON Schema, and the ingest and ETL code.
 */
export enum ColumnType {
  /** UTF-8 text. */
  STRING = 'string',
  /** 32-bit signed integer. */
  INT = 'int',
  /** 64-bit signed integer. */
  BIGINT = 'bigint',
  /** 64-bit floating point. */
  DOUBLE = 'double',
  /** true or false. */
  BOOLEAN = 'boolean',
  /** A point in time, written as ISO 8601 in JSON and CSV. */
  TIMESTAMP = 'timestamp',
}
