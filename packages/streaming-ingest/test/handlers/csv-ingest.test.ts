import { readFileSync } from 'fs';
import * as path from 'path';
import { SAMPLE_DATA_DIR, stocksSchema } from '@freshet/examples';
import { startKinesisFaultProxy } from '@freshet/test-utils';
import { IngestHarness, LANDING_BUCKET, rowsChecksum } from './ingest-harness';

const schema = stocksSchema().toSpec();

/** The stocks file's rows, typed independently of the handler: strings stay, change and price become numbers. */
function expectedStocksRows(): Record<string, unknown>[] {
  const lines = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv'), 'utf8').split('\n').filter((l) => l.length > 0);
  const [header, ...rows] = lines;
  expect(header).toBe('ticker_symbol,sector,change,price');
  return rows.map((line) => {
    const [ticker, sector, change, price] = line.split(',');
    return { ticker_symbol: ticker, sector, change: parseFloat(change), price: parseFloat(price) };
  });
}

/** The EMF metric lines the handler printed. */
function emittedMetrics(spy: jest.SpyInstance): Record<string, number>[] {
  return spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

describe('CSV ingest handler against kinesalite and s3rver', () => {
  let harness: IngestHarness;
  let logSpy: jest.SpyInstance;
  const expected = expectedStocksRows();
  const expectedChecksum = rowsChecksum(expected);

  beforeEach(async () => {
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    harness = await IngestHarness.start();
  });
  afterEach(async () => {
    logSpy.mockRestore();
    await harness.stop();
  });

  test('stocks_all.csv arrives in the stream exactly once, and a re-delivered event adds nothing', async () => {
    expect(expected).toHaveLength(153_580);
    const handler = harness.loadHandler(schema);
    await harness.upload('uploads/stocks all.csv', 'stocks_all');
    const event = harness.event('uploads/stocks all.csv');

    await handler(event);
    const rows = await harness.readStream();
    expect(rows).toHaveLength(153_580);
    expect(rowsChecksum(rows)).toBe(expectedChecksum);
    expect(emittedMetrics(logSpy)[0]).toMatchObject({ Dataset: 'stocks', RowsIngested: 153_580, RowsRejected: 0, FilesRejected: 0 });

    await handler(event);
    expect(await harness.readStream()).toHaveLength(153_580);
    expect(emittedMetrics(logSpy)[1]).toMatchObject({ RowsIngested: 0, DuplicateDeliveries: 1 });
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    expect(JSON.parse(await harness.readLake(stateKey))).toMatchObject({ status: 'complete', rowsIngested: 153_580, rowsRejected: 0 });
  });

  test('with a share of calls throttled and entries failed at the network edge, every row still arrives once', async () => {
    const proxy = await startKinesisFaultProxy({ target: harness.kinesis.endpoint, throttleCallShare: 0.3, failEntryShare: 0.3, seed: 7 });
    try {
      const handler = harness.loadHandler(schema, { PUT_MAX_ATTEMPTS: '30' }, proxy.endpoint);
      await harness.upload('stocks.csv', 'stocks_all');
      await handler(harness.event('stocks.csv'));

      expect(proxy.stats.throttledCalls).toBeGreaterThan(0);
      expect(proxy.stats.failedEntries).toBeGreaterThan(0);
      const rows = await harness.readStream();
      expect(rows).toHaveLength(153_580);
      expect(rowsChecksum(rows)).toBe(expectedChecksum);
      expect(emittedMetrics(logSpy)[0].PutRecordsRetries).toBeGreaterThan(0);
    } finally {
      await proxy.stop();
    }
  });

  test('after an outage fails the invocation, the retry resumes from the checkpoint without duplicates', async () => {
    const proxy = await startKinesisFaultProxy({
      target: harness.kinesis.endpoint, throttleCallShare: 0, failEntryShare: 0, seed: 1, outageAfterCalls: 1,
    });
    await harness.upload('stocks.csv', 'stocks_all');
    const event = harness.event('stocks.csv');
    try {
      const failing = harness.loadHandler(schema, { PUT_MAX_ATTEMPTS: '2' }, proxy.endpoint);
      await expect(failing(event)).rejects.toThrow(/still failing after 2 attempts/);
    } finally {
      await proxy.stop();
    }
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    const state = JSON.parse(await harness.readLake(stateKey));
    expect(state.status).toBe('in-progress');
    expect(state.resumeAfterLine).toBeGreaterThan(1);
    const partial = (await harness.readStream()).length;
    expect(partial).toBe(state.rowsIngested);
    expect(partial).toBeLessThan(153_580);

    await harness.loadHandler(schema)(event);
    const rows = await harness.readStream();
    expect(rows).toHaveLength(153_580);
    expect(rowsChecksum(rows)).toBe(expectedChecksum);
    expect(JSON.parse(await harness.readLake(stateKey))).toMatchObject({ status: 'complete', resumeAfterLine: 153_581, rowsIngested: 153_580 });
  });

  test('malformed rows are rejected with their line and reason while every good row is delivered', async () => {
    const csv = '\ufeffticker_symbol,sector,change,price\r\n'
      + 'AAPL,TECHNOLOGY,0.5,101.25\r\n' // 2 good
      + '"ACME, INC",RETAIL,-1.5,20\r\n' // 3 good: quoted comma
      + 'BAD,RETAIL,1.0\r\n' // 4 wrong column count
      + 'XYZ,ENERGY,abc,12.0\r\n' // 5 non-numeric double
      + '\r\n' // 6 empty line: skipped, not rejected
      + '"Q""T",FINANCIAL,1e-3,5\r\n' // 7 good: escaped quote
      + 'NANCO,ENERGY,NaN,3\r\n' // 8 NaN is not a finite double
      + '"MULTI\r\nLINE",HEALTHCARE,2,3\r\n' // 9-10 good: quoted line break
      + 'BRO"KEN,RETAIL,1,2\r\n' // 11 quote inside an unquoted field
      + ',RETAIL,1,2\r\n' // 12 required column empty
      + 'LAST,RETAIL,1,2'; // 13 good, no final line end
    await harness.upload('bad rows.csv', csv);
    await harness.loadHandler(schema)(harness.event('bad rows.csv'));

    const rows = await harness.readStream();
    expect(rows).toEqual(expect.arrayContaining([
      { ticker_symbol: 'AAPL', sector: 'TECHNOLOGY', change: 0.5, price: 101.25 },
      { ticker_symbol: 'ACME, INC', sector: 'RETAIL', change: -1.5, price: 20 },
      { ticker_symbol: 'Q"T', sector: 'FINANCIAL', change: 0.001, price: 5 },
      { ticker_symbol: 'MULTI\nLINE', sector: 'HEALTHCARE', change: 2, price: 3 },
      { ticker_symbol: 'LAST', sector: 'RETAIL', change: 1, price: 2 },
    ]));
    expect(rows).toHaveLength(5);

    const rejected = (await harness.rejectedRows()).sort((a, b) => a.line - b.line);
    expect(rejected.map((r) => [r.line, r.raw])).toEqual([
      [4, 'BAD,RETAIL,1.0'],
      [5, 'XYZ,ENERGY,abc,12.0'],
      [8, 'NANCO,ENERGY,NaN,3'],
      [11, 'BRO"KEN,RETAIL,1,2'],
      [12, ',RETAIL,1,2'],
    ]);
    expect(rejected.map((r) => r.reason)).toEqual([
      'expected 4 fields but found 3',
      "column 'change' must be a finite decimal number such as 12.5 or 1e-3, got \"abc\"",
      "column 'change' must be a finite decimal number such as 12.5 or 1e-3, got \"NaN\"",
      'malformed CSV: field 1 has a quote inside an unquoted value; quote the whole field and double any quote inside it',
      "column 'ticker_symbol' is required but empty",
    ]);
    expect(new Set(rejected.map((r) => r.source))).toEqual(new Set([`s3://${LANDING_BUCKET}/bad rows.csv`]));
    expect(emittedMetrics(logSpy)[0]).toMatchObject({ RowsIngested: 5, RowsRejected: 5, BlankLinesSkipped: 1 });
  });

  test('a file with blank lines delivers every good row, with zero rejected rows for the blanks', async () => {
    const sample = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_sample.csv'), 'utf8');
    const [header, ...rows] = sample.split('\n').filter((l) => l.length > 0);
    const expectedRows = rows.map((line) => {
      const [ticker, sector, change, price] = line.split(',');
      return { ticker_symbol: ticker, sector, change: parseFloat(change), price: parseFloat(price) };
    });
    // Blank lines everywhere a spreadsheet export or a hand edit leaves them: before the header,
    // between rows (LF and CRLF, one or several), and trailing. 84 in all, as in the report.
    const blanksBefore = [2, 1, 3, 1, 1, 5, 1, 2, 1, 1]; // before each of the 10 rows: 18
    const trailing = 84 - 2 - 18;
    const body = '\n\n' + header + '\n'
      + rows.map((row, i) => (i % 2 === 0 ? '\n' : '\r\n').repeat(blanksBefore[i]) + row + '\n').join('')
      + '\n'.repeat(trailing);
    const blankLines = body.split('\n').slice(0, -1).filter((l) => l === '' || l === '\r').length;
    expect(blankLines).toBe(84);
    await harness.upload('with blanks.csv', body);
    await harness.loadHandler(schema)(harness.event('with blanks.csv'));

    expect(rows).toHaveLength(10);
    const delivered = await harness.readStream();
    expect(delivered).toHaveLength(expectedRows.length);
    expect(rowsChecksum(delivered)).toBe(rowsChecksum(expectedRows));
    expect(await harness.rejectedRows()).toEqual([]);
    expect(emittedMetrics(logSpy)[0]).toMatchObject({ RowsIngested: expectedRows.length, RowsRejected: 0, BlankLinesSkipped: 84, FilesRejected: 0 });
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    expect(JSON.parse(await harness.readLake(stateKey))).toMatchObject({ status: 'complete', rowsRejected: 0, blankLinesSkipped: 84 });
  });

  test('blank lines are counted once across a failed invocation and its resumed retry', async () => {
    const [header, ...rows] = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv'), 'utf8').split('\n').filter((l) => l.length > 0);
    // A blank line after every 1000th row: 153 of them, on both sides of the first checkpoint.
    const body = [header, ...rows.flatMap((row, i) => ((i + 1) % 1000 === 0 ? [row, ''] : [row]))].join('\n') + '\n';
    const blanks = Math.floor(rows.length / 1000);
    expect(blanks).toBe(153);
    await harness.upload('blanks.csv', body);
    const event = harness.event('blanks.csv');
    const proxy = await startKinesisFaultProxy({
      target: harness.kinesis.endpoint, throttleCallShare: 0, failEntryShare: 0, seed: 1, outageAfterCalls: 1,
    });
    try {
      await expect(harness.loadHandler(schema, { PUT_MAX_ATTEMPTS: '2' }, proxy.endpoint)(event)).rejects.toThrow(/still failing after 2 attempts/);
    } finally {
      await proxy.stop();
    }
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    const partial = JSON.parse(await harness.readLake(stateKey));
    expect(partial.status).toBe('in-progress');
    expect(partial.blankLinesSkipped).toBeGreaterThan(0);
    expect(partial.blankLinesSkipped).toBeLessThan(blanks);

    await harness.loadHandler(schema)(event);
    const delivered = await harness.readStream();
    expect(delivered).toHaveLength(153_580);
    expect(rowsChecksum(delivered)).toBe(expectedChecksum);
    expect(await harness.rejectedRows()).toEqual([]);
    expect(JSON.parse(await harness.readLake(stateKey))).toMatchObject({ status: 'complete', rowsRejected: 0, blankLinesSkipped: blanks });
    // The retry reports only what it added: the two together count each blank line once.
    const retried = emittedMetrics(logSpy).at(-1)!;
    expect(retried.BlankLinesSkipped + partial.blankLinesSkipped).toBe(blanks);
    expect(retried.RowsRejected).toBe(0);
  });

  test('a file over the size limit is quarantined with its reason, unread', async () => {
    await harness.upload('big.csv', 'ticker_symbol,sector,change,price\nAAPL,TECHNOLOGY,0.5,101.25\n');
    await harness.loadHandler(schema, { MAX_FILE_BYTES: '20' })(harness.event('big.csv'));

    expect(await harness.readStream()).toHaveLength(0);
    const quarantined = await harness.listLake('rejected/ingest/stocks/files/');
    expect(quarantined).toHaveLength(2);
    const reasonKey = quarantined.find((k) => k.endsWith('big.csv.reason.json'))!;
    expect(JSON.parse(await harness.readLake(reasonKey)).reason).toMatch(/over the 20-byte limit/);
    expect(await harness.readLake(quarantined.find((k) => k.endsWith('/big.csv'))!)).toContain('AAPL');
    expect(emittedMetrics(logSpy)[0]).toMatchObject({ FilesRejected: 1, RowsIngested: 0 });
  });

  test('a header that does not match the schema quarantines the file and says what differs', async () => {
    await harness.upload('wrong.csv', 'ticker,sector,change,price,volume\nAAPL,TECHNOLOGY,0.5,101.25,3\n');
    await harness.loadHandler(schema)(harness.event('wrong.csv'));

    expect(await harness.readStream()).toHaveLength(0);
    const reasonKey = (await harness.listLake('rejected/ingest/stocks/files/')).find((k) => k.endsWith('.reason.json'))!;
    expect(JSON.parse(await harness.readLake(reasonKey)).reason).toBe(
      "The header does not match schema 'stocks': missing column(s) ticker_symbol; unknown column(s) ticker, volume. Expected the columns ticker_symbol,sector,change,price (any order).",
    );
  });
});
