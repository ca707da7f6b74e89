import { Readable } from 'stream';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CsvRecord, csvRecords } from './csv-lines';
import { FileQuarantine } from './file-quarantine';
import { IngestConfig } from './ingest-config';
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

/**
 * Ingests one uploaded CSV object version: streams it, types each row,
 * sends good rows to Kinesis as aggregated records and writes bad rows to
 * the lake with their line and reason. Empty lines are skipped and counted
 * apart, as common CSV readers skip them. Lines in = rows ingested + rows
 * rejected + blank lines skipped, always.
 */
export async function ingestObject(
  config: IngestConfig,
  clients: IngestClients,
  bucket: string,
  key: string,
  eventVersionId?: string,
): Promise<IngestCounts> {
  const dataset = config.schema.name;
  const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: eventVersionId }));
  const versionId = eventVersionId ?? head.VersionId;
  const source: SourceObject = { bucket, key, version: versionId && versionId !== 'null' ? versionId : `etag:${head.ETag ?? ''}` };
  const store = new IngestStateStore(clients.s3, config.lakeBucket, dataset);
  const none = { rowsIngested: 0, rowsRejected: 0, blankLinesSkipped: 0, filesRejected: 0, putRecordsRetries: 0, duplicateDeliveries: 0 };

  const previous = await store.read(source);
  if (previous && previous.status !== 'in-progress') {
    console.log(JSON.stringify({ message: 'Object version already ingested; this delivery adds nothing.', source, status: previous.status }));
    return { ...none, duplicateDeliveries: 1 };
  }

  const quarantine = async (reason: string): Promise<IngestCounts> => {
    const quarantinedAt = await new FileQuarantine(clients.s3, config.lakeBucket, dataset).quarantine(source, versionId, reason);
    await store.write({ status: 'quarantined', source, resumeAfterLine: 0, rowsIngested: 0, rowsRejected: 0, rejectedParts: 0, reason });
    console.error(JSON.stringify({ message: 'File quarantined', source, quarantinedAt, reason }));
    return { ...none, filesRejected: 1 };
  };

  const size = head.ContentLength ?? 0;
  if (size > config.maxFileBytes) {
    return quarantine(`The file is ${size} bytes, over the ${config.maxFileBytes}-byte limit (maxFileSize); split it or raise the limit.`);
  }

  const resumeAfterLine = previous?.resumeAfterLine ?? 0;
  let rowsIngested = previous?.rowsIngested ?? 0;
  let rowsRejected = previous?.rowsRejected ?? 0;
  let blankLinesSkipped = previous?.blankLinesSkipped ?? 0;
  const rejected = new RejectedRowWriter(clients.s3, config.lakeBucket, dataset, source, previous?.rejectedParts ?? 0);
  const writer = new KinesisWriter(clients.kinesis, config.streamName, config.retry);
  const aggregator = new RecordAggregatorBuffer(objectId(source).slice(0, 16));
  let ready: AggregatedRecord[] = [];
  let readyBytes = 0;
  let readyRows = 0;

  // Sends what is ready, then records how far the file is done.
  const checkpoint = async (doneThroughLine: number): Promise<void> => {
    await writer.putAll(ready);
    rowsIngested += readyRows;
    ready = [];
    readyBytes = 0;
    readyRows = 0;
    await rejected.flush();
    await store.write({ status: 'in-progress', source, resumeAfterLine: doneThroughLine, rowsIngested, rowsRejected, blankLinesSkipped, rejectedParts: rejected.partsWritten });
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

  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const records = csvRecords(decodeUtf8(object.Body as Readable));
  let header = await records.next();
  // Blank lines before the header are skipped too (counted once: not again on a resumed run).
  while (!header.done && isBlankLine(header.value)) {
    if (header.value.line > resumeAfterLine) blankLinesSkipped++;
    header = await records.next();
  }
  if (header.done || !header.value.fields) {
    (object.Body as Readable).destroy();
    return quarantine(header.done ? 'The file is empty; a CSV upload needs a header line.' : `The header line is not valid CSV: ${header.value.error}.`);
  }
  let typing: RowTyping;
  try {
    typing = RowTyping.forHeader(config.schema, header.value.fields);
  } catch (error) {
    (object.Body as Readable).destroy();
    return quarantine((error as Error).message);
  }

  let lastLine = header.value.line;
  for await (const record of records) {
    lastLine = record.line;
    if (record.line <= resumeAfterLine) continue;
    if (isBlankLine(record)) {
      blankLinesSkipped++;
      continue;
    }
    const typed = record.fields ? typing.type(record.fields) : { reason: `malformed CSV: ${record.error}` };
    if ('json' in typed) {
      const completed = aggregator.add(typed.json);
      if (completed) await enqueue(completed, record.line);
    } else {
      await rejected.add({ line: record.line, reason: typed.reason, raw: record.raw });
      rowsRejected++;
    }
  }
  const last = aggregator.flush();
  if (last) {
    ready.push(last);
    readyRows += last.userRecords;
  }
  await checkpoint(lastLine);
  await store.write({ status: 'complete', source, resumeAfterLine: lastLine, rowsIngested, rowsRejected, blankLinesSkipped, rejectedParts: rejected.partsWritten });
  return {
    ...none,
    rowsIngested: rowsIngested - (previous?.rowsIngested ?? 0),
    rowsRejected: rowsRejected - (previous?.rowsRejected ?? 0),
    blankLinesSkipped: blankLinesSkipped - (previous?.blankLinesSkipped ?? 0),
    putRecordsRetries: writer.retries,
  };
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
