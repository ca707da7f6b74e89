import { RedshiftColumn, RedshiftSql, UnloadFormat } from '../../src/sql';

const STOCKS: RedshiftColumn[] = [
  { name: 'ticker_symbol', type: 'string', nullable: false },
  { name: 'sector', type: 'string', nullable: false },
  { name: 'change', type: 'double', nullable: false },
  { name: 'price', type: 'double', nullable: false },
];
const ROLE = 'arn:aws:iam::123456789012:role/freshet-redshift';
const TOKEN = '${Token[TOKEN.123]}';

describe('RedshiftSql.quoteIdentifier', () => {
  test.each([
    ['price', '"price"'],
    ['a"b', '"a""b"'],
    ['"; DROP TABLE x; --', '"""; DROP TABLE x; --"'],
    ["it's", '"it\'s"'],
    ['back\\slash', '"back\\slash"'],
    ['ünïcødé_名前', '"ünïcødé_名前"'],
  ])('quotes %j as %s', (name, quoted) => {
    expect(RedshiftSql.quoteIdentifier(name)).toBe(quoted);
  });

  test('refuses an empty name', () => {
    expect(() => RedshiftSql.quoteIdentifier('')).toThrow(/identifier is empty/);
  });

  test('refuses a NUL character', () => {
    expect(() => RedshiftSql.quoteIdentifier('a\0b')).toThrow(/NUL character/);
  });

  test('counts the 127-byte limit in UTF-8 bytes, not characters', () => {
    expect(RedshiftSql.quoteIdentifier('a'.repeat(127))).toHaveLength(129);
    expect(() => RedshiftSql.quoteIdentifier('a'.repeat(128))).toThrow(/128 bytes: Redshift allows at most 127/);
    // 64 two-byte characters: 64 characters but 128 bytes.
    expect(() => RedshiftSql.quoteIdentifier('é'.repeat(64))).toThrow(/128 bytes/);
  });
});

describe('RedshiftSql.quoteLiteral', () => {
  test.each([
    ['plain', "'plain'"],
    ["it's", "'it''s'"],
    ['back\\slash', "'back\\\\slash'"],
    ["\\'; DROP TABLE x; --", "'\\\\''; DROP TABLE x; --'"],
    ['ünïcødé 名前', "'ünïcødé 名前'"],
  ])('quotes %j as %s', (text, quoted) => {
    expect(RedshiftSql.quoteLiteral(text)).toBe(quoted);
  });

  test('refuses a NUL character', () => {
    expect(() => RedshiftSql.quoteLiteral('a\0')).toThrow(/NUL character/);
  });
});

