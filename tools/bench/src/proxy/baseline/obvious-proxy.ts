/**
 * The prediction proxy written the obvious way, as the baseline of the proxy
 * benchmark: a broad set of SDK clients imported "in case", a new client per
 * request, CSV joined without quoting, no validation beyond JSON.parse.
 * Not used anywhere but the benchmark.
 */
/* eslint-disable import/no-extraneous-dependencies -- workspace packages hoisted to the root node_modules; declare them in the bench's projenrc entry to drop this */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SFNClient } from '@aws-sdk/client-sfn';

// Kept referenced so the bundler keeps every import, as a handler that uses them on some path would.
export const clients = { KinesisClient, LambdaClient, RedshiftDataClient, S3Client, SFNClient };

export async function handler(event: { body: string }): Promise<{ statusCode: number; body: string }> {
  const client = new SageMakerRuntimeClient({});
  const request = JSON.parse(event.body);
  const records: Record<string, unknown>[] = request.instances ?? [request];
  const schema = JSON.parse(process.env.SCHEMA!);
  const features: string[] = schema.columns.map((c: { name: string }) => c.name).filter((n: string) => n !== schema.targetColumn);
  const csv = records.map((r) => features.map((f) => r[f]).join(',')).join('\n');
  try {
    const response = await client.send(new InvokeEndpointCommand({ EndpointName: process.env.ENDPOINT_NAME, ContentType: 'text/csv', Body: Buffer.from(csv) }));
    const predictions = Buffer.from(response.Body!).toString().trim().split('\n').map(Number);
    return { statusCode: 200, body: JSON.stringify({ predictions }) };
  } catch (error) {
    return { statusCode: 500, body: JSON.stringify({ message: String(error) }) };
  }
}
