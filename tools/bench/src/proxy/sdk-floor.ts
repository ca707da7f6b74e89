/**
 * The proxy benchmark's `SDK alone` floor: the proxy's own SageMaker Runtime
 * client (createRuntimeClient, the same module the proxy calls) sending the
 * same InvokeEndpoint request to the same fake, with no handler code around
 * it. The benchmark bundles this file with the proxy's own esbuild command
 * (read from model-endpoint's bundle task), so both run the same SDK code
 * under the same NODE_OPTIONS. No handler built on this client can do better.
 */
import { randomUUID } from 'node:crypto';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { toCsv } from '@freshet/model-endpoint/lib/handlers/predict-proxy/payload-codec';
import { createRuntimeClient, DEFAULT_MAX_ATTEMPTS } from '@freshet/model-endpoint/lib/handlers/predict-proxy/runtime-client';

const client = createRuntimeClient(DEFAULT_MAX_ATTEMPTS);
const schema = JSON.parse(process.env.SCHEMA!) as { columns: { name: string }[]; targetColumn: string };
const featureOrder = schema.columns.map((c) => c.name).filter((name) => name !== schema.targetColumn);
// An id of the proxy's length (a UUID), so the same headers are signed.
const inferenceId = randomUUID();
/** The bytes the proxy sends for a request body, encoded once: encoding is handler work. */
const payloads = new Map<string, Buffer>();

export async function handler(event: { body: string }): Promise<{ statusCode: number; body: string }> {
  let payload = payloads.get(event.body);
  if (!payload) {
    payload = Buffer.from(toCsv([JSON.parse(event.body)], featureOrder, false), 'utf-8');
    payloads.set(event.body, payload);
  }
  const response = await client.send(new InvokeEndpointCommand({
    EndpointName: process.env.ENDPOINT_NAME,
    ContentType: 'text/csv',
    Accept: 'text/csv',
    InferenceId: inferenceId,
    Body: payload,
  }));
  const body = response.Body;
  return { statusCode: 200, body: body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf-8') : '' };
}
