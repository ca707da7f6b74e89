import * as http from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * A proxy in front of the SageMaker emulator that sets fields of DescribeEndpoint answers
 * which moto cannot: the time the serving config took over (LastModifiedTime, which moto
 * sets to the wall clock) and shadow variants. Every other call passes unchanged.
 */
export interface DescribeEndpointProxy {
  readonly endpoint: string;
  /** Fields merged into every DescribeEndpoint answer, e.g. `{ LastModifiedTime: Date.parse(...) / 1000 }`. */
  overrides: Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startDescribeEndpointProxy(target: string, overrides: Record<string, unknown> = {}): Promise<DescribeEndpointProxy> {
  const upstream = new URL(target);
  const state: DescribeEndpointProxy = {
    endpoint: '',
    overrides,
    stop: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const operation = String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
      const options = { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers };
      const forward = http.request(options, (answer) => {
        const body: Buffer[] = [];
        answer.on('data', (c: Buffer) => body.push(c));
        answer.on('end', () => {
          let text = Buffer.concat(body);
          if (operation === 'DescribeEndpoint' && answer.statusCode === 200) {
            text = Buffer.from(JSON.stringify({ ...JSON.parse(text.toString('utf-8')), ...state.overrides }), 'utf-8');
          }
          const headers = { ...answer.headers, 'content-length': String(text.length) };
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 500, headers);
          res.end(text);
        });
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
  Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  });
  return state;
}