describe('RedshiftSql.createTable', () => {
  test('creates the stocks table with NOT NULL columns', () => {
    expect(RedshiftSql.createSchema('freshet')).toBe('CREATE SCHEMA IF NOT EXISTS "freshet"');
    expect(RedshiftSql.createTable({ schemaName: 'freshet', tableName: 'stocks', columns: STOCKS })).toBe(
      'CREATE TABLE IF NOT EXISTS "freshet"."stocks" ("ticker_symbol" VARCHAR(65535) NOT NULL, "sector" VARCHAR(65535) NOT NULL,'
      + ' "change" DOUBLE PRECISION NOT NULL, "price" DOUBLE PRECISION NOT NULL)',
    );
  });

  test.each([
    ['string', 'VARCHAR(65535)'],
    ['int', 'INTEGER'],
    ['bigint', 'BIGINT'],
    ['double', 'DOUBLE PRECISION'],
    ['boolean', 'BOOLEAN'],
    ['timestamp', 'TIMESTAMP'],
  ])('maps %s to %s', (type, ddl) => {
    expect(RedshiftSql.columnType({ name: 'c', type, nullable: true })).toBe(ddl);
    expect(RedshiftSql.createTable({ schemaName: 's', tableName: 't', columns: [{ name: 'c', type, nullable: true }] }))
      .toBe(`CREATE TABLE IF NOT EXISTS "s"."t" ("c" ${ddl})`);
  });

  test('uses a string column\'s maxLength, as DatasetSchema.toRedshiftColumnDdl does', () => {
    expect(RedshiftSql.columnType({ name: 'c', type: 'string', nullable: true, maxLength: 256 })).toBe('VARCHAR(256)');
    expect(() => RedshiftSql.columnType({ name: 'c', type: 'string', nullable: true, maxLength: 70000 }))
      .toThrow("Column 'c' has maxLength 70000: use a whole number from 1 to 65535.");
    expect(() => RedshiftSql.columnType({ name: 'c', type: 'int', nullable: true, maxLength: 10 }))
      .toThrow(/sets maxLength but is a int/);
  });

  test('maps every type to the catalog name svv_columns reports', () => {
    expect(['string', 'int', 'bigint', 'double', 'boolean', 'timestamp'].map((t) => RedshiftSql.catalogTypeName(t))).toEqual([
      'character varying', 'integer', 'bigint', 'double precision', 'boolean', 'timestamp without time zone',
    ]);
  });

  test('adds DISTKEY and SORTKEY when given', () => {
    expect(RedshiftSql.createTable({ schemaName: 's', tableName: 't', columns: STOCKS, distKey: 'ticker_symbol', sortKeys: ['sector', 'ticker_symbol'] }))
      .toMatch(/\) DISTKEY\("ticker_symbol"\) SORTKEY\("sector", "ticker_symbol"\)$/);
  });

  test('quotes hostile table, schema and column names', () => {
    const sql = RedshiftSql.createTable({
      schemaName: 'a"; DROP SCHEMA public; --',
      tableName: "t'\\",
      columns: [{ name: 'x"y', type: 'int', nullable: true }],
    });
    expect(sql).toBe('CREATE TABLE IF NOT EXISTS "a""; DROP SCHEMA public; --"."t\'\\" ("x""y" INTEGER)');
  });

  test.each([
    ['no columns', { columns: [] }, "table 's.t' has no columns: give at least one column."],
    ['an unknown type', { columns: [{ name: 'c', type: 'float', nullable: true }] }, "Column 'c' has type 'float': use one of string, int, bigint, double, boolean, timestamp."],
    ['an Object.prototype name as a type', { columns: [{ name: 'c', type: 'toString', nullable: true }] }, "Column 'c' has type 'toString'"],
    ['a column twice, in another case', { columns: [...STOCKS, { name: 'Price', type: 'int', nullable: true }] }, "declares column 'Price' twice"],
    ['an unknown distKey', { columns: STOCKS, distKey: 'nope' }, "distKey 'nope' is not a column of t: use one of ticker_symbol, sector, change, price."],
    ['an unknown sort key', { columns: STOCKS, sortKeys: ['price', 'nope'] }, 'sortKeys nope are not columns of t'],
    ['a sort key twice', { columns: STOCKS, sortKeys: ['price', 'price'] }, 'name a column twice'],
  ])('refuses %s with a message that says what to change', (_label, options, message) => {
    expect(() => RedshiftSql.createTable({ schemaName: 's', tableName: 't', ...options })).toThrow(message);
  });
});

describe('RedshiftSql.addColumn', () => {
  test('adds a nullable column even when the schema says NOT NULL (existing rows have no value)', () => {
    expect(RedshiftSql.addColumn({ schemaName: 's', tableName: 't', column: { name: 'volume', type: 'bigint', nullable: false } }))
      .toBe('ALTER TABLE "s"."t" ADD COLUMN "volume" BIGINT');
  });
});

describe('RedshiftSql.listColumnsQuery', () => {
  test('passes names as Data API parameters, never in the SQL', () => {
    const query = RedshiftSql.listColumnsQuery({ schemaName: "x'; DROP TABLE y; --", tableName: 'Stocks' });
    expect(query.sql).toContain('FROM svv_columns WHERE table_schema = :schema_name AND table_name = :table_name');
    expect(query.sql).not.toContain('DROP');
    expect(query.parameters).toEqual([
      { name: 'schema_name', value: "x'; drop table y; --" },
      { name: 'table_name', value: 'stocks' },
    ]);
  });
});

