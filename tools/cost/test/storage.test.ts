import { item, RECORDS_AT_1_PER_S, run } from './helpers';

describe('S3 buckets', () => {
  const resources = {
    Lake: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        LifecycleConfiguration: {
          // Small objects may go to Glacier Flexible Retrieval with this setting (the default keeps them in Standard).
          TransitionDefaultMinimumObjectSize: 'varies_by_storage_class',
          Rules: [{ Status: 'Enabled', Prefix: 'raw/', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 730 / 24 * 3 }] }],
        },
      },
    },
    Delivery: {
      Type: 'AWS::KinesisFirehose::DeliveryStream',
      Properties: { ExtendedS3DestinationConfiguration: { BucketARN: { 'Fn::GetAtt': ['Lake', 'Arn'] }, Prefix: 'raw/x/!{timestamp:yyyy}/', BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 } } },
    },
  };
  const prices = {
    's3.standardGbMonth': 0.02, 's3.glacierGbMonth': 0.004, 's3.glacierTransitionThousand': 0.05, 's3.putThousand': 0.005, 'firehose.ingestGb': 0.03,
  };

  test('the month priced splits the inflow between Standard and its lifecycle class', () => {
    const result = run(resources, prices, { recordsPerSecond: 1, recordBytes: 1000, compressionRatio: 2, storageMonth: 12 });
    const gb = (RECORDS_AT_1_PER_S * 1000) / 2 / 1e9; // 1.314 GB a month
    const objects = 730 * 60; // one object per 60 s buffer
    // 3 months in Standard, 9 in Glacier; each object is PUT and later transitioned.
    expect(item(result, 'Lake').load).toBeCloseTo(gb * 3 * 0.02 + gb * 9 * 0.004 + (objects / 1000) * 0.05 + (objects / 1000) * 0.005, 6);
    expect(item(result, 'Lake').idle).toBe(0);
  });

  test('objects under the default 128 KB transition minimum stay in Standard, with no transition requests', () => {
    const lifecycle = { ...resources.Lake.Properties.LifecycleConfiguration, TransitionDefaultMinimumObjectSize: undefined };
    const small = { ...resources, Lake: { Type: 'AWS::S3::Bucket', Properties: { LifecycleConfiguration: lifecycle } } };
    // 60 records of 1,000 B at 2x compression: 30 KB objects, under 128 KB.
    const result = run(small, prices, { recordsPerSecond: 1, recordBytes: 1000, compressionRatio: 2, storageMonth: 12 });
    const gb = (RECORDS_AT_1_PER_S * 1000) / 2 / 1e9;
    const objects = 730 * 60;
    expect(item(result, 'Lake').load).toBeCloseTo(gb * 12 * 0.02 + (objects / 1000) * 0.005, 6);
    expect(item(result, 'Lake').detail).toMatch(/objects of 29\.?\d* KB stay: under the 128 KB transition minimum/);
    // 5,000 B records at the same buffer make 146 KB objects: they transition.
    const bigger = run(small, prices, { recordsPerSecond: 1, recordBytes: 5000, compressionRatio: 2, storageMonth: 12 });
    const gbBig = (RECORDS_AT_1_PER_S * 5000) / 2 / 1e9;
    expect(item(bigger, 'Lake').load).toBeCloseTo(gbBig * 3 * 0.02 + gbBig * 9 * 0.004 + (objects / 1000) * 0.05 + (objects / 1000) * 0.005, 6);
  });

  test('keys outside the rule prefix stay in Standard', () => {
    const other = { ...resources, Delivery: { ...resources.Delivery, Properties: { ExtendedS3DestinationConfiguration: { ...resources.Delivery.Properties.ExtendedS3DestinationConfiguration, Prefix: 'other/' } } } };
    const result = run(other, prices, { recordsPerSecond: 1, recordBytes: 1000, compressionRatio: 2, storageMonth: 12 });
    const gb = (RECORDS_AT_1_PER_S * 1000) / 2 / 1e9;
    expect(item(result, 'Lake').load).toBeCloseTo(gb * 12 * 0.02 + ((730 * 60) / 1000) * 0.005, 6);
  });
});

describe('CloudWatch Logs', () => {
  test('ingestion, and storage for as long as the retention keeps it', () => {
    const result = run(
      { Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } } },
      { 'logs.ingestGb': 0.5, 'logs.storageGbMonth': 0.03 },
      { logGbPerGroup: 0.5, storageMonth: 12 },
    );
    const kept = 30 / (730 / 24);
    expect(item(result, 'Logs').load).toBeCloseTo(0.5 * 0.5 + 0.5 * kept * 0.03, 6);
    // Idle logs a tenth.
    expect(item(result, 'Logs').idle).toBeCloseTo(0.05 * 0.5 + 0.05 * kept * 0.03, 6);
  });
});

describe('SNS, SQS and DynamoDB', () => {
  test('a topic bills the publishes workflows make and the e-mails they send', () => {
    const asl = JSON.stringify({ StartAt: 'Tell', States: { Tell: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Parameters: { TopicArn: '__T__' }, End: true } } }).split('__T__');
    const result = run(
      {
        Topic: { Type: 'AWS::SNS::Topic', Properties: { Subscription: [{ Protocol: 'email', Endpoint: 'a@example.com' }] } },
        Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: { 'Fn::Join': ['', [asl[0], { Ref: 'Topic' }, asl[1]]] } } },
        Hourly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: { Ref: 'Machine' }, Id: 'T' }] } },
      },
      { 'sns.publishMillion': 0.5, 'sns.emailHundredThousand': 2, 'stepfunctions.standardTransitionThousand': 0.025 },
    );
    expect(item(result, 'Topic').load).toBeCloseTo((730 / 1e6) * 0.5 + (730 / 1e5) * 2, 9);
  });

  test('on-demand tables bill a write and a read per hourly decision; provisioned ones are unpriced', () => {
    const result = run(
      {
        Decisions: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
        Fixed: { Type: 'AWS::DynamoDB::Table', Properties: { ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } } },
        Dead: { Type: 'AWS::SQS::Queue', Properties: {} },
      },
      { 'dynamodb.writeRequestMillion': 1, 'dynamodb.readRequestMillion': 0.25, 'sqs.requestMillion': 0.4 },
    );
    expect(item(result, 'Decisions').load).toBeCloseTo((730 / 1e6) * 1.25, 9);
    expect(item(result, 'Fixed').status).toBe('unpriced');
    expect(item(result, 'Dead').load).toBe(0);
    expect(item(result, 'Dead').status).toBe('priced');
  });
});
