import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { objectId, SourceObject } from './ingest-state';

/**
 * Moves a whole file the handler will not process (too large, unreadable
 * header) to `rejected/ingest/<dataset>/files/<object id>/<file name>` in the
 * lake, with `<file name>.reason.json` beside it, and removes it from the
 * landing area, so it is kept and explained rather than half-processed.
 * The reason is also in the copy's metadata, percent-encoded to ASCII: S3
 * metadata travels in HTTP headers, where other characters are refused.
 */
export class FileQuarantine {
  constructor(
    private readonly s3: S3Client,
    private readonly lakeBucket: string,
    private readonly dataset: string,
  ) {}

  /** @returns the quarantined object's key */
  public async quarantine(source: SourceObject, versionId: string | undefined, reason: string): Promise<string> {
    const fileName = source.key.split('/').pop() || 'object';
    const key = `rejected/ingest/${this.dataset}/files/${objectId(source)}/${fileName}`;
    const copySource = `${source.bucket}/${encodeURIComponent(source.key).replace(/%2F/g, '/')}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`;
    await this.s3.send(new CopyObjectCommand({
      Bucket: this.lakeBucket,
      Key: key,
      CopySource: copySource,
      MetadataDirective: 'REPLACE',
      Metadata: { 'freshet-rejected-reason': asciiMetadata(reason) },
    }));
    await this.s3.send(new PutObjectCommand({
      Bucket: this.lakeBucket,
      Key: `${key}.reason.json`,
      Body: JSON.stringify({ source: `s3://${source.bucket}/${source.key}`, version: source.version, reason }),
      ContentType: 'application/json',
    }));
    await this.s3.send(new DeleteObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: versionId }));
    return key;
  }
}

/** S3 user metadata is limited to 2 KB in all; the reason keeps well under it. */
const MAX_METADATA_CHARS = 1024;

/**
 * The reason as printable ASCII: `%` and every character outside 0x20-0x7E
 * become the percent-encoded bytes of their UTF-8 (RFC 3986), so `decodeURIComponent`
 * gives the reason back; cut at a whole character when too long.
 */
export function asciiMetadata(reason: string): string {
  let out = '';
  for (const char of reason) {
    const code = char.codePointAt(0)!;
    const encoded = code >= 0x20 && code <= 0x7e && char !== '%'
      ? char
      // A lone surrogate has no UTF-8 form; Buffer writes it as U+FFFD's bytes.
      : [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    if (out.length + encoded.length > MAX_METADATA_CHARS) break;
    out += encoded;
  }
  return out;
}
