import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** An S3 URI split into bucket and key (or prefix). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`Not an S3 URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}

/**
 * The lake and every other bucket of the replay, in moto's S3 through the real
 * SDK: what a job reads is copied down as SageMaker copies an S3Prefix input,
 * what it writes is uploaded back.
 */
export class S3Store {
  readonly client: S3Client;
  private readonly buckets = new Set<string>();

  constructor(endpoint: string) {
    this.client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
  }

  async ensureBucket(bucket: string): Promise<void> {
    if (this.buckets.has(bucket)) return;
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = (error as Error).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
    this.buckets.add(bucket);
  }

  async put(uri: string, body: Buffer | string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.ensureBucket(bucket);
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  async get(uri: string): Promise<Buffer> {
    const { bucket, key } = parseS3Uri(uri);
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  }

  async list(uri: string): Promise<string[]> {
    const { bucket, key } = parseS3Uri(uri);
    await this.ensureBucket(bucket);
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  /**
   * Copies every object under an S3Prefix URI into `dir`, as SageMaker fills an
   * input's LocalPath: the key's part after the prefix is the file's path (a URI
   * naming one object puts that object in `dir` under its own name). Returns the
   * count; an input that matches nothing fails, as the job would.
   */
  async download(uri: string, dir: string): Promise<number> {
    const { bucket, key: prefix } = parseS3Uri(uri);
    const keys = (await this.list(uri)).filter((k) => !k.endsWith('/'));
    if (keys.length === 0) throw new Error(`No S3 objects under ${uri}`);
    fs.mkdirSync(dir, { recursive: true });
    for (const key of keys) {
      const rest = key === prefix ? path.posix.basename(key) : key.slice(prefix.endsWith('/') || prefix === '' ? prefix.length : prefix.lastIndexOf('/') + 1);
      const file = path.join(dir, ...rest.split('/').filter(Boolean));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, await this.get(`s3://${bucket}/${key}`));
    }
    return keys.length;
  }

  /** Uploads every file under `dir` to the prefix `uri` (S3UploadMode EndOfJob). Returns the count. */
  async upload(dir: string, uri: string): Promise<number> {
    const base = uri.endsWith('/') ? uri : `${uri}/`;
    let count = 0;
    const walk = async (folder: string, rel: string) => {
      if (!fs.existsSync(folder)) return;
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const full = path.join(folder, entry.name);
        const key = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {await walk(full, key);} else {
          await this.put(`${base}${key}`, fs.readFileSync(full));
          count++;
        }
      }
    };
    await walk(dir, '');
    return count;
  }

  destroy(): void {
    this.client.destroy();
  }
}
