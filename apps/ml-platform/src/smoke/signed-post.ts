import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** What signs the requests: static credentials or a provider (the SDK's default chain in CodeBuild). */
export type SigningCredentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** An HTTP answer, its body as text. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** POSTs JSON to an IAM-authorized API Gateway URL, SigV4-signed for `execute-api`. */
export async function signedPost(url: string, payload: unknown, region: string, credentials: SigningCredentials): Promise<HttpAnswer> {
  const target = new URL(url);
  const body = JSON.stringify(payload);
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    headers: { 'host': target.host, 'content-type': 'application/json' },
    body,
  });
  const response = await fetch(target, { method: 'POST', headers: signed.headers as Record<string, string>, body });
  return { status: response.status, headers: response.headers, body: await response.text() };
}
