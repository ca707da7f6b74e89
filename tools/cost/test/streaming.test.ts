import { item, RECORDS_AT_1_PER_S, run } from './helpers';

describe('Kinesis Data Streams', () => {
  test('provisioned: shard-hours, PUT payload units of 25 KB, retention beyond 24 h', () => {
    const result = run(
      { Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 2, RetentionPeriodHours: 48 } } },
      { 'kinesis.shardHour': 0.01, 'kinesis.putPayloadUnitMillion': 0.02, 'kinesis.extendedRetentionShardHour': 0.005 },
      { recordsPerSecond: 10, recordBytes: 30_000 },
    );
    // 2 x 730 x 0.01 = 14.6; 26.28 M records x 2 units = 52.56 M x 0.02 = 1.0512; 2 x 730 x 0.005 = 7.3.
    expect(item(result, 'Stream').load).toBeCloseTo(14.6 + 1.0512 + 7.3, 6);
    expect(item(result, 'Stream').idle).toBeCloseTo(14.6 + 7.3, 6);
  });

  test('on demand: stream-hours and GB written at 1 KB rounding', () => {
    const result = run(
      { Stream: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } } },
      { 'kinesis.onDemandStreamHour': 0.04, 'kinesis.onDemandGbIn': 0.08 },
      { recordsPerSecond: 1, recordBytes: 1500 },
    );
    // 730 x 0.04 = 29.2; 2,628,000 records x 2,048 B = 5.382144 GB x 0.08.
    expect(item(result, 'Stream').load).toBeCloseTo(29.2 + 5.382144 * 0.08, 6);
    expect(item(result, 'Stream').idle).toBeCloseTo(29.2, 6);
  });
});

describe('Firehose', () => {
  test('GB ingested at 5 KB per record, plus format conversion when enabled', () => {
    const result = run(
      {
        Delivery: {
          Type: 'AWS::KinesisFirehose::DeliveryStream',
          Properties: { ExtendedS3DestinationConfiguration: { DataFormatConversionConfiguration: { Enabled: true } } },
        },
      },
      { 'firehose.ingestGb': 0.03, 'firehose.formatConversionGb': 0.02 },
      { recordsPerSecond: 1, recordBytes: 6000 },
    );
    const gb = (RECORDS_AT_1_PER_S * 10_240) / 1e9; // 6,000 B rounds to 10 KB
    expect(item(result, 'Delivery').load).toBeCloseTo(gb * 0.03 + gb * 0.02, 6);
    expect(item(result, 'Delivery').idle).toBe(0);
  });
});

describe('IoT topic rules', () => {
  test('a message, a rule and each action per record', () => {
    const result = run(
      { Rule: { Type: 'AWS::IoT::TopicRule', Properties: { TopicRulePayload: { Actions: [{ Kinesis: {} }], Sql: "SELECT * FROM 't'" } } } },
      { 'iot.messageMillion': 1, 'iot.ruleMillion': 0.2, 'iot.actionMillion': 0.3 },
      { recordsPerSecond: 1, recordBytes: 200 },
    );
    expect(item(result, 'Rule').load).toBeCloseTo(2.628 * (1 + 0.2 + 0.3), 6);
  });
});
