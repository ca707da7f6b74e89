import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssemblyResource } from '@freshet/cost';
import { AppModel, BundledFunction } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { Handler, loadBundledHandler } from '../runtime/bundled-handler';
import { TrafficBatch } from '../traffic/traffic';

/** The predict proxy of an endpoint: the stage's function whose environment names the endpoint and a PAYLOAD_FORMAT. */
export function predictProxyOf(app: AppModel, endpointName: string): BundledFunction {
  const resources = app.stacks.flatMap((s) => s.resources);
  const fn = resources.find((r) => r.type === 'AWS::Lambda::Function' && r.properties.Environment?.Variables?.PAYLOAD_FORMAT
    && r.properties.Environment.Variables.ENDPOINT_NAME === endpointName);
  if (!fn) throw new RefusalError(`Stage ${app.stage} has no predict proxy (a function with PAYLOAD_FORMAT) for the endpoint ${endpointName}: the replay sends traffic through the app's own API.`);
  return bundledFunction(fn);
}

/** A function's built bundle in the cloud assembly (its Code.S3Key's asset folder). */
export function bundledFunction(fn: AssemblyResource): BundledFunction {
  const hash = String(fn.properties.Code?.S3Key ?? '').replace(/\.zip$/, '');
  const dirs = [fn.stack.assemblyDir, path.dirname(fn.stack.assemblyDir)];
  const bundleDir = dirs.flatMap((d) => fs.readdirSync(d).map((f) => path.join(d, f)))
    .find((f) => path.basename(f).startsWith(`asset.${hash}`) && fs.statSync(f).isDirectory());
  if (!bundleDir) throw new RefusalError(`The bundle of ${fn.logicalId} (asset ${hash}) is not in the cloud assembly: synthesize the app again.`);
  return { logicalId: fn.logicalId, bundleDir, handler: String(fn.properties.Handler), environment: fn.properties.Environment?.Variables ?? {} };
}

/** What the API answered one request. */
export interface ApiAnswer {
  readonly statusCode: number;
  readonly requestId: string;
  readonly predictions?: unknown[];
  readonly variant?: string;
  readonly modelVersion?: string;
  readonly error?: string;
  readonly message?: string;
}

/**
 * The app's predict API as a client reaches it: each batch is one POST /predict `{ "instances": [...] }`,
 * handled by the **built** proxy bundle (its validation, its payload codec, the real SDK v3
 * InvokeEndpoint against the replay's endpoint runtime). The request id (API Gateway's, which the proxy
 * passes as the InferenceId and data capture records) is the replay's, so labels can be sent for it.
 */
export class PredictApi {
  private readonly handler: Handler;

  /**
   * @param onLogLines receives the lines the proxy wrote to stdout (its log group) while it handled a request:
   * where capture at the API starts (see ApiCaptureDelivery).
   */
  constructor(proxy: BundledFunction, private readonly onLogLines?: (lines: string[]) => Promise<void>) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(proxy.environment)) {
      if (typeof v !== 'string') throw new RefusalError(`The predict proxy's ${k} is a CloudFormation reference; the replay reads only literal proxy settings.`);
      env[k] = v;
    }
    this.handler = loadBundledHandler(proxy, env);
  }

  async send(batch: TrafficBatch, requestId: string): Promise<ApiAnswer> {
    const event = {
      body: JSON.stringify({ instances: batch.records.map((r) => r.features) }),
      isBase64Encoded: false,
      httpMethod: 'POST',
      path: '/predict',
      headers: { 'Content-Type': 'application/json' },
      requestContext: { requestId },
    };
    const result = await this.logged(() => this.handler(event));
    const body = JSON.parse(result.body ?? '{}');
    return {
      statusCode: result.statusCode,
      requestId,
      predictions: body.predictions,
      variant: body.variant,
      modelVersion: body.modelVersion,
      error: body.error,
      message: body.message ?? (Array.isArray(body.errors) ? JSON.stringify(body.errors.slice(0, 3)) : undefined),
    };
  }

  /** Runs the handler with its stdout lines collected (Lambda sends a function's stdout to its log group). */
  private async logged(invoke: () => Promise<any>): Promise<any> {
    if (!this.onLogLines) return invoke();
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      return true;
    }) as typeof process.stdout.write;
    try {
      return await invoke();
    } finally {
      process.stdout.write = write;
      await this.onLogLines(lines);
    }
  }
}