describe('RedshiftSql.copyParquet', () => {
  test('loads a prefix as Parquet with an IAM role', () => {
    expect(RedshiftSql.copyParquet({ schemaName: 'public', tableName: 'stocks', s3Uri: 's3://lake-bucket/curated/stocks/', iamRoleArn: ROLE }))
      .toBe(`COPY "public"."stocks" FROM 's3://lake-bucket/curated/stocks/' IAM_ROLE '${ROLE}' FORMAT AS PARQUET`);
  });

  test('passes CDK tokens through unchecked', () => {
    expect(RedshiftSql.copyParquet({ schemaName: 'p', tableName: 't', s3Uri: `s3://${TOKEN}/curated/`, iamRoleArn: TOKEN }))
      .toBe(`COPY "p"."t" FROM 's3://${TOKEN}/curated/' IAM_ROLE '${TOKEN}' FORMAT AS PARQUET`);
  });

  test('accepts the default namespace role unquoted', () => {
    expect(RedshiftSql.copyParquet({ schemaName: 'p', tableName: 't', s3Uri: 's3://lake/curated/', iamRoleArn: 'default' })).toContain('IAM_ROLE default FORMAT');
  });

  test.each([
    ['lake/curated/', ROLE, "COPY s3Uri 'lake/curated/' is not an S3 URI: use s3://<bucket>/<prefix>/"],
    ["s3://lake/x' IAM_ROLE 'evil", ROLE, 'is not an S3 URI'],
    ['s3://Lake/curated/', ROLE, 'is not an S3 URI'],
    ['s3://lake/curated/', 'arn:aws:iam::123:role/x', "IAM role 'arn:aws:iam::123:role/x' is not an IAM role ARN"],
    ['s3://lake/curated/', "arn:aws:iam::123456789012:role/x'", 'is not an IAM role ARN'],
  ])('refuses literal s3Uri %j / role %j', (s3Uri, iamRoleArn, message) => {
    expect(() => RedshiftSql.copyParquet({ schemaName: 'p', tableName: 't', s3Uri, iamRoleArn })).toThrow(message);
  });
});

describe('RedshiftSql.unload', () => {
  const s3Uri = 's3://lake/snapshots/stocks/run-1/';

  test('writes CSV with a header, overwriting a retried run, by default', () => {
    expect(RedshiftSql.unload({ query: 'SELECT * FROM "public"."stocks"', s3Uri, iamRoleArn: ROLE })).toBe(
      `UNLOAD ('SELECT * FROM "public"."stocks"') TO '${s3Uri}' IAM_ROLE '${ROLE}' FORMAT AS CSV HEADER ALLOWOVERWRITE MAXFILESIZE 256 MB`,
    );
  });

  test('doubles quotes and backslashes of the query inside its literal', () => {
    const sql = RedshiftSql.unload({ query: "SELECT * FROM t WHERE sector = 'it''s' AND note LIKE '%\\\\%';", s3Uri, iamRoleArn: ROLE });
    expect(sql).toContain("UNLOAD ('SELECT * FROM t WHERE sector = ''it''''s'' AND note LIKE ''%\\\\\\\\%''') TO");
  });

  test('encrypts with a KMS key, writes Parquet, runs serially and sizes files when asked', () => {
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100';
    expect(RedshiftSql.unload({ query: 'SELECT 1', s3Uri, iamRoleArn: ROLE, kmsKeyId: key, format: UnloadFormat.PARQUET, parallel: false, maxFileSizeMb: 100 }))
      .toBe(`UNLOAD ('SELECT 1') TO '${s3Uri}' IAM_ROLE '${ROLE}' KMS_KEY_ID '${key}' ENCRYPTED FORMAT AS PARQUET ALLOWOVERWRITE PARALLEL OFF MAXFILESIZE 100 MB`);
  });

  test('passes tokens through unchecked', () => {
    expect(RedshiftSql.unload({ query: 'SELECT 1', s3Uri: `s3://${TOKEN}/snapshots/stocks/${TOKEN}/`, iamRoleArn: TOKEN, kmsKeyId: TOKEN }))
      .toContain(`TO 's3://${TOKEN}/snapshots/stocks/${TOKEN}/' IAM_ROLE '${TOKEN}' KMS_KEY_ID '${TOKEN}' ENCRYPTED`);
  });

  test.each([
    [{ query: '  ' }, 'UNLOAD query is empty'],
    [{ query: 'SELECT 1; DROP TABLE t' }, 'holds more than one statement'],
    [{ s3Uri: 's3://lake/snapshots/stocks/run-1' }, "does not end with '/': end the prefix with '/'"],
    [{ kmsKeyId: 'my key' }, "UNLOAD kmsKeyId 'my key' is not a KMS key id"],
    [{ maxFileSizeMb: 4 }, 'UNLOAD maxFileSizeMb 4 is out of range: use a whole number from 5 to 6200.'],
    [{ format: 'JSON' as UnloadFormat }, "UNLOAD format 'JSON' is not supported: use CSV or PARQUET."],
  ])('refuses %j', (override, message) => {
    expect(() => RedshiftSql.unload({ query: 'SELECT 1', s3Uri, iamRoleArn: ROLE, ...override })).toThrow(message);
  });

  test('accepts a semicolon inside a literal and a trailing one', () => {
    expect(RedshiftSql.unload({ query: "SELECT ';' AS x;", s3Uri, iamRoleArn: ROLE })).toContain("UNLOAD ('SELECT '';'' AS x') TO");
  });
});

