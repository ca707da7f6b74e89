import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { objectId, SourceObject } from './ingest-state';

/**
 * Moves a whole file the handler will not process (too large, unreadable
 * header) to `rejected/ingest/<dataset>/files/<object id>/<file name>` in the
 * lake, with `<file name>.reason.json` beside it, and removes it from the
 * landing area, so it is kept and explained rather than half-processed.
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
      Metadata: { 'freshet-rejected-reason': reason.slice(0, 1024) },
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
