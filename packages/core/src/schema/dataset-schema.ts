import { ColumnType } from './column-type';
import { ColumnDefinition, ColumnSpec, DatasetSchemaProps, DatasetSchemaSpec } from './dataset-schema-props';
import {
  COLUMN_NAME_PATTERN,
  DATASET_NAME_PATTERN,
  MAX_COLUMN_NAME_LENGTH,
  MAX_DATASET_NAME_LENGTH,
  suggestName,
} from './names';

const DEFAULT_STRING_LENGTH = 256;
/** Redshift's widest VARCHAR. */
const MAX_STRING_LENGTH = 65535;

const GLUE_TYPES: Record<ColumnType, string> = {
  [ColumnType.STRING]: 'string',
  [ColumnType.INT]: 'int',
  [ColumnType.BIGINT]: 'bigint',
  [ColumnType.DOUBLE]: 'double',
  [ColumnType.BOOLEAN]: 'boolean',
  [ColumnType.TIMESTAMP]: 'timestamp',
};

const JSON_SCHEMA_TYPES: Record<ColumnType, string> = {
  [ColumnType.STRING]: 'string',
  [ColumnType.INT]: 'integer',
  [ColumnType.BIGINT]: 'integer',
  [ColumnType.DOUBLE]: 'number',
  [ColumnType.BOOLEAN]: 'boolean',
  [ColumnType.TIMESTAMP]: 'string',
};

/** A column as {@link DatasetSchema} holds it: every default resolved. */
export interface ResolvedColumn {
  /** The column name. */
  readonly name: string;
  /** The column type. */
  readonly type: ColumnType;
  /** What the column holds; empty when not given. */
  readonly description: string;
  /** Whether the column may be empty. */
  readonly nullable: boolean;
  /** The Redshift VARCHAR length of a string column. */
  readonly maxLength: number;
}

/** Options for {@link DatasetSchema.toJsonSchema}. */
export interface JsonSchemaOptions {
  /**
   * Whether the record must carry the target column. Prediction requests do not.
   * @default true
   */
  readonly includeTarget?: boolean;
  /**
   * Whether properties the schema does not declare are refused.
   * @default true
   */
  readonly strict?: boolean;
}

/** A Glue catalog column, as `glue.CfnTable` takes it. */
export interface GlueColumn {
  /** The column name. */
  readonly name: string;
  /** The Glue/Hive type. */
  readonly type: string;
  /**
   * The column description.
   * @default - none
   */
  readonly comment?: string;
}

/**
 * One dataset's shape, declared once and used by every Freshet construct: lake
 * tables, Firehose Parquet conversion, Redshift DDL, API request validation, the
 * CSV order of training channels and the drift job's feature list.
 *
 * It validates at construction and says what to change.
 *
 * @example
 * import { ColumnType, DatasetSchema } from '@freshet/core';
 *
 * const schema = new DatasetSchema({
 *   name: 'stocks',
 *   columns: [
 *     { name: 'ticker_symbol', type: ColumnType.STRING },
 *     { name: 'sector', type: ColumnType.STRING },
 *     { name: 'change', type: ColumnType.DOUBLE },
 *     { name: 'price', type: ColumnType.DOUBLE },
 *   ],
 *   targetColumn: 'price',
 * });
 */
export class DatasetSchema {
  /** Rebuilds a schema from its serialised form, validating it again. */
  public static fromSpec(spec: DatasetSchemaSpec): DatasetSchema {
    return new DatasetSchema({
      name: spec.name,
      columns: spec.columns.map((c) => ({ name: c.name, type: c.type as ColumnType, nullable: c.nullable })),
      targetColumn: spec.targetColumn,
      eventTimeColumn: spec.eventTimeColumn,
      idColumn: spec.idColumn,
    });
  }

  /** The dataset name. */
  public readonly name: string;
  /** What the dataset holds; empty when not given. */
  public readonly description: string;
  /** The columns, in declared order, with defaults resolved. */
  public readonly columns: ResolvedColumn[];
  /** The column the model predicts. */
  public readonly targetColumn: string;
  /** The event-time column, if any. */
  public readonly eventTimeColumn?: string;
  /** The id column (a unique record id, the de-duplication key), if any. */
  public readonly idColumn?: string;

