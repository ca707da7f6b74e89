/**
 * Capture at the API: one SageMaker data-capture record per forwarded request,
 * written as one line to stdout. A CloudWatch Logs subscription filter sends the
 * lines to a Firehose stream that extracts them and writes them to
 * `capture/<endpoint>/<variant>/yyyy/mm/dd/hh/` in the lake (ApiCapture in
 * api-capture.ts of the construct), where the drift job reads them as it reads
 * SageMaker's own capture.
 *
 * A line is a synchronous write to the function's stdout pipe, with no network
 * call on the request's path. A record that cannot be written is counted
 * (Freshet/PredictProxy CaptureDropped) and logged with its reason; capture
 * never fails a prediction.
 */
import { randomUUID } from 'node:crypto';
import { CAPTURE_DROPPED_METRIC, emitProxyCount } from './proxy-metrics';

/**
 * The longest line Lambda passes to CloudWatch Logs as one event: 256 KiB less
 * the 26 bytes CloudWatch Logs counts per event. A longer line would be split,
 * and neither half would be a record.
 */
export const DEFAULT_MAX_CAPTURE_LINE_BYTES = 256 * 1024 - 26;

/** How the proxy captures, from its environment. */
export interface ApiCaptureConfig {
  readonly endpointName: string;
  /** The share of requests captured, 0–100. */
  readonly samplingPercent: number;
  /** Lines longer than this (UTF-8 bytes) are dropped and counted. */
  readonly maxLineBytes: number;
  /** The variant named when SageMaker's answer names none (it always does). */
  readonly defaultVariant: string;
}

/** What one captured invocation carried. */
export interface CapturedInvocation {
  readonly inferenceId: string;
  readonly requestContentType: string;
  readonly requestBody: string | Buffer;
  readonly responseContentType: string | undefined;
  readonly responseText: string;
  readonly variant: string | undefined;
  readonly time: Date;
}

/** Why a record was not written. */
export type CaptureDropReason = 'too-large' | 'write-failed' | 'serialization-failed';

/**
 * The capture config of the environment, or undefined when CAPTURE is not `api`:
 * CAPTURE_SAMPLING_PERCENT (default 100), CAPTURE_MAX_LINE_BYTES, CAPTURE_DEFAULT_VARIANT.
 */
export function loadApiCaptureConfig(endpointName: string, env: NodeJS.ProcessEnv = process.env): ApiCaptureConfig | undefined {
  if (env.CAPTURE !== 'api') return undefined;
  const sampling = env.CAPTURE_SAMPLING_PERCENT === undefined || env.CAPTURE_SAMPLING_PERCENT === '' ? 100 : Number(env.CAPTURE_SAMPLING_PERCENT);
  if (!Number.isFinite(sampling) || sampling < 0 || sampling > 100) {
    throw new Error(`CAPTURE_SAMPLING_PERCENT must be a number from 0 to 100, got '${env.CAPTURE_SAMPLING_PERCENT}'.`);
  }
  const maxLineBytes = env.CAPTURE_MAX_LINE_BYTES ? Number(env.CAPTURE_MAX_LINE_BYTES) : DEFAULT_MAX_CAPTURE_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new Error(`CAPTURE_MAX_LINE_BYTES must be a whole number of at least 1, got '${env.CAPTURE_MAX_LINE_BYTES}'.`);
  }
  return { endpointName, samplingPercent: sampling, maxLineBytes, defaultVariant: env.CAPTURE_DEFAULT_VARIANT || 'primary' };
}

/** SageMaker's encoding of a payload: text for the CSV and JSON types the construct lists, base64 otherwise. */
function payload(contentType: string, mode: 'INPUT' | 'OUTPUT', text: string): string {
  const media = contentType.split(';')[0].trim().toLowerCase();
  const encoding = media === 'text/csv' ? 'CSV' : media === 'application/json' ? 'JSON' : 'BASE64';
  const data = encoding === 'BASE64' ? Buffer.from(text, 'utf-8').toString('base64') : text;
  return `{"observedContentType":${JSON.stringify(contentType)},"mode":"${mode}","data":${JSON.stringify(data)},"encoding":"${encoding}"}`;
}

/** SageMaker writes inference times to the second, in UTC. */
function inferenceTime(time: Date): string {
  return `${time.toISOString().slice(0, 19)}Z`;
}

/**
 * One capture line, as SageMaker writes it (captureData, eventMetadata,
 * eventVersion), plus `invokedProductionVariant`, which Firehose partitions by
 * and which readers of SageMaker's format ignore.
 */
export function captureLine(invocation: CapturedInvocation, defaultVariant = 'primary'): string {
  const request = typeof invocation.requestBody === 'string' ? invocation.requestBody : invocation.requestBody.toString('utf-8');
  return `{"captureData":{"endpointInput":${payload(invocation.requestContentType, 'INPUT', request)},`
    + `"endpointOutput":${payload(invocation.responseContentType ?? invocation.requestContentType, 'OUTPUT', invocation.responseText)}},`
    + `"eventMetadata":{"eventId":"${randomUUID()}","inferenceId":${JSON.stringify(invocation.inferenceId)},"inferenceTime":"${inferenceTime(invocation.time)}"},`
    + `"eventVersion":"0","invokedProductionVariant":${JSON.stringify(invocation.variant || defaultVariant)}}\n`;
}

/** Writes capture lines; `write` and `count` are the process's stdout and the EMF counter unless a test passes its own. */
export class ApiCaptureWriter {
  constructor(
    private readonly config: ApiCaptureConfig,
    private readonly write: (line: string) => void = (line) => { process.stdout.write(line); },
    private readonly count: (endpointName: string, metric: string) => void = emitProxyCount,
    private readonly random: () => number = Math.random,
  ) {}

  /** Writes the invocation's record when sampled; never throws. Returns what happened, for tests. */
  public capture(invocation: CapturedInvocation): 'written' | 'not-sampled' | CaptureDropReason {
    if (this.config.samplingPercent < 100 && this.random() * 100 >= this.config.samplingPercent) return 'not-sampled';
    let line: string;
    try {
      line = captureLine(invocation, this.config.defaultVariant);
    } catch (error) {
      return this.dropped('serialization-failed', 0, error);
    }
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit: most lines need no byte count.
    const bytes = line.length * 3 <= this.config.maxLineBytes ? line.length : Buffer.byteLength(line, 'utf-8');
    if (bytes > this.config.maxLineBytes) return this.dropped('too-large', bytes);
    try {
      this.write(line);
    } catch (error) {
      return this.dropped('write-failed', bytes, error);
    }
    return 'written';
  }

  private dropped(reason: CaptureDropReason, bytes: number, error?: unknown): CaptureDropReason {
    try {
      this.count(this.config.endpointName, CAPTURE_DROPPED_METRIC);
      console.error(JSON.stringify({
        level: 'error',
        message: 'Capture record dropped',
        reason,
        bytes,
        maxLineBytes: this.config.maxLineBytes,
        detail: error === undefined ? undefined : String((error as Error)?.message ?? error).slice(0, 200),
      }));
    } catch {
      // Counting goes through the same stdout: if that fails too, the prediction still must not.
    }
    return reason;
  }
}
