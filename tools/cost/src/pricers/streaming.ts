import { AssemblyResource } from '../assembly';
import { PricingContext } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from '../load-profile';
import { Charge, charge, price, Unpriced } from './pricer';

/** Records per month the load sends into one stream. */
export function recordsPerMonth(context: PricingContext): number {
  return context.load.recordsPerSecond * SECONDS_PER_MONTH;
}

/** Kinesis Data Streams: shard-hours (or stream-hours on demand), PUT payload units, retention beyond 24 h. */
export function kinesisStream(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  const records = recordsPerMonth(context);
  const bytes = context.load.recordBytes;
  if (p.StreamModeDetails?.StreamMode === 'ON_DEMAND') {
    const gb = (records * Math.ceil(bytes / 1024) * 1024) / 1e9;
    return [
      charge(HOURS_PER_MONTH, price(context, 'kinesis.onDemandStreamHour'), 'stream-hours'),
      charge(gb, price(context, 'kinesis.onDemandGbIn'), 'GB written'),
    ];
  }
  const shards = Number(p.ShardCount ?? 1);
  if (!Number.isFinite(shards)) throw new Unpriced('ShardCount is not a number in the template');
  const charges = [
    charge(shards * HOURS_PER_MONTH, price(context, 'kinesis.shardHour'), 'shard-hours'),
    charge((records * Math.ceil(bytes / 25_600)) / 1e6, price(context, 'kinesis.putPayloadUnitMillion'), 'M PUT payload units'),
  ];
  const retention = Number(p.RetentionPeriodHours ?? 24);
  if (retention > 24) charges.push(charge(shards * HOURS_PER_MONTH, price(context, 'kinesis.extendedRetentionShardHour'), 'extended-retention shard-hours'));
  return charges;
}

/** Firehose: GB ingested at 5 KB per record, plus format conversion and dynamic partitioning when enabled. */
export function firehose(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  const records = recordsPerMonth(context);
  const gb = (records * Math.ceil(context.load.recordBytes / 5120) * 5120) / 1e9;
  const charges = [charge(gb, price(context, 'firehose.ingestGb'), 'GB ingested (5 KB rounding)')];
  const destination = p.ExtendedS3DestinationConfiguration ?? {};
  if (destination.DataFormatConversionConfiguration?.Enabled === true) {
    charges.push(charge(gb, price(context, 'firehose.formatConversionGb'), 'GB format-converted'));
  }
  if (destination.DynamicPartitioningConfiguration?.Enabled === true) {
    charges.push(charge(gb, price(context, 'firehose.dynamicPartitioningGb'), 'GB dynamically partitioned'));
  }
  return charges;
}

/** IoT Core topic rules: each record is a device message, a rule match and one action per rule action. */
export function iotTopicRule(resource: AssemblyResource, context: PricingContext): Charge[] {
  const payload = resource.properties.TopicRulePayload ?? {};
  if (payload.RuleDisabled === true) return [];
  const millions = recordsPerMonth(context) / 1e6;
  const messages = millions * Math.ceil(context.load.recordBytes / 5120);
  return [
    charge(messages, price(context, 'iot.messageMillion'), 'M device messages'),
    charge(millions, price(context, 'iot.ruleMillion'), 'M rules triggered'),
    charge(millions * (payload.Actions ?? []).length, price(context, 'iot.actionMillion'), 'M actions'),
  ];
}

/** The Kinesis stream a delivery stream reads, if any (for the lake's inflow). */
export function firehoseSource(resource: AssemblyResource, context: PricingContext): AssemblyResource | undefined {
  const source = flatten(resource.properties.KinesisStreamSourceConfiguration);
  return context.stage(resource, 'AWS::Kinesis::Stream').find((s) => refersTo(source, s.logicalId));
}
