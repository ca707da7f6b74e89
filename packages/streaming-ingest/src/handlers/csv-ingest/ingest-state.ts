import { createHash } from 'crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** One S3 object version, the unit of idempotency. */
export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** The version id, or the ETag in quotes when the bucket is not versioned. */
  readonly version: string;
}

/**
 * Progress of one object version, kept at
 * `_freshet/ingest-state/<dataset>/<object id>.json` in the lake bucket.
 *
 * The checkpoint moves only after the rows up to `resumeAfterLine` are in the
 * stream and the rejected rows up to it are in S3. A retried invocation skips
 * those lines, so a crash re-sends at most the rows of the one batch between
 * its PutRecords success and its checkpoint (at-least-once in that window, and
 * exactly once otherwise); a completed object is never sent again.
 */
export interface IngestState {
  readonly status: 'in-progress' | 'complete' | 'quarantined';
  readonly source: SourceObject;
  /** Lines up to and including this one are done. */
  readonly resumeAfterLine: number;
  readonly rowsIngested: number;
  readonly rowsRejected: number;
  /**
   * Empty lines skipped so far.
   * @default 0 - states written before blank lines were counted
   */
  readonly blankLinesSkipped?: number;
  /** Parts of rejected rows written so far; the next part gets this number plus one. */
  readonly rejectedParts: number;
  readonly updatedAt: string;
  /** Why the file was quarantined, when it was. */
  readonly reason?: string;
  /**
   * The invocation working on this object version, while one is.
   * @default - no invocation holds it (states written before leases, and finished or released objects)
   */
  readonly lease?: IngestLease;
}

/** Who works on an object version, and until when at the latest. */
export interface IngestLease {
  /** The holding invocation (its AWS request id, or a random id). */
  readonly owner: string;
  /** ISO 8601: past this instant the holder cannot be running any more (its Lambda timeout plus a margin). */
  readonly expiresAt: string;
}

/** A state as read, with the ETag a conditional write compares against. */
export interface TaggedState {
  readonly state: IngestState;
  readonly etag: string;
}

/** A conditional write lost: another invocation wrote the state first. */
export class StateConflictError extends Error {
  constructor(key: string) {
    super(`The ingest state ${key} was written by another invocation in between.`);
    this.name = 'StateConflictError';
  }
}

/** A short stable id of an object version, for state and rejected-row keys. */
export function objectId(source: SourceObject): string {
  return createHash('sha256').update(`${source.bucket}\n${source.key}\n${source.version}`).digest('hex').slice(0, 32);
}

/** Reads and writes {@link IngestState} markers. */
export class IngestStateStore {
  constructor(
    private readonly s3: S3Client,
    private readonly lakeBucket: string,
    private readonly dataset: string,
  ) {}

  public keyFor(source: SourceObject): string {
    return `_freshet/ingest-state/${this.dataset}/${objectId(source)}.json`;
  }

  public async read(source: SourceObject): Promise<TaggedState | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.lakeBucket, Key: this.keyFor(source) }));
      return { state: JSON.parse(await response.Body!.transformToString()) as IngestState, etag: response.ETag! };
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  /**
   * Writes a state only if the stored one is still the version read (its
   * ETag), or, with `expected` undefined, only if there is none yet (S3
   * conditional writes, `If-Match` / `If-None-Match: *`). Of two concurrent
   * writers exactly one succeeds; the other gets {@link StateConflictError}.
   * @returns the new ETag
   */
  public async writeIf(expected: string | undefined, state: Omit<IngestState, 'updatedAt'>): Promise<string> {
    const key = this.keyFor(state.source);
    try {
      const response = await this.s3.send(new PutObjectCommand({
        Bucket: this.lakeBucket,
        Key: key,
        Body: JSON.stringify({ ...state, updatedAt: new Date().toISOString() }),
        ContentType: 'application/json',
        ...(expected === undefined ? { IfNoneMatch: '*' } : { IfMatch: expected }),
      }));
      return response.ETag!;
    } catch (error) {
      // 412: the condition failed; 409: S3 saw a concurrent conditional write to the key. Both mean another writer won.
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) throw new StateConflictError(key);
      throw error;
    }
  }
}
