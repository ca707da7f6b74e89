import * as http from 'http';
import { Readable } from 'stream';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/** The shape both the proxy and the baseline export. */
export type Handler = (event: { body: string; isBase64Encoded?: boolean }) => Promise<{ statusCode: number; body: string }>;

/**
 * The network floor: a bare keep-alive HTTP POST to the fake. Whatever it
 * shows is the loopback and the machine, not a handler.
 */
export function rawHttpHandler(endpoint: string): Handler {
  const agent = new http.Agent({ keepAlive: true });
  const url = `${endpoint}/endpoints/stocks-endpoint/invocations`;
  const headers = { 'authorization': 'AWS4-HMAC-SHA256 floor', 'x-amz-date': '20260101T000000Z', 'content-type': 'text/csv' };
  return (event) => new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ statusCode: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    request.on('error', reject);
    request.end(event.body);
  });
}

/**
 * The SDK with no network: the client and command the proxy uses, from
 * node_modules, with an in-memory transport instead of a socket, so neither
 * handler code, the fake nor a socket is in the time. For reference only: the
 * floor the proxy is held to is sdk-floor.ts, which goes through the same
 * socket and fake as the proxy.
 */
export function noSocketHandler(): Handler {
  const client = new SageMakerRuntimeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' },
    cacheMiddleware: true,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode: 200,
          headers: { 'content-type': 'text/csv', 'x-amzn-invoked-production-variant': 'primary' },
          body: Readable.from([Buffer.from('42.5\n')]),
        },
      }),
    } as never,
  });
  return async (event) => {
    const response = await client.send(new InvokeEndpointCommand({
      EndpointName: 'stocks-endpoint', ContentType: 'text/csv', Accept: 'text/csv', Body: Buffer.from(event.body),
    }));
    return { statusCode: 200, body: Buffer.from(response.Body ?? new Uint8Array()).toString() };
  };
}
