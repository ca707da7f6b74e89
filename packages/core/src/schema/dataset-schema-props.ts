import { ColumnType } from './column-type';

/** One column of a dataset. */
export interface ColumnDefinition {
  /**
   * The column name: lower case letters, digits and underscores, starting with a
   * letter or underscore, at most 127 characters, so that Glue, Athena and
   * Redshift all accept it unchanged.
   */
  readonly name: string;
  /** The column's type. */
  readonly type: ColumnType;
  /**
   * What the column holds, shown in the Glue catalog and the API docs.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Whether a record may leave the column empty. The target, event-time and id
   * columns are never nullable.
   * @default false
   */
  readonly nullable?: boolean;
  /**
   * The longest value a string column holds, in bytes, used for Redshift VARCHAR.
   * @default 256
   */
  readonly maxLength?: number;
}

/** Properties of a {@link DatasetSchema}. */
export interface DatasetSchemaProps {
  /**
   * The dataset name, used in lake prefixes, Glue tables and resource names:
   * lower case letters, digits and underscores, starting with a letter, at most 64 characters.
   */
  readonly name: string;
  /** The columns, in the order a CSV upload lists them. */
  readonly columns: ColumnDefinition[];
  /** The column the model predicts. It must be one of `columns`. */
  readonly targetColumn: string;
  /**
   * A timestamp column that says when each record happened. With it, lake
   * partitions and training splits follow event time.
   * @default - records have no event time
   */
  readonly eventTimeColumn?: string;
  /**
   * A column that names a unique record id: one value per record (a reading,
   * event or message id), never repeated by two different records. The ETL
   * keeps one row per value and drops the rest as duplicates, so an entity id
   * (a device or machine id repeated across its readings) would drop almost
   * everything: leave this unset for such data, and duplicates are judged on
   * all columns. GlueEtl warns in its job log and alarms when a run drops a
   * large share of its rows as duplicates.
   * @default - duplicates are judged on all columns
   */
  readonly idColumn?: string;
  /**
   * What the dataset holds.
   * @default - no description
   */
  readonly description?: string;
}

/**
 * The serialisable form of a schema, as handlers and job scripts receive it
 * (JSON in an environment variable or a job argument).
 */
export interface DatasetSchemaSpec {
  /** The dataset name. */
  readonly name: string;
  /** The columns, in declared order. */
  readonly columns: ColumnSpec[];
  /** The target column. */
  readonly targetColumn: string;
  /**
   * The event-time column.
   * @default - none
   */
  readonly eventTimeColumn?: string;
  /**
   * The id column: a unique record id.
   * @default - none
   */
  readonly idColumn?: string;
}

/** One column in a {@link DatasetSchemaSpec}. */
export interface ColumnSpec {
  /** The column name. */
  readonly name: string;
  /** The column type, one of the {@link ColumnType} values. */
  readonly type: string;
  /** Whether the column may be empty. */
  readonly nullable: boolean;
}