  constructor(props: DatasetSchemaProps) {
    const problems = validateSchema(props);
    if (problems.length > 0) {
      const name = typeof props?.name === 'string' && props.name ? `'${props.name}'` : '(unnamed)';
      throw new Error(`Invalid DatasetSchema ${name}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    }
    const mustBePresent = new Set([props.targetColumn, props.eventTimeColumn, props.idColumn]);
    this.name = props.name;
    this.description = props.description ?? '';
    this.columns = props.columns.map((c) => ({
      name: c.name,
      type: c.type,
      description: c.description ?? '',
      nullable: mustBePresent.has(c.name) ? false : (c.nullable ?? false),
      maxLength: c.maxLength ?? DEFAULT_STRING_LENGTH,
    }));
    this.targetColumn = props.targetColumn;
    this.eventTimeColumn = props.eventTimeColumn;
    this.idColumn = props.idColumn;
  }

  /** The column names, in declared order: the order of a CSV upload. */
  public get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  /** The columns a model reads: every column but the target, in declared order. */
  public get featureColumns(): string[] {
    return this.columnNames.filter((name) => name !== this.targetColumn);
  }

  /** Returns a column by name, or throws naming the columns there are. */
  public column(name: string): ResolvedColumn {
    const found = this.columns.find((c) => c.name === name);
    if (!found) {
      throw new Error(`Dataset '${this.name}' has no column '${name}'. Its columns are: ${this.columnNames.join(', ')}.`);
    }
    return found;
  }

  /**
   * The CSV column order for training channels.
   * @param labelFirst put the target first, as XGBoost's CSV input requires
   */
  public csvColumnOrder(labelFirst?: boolean): string[] {
    return labelFirst ? [this.targetColumn, ...this.featureColumns] : this.columnNames;
  }

  /** The Glue catalog columns of the table that holds this dataset. */
  public toGlueColumns(): GlueColumn[] {
    return this.columns.map((c) => ({
      name: c.name,
      type: GLUE_TYPES[c.type],
      ...(c.description ? { comment: c.description } : {}),
    }));
  }

  /**
   * A JSON Schema (draft-04, which API Gateway models use) of one record.
   * Timestamps are ISO 8601 strings.
   */
  public toJsonSchema(options?: JsonSchemaOptions): any {
    const includeTarget = options?.includeTarget ?? true;
    const columns = this.columns.filter((c) => includeTarget || c.name !== this.targetColumn);
    const properties: Record<string, unknown> = {};
    for (const c of columns) {
      const type = JSON_SCHEMA_TYPES[c.type];
      properties[c.name] = {
        type: c.nullable ? [type, 'null'] : type,
        ...(c.type === ColumnType.TIMESTAMP ? { format: 'date-time' } : {}),
        ...(c.type === ColumnType.INT ? { minimum: -2147483648, maximum: 2147483647 } : {}),
        ...(c.type === ColumnType.STRING ? { maxLength: c.maxLength } : {}),
        ...(c.description ? { description: c.description } : {}),
      };
    }
    return {
      $schema: 'http://json-schema.org/draft-04/schema#',
      title: this.name,
      type: 'object',
      properties,
      required: columns.filter((c) => !c.nullable).map((c) => c.name),
      additionalProperties: !(options?.strict ?? true),
    };
  }

  /** Redshift column definitions, one per column, e.g. `"price" DOUBLE PRECISION NOT NULL`. */
  public toRedshiftColumnDdl(): string[] {
    return this.columns.map((c) => `"${c.name}" ${redshiftType(c)}${c.nullable ? '' : ' NOT NULL'}`);
  }

  /** The serialisable form, for handlers and job scripts. */
  public toSpec(): DatasetSchemaSpec {
    const columns: ColumnSpec[] = this.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable }));
    return {
      name: this.name,
      columns,
      targetColumn: this.targetColumn,
      ...(this.eventTimeColumn ? { eventTimeColumn: this.eventTimeColumn } : {}),
      ...(this.idColumn ? { idColumn: this.idColumn } : {}),
    };
  }
}

function redshiftType(column: ResolvedColumn): string {
  switch (column.type) {
    case ColumnType.STRING:
      return `VARCHAR(${column.maxLength})`;
    case ColumnType.INT:
      return 'INTEGER';
    case ColumnType.BIGINT:
      return 'BIGINT';
    case ColumnType.DOUBLE:
      return 'DOUBLE PRECISION';
    case ColumnType.BOOLEAN:
      return 'BOOLEAN';
    case ColumnType.TIMESTAMP:
      return 'TIMESTAMP';
  }
}

/** Every problem with the props, each phrased as what to change. */
function validateSchema(props: DatasetSchemaProps): string[] {
  const problems: string[] = [];
  if (!props || typeof props !== 'object') {
    return ['pass the schema props: { name, columns, targetColumn }.'];
  }
  if (typeof props.name !== 'string' || !DATASET_NAME_PATTERN.test(props.name) || props.name.length > MAX_DATASET_NAME_LENGTH) {
    problems.push(
      `name '${props.name}' must be lower case letters, digits and underscores, start with a letter and be at most ${MAX_DATASET_NAME_LENGTH} characters; ` +
        `try '${suggestName(String(props.name ?? 'dataset')).replace(/^_+/, '')}'.`,
    );
  }
  const columns = Array.isArray(props.columns) ? props.columns : [];
  if (columns.length === 0) {
    problems.push('columns is empty: declare at least the target column and one feature.');
  }
  const validTypes = Object.values(ColumnType) as string[];
  const seen = new Map<string, number>();
  columns.forEach((column: ColumnDefinition, index) => {
    const where = `column ${index + 1}`;
    if (typeof column?.name !== 'string' || column.name.length === 0) {
      problems.push(`${where} has no name: give it a name such as 'feature_${index + 1}'.`);
      return;
    }
    if (!COLUMN_NAME_PATTERN.test(column.name) || column.name.length > MAX_COLUMN_NAME_LENGTH) {
      problems.push(
        `${where} '${column.name}' is not a name Glue and Redshift both accept: use lower case letters, digits and underscores, ` +
          `starting with a letter or underscore, at most ${MAX_COLUMN_NAME_LENGTH} characters; rename it to '${suggestName(column.name)}'.`,
      );
    }
    const previous = seen.get(column.name);
    if (previous !== undefined) {
      problems.push(`${where} '${column.name}' repeats column ${previous + 1}: rename or remove one of them.`);
    } else {
      seen.set(column.name, index);
    }
    if (!validTypes.includes(column.type)) {
      problems.push(`${where} '${column.name}' has type '${column.type}': use one of ${validTypes.join(', ')}.`);
    }
    if (column.maxLength !== undefined) {
      if (column.type !== ColumnType.STRING) {
        problems.push(`${where} '${column.name}' sets maxLength but is a ${column.type}: remove maxLength, or make the column a string.`);
      } else if (!Number.isInteger(column.maxLength) || column.maxLength < 1 || column.maxLength > MAX_STRING_LENGTH) {
        problems.push(`${where} '${column.name}' has maxLength ${column.maxLength}: use a whole number from 1 to ${MAX_STRING_LENGTH}.`);
      }
    }
  });
  const names = columns.map((c) => c?.name);
  const mustName = (role: string, name: string | undefined, required: boolean) => {
    if (name === undefined || name === null || name === '') {
      if (required) problems.push(`${role} is not set: name the column the model predicts, one of ${names.join(', ') || '(no columns)'}.`);
      return undefined;
    }
    if (!names.includes(name)) {
      problems.push(`${role} '${name}' is not a column: add it to columns, or choose one of ${names.join(', ') || '(no columns)'}.`);
      return undefined;
    }
    return columns.find((c) => c.name === name);
  };
  mustName('targetColumn', props.targetColumn, true);
  const eventTime = mustName('eventTimeColumn', props.eventTimeColumn, false);
  if (eventTime && eventTime.type !== ColumnType.TIMESTAMP) {
    problems.push(`eventTimeColumn '${eventTime.name}' is a ${eventTime.type}: make it a timestamp column, or leave eventTimeColumn unset.`);
  }
  const id = mustName('idColumn', props.idColumn, false);
  if (id && (id.type === ColumnType.DOUBLE || id.type === ColumnType.BOOLEAN)) {
    problems.push(`idColumn '${id.name}' is a ${id.type}: use a string, int, bigint or timestamp column as the id.`);
  }
  if (props.targetColumn && props.targetColumn === props.idColumn) {
    problems.push(`targetColumn and idColumn are both '${props.targetColumn}': the model cannot predict its own record id; choose another target.`);
  }
  if (columns.length === 1 && names[0] === props.targetColumn) {
    problems.push('the target is the only column: add at least one feature column.');
  }
  return problems;
}
