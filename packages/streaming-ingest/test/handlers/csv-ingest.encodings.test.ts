import { readFileSync } from 'fs';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { SAMPLE_DATA_DIR, stocksSchema } from '@freshet/examples';
import { IngestHarness, LAKE_BUCKET, rowsChecksum } from './ingest-harness';

/**
 * Issue 22, failures 2 and 3: uploads real teams send (gzip exports, files
 * that are not UTF-8, headers in other scripts, empty files) are each either
 * ingested or quarantined with a reason a person can read: the handler never
 * throws for them, so nothing is dead-lettered and replayed to fail again.
 */
const schema = stocksSchema().toSpec();
const STOCKS = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv'));

function typedRows(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.length > 0).slice(1).map((line) => {
    const [ticker, sector, change, price] = line.split(',');
    return { ticker_symbol: ticker, sector, change: parseFloat(change), price: parseFloat(price) };
  });
}

/** The EMF metric lines the handler printed. */
function emittedMetrics(spy: jest.SpyInstance): Record<string, number>[] {
  return spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

describe('CSV ingest of gzip, non-UTF-8, non-ASCII and empty uploads', () => {
  let harness: IngestHarness;
  let logSpy: jest.SpyInstance;
  let errorSpy: jest.SpyInstance;

  beforeEach(async () => {
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    errorSpy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    harness = await IngestHarness.start(1);
  });
  afterEach(async () => {
    logSpy.mockRestore();
    errorSpy.mockRestore();
    await harness.stop();
  });

  /** Uploads, runs the handler (which must not throw), and returns the file's quarantine reason (reason.json and the metadata's), if any. */
  async function ingest(key: string, body: Buffer | string, contentEncoding?: string) {
    await harness.upload(key, body, contentEncoding ? { ContentEncoding: contentEncoding } : {});
    await harness.loadHandler(schema)(harness.event(key));
    const fileName = key.split('/').pop()!;
    const quarantined = (await harness.listLake('rejected/ingest/stocks/files/')).filter((k) => k.endsWith(`/${fileName}`));
    const rows = await harness.readStream();
    if (quarantined.length === 0) return { rows, metrics: emittedMetrics(logSpy).at(-1)! };
    expect(quarantined).toHaveLength(1);
    const reason = JSON.parse(await harness.readLake(`${quarantined[0]}.reason.json`)).reason as string;
    const head = await harness.s3Client.send(new HeadObjectCommand({ Bucket: LAKE_BUCKET, Key: quarantined[0] }));
    const metadataReason = head.Metadata!['freshet-rejected-reason'];
    return { rows, reason, metadataReason, metrics: emittedMetrics(logSpy).at(-1)! };
  }

  test('a .csv.gz upload is stream-decompressed and every row ingested once', async () => {
    const result = await ingest('uploads/stocks.csv.gz', gzipSync(STOCKS));
    expect(result.reason).toBeUndefined();
    expect(result.rows).toHaveLength(153_580);
    expect(rowsChecksum(result.rows)).toBe(rowsChecksum(typedRows(STOCKS.toString('utf8'))));
    expect(result.metrics).toMatchObject({ RowsIngested: 153_580, RowsRejected: 0, FilesRejected: 0 });
  });

  test('an upload stored with Content-Encoding: gzip and a plain .csv name is decompressed too', async () => {
    const sample = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_sample.csv'), 'utf8');
    const result = await ingest('uploads/encoded.csv', gzipSync(sample), 'gzip');
    expect(result.reason).toBeUndefined();
    expect(rowsChecksum(result.rows)).toBe(rowsChecksum(typedRows(sample)));
    expect(result.rows).toHaveLength(typedRows(sample).length);
  });

  test('a corrupt gzip is quarantined with a readable reason, not thrown', async () => {
    const gz = gzipSync(STOCKS);
    const corrupt = Buffer.concat([gz.subarray(0, 10), Buffer.alloc(4096, 0xff), gz.subarray(4106)]);
    const result = await ingest('uploads/corrupt.csv.gz', corrupt);
    expect(result.reason).toMatch(/^The file is gzip \(its name ends in \.gz\) but its gzip data is corrupt or cut short \(.+\)\./);
    expect(result.rows).toHaveLength(0);
    expect(result.metrics).toMatchObject({ FilesRejected: 1, RowsIngested: 0 });
    expect(decodeURIComponent(result.metadataReason!)).toBe(result.reason);
  });

  test('a gzip cut short keeps the rows read in full and quarantines the file saying how far it got', async () => {
    const gz = gzipSync(STOCKS);
    const result = await ingest('uploads/cut.csv.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    expect(result.reason).toMatch(/gzip data is corrupt or cut short \(unexpected end of file\)\. Lines 1 to (\d+) were read; their (\d+) good rows were ingested and 0 rejected\.$/);
    const [, lastLine, ingested] = /Lines 1 to (\d+) were read; their (\d+) good rows/.exec(result.reason!)!;
    expect(Number(ingested)).toBe(Number(lastLine) - 1);
    expect(result.rows).toHaveLength(Number(ingested));
    expect(result.rows.length).toBeGreaterThan(1000);
    expect(rowsChecksum(result.rows)).toBe(rowsChecksum(typedRows(STOCKS.toString('utf8')).slice(0, Number(ingested))));
  });

  test('a .gz name on a file that is not gzip is quarantined with the reason', async () => {
    const result = await ingest('uploads/plain.csv.gz', 'ticker_symbol,sector,change,price\nAAPL,TECHNOLOGY,0.5,101.25\n');
    expect(result.reason).toMatch(/^The file is gzip \(its name ends in \.gz\) but its gzip data is corrupt or cut short \(incorrect header check\)\.$/);
    expect(result.rows).toHaveLength(0);
  });

  test('a UTF-8 header with CJK and emoji is quarantined; the reason keeps them, the metadata is ASCII', async () => {
    const result = await ingest('uploads/温度.csv', 'id,温度,😀\n1,20.5,x\n');
    expect(result.reason).toBe(
      "The header does not match schema 'stocks': missing column(s) ticker_symbol, sector, change, price; unknown column(s) id, 温度, 😀. Expected the columns ticker_symbol,sector,change,price (any order).",
    );
    expect(result.metadataReason).toMatch(/^[\x20-\x7e]+$/);
    expect(result.metadataReason).toContain('unknown column(s) id, %E6%B8%A9%E5%BA%A6, %F0%9F%98%80.');
    expect(decodeURIComponent(result.metadataReason!)).toBe(result.reason);
  });

  test('a Latin-1 file: a header that is not UTF-8 quarantines the file; a row that is not rejects the row', async () => {
    const header = await ingest('uploads/latin1-header.csv', Buffer.from('ticker_symbol,sector,change,price,r\xe9gion\nAAPL,TECHNOLOGY,0.5,101.25,x\n', 'latin1'));
    expect(header.reason).toMatch(/^The header line is not valid UTF-8: save the file as UTF-8/);
    expect(decodeURIComponent(header.metadataReason!)).toBe(header.reason);

    const rows = await ingest('uploads/latin1-rows.csv', Buffer.from('ticker_symbol,sector,change,price\nAAPL,TECHNOLOGY,0.5,101.25\nSOCI\xc9T\xc9,RETAIL,1,2\n', 'latin1'));
    expect(rows.reason).toBeUndefined();
    // The quarantined Latin-1 header file sent nothing: the stream holds this file's one good row.
    expect(rows.rows).toEqual([{ ticker_symbol: 'AAPL', sector: 'TECHNOLOGY', change: 0.5, price: 101.25 }]);
    const rejected = (await harness.rejectedRows()).filter((r) => r.source.endsWith('latin1-rows.csv'));
    expect(rejected.map((r) => [r.line, r.reason])).toEqual([[3, 'the line is not valid UTF-8: save the file as UTF-8']]);
  });

  test('a zero-byte file is quarantined as empty', async () => {
    const result = await ingest('uploads/empty.csv', Buffer.alloc(0));
    expect(result.reason).toBe('The file is empty; a CSV upload needs a header line.');
    expect(result.metrics).toMatchObject({ FilesRejected: 1 });
  });
});
