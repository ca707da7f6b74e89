import { pipeline, Readable } from 'stream';
import { createGunzip } from 'zlib';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, HeadObjectCommand, HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { CsvRecord, csvRecords } from './csv-lines';
import { FileQuarantine } from './file-quarantine';
import { IngestConfig } from './ingest-config';
import { HeldLease, IngestLeaseManager } from './ingest-lease';
import { IngestCounts } from './ingest-metrics';
import { IngestStateStore, objectId, SourceObject } from './ingest-state';
import { KinesisWriter, MAX_BYTES_PER_CALL, MAX_ENTRIES_PER_CALL, entryBytes } from './put-records';
import { AggregatedRecord, MAX_AGGREGATE_BYTES, RecordAggregatorBuffer } from './record-aggregator';
import { RejectedRowWriter } from './rejected-rows';
import { RowTyping } from './row-typing';

/** The clients an ingest uses; created once per container. */
export interface IngestClients {
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
}

/** One uploaded object version, as its S3 event names it. */
export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  /** @default - the bucket is not versioned */
  readonly versionId?: string;
  /** The ETag without quotes. @default - read with HeadObject */
  readonly eTag?: string;
}

/** The invocation doing the ingest. */
export interface Invocation {
  /** A unique id of the invocation (the Lambda request id): the lease owner. */
  readonly id: string;
  /** Epoch ms when Lambda stops the invocation: the lease lasts until then (plus a margin). */
  readonly deadline: number;
}

/** The gzip data is unreadable past some point (corrupt or cut short): retrying cannot help. */
class UnreadableFileError extends Error {}

/** Bytes of the object that the UTF-8 decoder replaced: the file (or line) is not UTF-8. */
const REPLACEMENT_CHARACTER = '\ufffd';

/**
 * Ingests one uploaded CSV object version: streams it (gunzipping a gzip
 * upload), types each row, sends good rows to Kinesis as aggregated records
 * and writes bad rows to the lake with their line and reason. Empty lines are
 * skipped and counted apart, as common CSV readers skip them. Lines in = rows
 * ingested + rows rejected + blank lines skipped, always.
 *
 * One invocation at a time works on an object version (see
 * {@link IngestLeaseManager}): concurrent deliveries of one event put each
 * row on the stream once.
 */
export async function ingestObject(
  config: IngestConfig,
  clients: IngestClients,
  object: UploadedObject,
  invocation: Invocation,
): Promise<IngestCounts> {
  const { bucket, key } = object;
  const dataset = config.schema.name;
  const none = { rowsIngested: 0, rowsRejected: 0, blankLinesSkipped: 0, filesRejected: 0, putRecordsRetries: 0, duplicateDeliveries: 0 };
  // The version (or ETag) from the event: a duplicate of a finished (even quarantined, so deleted) upload then needs no S3 read of it.
  let head: HeadObjectCommandOutput | undefined;
  if (!object.versionId && !object.eTag) head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const versionId = object.versionId ?? head?.VersionId;
  const source: SourceObject = {
    bucket,
    key,
    version: versionId && versionId !== 'null' ? versionId : `etag:${head?.ETag ?? `"${object.eTag}"`}`,
  };
  const store = new IngestStateStore(clients.s3, config.lakeBucket, dataset);

  const outcome = await new IngestLeaseManager(store, invocation.id, invocation.deadline, config.leasePollMs).acquire(source);
  if (outcome.kind === 'finished') {
    console.log(JSON.stringify({ message: 'Object version already ingested; this delivery adds nothing.', source, status: outcome.state.status }));
    return { ...none, duplicateDeliveries: 1 };
  }
  const lease = outcome.lease;
  try {
    head ??= await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: object.versionId }));
    return await ingestLeased(config, clients, source, versionId, head, lease);
  } catch (error) {
    await lease.release();
    throw error;
  }
}

