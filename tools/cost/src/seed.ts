import { AssemblyStack, stackFromTemplate } from './assembly';

/**
 * The seeds' architecture from its description, as a template the same
 * pricers read: one provisioned dc2.large Redshift cluster, an always-on
 * ml.m5.large endpoint, AWS Batch jobs that query on a schedule (hourly, on
 * Fargate with 1 vCPU and 2 GB), one Kinesis shard and Firehose into an S3 lake.
 */
export function seedStack(): AssemblyStack {
  return stackFromTemplate({
    Resources: {
      Stream: { Type: 'AWS::Kinesis::Stream', Properties: { ShardCount: 1, RetentionPeriodHours: 24 } },
      Delivery: {
        Type: 'AWS::KinesisFirehose::DeliveryStream',
        Properties: {
          DeliveryStreamType: 'KinesisStreamAsSource',
          KinesisStreamSourceConfiguration: { KinesisStreamARN: { 'Fn::GetAtt': ['Stream', 'Arn'] } },
          ExtendedS3DestinationConfiguration: { BucketARN: { 'Fn::GetAtt': ['Lake', 'Arn'] }, Prefix: 'raw/', BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 } },
        },
      },
      Lake: { Type: 'AWS::S3::Bucket', Properties: {} },
      Cluster: { Type: 'AWS::Redshift::Cluster', Properties: { ClusterType: 'single-node', NodeType: 'dc2.large', DBName: 'seed' } },
      QueryJob: {
        Type: 'AWS::Batch::JobDefinition',
        Properties: {
          Type: 'container',
          PlatformCapabilities: ['FARGATE'],
          ContainerProperties: { ResourceRequirements: [{ Type: 'VCPU', Value: '1' }, { Type: 'MEMORY', Value: '2048' }] },
        },
      },
      QueryQueue: { Type: 'AWS::Batch::JobQueue', Properties: {} },
      QuerySchedule: {
        Type: 'AWS::Events::Rule',
        Properties: {
          ScheduleExpression: 'rate(1 hour)',
          Targets: [{ Id: 'Query', Arn: { Ref: 'QueryQueue' }, BatchParameters: { JobDefinition: { Ref: 'QueryJob' }, JobName: 'query' } }],
        },
      },
      EndpointConfig: {
        Type: 'AWS::SageMaker::EndpointConfig',
        Properties: { ProductionVariants: [{ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }] },
      },
      Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointConfigName: { 'Fn::GetAtt': ['EndpointConfig', 'EndpointConfigName'] } } },
    },
  }, 'Seed', 'seed');
}
