import { execFile } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import { gzipSync } from 'zlib';
import { CreateStreamCommand, DescribeStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SAMPLE_DATA_DIR, stocksSchema } from '@freshet/examples';
import { PUT_PAYLOAD_UNIT_BYTES, startKinesisEmulator, startKinesisFaultProxy, startS3Emulator } from '@freshet/test-utils';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ProducerConfig, ProducerResult } from './ingest-producer';

const CSV_PATH = path.join(SAMPLE_DATA_DIR, 'stocks_all.csv');
/** The baseline sends this prefix of the file; its rows/s is extrapolated to the whole file. */
const BASELINE_ROWS = 20_000;
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The figures of one variant for the whole file. */
interface IngestFigures {
  readonly rowsPerSecond: number;
  readonly calls: number;
  readonly payloadUnits: number;
  readonly bytes: number;
  readonly maxRssMiB: number;
}

/** Runs a producer in a child process; asynchronously, because the emulators live in this one. */
async function runProducer(variant: 'baseline' | 'handler', config: ProducerConfig): Promise<ProducerResult> {
  const script = path.join(__dirname, 'ingest-producer.js');
  const { stdout } = await promisify(execFile)(process.execPath, [script, variant, JSON.stringify(config)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ProducerResult;
}

async function createStream(client: KinesisClient, name: string): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  while ((await client.send(new DescribeStreamCommand({ StreamName: name }))).StreamDescription?.StreamStatus !== 'ACTIVE') {
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The baseline's calls, units and bytes for the whole file, computed exactly: one PutRecord per row. */
function baselineCounts(): { calls: number; payloadUnits: number; bytes: number } {
  const [header, ...lines] = readFileSync(CSV_PATH, 'utf8').split('\n').filter((l) => l.length > 0);
  const columns = header.split(',');
  let payloadUnits = 0;
  let bytes = 0;
  for (const line of lines) {
    const fields = line.split(',');
    const record = JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, i >= 2 ? Number(fields[i]) : fields[i]])));
    const size = Buffer.byteLength(record) + Buffer.byteLength(fields[0]);
    bytes += size;
    payloadUnits += Math.ceil(size / PUT_PAYLOAD_UNIT_BYTES);
  }
  return { calls: lines.length, payloadUnits, bytes };
}

/**
 * Pushes stocks_all.csv into kinesalite the obvious way (one PutRecord per
 * row) and the way the CSV ingest handler does it, and prints rows/s,
 * PutRecords calls, PUT payload units, bytes and peak RSS side by side.
 */
export async function runIngestBenchmark(): Promise<void> {
  const kinesis = await startKinesisEmulator();
  const s3 = await startS3Emulator(['landing', 'lake']);
  const client = new KinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', credentials: CREDENTIALS, requestHandler: new NodeHttpHandler() });
  const s3Client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true });
  try {
    const schema = stocksSchema().toSpec();
    const csv = readFileSync(CSV_PATH);
    for (const key of ['timed/stocks_all.csv', 'counted/stocks_all.csv']) {
      await s3Client.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: csv }));
    }
    // The same file as a team's gzip export: the handler gunzips it in its stream pipeline.
    await s3Client.send(new PutObjectCommand({ Bucket: 'landing', Key: 'gzip/stocks_all.csv.gz', Body: gzipSync(csv) }));
    for (const name of ['baseline', 'handler', 'handler-counted', 'handler-gzip']) await createStream(client, name);
    const common = { s3Endpoint: s3.endpoint, csvPath: CSV_PATH, landingBucket: 'landing', lakeBucket: 'lake', schema };

    const base = await runProducer('baseline', { ...common, kinesisEndpoint: kinesis.endpoint, streamName: 'baseline', rowLimit: BASELINE_ROWS });
    const timed = await runProducer('handler', { ...common, kinesisEndpoint: kinesis.endpoint, streamName: 'handler', key: 'timed/stocks_all.csv' });
    const gzip = await runProducer('handler', { ...common, kinesisEndpoint: kinesis.endpoint, streamName: 'handler-gzip', key: 'gzip/stocks_all.csv.gz' });
    // A second handler run through a counting proxy gives the exact calls, bytes and units on the wire;
    // it is kept out of the timed run so the proxy's latency does not count.
    const proxy = await startKinesisFaultProxy({ target: kinesis.endpoint, throttleCallShare: 0, failEntryShare: 0, seed: 1 });
    const counted = await runProducer('handler', { ...common, kinesisEndpoint: proxy.endpoint, streamName: 'handler-counted', key: 'counted/stocks_all.csv' });
    await proxy.stop();

    const totalRows = timed.rows;
    const baseCounts = baselineCounts();
    const baselineFigures: IngestFigures = { rowsPerSecond: base.rows / base.seconds, ...baseCounts, maxRssMiB: base.maxRssMiB };
    const handlerFigures: IngestFigures = {
      rowsPerSecond: timed.rows / timed.seconds,
      calls: proxy.stats.putRecordsCalls,
      payloadUnits: proxy.stats.forwardedPayloadUnits,
      bytes: proxy.stats.forwardedBytes,
      maxRssMiB: timed.maxRssMiB,
    };
    if (counted.rows !== totalRows || gzip.rows !== totalRows || totalRows !== baseCounts.calls) {
      throw new Error(`Row counts disagree: handler ${timed.rows} and ${counted.rows}, gzip ${gzip.rows}, file ${baseCounts.calls}.`);
    }
    const gzipFigures = { rowsPerSecond: gzip.rows / gzip.seconds, maxRssMiB: gzip.maxRssMiB, bytes: gzipSync(csv).length };
    printTable(totalRows, baselineFigures, handlerFigures, gzipFigures);
  } finally {
    client.destroy();
    s3Client.destroy();
    await Promise.all([kinesis.stop(), s3.stop()]);
  }
}

