import { ColumnType, DatasetSchema } from '@freshet/core';
import { DataQualityOptions } from './glue-etl-props';

const DQDL_TYPES: Partial<Record<ColumnType, string>> = {
  [ColumnType.INT]: 'INTEGER',
  [ColumnType.BIGINT]: 'INTEGER',
  [ColumnType.DOUBLE]: 'FRACTIONAL',
  [ColumnType.BOOLEAN]: 'BOOLEAN',
  [ColumnType.TIMESTAMP]: 'TIMESTAMP',
};

const NUMERIC = new Set([ColumnType.INT, ColumnType.BIGINT, ColumnType.DOUBLE]);

/**
 * Renders a Glue Data Quality ruleset (DQDL) from the schema: every
 * non-nullable column is complete, every typed column has its type, and the
 * given numeric columns stay in range.
 */
export class DataQualityRules {
  /** The DQDL text, e.g. `Rules = [ IsComplete "price", ColumnValues "price" between 0 and 10000 ]`. */
  public static render(schema: DatasetSchema, options: DataQualityOptions = {}): string {
    const rules: string[] = ['RowCount > 0'];
    for (const column of schema.columns) {
      if (!column.nullable) rules.push(`IsComplete "${column.name}"`);
      const dqdlType = DQDL_TYPES[column.type];
      if (dqdlType) rules.push(`ColumnDataType "${column.name}" = "${dqdlType}"`);
    }
    for (const range of options.valueRanges ?? []) {
      const column = schema.columns.find((c) => c.name === range.column);
      if (!column) {
        throw new Error(`dataQuality.valueRanges names '${range.column}', which is not a column of '${schema.name}': use one of ${schema.columnNames.join(', ')}.`);
      }
      if (!NUMERIC.has(column.type)) {
        throw new Error(`dataQuality.valueRanges: '${range.column}' is a ${column.type}; ranges apply to int, bigint and double columns only.`);
      }
      const { min, max } = range;
      if (min === undefined && max === undefined) {
        throw new Error(`dataQuality.valueRanges for '${range.column}' sets neither min nor max: set at least one, or remove the range.`);
      }
      if (min !== undefined && max !== undefined && min > max) {
        throw new Error(`dataQuality.valueRanges for '${range.column}' has min ${min} above max ${max}: swap them.`);
      }
      if (min !== undefined && max !== undefined) rules.push(`ColumnValues "${range.column}" between ${min} and ${max}`);
      else if (min !== undefined) rules.push(`ColumnValues "${range.column}" >= ${min}`);
      else rules.push(`ColumnValues "${range.column}" <= ${max}`);
    }
    return `Rules = [\n  ${rules.join(',\n  ')}\n]`;
  }

  private constructor() {}
}
