import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/** A proxy in front of an AWS JSON-protocol endpoint that refuses some calls of one operation. */
export interface JsonFaultProxy {
  readonly endpoint: string;
  /** The operations seen, refused ones included, e.g. `StartExecution`. */
  readonly operations: string[];
  /** Refuses the next `count` calls of `operation` (`X-Amz-Target` suffix) with a service error. */
  failNext(operation: string, errorType: string, count: number): void;
  stop(): Promise<void>;
}

/**
 * Forwards every call to `target` unchanged except the ones it was told to
 * refuse, which get the error an awsJson1_0 service sends (status 400,
 * `x-amzn-errortype`, `__type`). It sits at the network edge: the client under
 * test and the emulator behind it are both real.
 */
export async function startJsonFaultProxy(target: string): Promise<JsonFaultProxy> {
  const upstream = new URL(target);
  const operations: string[] = [];
  const faults: { operation: string; errorType: string; remaining: number }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      operations.push(operation);
      const fault = faults.find((f) => f.operation === operation && f.remaining > 0);
      if (fault) {
        fault.remaining -= 1;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': fault.errorType });
        res.end(JSON.stringify({ __type: fault.errorType, message: `${fault.errorType} injected by the proxy` }));
        return;
      }
      const forward = http.request({
        host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers,
      }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    operations,
    failNext: (operation, errorType, count) => {
      faults.push({ operation, errorType, remaining: count });
    },
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
