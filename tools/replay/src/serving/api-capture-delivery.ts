import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TemplateResolver } from '@freshet/test-utils';
import { AppModel, BundledFunction } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { StageResolver, templateOf } from '../monitor/stage-resolver';

/** A jq path the replay evaluates: `.a.b` with an optional string slice `[i:j]`. */
interface JqPath {
  readonly path: string[];
  readonly slice?: [number, number];
}

/**
 * How the app delivers capture at the API, read from its templates: the subscription filter on the predict
 * proxy's log group (its pattern), and the Firehose stream it sends to (the jq partition keys, the prefix,
 * the bucket and the KMS key of its S3 destination).
 */
export interface ApiCaptureRoute {
  readonly filterLogicalId: string;
  readonly streamLogicalId: string;
  /** `{ $.a.b = "X" }`: the line's value at `path` must equal `value`. */
  readonly filter: { readonly path: string[]; readonly value: string };
  readonly keys: Record<string, JqPath>;
  readonly bucket: string;
  /** The destination's Prefix, with `!{partitionKeyFromQuery:<key>}` placeholders. */
  readonly prefix: string;
  readonly kmsKeyArn?: string;
}

/**
 * The route of the proxy's capture lines, or undefined when the app captures nothing at the API (no subscription
 * filter on the proxy's log group). A filter pattern, a jq query or a prefix outside what the replay evaluates is
 * refused with what it found, never guessed.
 */
export function apiCaptureRouteOf(app: AppModel, resolver: StageResolver, proxy: BundledFunction): ApiCaptureRoute | undefined {
  const resources = app.stacks.flatMap((s) => s.resources);
  const fn = resources.find((r) => r.logicalId === proxy.logicalId);
  const logGroup = fn?.properties.LoggingConfig?.LogGroup?.Ref;
  if (!fn || !logGroup) return undefined;
  const subscription = resources.find((r) => r.type === 'AWS::Logs::SubscriptionFilter' && r.stack === fn.stack
    && r.properties.LogGroupName?.Ref === logGroup);
  if (!subscription) return undefined;
  const streamId = subscription.properties.DestinationArn?.['Fn::GetAtt']?.[0];
  const stream = resources.find((r) => r.logicalId === streamId && r.type === 'AWS::KinesisFirehose::DeliveryStream' && r.stack === fn.stack);
  if (!stream) {
    throw new RefusalError(`The subscription filter ${subscription.logicalId} on the predict proxy's log group sends to ${JSON.stringify(subscription.properties.DestinationArn)}; the replay delivers capture only to a Firehose stream of the same stack.`);
  }
  const filter = /^\{\s*\$\.([\w.]+)\s*=\s*"([^"]*)"\s*\}$/.exec(String(subscription.properties.FilterPattern ?? ''));
  if (!filter) {
    throw new RefusalError(`The subscription filter ${subscription.logicalId}'s pattern ${JSON.stringify(subscription.properties.FilterPattern)} is not of the form { $.path = "value" }, the only form the replay evaluates.`);
  }
  const destination = stream.properties.ExtendedS3DestinationConfiguration ?? {};
  const processors: any[] = destination.ProcessingConfiguration?.Processors ?? [];
  const extraction = processors.find((p) => p.Type === 'MetadataExtraction');
  const query = extraction?.Parameters?.find((p: any) => p.ParameterName === 'MetadataExtractionQuery')?.ParameterValue;
  const keys = query ? parseJqObject(String(query), stream.logicalId) : {};
  const stackTemplate = templateOf(fn.stack);
  const resolve = new TemplateResolver(stackTemplate, { stackName: fn.stack.stackName, imports: resolver.imports });
  const bucketArn = String(resolve.resolve(destination.BucketARN));
  const kms = destination.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN;
  const prefix = String(destination.Prefix ?? '');
  for (const [, kind, name] of prefix.matchAll(/!\{(\w+):([^}]*)\}/g)) {
    if (kind !== 'partitionKeyFromQuery' || !(name in keys)) {
      throw new RefusalError(`The Firehose stream ${stream.logicalId}'s prefix uses !{${kind}:${name}}; the replay fills only partition keys its jq query defines (${Object.keys(keys).join(', ') || 'none'}).`);
    }
  }
  return {
    filterLogicalId: subscription.logicalId,
    streamLogicalId: stream.logicalId,
    filter: { path: filter[1].split('.'), value: filter[2] },
    keys,
    bucket: bucketArn.replace(/^arn:[^:]+:s3:::/, ''),
    prefix,
    kmsKeyArn: kms ? String(resolve.resolve(kms)) : undefined,
  };
}

