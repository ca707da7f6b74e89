import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { objectId, SourceObject } from './ingest-state';

/** A row that did not make it into the stream, and why. */
export interface RejectedRow {
  readonly line: number;
  readonly reason: string;
  readonly raw: string;
}

/** Parts flush at this size so a file of bad rows never piles up in memory. */
const PART_BYTES = 1024 * 1024;

/**
 * Writes rejected rows as JSON lines to
 * `rejected/ingest/<dataset>/<object id>/part-NNNNN.jsonl` in the lake, each
 * with the source object, the 1-based line number, the reason and the raw
 * text. Part numbers follow the file's content, so a resumed invocation
 * rewrites a part with the same rows rather than adding a copy.
 */
export class RejectedRowWriter {
  private lines: string[] = [];
  private bytes = 0;
  private parts: number;
  private readonly prefix: string;
  private readonly sourceUri: string;

  constructor(
    private readonly s3: S3Client,
    private readonly lakeBucket: string,
    dataset: string,
    private readonly source: SourceObject,
    partsWritten: number,
  ) {
    this.parts = partsWritten;
    this.prefix = `rejected/ingest/${dataset}/${objectId(source)}/`;
    this.sourceUri = `s3://${source.bucket}/${source.key}`;
  }

  /** The parts written so far. */
  public get partsWritten(): number {
    return this.parts;
  }

  public async add(row: RejectedRow): Promise<void> {
    const line = JSON.stringify({ source: this.sourceUri, version: this.source.version, line: row.line, reason: row.reason, raw: row.raw });
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= PART_BYTES) await this.flush();
  }

  /** Writes the buffered rows as the next part. */
  public async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const part = this.parts + 1;
    await this.s3.send(new PutObjectCommand({
      Bucket: this.lakeBucket,
      Key: `${this.prefix}part-${String(part).padStart(5, '0')}.jsonl`,
      Body: this.lines.join('\n') + '\n',
      ContentType: 'application/x-ndjson',
    }));
    this.parts = part;
    this.lines = [];
    this.bytes = 0;
  }
}
