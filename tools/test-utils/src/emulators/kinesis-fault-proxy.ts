import * as http from 'http';
import { AddressInfo } from 'net';
import { seededRandom } from './seeded-random';

/** How often the proxy fails PutRecords traffic. */
export interface KinesisFaultOptions {
  /** The Kinesis endpoint to forward to, e.g. kinesalite's. */
  readonly target: string;
  /** Share (0–1) of PutRecords calls answered with a whole-call ProvisionedThroughputExceededException. */
  readonly throttleCallShare: number;
  /** Share (0–1) of the entries of a forwarded PutRecords call that come back failed without being delivered. */
  readonly failEntryShare: number;
  /** Seed of the fault RNG. */
  readonly seed: number;
  /**
   * Throttle every PutRecords call after this many, as an outage would.
   * @default - no outage
   */
  readonly outageAfterCalls?: number;
}

/** What the proxy did, for assertions and benchmarks. */
export interface KinesisFaultStats {
  putRecordsCalls: number;
  throttledCalls: number;
  failedEntries: number;
  forwardedEntries: number;
  /** Data and partition-key bytes of the forwarded entries, as Kinesis meters them. */
  forwardedBytes: number;
  /** PUT payload units of the forwarded entries: each entry rounded up to 25 KB. */
  forwardedPayloadUnits: number;
}

/** Kinesis bills PUT payload units of 25 KB per record, rounded up. */
export const PUT_PAYLOAD_UNIT_BYTES = 25 * 1024;

/** A running fault-injecting proxy in front of a Kinesis endpoint. */
export interface KinesisFaultProxy {
  readonly endpoint: string;
  readonly stats: KinesisFaultStats;
  stop(): Promise<void>;
}

const PUT_RECORDS_TARGET = 'Kinesis_20131202.PutRecords';

interface PutRecordsEntry { Data: string; PartitionKey: string; ExplicitHashKey?: string }
interface PutRecordsResultEntry { SequenceNumber?: string; ShardId?: string; ErrorCode?: string; ErrorMessage?: string }

/**
 * An HTTP proxy that speaks the Kinesis JSON protocol at the network edge:
 * it throttles a share of PutRecords calls outright and fails a share of the
 * entries of the others. Failed entries are never forwarded, so a client that
 * retries exactly its failed entries delivers every record exactly once.
 */
export async function startKinesisFaultProxy(options: KinesisFaultOptions): Promise<KinesisFaultProxy> {
  const random = seededRandom(options.seed);
  const stats: KinesisFaultStats = {
    putRecordsCalls: 0, throttledCalls: 0, failedEntries: 0, forwardedEntries: 0, forwardedBytes: 0, forwardedPayloadUnits: 0,
  };
  const target = new URL(options.target);

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, 'content-length': String(body.length), 'host': target.host };
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });

  const reply = (res: http.ServerResponse, status: number, payload: unknown): void => {
    const body = Buffer.from(JSON.stringify(payload));
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': String(body.length) });
    res.end(body);
  };

  const handlePutRecords = async (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> => {
    stats.putRecordsCalls++;
    const outage = options.outageAfterCalls !== undefined && stats.putRecordsCalls > options.outageAfterCalls;
    if (outage || random() < options.throttleCallShare) {
      stats.throttledCalls++;
      reply(res, 400, { __type: 'ProvisionedThroughputExceededException', message: 'Rate exceeded for stream (injected by the fault proxy).' });
      return;
    }
    const request = JSON.parse(body.toString('utf8')) as { StreamName?: string; StreamARN?: string; Records: PutRecordsEntry[] };
    const failed = request.Records.map(() => random() < options.failEntryShare);
    const survivors = request.Records.filter((_, i) => !failed[i]);
    let delivered: PutRecordsResultEntry[] = [];
    if (survivors.length > 0) {
      const upstream = await forward(req, Buffer.from(JSON.stringify({ ...request, Records: survivors })));
      if (upstream.status !== 200) {
        res.writeHead(upstream.status, upstream.headers);
        res.end(upstream.body);
        return;
      }
      delivered = (JSON.parse(upstream.body.toString('utf8')) as { Records: PutRecordsResultEntry[] }).Records;
    }
    stats.forwardedEntries += survivors.length;
    for (const entry of survivors) {
      const bytes = Buffer.from(entry.Data, 'base64').length + Buffer.byteLength(entry.PartitionKey, 'utf8');
      stats.forwardedBytes += bytes;
      stats.forwardedPayloadUnits += Math.ceil(bytes / PUT_PAYLOAD_UNIT_BYTES);
    }
    let next = 0;
    let failedCount = 0;
    const records = failed.map((isFailed) => {
      if (!isFailed) return delivered[next++];
      failedCount++;
      return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected by the fault proxy).' };
    });
    failedCount += delivered.filter((r) => r.ErrorCode).length;
    stats.failedEntries += failed.filter(Boolean).length;
    reply(res, 200, { FailedRecordCount: failedCount, Records: records });
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const work = req.headers['x-amz-target'] === PUT_RECORDS_TARGET
        ? handlePutRecords(req, body, res)
        : forward(req, body).then((upstream) => {
          res.writeHead(upstream.status, upstream.headers);
          res.end(upstream.body);
        });
      work.catch((error: Error) => reply(res, 500, { __type: 'InternalFailure', message: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
