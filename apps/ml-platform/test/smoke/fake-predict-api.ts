import { createServer, IncomingMessage, Server, ServerResponse } from 'http';
import { AddressInfo } from 'net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** What the fake API answers to a correctly signed `POST <base>/predict`. */
export type PredictAnswer = (body: unknown) => { status: number; body: unknown };

/** One request the fake received, and whether its SigV4 signature verified. */
export interface ReceivedRequest {
  readonly path: string;
  readonly body: unknown;
  readonly signatureValid: boolean;
}

/**
 * A local stand-in for the API Gateway `POST /predict` APIs, at the HTTP edge:
 * it recomputes each request's SigV4 signature (service `execute-api`) with the
 * known test credentials and answers 403 when it does not match, as IAM
 * authorization does; otherwise it answers as the route's handler says.
 */
export class FakePredictApi {
  public static async start(region: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<FakePredictApi> {
    const api = new FakePredictApi(region, credentials);
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  public readonly received: ReceivedRequest[] = [];
  private readonly routes = new Map<string, PredictAnswer>();
  private readonly server: Server;

  private constructor(private readonly region: string, private readonly credentials: { accessKeyId: string; secretAccessKey: string }) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** The base URL of one API (as the stack output gives it: `.../<api>/prod/`). */
  public url(api: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/${api}/prod/`;
  }

  public answer(api: string, handler: PredictAnswer): void {
    this.routes.set(`/${api}/prod/predict`, handler);
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const signatureValid = await this.verify(req, path, text);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    this.received.push({ path, body, signatureValid });
    const route = this.routes.get(path);
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    if (!signatureValid) return reply(403, { message: 'The request signature we calculated does not match the signature you provided.' });
    if (req.method !== 'POST' || !route) return reply(403, { message: 'Missing Authentication Token' });
    const answer = route(body);
    reply(answer.status, answer.body);
  }

  private async verify(req: IncomingMessage, path: string, body: string): Promise<boolean> {
    const authorization = String(req.headers.authorization ?? '');
    const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(authorization);
    if (!match || match[1] !== this.credentials.accessKeyId || match[3] !== this.region || match[4] !== 'execute-api') return false;
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
    if (Number.isNaN(signingDate.getTime())) return false;
    const signedHeaders = Object.fromEntries(match[5].split(';').filter((h) => h !== 'x-amz-date').map((h) => [h, String(req.headers[h] ?? '')]));
    const url = new URL(path, `http://${req.headers.host}`);
    const signer = new SignatureV4({ service: 'execute-api', region: this.region, credentials: this.credentials, sha256: Sha256 });
    const expected = await signer.sign({
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: signedHeaders,
      body,
    }, { signingDate });
    return expected.headers.authorization === authorization;
  }
}
