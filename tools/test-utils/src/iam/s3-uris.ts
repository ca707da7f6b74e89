import type { PermissionCall } from './permission-call';

/** `s3://bucket/key` → bucket and key (an empty key for the bucket itself). */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`${uri} is not an s3:// URI.`);
  return { bucket: match[1], key: match[2] };
}

/** A representative object under a prefix URI (one ending in `/`), or the object itself. */
function objectKey(key: string): string {
  return key === '' || key.endsWith('/') ? `${key}part-00000` : key;
}

/**
 * What a service does with a role to read an S3 URI: list the prefix (for
 * a prefix URI) and get its objects, as SageMaker, Glue and Redshift do.
 */
export function s3ReadCalls(principal: string, uri: string, source: string, partition = 'aws'): PermissionCall[] {
  const { bucket, key } = parseS3Uri(uri);
  const calls: PermissionCall[] = [];
  if (key === '' || key.endsWith('/')) {
    calls.push({ principal, action: 's3:ListBucket', resource: `arn:${partition}:s3:::${bucket}`, context: { 's3:prefix': key }, source });
  }
  calls.push({ principal, action: 's3:GetObject', resource: `arn:${partition}:s3:::${bucket}/${objectKey(key)}`, source });
  return calls;
}

/** What a service does with a role to write under an S3 URI: put objects there. */
export function s3WriteCalls(principal: string, uri: string, source: string, partition = 'aws'): PermissionCall[] {
  const { bucket, key } = parseS3Uri(uri);
  return [{ principal, action: 's3:PutObject', resource: `arn:${partition}:s3:::${bucket}/${objectKey(key)}`, source }];
}
