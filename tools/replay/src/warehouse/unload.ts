import { LabelledStore } from '../runs/types';

/** An UNLOAD statement as the replay honours it. */
export interface UnloadStatement {
  /** The columns the SELECT names, in its order. */
  readonly columns: string[];
  /** `"schema"."table"` as written. */
  readonly table: string;
  /** The TO prefix (s3://bucket/prefix). */
  readonly s3Uri: string;
  readonly header: boolean;
  readonly parallel: boolean;
  readonly kmsKeyId?: string;
}

/** A statement the replay cannot honour exactly: the message says what and why. */
export class UnsupportedStatementError extends Error {}

/**
 * Parses the app's own UNLOAD (RedshiftSql.unload's form: `UNLOAD ('<select>') TO '<s3 uri>'
 * IAM_ROLE '...' [KMS_KEY_ID '...' ENCRYPTED] FORMAT AS CSV HEADER ALLOWOVERWRITE [PARALLEL OFF]
 * MAXFILESIZE n MB`). The query must be a plain `SELECT <columns> FROM <table>`: the replay's
 * warehouse is the labelled store, so a WHERE, a join or an expression it cannot evaluate is
 * refused rather than answered with the wrong rows.
 */
export function parseUnload(sql: string): UnloadStatement {
  const m = /^\s*UNLOAD\s*\(\s*'((?:[^'\\]|''|\\.)*)'\s*\)\s*TO\s*'((?:[^'\\]|''|\\.)*)'\s*(.*)$/is.exec(sql);
  if (!m) throw new UnsupportedStatementError(`Not an UNLOAD the replay can read: ${sql.slice(0, 120)}`);
  const query = unquote(m[1]).trim().replace(/;\s*$/, '');
  const s3Uri = unquote(m[2]);
  const options = m[3];
  const select = /^SELECT\s+(.+?)\s+FROM\s+("[^"]+"(?:\."[^"]+")?|[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?)\s*$/is.exec(query);
  if (!select) {
    throw new UnsupportedStatementError(`The UNLOAD's query is not a plain SELECT <columns> FROM <table> (${query.slice(0, 160)}): the replay's warehouse `
      + 'holds the labelled rows only and does not evaluate WHERE, joins or expressions. Give the warehouse no snapshotQuery (its default is the plain SELECT).');
  }
  const columns = select[1].split(',').map((c) => c.trim()).map((c) => {
    const id = /^"((?:[^"]|"")+)"$/.exec(c)?.[1]?.replace(/""/g, '"') ?? (/^[A-Za-z_][\w$]*$/.test(c) ? c.toLowerCase() : undefined);
    if (!id) throw new UnsupportedStatementError(`The UNLOAD selects ${c}, which is not a column name: the replay's warehouse returns stored columns only.`);
    return id;
  });
  if (/FORMAT\s+(AS\s+)?PARQUET/i.test(options)) throw new UnsupportedStatementError('The UNLOAD writes Parquet; the replay writes CSV only (as preprocess reads).');
  if (!/FORMAT\s+(AS\s+)?CSV/i.test(options)) throw new UnsupportedStatementError(`The UNLOAD does not ask for FORMAT AS CSV (${options.slice(0, 120)}); the replay writes CSV only.`);
  const known = /^(IAM_ROLE\s+'[^']*'|KMS_KEY_ID\s+'[^']*'|ENCRYPTED|FORMAT\s+(AS\s+)?CSV|HEADER|ALLOWOVERWRITE|PARALLEL\s+(ON|OFF|TRUE|FALSE)|MAXFILESIZE\s+(AS\s+)?\d+(\.\d+)?\s*(MB|GB))\s*/i;
  let rest = options.trim();
  while (rest.length > 0) {
    const option = known.exec(rest);
    if (!option) throw new UnsupportedStatementError(`The UNLOAD option "${rest.slice(0, 60)}" is not one the replay honours (IAM_ROLE, KMS_KEY_ID, ENCRYPTED, FORMAT AS CSV, HEADER, ALLOWOVERWRITE, PARALLEL, MAXFILESIZE).`);
    rest = rest.slice(option[0].length);
  }
  return {
    columns,
    table: select[2],
    s3Uri,
    header: /\bHEADER\b/i.test(options),
    parallel: !/PARALLEL\s+(OFF|FALSE)/i.test(options),
    kmsKeyId: /KMS_KEY_ID\s+'([^']*)'/i.exec(options)?.[1],
  };
}

/**
 * The files the UNLOAD writes, by key under its TO prefix: the labelled rows up to `time`, the
 * selected columns in the SELECT's order, CSV as Redshift writes it (a field quoted when it holds
 * the delimiter, a quote or a line break; a null is empty), a header line when HEADER is given.
 * Redshift names part files `<prefix><slice>_part_<nn>` (PARALLEL ON) or `<prefix>000` (OFF);
 * the replay has one slice.
 */
export function unloadFiles(statement: UnloadStatement, store: LabelledStore, time: number): { key: string; body: string; rows: number }[] {
  const { header, rows } = store.rowsUpTo(time);
  const index = statement.columns.map((c) => {
    const i = header.indexOf(c);
    if (i < 0) throw new UnsupportedStatementError(`The UNLOAD selects ${c}; the labelled store's columns are ${header.join(', ')}.`);
    return i;
  });
  const lines = rows.map((r) => index.map((i) => csvField(r[i] ?? '')).join(','));
  if (statement.header) lines.unshift(statement.columns.map(csvField).join(','));
  const name = statement.parallel ? '0000_part_00' : '000';
  return [{ key: `${statement.s3Uri}${name}`, body: lines.length ? `${lines.join('\n')}\n` : '', rows: rows.length }];
}

function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A Redshift string literal's content: '' is a quote, a backslash escapes the next character. */
function unquote(text: string): string {
  return text.replace(/''/g, "'").replace(/\\(.)/g, '$1');
}