describe('RedshiftSql streaming ingestion', () => {
  test('creates the external schema from Kinesis', () => {
    expect(RedshiftSql.streamingExternalSchema({ schemaName: 'kinesis', iamRoleArn: ROLE }))
      .toBe(`CREATE EXTERNAL SCHEMA IF NOT EXISTS "kinesis" FROM KINESIS IAM_ROLE '${ROLE}'`);
  });

  test('creates an auto-refresh view that casts each column and skips non-JSON records', () => {
    const sql = RedshiftSql.streamingMaterializedView({
      viewSchema: 'public',
      viewName: 'stocks_stream',
      externalSchema: 'kinesis',
      streamName: 'freshet-stocks',
      columns: [
        { name: 'ticker_symbol', type: 'string', nullable: false },
        { name: 'price', type: 'double', nullable: false },
        { name: 'volume', type: 'bigint', nullable: true },
        { name: 'count', type: 'int', nullable: true },
        { name: 'open', type: 'boolean', nullable: true },
        { name: 'event_time', type: 'timestamp', nullable: true },
        { name: "o'brien", type: 'string', nullable: true, maxLength: 10 },
      ],
    });
    const field = (name: string) => `JSON_EXTRACT_PATH_TEXT(FROM_VARBYTE(kinesis_data, 'utf-8'), '${name}', TRUE)`;
    expect(sql).toBe(
      'CREATE MATERIALIZED VIEW "public"."stocks_stream" AUTO REFRESH YES AS SELECT approximate_arrival_timestamp, partition_key, shard_id, sequence_number, '
      + `CAST(${field('ticker_symbol')} AS VARCHAR(65535)) AS "ticker_symbol", `
      + `CAST(NULLIF(${field('price')}, '') AS DOUBLE PRECISION) AS "price", `
      + `CAST(NULLIF(${field('volume')}, '') AS BIGINT) AS "volume", `
      + `CAST(NULLIF(${field('count')}, '') AS INTEGER) AS "count", `
      + `CAST(NULLIF(${field('open')}, '') AS BOOLEAN) AS "open", `
      + `CAST(NULLIF(${field('event_time')}, '') AS TIMESTAMP) AS "event_time", `
      + `CAST(${field("o''brien")} AS VARCHAR(10)) AS "o'brien", `
      + 'JSON_PARSE(kinesis_data) AS payload FROM "kinesis"."freshet-stocks" WHERE CAN_JSON_PARSE(kinesis_data)',
    );
  });

  test('quotes a token stream name without checking it', () => {
    expect(RedshiftSql.streamingMaterializedView({ viewSchema: 'p', viewName: 'v', externalSchema: 'k', streamName: TOKEN, columns: STOCKS }))
      .toContain(`FROM "k"."${TOKEN}" WHERE`);
  });

  test('refuses columns that clash with the stream metadata columns', () => {
    expect(() => RedshiftSql.streamingMaterializedView({
      viewSchema: 'p', viewName: 'v', externalSchema: 'k', streamName: 's', columns: [{ name: 'payload', type: 'string', nullable: true }],
    })).toThrow(/Column\(s\) payload clash with the streaming view's own columns .*: rename them in the schema/);
  });
});