async function ingestLeased(
  config: IngestConfig,
  clients: IngestClients,
  source: SourceObject,
  versionId: string | undefined,
  head: HeadObjectCommandOutput,
  lease: HeldLease,
): Promise<IngestCounts> {
  const { bucket, key } = source;
  const dataset = config.schema.name;
  const none = { rowsIngested: 0, rowsRejected: 0, blankLinesSkipped: 0, filesRejected: 0, putRecordsRetries: 0, duplicateDeliveries: 0 };
  const previous = lease.start;

  const resumeAfterLine = previous.resumeAfterLine;
  let rowsIngested = previous.rowsIngested;
  let rowsRejected = previous.rowsRejected;
  let blankLinesSkipped = previous.blankLinesSkipped ?? 0;
  const rejected = new RejectedRowWriter(clients.s3, config.lakeBucket, dataset, source, previous.rejectedParts);
  const writer = new KinesisWriter(clients.kinesis, config.streamName, config.retry);
  const aggregator = new RecordAggregatorBuffer(objectId(source).slice(0, 16));
  let ready: AggregatedRecord[] = [];
  let readyBytes = 0;
  let readyRows = 0;
  const counts = (filesRejected: number): IngestCounts => ({
    ...none,
    rowsIngested: rowsIngested - previous.rowsIngested,
    rowsRejected: rowsRejected - previous.rowsRejected,
    blankLinesSkipped: blankLinesSkipped - (previous.blankLinesSkipped ?? 0),
    filesRejected,
    putRecordsRetries: writer.retries,
  });

  const quarantine = async (reason: string): Promise<IngestCounts> => {
    const quarantinedAt = await new FileQuarantine(clients.s3, config.lakeBucket, dataset).quarantine(source, versionId, reason);
    await lease.record({ status: 'quarantined', resumeAfterLine: 0, rowsIngested, rowsRejected, blankLinesSkipped, rejectedParts: rejected.partsWritten, reason });
    console.error(JSON.stringify({ message: 'File quarantined', source, quarantinedAt, reason }));
    return counts(1);
  };

  const size = head.ContentLength ?? 0;
  if (size > config.maxFileBytes) {
    return quarantine(`The file is ${size} bytes, over the ${config.maxFileBytes}-byte limit (maxFileSize); split it or raise the limit.`);
  }

  // Sends what is ready, then records how far the file is done.
  const checkpoint = async (doneThroughLine: number): Promise<void> => {
    await writer.putAll(ready);
    rowsIngested += readyRows;
    ready = [];
    readyBytes = 0;
    readyRows = 0;
    await rejected.flush();
    await lease.record({ status: 'in-progress', resumeAfterLine: doneThroughLine, rowsIngested, rowsRejected, blankLinesSkipped, rejectedParts: rejected.partsWritten });
  };
  // All rows before `nextLine` are in `ready` or the rejected buffer, so a checkpoint there is exact.
  const enqueue = async (aggregate: AggregatedRecord, nextLine: number): Promise<void> => {
    ready.push(aggregate);
    readyBytes += entryBytes(aggregate);
    readyRows += aggregate.userRecords;
    if (ready.length === MAX_ENTRIES_PER_CALL || readyBytes + MAX_AGGREGATE_BYTES > MAX_BYTES_PER_CALL) {
      await checkpoint(nextLine - 1);
    }
  };
  const flushAll = async (throughLine: number): Promise<void> => {
    const last = aggregator.flush();
    if (last) {
      ready.push(last);
      readyRows += last.userRecords;
    }
    await checkpoint(throughLine);
  };

  const gzipped = /\bgzip\b/i.test(head.ContentEncoding ?? '') || /\.gz$/i.test(key);
  const response = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const body = response.Body as Readable;
  const bytes = gzipped ? pipeline(body, createGunzip(), () => undefined) : body;
  const records = csvRecords(decodeUtf8(gzipped ? gunzipErrorsAsUnreadable(bytes) : bytes));
  let lastLine = 0;
  try {
    let header = await records.next();
    // Blank lines before the header are skipped too (counted once: not again on a resumed run).
    while (!header.done && isBlankLine(header.value)) {
      if (header.value.line > resumeAfterLine) blankLinesSkipped++;
      header = await records.next();
    }
    if (header.done || !header.value.fields) {
      return await quarantine(header.done ? 'The file is empty; a CSV upload needs a header line.' : `The header line is not valid CSV: ${header.value.error}.`);
    }
    if (header.value.raw.includes(REPLACEMENT_CHARACTER)) {
      return await quarantine('The header line is not valid UTF-8: save the file as UTF-8 (CSV exports in Latin-1 or Windows-1252 are a common cause), or gzip it with a .gz name or Content-Encoding: gzip.');
    }
    let typing: RowTyping;
    try {
      typing = RowTyping.forHeader(config.schema, header.value.fields);
    } catch (error) {
      return await quarantine((error as Error).message);
    }

    lastLine = header.value.line;
    for await (const record of records) {
      lastLine = record.line;
      if (record.line <= resumeAfterLine) continue;
      if (isBlankLine(record)) {
        blankLinesSkipped++;
        continue;
      }
      const typed = !record.fields ? { reason: `malformed CSV: ${record.error}` }
        : record.raw.includes(REPLACEMENT_CHARACTER) ? { reason: 'the line is not valid UTF-8: save the file as UTF-8' }
          : typing.type(record.fields);
      if ('json' in typed) {
        const completed = aggregator.add(typed.json);
        if (completed) await enqueue(completed, record.line);
      } else {
        await rejected.add({ line: record.line, reason: typed.reason, raw: record.raw });
        rowsRejected++;
      }
    }
  } catch (error) {
    if (!(error instanceof UnreadableFileError)) throw error;
    // What was read in full is kept (sent and checkpointed); the file is quarantined with how far it got.
    await flushAll(Math.max(lastLine, resumeAfterLine));
    const kept = lastLine > 1 ? ` Lines 1 to ${lastLine} were read; their ${rowsIngested} good rows were ingested and ${rowsRejected} rejected.` : '';
    const marked = /\.gz$/i.test(key) ? 'its name ends in .gz' : 'Content-Encoding: gzip';
    return await quarantine(`The file is gzip (${marked}) but its gzip data is corrupt or cut short (${(error.cause as Error).message}).${kept}`);
  } finally {
    body.destroy();
  }
  await flushAll(lastLine);
  await lease.record({ status: 'complete', resumeAfterLine: lastLine, rowsIngested, rowsRejected, blankLinesSkipped, rejectedParts: rejected.partsWritten });
  return counts(0);
}

/**
 * Passes gunzipped bytes on, turning zlib's data errors (codes `Z_*`) into
 * {@link UnreadableFileError}. A network error reading the object is not one
 * of them: it fails the invocation, and Lambda's retry resumes.
 */
async function* gunzipErrorsAsUnreadable(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of bytes) yield chunk;
  } catch (error) {
    if (String((error as NodeJS.ErrnoException).code ?? '').startsWith('Z_')) throw new UnreadableFileError('unreadable gzip', { cause: error });
    throw error;
  }
}

/**
 * An empty line (a CRLF's CR is already stripped): Python's csv and pandas
 * skip these, so they are not rows. A line of spaces is not blank: it is
 * typed, and rejected if it does not fit the schema.
 */
function isBlankLine(record: CsvRecord): boolean {
  return record.raw === '';
}

/** Decodes bytes as UTF-8 across chunk boundaries without buffering the object. */
async function* decodeUtf8(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of body) {
    yield decoder.decode(chunk, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}
