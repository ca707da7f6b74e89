import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { seededRandom } from '@freshet/test-utils';

/** One invocation as the endpoint saw it: what data capture records. */
export interface CapturedInvocation {
  readonly endpointName: string;
  readonly variantName: string;
  /** Simulated epoch ms of the invocation. */
  readonly time: number;
  readonly inferenceId?: string;
  readonly input: { readonly contentType: string; readonly data: string };
  readonly output: { readonly contentType: string; readonly data: string };
}

/**
 * Where captured invocations go. The replay's default writes them as SageMaker's endpoint data
 * capture does (SageMakerCaptureWriter); capture at the API (the proxy emitting the same records)
 * plugs in behind the same interface.
 */
export interface CaptureWriter {
  /** Records written so far (after sampling). */
  readonly written: number;
  /** Records one invocation under the capture config (destination, sampling); resolves once it is stored. */
  write(invocation: CapturedInvocation, config: CaptureConfig): Promise<void>;
}

/** The serving config's DataCaptureConfig, as the replay needs it. */
export interface CaptureConfig {
  readonly destinationS3Uri: string;
  readonly samplingPercentage: number;
  readonly kmsKeyId?: string;
  /** CaptureContentTypeHeader: the types captured as text (CSV, JSON); others are BASE64. @default text/csv and application/json */
  readonly csvContentTypes?: string[];
  readonly jsonContentTypes?: string[];
}

/**
 * SageMaker's endpoint data capture: one JSON line per sampled invocation,
 * `{captureData: {endpointInput, endpointOutput}, eventMetadata: {eventId, inferenceId?, inferenceTime}, eventVersion: "0"}`,
 * under `<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/` (the invocation's hour, UTC), encrypted with the
 * config's KMS key when it names one. `stopped` (a capture-stops injection) drops every record while traffic goes on.
 * Sampling is SageMaker's: each invocation is kept with probability SamplingPercentage / 100 (a seeded draw).
 */
export class SageMakerCaptureWriter implements CaptureWriter {
  written = 0;
  stopped = false;
  private readonly draws: () => number;

  constructor(private readonly s3: S3Client, seed: number) {
    this.draws = seededRandom(seed);
  }

  async write(invocation: CapturedInvocation, config: CaptureConfig): Promise<void> {
    if (this.stopped) return;
    if (this.draws() * 100 >= config.samplingPercentage) return;
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(config.destinationS3Uri);
    if (!match) throw new Error(`DataCaptureConfig.DestinationS3Uri ${config.destinationS3Uri} is not an s3:// URI.`);
    const [, bucket, prefix] = match;
    const iso = new Date(invocation.time).toISOString();
    const partition = `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
    const eventId = randomUUID();
    const line = {
      captureData: {
        endpointInput: { observedContentType: invocation.input.contentType, mode: 'INPUT', ...encode(invocation.input, config) },
        endpointOutput: { observedContentType: invocation.output.contentType, mode: 'OUTPUT', ...encode(invocation.output, config) },
      },
      eventMetadata: { eventId, ...(invocation.inferenceId ? { inferenceId: invocation.inferenceId } : {}), inferenceTime: iso.replace(/\.\d{3}Z$/, 'Z') },
      eventVersion: '0',
    };
    const base = prefix.replace(/\/$/, '');
    const key = `${base ? `${base}/` : ''}${invocation.endpointName}/${invocation.variantName}/${partition}/${iso.slice(14, 16)}-${iso.slice(17, 19)}-${iso.slice(20, 23)}-${eventId}.jsonl`;
    await this.s3.send(new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(line)}\n`,
      ContentType: 'application/jsonlines',
      ...(config.kmsKeyId ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: config.kmsKeyId } : {}),
    }));
    this.written++;
  }
}

function encode(part: { contentType: string; data: string }, config: CaptureConfig): { encoding: string; data: string } {
  const type = part.contentType.split(';')[0].trim().toLowerCase();
  if ((config.csvContentTypes ?? ['text/csv']).includes(type)) return { encoding: 'CSV', data: part.data };
  if ((config.jsonContentTypes ?? ['application/json']).includes(type)) return { encoding: 'JSON', data: part.data };
  return { encoding: 'BASE64', data: Buffer.from(part.data, 'utf8').toString('base64') };
}
