import { AssemblyResource } from '../assembly';
import { PricingContext, round } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { DAYS_PER_MONTH, SECONDS_PER_MONTH } from '../load-profile';
import { tokensIn } from '../state-machine';
import { createdEndpointConfig, createsEndpoint } from './ml';
import { accessLogGb } from './observability';
import { Charge, charge, price, Unpriced } from './pricer';
import { recordsPerMonth } from './streaming';

/** Data a bucket receives each month from one writer. */
interface Inflow {
  readonly from: string;
  readonly gbPerMonth: number;
  readonly objectsPerMonth: number;
  /** The literal key prefix the writer uses, for matching lifecycle rules. */
  readonly prefix: string;
}

const STORAGE_CLASS_PRICE: Record<string, string> = {
  GLACIER: 's3.glacierGbMonth',
  GLACIER_IR: 's3.glacierIrGbMonth',
  DEEP_ARCHIVE: 's3.deepArchiveGbMonth',
};

/** What Firehose streams, Glue jobs and endpoint data capture write into the bucket under the load. */
function inflows(bucket: AssemblyResource, context: PricingContext): Inflow[] {
  const load = context.load;
  const lakeGb = (recordsPerMonth(context) * load.recordBytes) / load.compressionRatio / 1e9;
  const flows: Inflow[] = [];
  for (const stream of context.stage(bucket, 'AWS::KinesisFirehose::DeliveryStream')) {
    const destination = stream.properties.ExtendedS3DestinationConfiguration ?? stream.properties.S3DestinationConfiguration;
    if (!destination || !refersTo(flatten(destination.BucketARN), bucket.logicalId)) continue;
    const interval = Number(destination.BufferingHints?.IntervalInSeconds ?? 300);
    const sizeMb = Number(destination.BufferingHints?.SizeInMBs ?? 5);
    const records = recordsPerMonth(context);
    const objects = records === 0 ? 0 : Math.min(records, Math.max(SECONDS_PER_MONTH / interval, (records * load.recordBytes) / (sizeMb * 1e6)));
    flows.push({ from: stream.logicalId, gbPerMonth: lakeGb, objectsPerMonth: objects, prefix: literalPrefix(destination.Prefix) });
  }
  for (const job of context.stage(bucket, 'AWS::Glue::Job')) {
    if (!refersTo(flatten(job.properties.DefaultArguments), bucket.logicalId)) continue;
    flows.push({ from: job.logicalId, gbPerMonth: lakeGb, objectsPerMonth: load.recordsPerSecond > 0 ? context.scheduledRuns(job) : 0, prefix: 'curated/' });
  }
  for (const config of context.stage(bucket, 'AWS::SageMaker::EndpointConfig')) {
    const capture = config.properties.DataCaptureConfig;
    if (!capture || capture.EnableCapture === false || !refersTo(flatten(capture.DestinationS3Uri), bucket.logicalId)) continue;
    const share = Number(capture.InitialSamplingPercentage ?? 100) / 100;
    flows.push({ from: config.logicalId, gbPerMonth: (load.predictionsPerMonth * load.predictionBytes * share) / 1e9, objectsPerMonth: 0, prefix: 'capture/' });
  }
  for (const machine of context.stage(bucket, 'AWS::StepFunctions::StateMachine')) {
    const workflow = context.workflow(machine);
    if (workflow instanceof Error || !createsEndpoint(workflow.allStates)) continue;
    const capture = createdEndpointConfig(workflow.allStates)?.parameters.DataCaptureConfig;
    const destination = flatten(capture?.DestinationS3Uri);
    if (!capture || capture.EnableCapture === false || !tokensIn(destination.text).some((t) => t === bucket.logicalId || t.includes(`Ref${bucket.logicalId}`))) continue;
    const share = Number(capture.InitialSamplingPercentage ?? 100) / 100;
    flows.push({ from: machine.logicalId, gbPerMonth: (load.predictionsPerMonth * load.predictionBytes * share) / 1e9, objectsPerMonth: 0, prefix: 'capture/' });
  }
  return flows;
}

