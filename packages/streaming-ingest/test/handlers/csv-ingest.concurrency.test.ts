import { readFileSync } from 'fs';
import * as path from 'path';
import { GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SAMPLE_DATA_DIR, stocksSchema } from '@freshet/examples';
import { startKinesisFaultProxy } from '@freshet/test-utils';
import { IngestHarness, LAKE_BUCKET, rowsChecksum } from './ingest-harness';

/**
 * Issue 22, failure 1: S3 can deliver one event to several invocations at
 * once. Each delivery here runs the real handler (its own module copy, as a
 * separate Lambda container would) against kinesalite and moto server's S3,
 * which implements the conditional writes the lease relies on atomically, as
 * AWS does. The lake bucket is versioned so every write of the ingest state
 * can be counted afterwards.
 */
const schema = stocksSchema().toSpec();
const [HEADER, ...ALL_ROWS] = readFileSync(path.join(SAMPLE_DATA_DIR, 'stocks_all.csv'), 'utf8').split('\n').filter((l) => l.length > 0);

function typed(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => {
    const [ticker, sector, change, price] = line.split(',');
    return { ticker_symbol: ticker, sector, change: parseFloat(change), price: parseFloat(price) };
  });
}

/** The EMF metric lines the handler printed. */
function emittedMetrics(spy: jest.SpyInstance): Record<string, number>[] {
  return spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

/** A Lambda context whose deadline is `ms` away. */
function context(id: string, ms: number) {
  const deadline = Date.now() + ms;
  return { awsRequestId: id, getRemainingTimeInMillis: () => deadline - Date.now() };
}

describe('concurrent deliveries of one S3 event', () => {
  let harness: IngestHarness;
  let logSpy: jest.SpyInstance;
  let warnSpy: jest.SpyInstance;

  beforeEach(async () => {
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    harness = await IngestHarness.start(2, 'moto');
    await harness.s3Client.send(new PutBucketVersioningCommand({ Bucket: LAKE_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  });
  afterEach(async () => {
    logSpy.mockRestore();
    warnSpy.mockRestore();
    await harness.stop();
  });

  /** Every state the handlers wrote for the one object, oldest first. */
  async function stateHistory(): Promise<{ status: string; rowsIngested: number }[]> {
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    const versions = (await harness.s3Client.send(new ListObjectVersionsCommand({ Bucket: LAKE_BUCKET, Prefix: stateKey }))).Versions ?? [];
    const states = [];
    for (const version of versions) {
      const response = await harness.s3Client.send(new GetObjectCommand({ Bucket: LAKE_BUCKET, Key: stateKey, VersionId: version.VersionId }));
      states.push({ at: version.LastModified!.getTime(), state: JSON.parse(await response.Body!.transformToString()) });
    }
    return states.sort((a, b) => a.at - b.at || a.state.updatedAt.localeCompare(b.state.updatedAt)).map((s) => s.state);
  }

  test.each([2, 5, 20])('%i concurrent deliveries of a 3,000-row file: every row on the stream exactly once, the object marked done once', async (deliveries) => {
    const lines = ALL_ROWS.slice(0, 3000);
    await harness.upload('uploads/concurrent.csv', [HEADER, ...lines].join('\n') + '\n');
    const event = harness.event('uploads/concurrent.csv');
    const handlers = Array.from({ length: deliveries }, () => harness.loadHandler(schema, { LEASE_POLL_MS: '20' }));

    await Promise.all(handlers.map((handler, i) => handler(event, context(`delivery-${i}`, 60_000))));

    const rows = await harness.readStream();
    expect(rows).toHaveLength(3000);
    expect(rowsChecksum(rows)).toBe(rowsChecksum(typed(lines)));
    const metrics = emittedMetrics(logSpy);
    expect(metrics).toHaveLength(deliveries);
    expect(metrics.filter((m) => m.RowsIngested === 3000)).toHaveLength(1);
    expect(metrics.filter((m) => m.DuplicateDeliveries === 1 && m.RowsIngested === 0)).toHaveLength(deliveries - 1);
    const completions = (await stateHistory()).filter((s) => s.status === 'complete');
    expect(completions).toHaveLength(1);
    expect(completions[0]).toMatchObject({ rowsIngested: 3000, rowsRejected: 0 });
  });

  test('a dead holder\'s lease: while live, a delivery fails for a retry with nothing sent; once expired, one takes over and resumes from the checkpoint', async () => {
    await harness.upload('stocks.csv', 'stocks_all');
    const event = harness.event('stocks.csv');
    const proxy = await startKinesisFaultProxy({
      target: harness.kinesis.endpoint, throttleCallShare: 0, failEntryShare: 0, seed: 1, outageAfterCalls: 1,
    });
    try {
      await expect(harness.loadHandler(schema, { PUT_MAX_ATTEMPTS: '2' }, proxy.endpoint)(event, context('first', 60_000))).rejects.toThrow(/still failing after 2 attempts/);
    } finally {
      await proxy.stop();
    }
    const [stateKey] = await harness.listLake('_freshet/ingest-state/stocks/');
    const partial = JSON.parse(await harness.readLake(stateKey));
    // A failure releases the lease, keeping the progress.
    expect(partial).toMatchObject({ status: 'in-progress' });
    expect(partial.lease).toBeUndefined();
    expect(partial.resumeAfterLine).toBeGreaterThan(1);
    const sentBefore = (await harness.readStream()).length;
    expect(sentBefore).toBe(partial.rowsIngested);

    // What a holder killed at its Lambda timeout leaves: the checkpoint and its lease.
    const leftBehind = async (expiresAt: Date) => harness.s3Client.send(new PutObjectCommand({
      Bucket: LAKE_BUCKET, Key: stateKey, Body: JSON.stringify({ ...partial, lease: { owner: 'killed', expiresAt: expiresAt.toISOString() } }),
    }));
    await leftBehind(new Date(Date.now() + 10 * 60_000));
    await expect(harness.loadHandler(schema, { LEASE_POLL_MS: '20' })(event, context('early', 5_500)))
      .rejects.toThrow(/is being ingested by invocation killed until .*; this delivery fails so that Lambda retries it then \(nothing was sent\)/);
    expect(await harness.readStream()).toHaveLength(sentBefore);

    await leftBehind(new Date(Date.now() - 1000));
    const handlers = Array.from({ length: 5 }, () => harness.loadHandler(schema, { LEASE_POLL_MS: '20' }));
    await Promise.all(handlers.map((handler, i) => handler(event, context(`retry-${i}`, 120_000))));

    const rows = await harness.readStream();
    expect(rows).toHaveLength(153_580);
    expect(rowsChecksum(rows)).toBe(rowsChecksum(typed(ALL_ROWS)));
    expect(warnSpy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('Took over an expired ingest lease'))).toHaveLength(1);
    expect((await stateHistory()).filter((s) => s.status === 'complete')).toEqual([expect.objectContaining({ rowsIngested: 153_580, resumeAfterLine: 153_581 })]);
  });
});