/** The handler on the gzip export of the same file: throughput and memory beside plain CSV. */
interface GzipFigures {
  readonly rowsPerSecond: number;
  readonly maxRssMiB: number;
  /** The object's (compressed) size. */
  readonly bytes: number;
}

function printTable(rows: number, baseline: IngestFigures, handler: IngestFigures, gzip: GzipFigures): void {
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const line = (label: string, b: string, h: string) => console.log(`${label.padEnd(28)}${b.padStart(18)}${h.padStart(18)}`);
  console.log(`\nIngest benchmark: stocks_all.csv, ${fmt(rows)} rows, into kinesalite`);
  line('', 'baseline', 'handler');
  line('rows/s', fmt(baseline.rowsPerSecond), fmt(handler.rowsPerSecond));
  line('PutRecord(s) calls', fmt(baseline.calls), fmt(handler.calls));
  line('PUT payload units (25 KB)', fmt(baseline.payloadUnits), fmt(handler.payloadUnits));
  line('bytes sent', fmt(baseline.bytes), fmt(handler.bytes));
  line('peak RSS (MiB)', fmt(baseline.maxRssMiB, 1), fmt(handler.maxRssMiB, 1));
  console.log(`(baseline rows/s and RSS measured on the first ${fmt(BASELINE_ROWS)} rows, 8 calls in flight; its calls, units and bytes are exact for the file)`);
  const check = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  const speedup = handler.rowsPerSecond / baseline.rowsPerSecond;
  console.log(`target: PUT payload units <= 520 ........ ${fmt(handler.payloadUnits)} ${check(handler.payloadUnits <= 520)}`);
  console.log(`target: throughput >= 5x baseline ....... ${fmt(speedup, 1)}x ${check(speedup >= 5)}`);
  console.log(`target: handler peak RSS < 256 MiB ...... ${fmt(handler.maxRssMiB, 1)} MiB ${check(handler.maxRssMiB < 256)}`);
  console.log(`\nGzip upload (stocks_all.csv.gz, ${fmt(gzip.bytes)} bytes), same run:`);
  line('', 'plain CSV', 'gzip');
  line('rows/s', fmt(handler.rowsPerSecond), fmt(gzip.rowsPerSecond));
  line('peak RSS (MiB)', fmt(handler.maxRssMiB, 1), fmt(gzip.maxRssMiB, 1));
  const ratio = gzip.rowsPerSecond / handler.rowsPerSecond;
  console.log(`target: gzip throughput >= 0.5x plain .... ${fmt(ratio, 2)}x ${check(ratio >= 0.5)}`);
  console.log(`target: gzip peak RSS < 256 MiB ......... ${fmt(gzip.maxRssMiB, 1)} MiB ${check(gzip.maxRssMiB < 256)}`);
}