function literalPrefix(prefix: unknown): string {
  return typeof prefix === 'string' ? prefix.split('!{')[0] : '';
}

/** S3's default minimum object size for lifecycle transitions (`all_storage_classes_128K`, the default since September 2024). */
export const TRANSITION_MINIMUM_BYTES = 128 * 1024;

/**
 * The smallest object a rule transitions: its own ObjectSizeGreaterThan filter, or the
 * bucket's default (`varies_by_storage_class` lets small objects go to Glacier Flexible
 * Retrieval and Deep Archive; every other class, and the default setting, need 128 KB).
 */
function transitionMinimum(bucket: AssemblyResource, rule: any, storageClass: string): number {
  const own = rule.ObjectSizeGreaterThan ?? rule.Filter?.ObjectSizeGreaterThan ?? rule.Filter?.And?.ObjectSizeGreaterThan;
  if (own !== undefined) return Number(own) + 1;
  const setting = bucket.properties.LifecycleConfiguration?.TransitionDefaultMinimumObjectSize ?? 'all_storage_classes_128K';
  if (setting === 'varies_by_storage_class' && (storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE')) return 0;
  return TRANSITION_MINIMUM_BYTES;
}

/** The enabled lifecycle rules that apply to keys under `prefix`. */
function rulesFor(bucket: AssemblyResource, prefix: string): any[] {
  return (bucket.properties.LifecycleConfiguration?.Rules ?? []).filter((rule: any) => {
    if (rule.Status !== 'Enabled') return false;
    const rulePrefix = rule.Prefix ?? rule.Filter?.Prefix ?? '';
    return rulePrefix === '' || prefix.startsWith(rulePrefix) || (prefix !== '' && rulePrefix.startsWith(prefix));
  });
}

/**
 * S3: the storage of the month priced (the load's storageMonth), each inflow
 * split by its lifecycle rules into Standard and the class it transitions to,
 * plus PUT requests and lifecycle transitions.
 */
export function s3Bucket(resource: AssemblyResource, context: PricingContext): Charge[] {
  const month = context.load.storageMonth;
  const charges: Charge[] = [];
  const flows = inflows(resource, context);
  if (flows.length === 0) return [{ usd: 0, detail: 'no modeled inflow (logs or deploy-time objects only)' }];
  for (const flow of flows) {
    const rules = rulesFor(resource, flow.prefix);
    const expiration = rules.map((r) => r.ExpirationInDays).filter((d) => typeof d === 'number').sort((a, b) => a - b)[0];
    const liveMonths = Math.min(month, expiration !== undefined ? expiration / DAYS_PER_MONTH : Infinity);
    // Objects below the transition minimum stay in Standard, and no transition request is made for them.
    const objectBytes = flow.objectsPerMonth > 0 ? (flow.gbPerMonth * 1e9) / flow.objectsPerMonth : undefined;
    const candidates = rules
      .flatMap((r) => (r.Transitions ?? []).map((t: any) => ({ ...t, minimum: transitionMinimum(resource, r, t.StorageClass) })))
      .sort((a: any, b: any) => a.TransitionInDays - b.TransitionInDays);
    const transition = candidates.find((t: any) => objectBytes === undefined || objectBytes >= t.minimum);
    const skipped = candidates.length > 0 && !transition;
    const standardMonths = Math.min(liveMonths, transition ? transition.TransitionInDays / DAYS_PER_MONTH : Infinity);
    const note = skipped && liveMonths > 0 ? `; objects of ${round(objectBytes! / 1024)} KB stay: under the ${round(candidates[0].minimum / 1024)} KB transition minimum` : '';
    charges.push(charge(flow.gbPerMonth * standardMonths, price(context, 's3.standardGbMonth'), `Standard GB-months from ${flow.from} (month ${month}${note})`));
    if (transition && liveMonths > standardMonths) {
      const key = STORAGE_CLASS_PRICE[transition.StorageClass] ?? `s3.${transition.StorageClass}`;
      charges.push(charge(flow.gbPerMonth * (liveMonths - standardMonths), price(context, key), `${transition.StorageClass} GB-months from ${flow.from}`));
      charges.push(charge(flow.objectsPerMonth / 1000, price(context, 's3.glacierTransitionThousand'), `thousand lifecycle transitions from ${flow.from}`));
    }
    if (flow.objectsPerMonth > 0) charges.push(charge(flow.objectsPerMonth / 1000, price(context, 's3.putThousand'), `thousand PUTs from ${flow.from}`));
  }
  return charges;
}

/** CloudWatch Logs: the load's ingestion per group, and what the retention keeps stored. */
export function logGroup(resource: AssemblyResource, context: PricingContext): Charge[] {
  const access = accessLogGb(resource, context);
  const gb = context.load.logGbPerGroup + access.gb;
  const retentionMonths = Number(resource.properties.RetentionInDays ?? Infinity) / DAYS_PER_MONTH;
  const storedMonths = Math.min(Math.max(context.load.storageMonth, 1), retentionMonths);
  const what = access.from.length > 0 ? `GB ingested (${context.load.logGbPerGroup} + API access logs ${round(access.gb)}: ${access.from.join(', ')})` : 'GB ingested';
  return [
    charge(gb, price(context, 'logs.ingestGb'), what),
    charge(gb * storedMonths, price(context, 'logs.storageGbMonth'), `GB-months stored (${round(storedMonths)} months kept)`),
  ];
}

/** SNS: the publishes workflows make to the topic, each e-mailed to its subscribers. */
export function topic(resource: AssemblyResource, context: PricingContext): Charge[] {
  let publishes = 0;
  for (const machine of context.stage(resource, 'AWS::StepFunctions::StateMachine')) {
    const workflow = context.workflow(machine);
    if (workflow instanceof Error) continue;
    publishes += workflow.happyPath.filter((s) => /sns:publish/.test(s.resource) && refersTo(s.flat, resource.logicalId)).length * context.workflowRuns(machine);
  }
  const emails = context.stage(resource, 'AWS::SNS::Subscription').filter((s) => s.properties.Protocol === 'email' && refersTo(flatten(s.properties.TopicArn), resource.logicalId)).length
    + (resource.properties.Subscription ?? []).filter((s: any) => s.Protocol === 'email').length;
  return [
    charge(publishes / 1e6, price(context, 'sns.publishMillion'), 'M publishes (workflow notifications)'),
    charge((publishes * emails) / 1e5, price(context, 'sns.emailHundredThousand'), `hundred-thousand e-mails (${emails} subscriptions)`),
  ];
}

/** SQS: Freshet's queues hold dead letters and trigger decisions: no steady traffic at a healthy load. */
export function queue(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(0, price(context, 'sqs.requestMillion'), 'M requests (dead letters only; none at a healthy load)')];
}

/** DynamoDB: on-demand tables priced per request unit; Freshet's hold a few trigger decisions a day. */
export function table(resource: AssemblyResource, context: PricingContext): Charge[] {
  if (resource.properties.BillingMode !== 'PAY_PER_REQUEST') {
    throw new Unpriced('provisioned DynamoDB capacity is not in the pricing table');
  }
  // Freshet's tables record trigger decisions: at most one per hourly monitor run.
  const writes = DAYS_PER_MONTH * 24;
  return [
    charge(writes / 1e6, price(context, 'dynamodb.writeRequestMillion'), 'M write request units (a decision an hour, at most)'),
    charge(writes / 1e6, price(context, 'dynamodb.readRequestMillion'), 'M read request units'),
  ];
}