/** Parses `{k: .a.b, k2: .a.c[0:4]}`, the jq subset Freshet's capture stream uses. */
function parseJqObject(query: string, streamId: string): Record<string, JqPath> {
  const body = /^\s*\{(.*)\}\s*$/s.exec(query);
  if (!body) throw new RefusalError(`The Firehose stream ${streamId}'s jq query ${JSON.stringify(query)} is not an object of paths.`);
  const keys: Record<string, JqPath> = {};
  for (const part of body[1].split(',')) {
    const m = /^\s*(\w+)\s*:\s*\.([\w.]+)(?:\[(\d+):(\d+)\])?\s*$/.exec(part);
    if (!m) throw new RefusalError(`The Firehose stream ${streamId}'s jq query has ${JSON.stringify(part.trim())}; the replay evaluates only "key: .path" and "key: .path[i:j]".`);
    keys[m[1]] = { path: m[2].split('.'), slice: m[3] !== undefined ? [Number(m[3]), Number(m[4])] : undefined };
  }
  return keys;
}

function valueAt(record: unknown, path: string[]): unknown {
  return path.reduce<any>((v, k) => (v && typeof v === 'object' ? v[k] : undefined), record);
}

/**
 * Capture at the API, delivered as the app delivers it: the lines the built proxy writes to its stdout (its log
 * group) that the subscription filter's pattern matches, partitioned by the Firehose stream's jq keys, written
 * under its prefix in the lake with its KMS key. One object per API request and partition, where Firehose
 * would buffer several requests into one: the drift job reads every object under an hour's prefix either way.
 * `stopped` (a capture-stops injection) drops the lines while traffic goes on.
 */
export class ApiCaptureDelivery {
  written = 0;
  stopped = false;
  /** Lines the proxy wrote that the filter did not match (its logs, its EMF metrics). */
  ignored = 0;

  constructor(private readonly s3: S3Client, readonly route: ApiCaptureRoute) {}

  async deliver(lines: string[]): Promise<void> {
    if (this.stopped) return;
    const objects = new Map<string, string[]>();
    for (const line of lines) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        this.ignored++;
        continue;
      }
      if (valueAt(record, this.route.filter.path) !== this.route.filter.value) {
        this.ignored++;
        continue;
      }
      const prefix = this.route.prefix.replace(/!\{partitionKeyFromQuery:(\w+)\}/g, (_, key: string) => {
        const jq = this.route.keys[key];
        const value = valueAt(record, jq.path);
        if (typeof value !== 'string') throw new Error(`Capture line without ${jq.path.join('.')} for the partition key ${key}: Firehose would send it to its error prefix.`);
        return jq.slice ? value.slice(jq.slice[0], jq.slice[1]) : value;
      });
      objects.set(prefix, [...(objects.get(prefix) ?? []), line.trimEnd()]);
    }
    for (const [prefix, records] of objects) {
      await this.s3.send(new PutObjectCommand({
        Bucket: this.route.bucket,
        Key: `${prefix}${this.route.streamLogicalId}-${randomUUID()}`,
        Body: records.map((r) => `${r}\n`).join(''),
        ...(this.route.kmsKeyArn ? { ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: this.route.kmsKeyArn } : {}),
      }));
      this.written += records.length;
    }
  }
}
