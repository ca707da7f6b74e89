/** Column names Glue, Athena and Redshift all accept unquoted and unchanged. */
export const COLUMN_NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;
/** Redshift identifiers are at most 127 bytes. */
export const MAX_COLUMN_NAME_LENGTH = 127;
/** Dataset names also become S3 prefixes and parts of resource names. */
export const DATASET_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
export const MAX_DATASET_NAME_LENGTH = 64;

/** Suggests a name that satisfies {@link COLUMN_NAME_PATTERN}, for error messages. */
export function suggestName(name: string): string {
  const cleaned = name
    .trim()
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const suggestion = /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
  return suggestion.length > 0 ? suggestion : 'column_name';
}
