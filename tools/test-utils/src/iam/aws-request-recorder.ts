import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an SDK sent, as read off the wire. */
export interface RecordedAwsRequest {
  /** The SigV4 signing name from the Authorization header's scope (`s3`, `kinesis`, `sagemaker`, `redshift-data`, `states`). */
  readonly service: string;
  /** The API operation: from `X-Amz-Target` (JSON protocols), or from the method and path (S3, SageMaker Runtime). */
  readonly operation: string;
  /** JSON body for JSON protocols; for S3 `{ Bucket, Key, Prefix, CopySource, Keys }`; for SageMaker Runtime `{ EndpointName }`. */
  readonly params: Record<string, any>;
}

/** A recording HTTP proxy in front of an emulator. */
export interface AwsRequestRecorder {
  /** Point the SDK's endpoint (e.g. `AWS_ENDPOINT_URL_S3`) here instead of at the emulator. */
  readonly endpoint: string;
  /** Every request forwarded, in order. */
  readonly requests: RecordedAwsRequest[];
  stop(): Promise<void>;
}

/**
 * Starts a proxy that forwards every request byte for byte (headers, Host and
 * signature unchanged) to `target` and records what each one asks: the SDK
 * under test talks to the emulator as before, and the test learns every
 * (service, operation, parameters) the code sent, for the IAM harness.
 */
export async function startAwsRequestRecorder(target: string): Promise<AwsRequestRecorder> {
  const upstream = new URL(target);
  const requests: RecordedAwsRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        requests.push(parseRequest(req, body));
      } catch (error) {
        requests.push({ service: 'unknown', operation: `${req.method} ${req.url}`, params: { error: String(error) } });
      }
      const forward = http.request({
        host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers,
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections?.();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}

function parseRequest(req: http.IncomingMessage, body: Buffer): RecordedAwsRequest {
  const authorization = String(req.headers.authorization ?? '');
  const scope = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization);
  const service = scope ? scope[1] : 'unknown';
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') {
    return { service, operation: target.split('.').pop()!, params: body.length > 0 ? JSON.parse(body.toString('utf-8')) : {} };
  }
  const url = new URL(req.url ?? '/', 'http://recorder');
  if (service === 's3') return { service, ...s3Operation(req, url, body) };
  const invocation = /^\/endpoints\/([^/]+)\/invocations(-response-stream)?$/.exec(url.pathname);
  if (service === 'sagemaker' && invocation) {
    return { service, operation: invocation[2] ? 'InvokeEndpointWithResponseStream' : 'InvokeEndpoint', params: { EndpointName: decodeURIComponent(invocation[1]) } };
  }
  return { service, operation: `${req.method} ${url.pathname}`, params: {} };
}

/** The S3 REST operation of a request, path-style or virtual-hosted. */
function s3Operation(req: http.IncomingMessage, url: URL, body: Buffer): { operation: string; params: Record<string, any> } {
  const host = String(req.headers.host ?? '');
  const virtual = /^([a-z0-9.-]+)\.(?:s3[.-]|localhost|127\.0\.0\.1)/.exec(host);
  const segments = url.pathname.split('/').slice(1).map(decodeURIComponent);
  const bucket = virtual ? virtual[1] : segments.shift() ?? '';
  const key = segments.join('/');
  const q = url.searchParams;
  const method = req.method ?? 'GET';
  const params: Record<string, any> = { Bucket: bucket };
  if (key) params.Key = key;
  if (!key) {
    if (method === 'GET' && q.has('list-type')) return { operation: 'ListObjectsV2', params: { ...params, Prefix: q.get('prefix') ?? '' } };
    if (method === 'GET' && q.has('location')) return { operation: 'GetBucketLocation', params };
    if (method === 'GET') return { operation: 'ListObjects', params: { ...params, Prefix: q.get('prefix') ?? '' } };
    if (method === 'HEAD') return { operation: 'HeadBucket', params };
    if (method === 'POST' && q.has('delete')) {
      const keys = [...body.toString('utf-8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
      return { operation: 'DeleteObjects', params: { ...params, Keys: keys } };
    }
    return { operation: `${method} bucket`, params };
  }
  if (method === 'POST' && q.has('uploads')) return { operation: 'CreateMultipartUpload', params };
  if (method === 'POST' && q.has('uploadId')) return { operation: 'CompleteMultipartUpload', params };
  if (method === 'PUT' && q.has('uploadId')) return { operation: 'UploadPart', params };
  if (method === 'DELETE' && q.has('uploadId')) return { operation: 'AbortMultipartUpload', params };
  if (method === 'PUT' && req.headers['x-amz-copy-source']) return { operation: 'CopyObject', params: { ...params, CopySource: decodeURIComponent(String(req.headers['x-amz-copy-source'])) } };
  if (method === 'PUT' && q.has('tagging')) return { operation: 'PutObjectTagging', params };
  if (method === 'PUT') return { operation: 'PutObject', params };
  if (method === 'GET') return { operation: 'GetObject', params };
  if (method === 'HEAD') return { operation: 'HeadObject', params };
  if (method === 'DELETE') return { operation: 'DeleteObject', params };
  return { operation: `${method} object`, params };
}
