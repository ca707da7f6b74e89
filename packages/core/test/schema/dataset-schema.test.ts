import { ColumnType, DatasetSchema, DatasetSchemaProps } from '../../src';

const stocks: DatasetSchemaProps = {
  name: 'stocks',
  columns: [
    { name: 'ticker_symbol', type: ColumnType.STRING, description: 'Exchange ticker', maxLength: 8 },
    { name: 'sector', type: ColumnType.STRING },
    { name: 'change', type: ColumnType.DOUBLE },
    { name: 'price', type: ColumnType.DOUBLE },
  ],
  targetColumn: 'price',
};

const pollution: DatasetSchemaProps = {
  name: 'pollution',
  columns: [
    { name: 'device_id', type: ColumnType.STRING },
    { name: 'event_time', type: ColumnType.TIMESTAMP },
    { name: 'reading_id', type: ColumnType.BIGINT },
    { name: 'hour', type: ColumnType.INT, nullable: true },
    { name: 'calibrated', type: ColumnType.BOOLEAN, nullable: true },
    { name: 'ozone', type: ColumnType.DOUBLE },
  ],
  targetColumn: 'ozone',
  eventTimeColumn: 'event_time',
  idColumn: 'reading_id',
};

function errorOf(props: DatasetSchemaProps): string {
  try {
    new DatasetSchema(props);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the schema to be rejected');
}

describe('DatasetSchema', () => {
  test('keeps declared order and resolves defaults', () => {
    const schema = new DatasetSchema(stocks);
    expect(schema.columnNames).toEqual(['ticker_symbol', 'sector', 'change', 'price']);
    expect(schema.featureColumns).toEqual(['ticker_symbol', 'sector', 'change']);
    expect(schema.column('sector')).toEqual({ name: 'sector', type: ColumnType.STRING, description: '', nullable: false, maxLength: 256 });
    expect(schema.column('ticker_symbol').maxLength).toBe(8);
  });

  test('the target, event-time and id columns are never nullable', () => {
    const schema = new DatasetSchema({
      ...pollution,
      columns: pollution.columns.map((c) => ({ ...c, nullable: true })),
    });
    expect(schema.column('ozone').nullable).toBe(false);
    expect(schema.column('event_time').nullable).toBe(false);
    expect(schema.column('reading_id').nullable).toBe(false);
    expect(schema.column('hour').nullable).toBe(true);
  });

  test('csvColumnOrder puts the label first for XGBoost', () => {
    const schema = new DatasetSchema(stocks);
    expect(schema.csvColumnOrder(true)).toEqual(['price', 'ticker_symbol', 'sector', 'change']);
    expect(schema.csvColumnOrder()).toEqual(schema.columnNames);
  });

  test('renders Glue columns with Hive types and comments', () => {
    expect(new DatasetSchema(pollution).toGlueColumns()).toEqual([
      { name: 'device_id', type: 'string' },
      { name: 'event_time', type: 'timestamp' },
      { name: 'reading_id', type: 'bigint' },
      { name: 'hour', type: 'int' },
      { name: 'calibrated', type: 'boolean' },
      { name: 'ozone', type: 'double' },
    ]);
    expect(new DatasetSchema(stocks).toGlueColumns()[0]).toEqual({ name: 'ticker_symbol', type: 'string', comment: 'Exchange ticker' });
  });

  test('renders a draft-04 JSON Schema of one record', () => {
    const jsonSchema = new DatasetSchema(pollution).toJsonSchema();
    expect(jsonSchema.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(jsonSchema.additionalProperties).toBe(false);
    expect(jsonSchema.required).toEqual(['device_id', 'event_time', 'reading_id', 'ozone']);
    expect(jsonSchema.properties.event_time).toEqual({ type: 'string', format: 'date-time' });
    expect(jsonSchema.properties.hour).toEqual({ type: ['integer', 'null'], minimum: -2147483648, maximum: 2147483647 });
    expect(jsonSchema.properties.calibrated).toEqual({ type: ['boolean', 'null'] });
    expect(jsonSchema.properties.ozone).toEqual({ type: 'number' });
    expect(jsonSchema.properties.device_id).toEqual({ type: 'string', maxLength: 256 });
  });

  test('a prediction request schema leaves out the target and may be lenient', () => {
    const jsonSchema = new DatasetSchema(stocks).toJsonSchema({ includeTarget: false, strict: false });
    expect(Object.keys(jsonSchema.properties)).toEqual(['ticker_symbol', 'sector', 'change']);
    expect(jsonSchema.required).not.toContain('price');
    expect(jsonSchema.additionalProperties).toBe(true);
  });

  test('renders quoted Redshift column DDL', () => {
    expect(new DatasetSchema(pollution).toRedshiftColumnDdl()).toEqual([
      '"device_id" VARCHAR(256) NOT NULL',
      '"event_time" TIMESTAMP NOT NULL',
      '"reading_id" BIGINT NOT NULL',
      '"hour" INTEGER',
      '"calibrated" BOOLEAN',
      '"ozone" DOUBLE PRECISION NOT NULL',
    ]);
    expect(new DatasetSchema(stocks).toRedshiftColumnDdl()[0]).toBe('"ticker_symbol" VARCHAR(8) NOT NULL');
  });

  test('round-trips through its serialisable spec', () => {
    const schema = new DatasetSchema(pollution);
    const spec = JSON.parse(JSON.stringify(schema.toSpec()));
    expect(spec).toEqual({
      name: 'pollution',
      columns: [
        { name: 'device_id', type: 'string', nullable: false },
        { name: 'event_time', type: 'timestamp', nullable: false },
        { name: 'reading_id', type: 'bigint', nullable: false },
        { name: 'hour', type: 'int', nullable: true },
        { name: 'calibrated', type: 'boolean', nullable: true },
        { name: 'ozone', type: 'double', nullable: false },
      ],
      targetColumn: 'ozone',
      eventTimeColumn: 'event_time',
      idColumn: 'reading_id',
    });
    expect(DatasetSchema.fromSpec(spec).toSpec()).toEqual(spec);
    expect(new DatasetSchema(stocks).toSpec()).not.toHaveProperty('eventTimeColumn');
  });

  test('column() names the columns there are', () => {
    expect(() => new DatasetSchema(stocks).column('volume')).toThrow(
      "Dataset 'stocks' has no column 'volume'. Its columns are: ticker_symbol, sector, change, price.",
    );
  });
});

describe('DatasetSchema validation says what to change', () => {
  const cases: Array<[Partial<DatasetSchemaProps>, string]> = [
    [{ ...stocks, name: 'Stocks-2024' }, "name 'Stocks-2024' must be lower case letters, digits and underscores, start with a letter and be at most 64 characters; try 'stocks_2024'."],
    [{ ...stocks, name: 'x'.repeat(65) }, 'at most 64 characters'],
    [{ ...stocks, columns: [] }, 'columns is empty: declare at least the target column and one feature.'],
    [
      { ...stocks, columns: [...stocks.columns, { name: 'tickerSymbol', type: ColumnType.STRING }] },
      "column 5 'tickerSymbol' is not a name Glue and Redshift both accept: use lower case letters, digits and underscores, starting with a letter or underscore, at most 127 characters; rename it to 'ticker_symbol'.",
    ],
    [
      { ...stocks, columns: [...stocks.columns, { name: '2nd price', type: ColumnType.DOUBLE }] },
      "rename it to '_2nd_price'.",
    ],
    [{ ...stocks, columns: [...stocks.columns, { name: 'sector', type: ColumnType.STRING }] }, "column 5 'sector' repeats column 2: rename or remove one of them."],
    [{ ...stocks, columns: [...stocks.columns, { name: 'volume', type: 'float' as ColumnType }] }, "column 5 'volume' has type 'float': use one of string, int, bigint, double, boolean, timestamp."],
    [{ ...stocks, targetColumn: 'close' }, "targetColumn 'close' is not a column: add it to columns, or choose one of ticker_symbol, sector, change, price."],
    [{ ...stocks, targetColumn: '' }, 'targetColumn is not set: name the column the model predicts'],
    [{ ...stocks, eventTimeColumn: 'sector' }, "eventTimeColumn 'sector' is a string: make it a timestamp column, or leave eventTimeColumn unset."],
    [{ ...stocks, idColumn: 'change' }, "idColumn 'change' is a double: use a string, int, bigint or timestamp column as the id."],
    [{ ...stocks, idColumn: 'ticker_symbol', targetColumn: 'ticker_symbol' }, 'the model cannot predict its own record id'],
    [{ ...stocks, columns: [{ name: 'price', type: ColumnType.DOUBLE }] }, 'the target is the only column: add at least one feature column.'],
    [
      { ...stocks, columns: [{ name: 'price', type: ColumnType.DOUBLE, maxLength: 10 }, { name: 'sector', type: ColumnType.STRING }] },
      "column 1 'price' sets maxLength but is a double: remove maxLength, or make the column a string.",
    ],
    [
      { ...stocks, columns: [{ name: 'price', type: ColumnType.DOUBLE }, { name: 'sector', type: ColumnType.STRING, maxLength: 70000 }] },
      "column 2 'sector' has maxLength 70000: use a whole number from 1 to 65535.",
    ],
  ];
  test.each(cases.map(([props, message]) => [message, props] as const))('%s', (message, props) => {
    expect(errorOf(props as DatasetSchemaProps)).toContain(message);
  });

  test('reports every problem at once, under the schema name', () => {
    const message = errorOf({ ...stocks, columns: [...stocks.columns, { name: 'Bad Name', type: ColumnType.STRING }], targetColumn: 'close' });
    expect(message.split('\n')).toEqual([
      "Invalid DatasetSchema 'stocks':",
      expect.stringContaining("column 5 'Bad Name'"),
      expect.stringContaining("targetColumn 'close'"),
    ]);
  });

  test('rejects a column without a name', () => {
    expect(errorOf({ ...stocks, columns: [...stocks.columns, { name: '', type: ColumnType.STRING }] })).toContain(
      "column 5 has no name: give it a name such as 'feature_5'.",
    );
  });
});
