import { GlueEtl } from '@freshet/glue-etl';
import { RedshiftWarehouse } from '@freshet/redshift-warehouse';
import { cfnLint, formatCfnLint, formatFindings, nagFindings } from '@freshet/test-utils';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ApprovalMode, DataExtract, TaskType, TrainingAlgorithm } from '../src';
import { buildPipeline, endpointTarget, pollutionSchema, stocksSchema } from './fixtures/pipelines';

const variants: [string, () => Stack][] = [
  ['XGBoost reading the default S3 prefix', () => buildPipeline().stack],
  ['AutoGluon after GlueEtl, deploying to an endpoint', () => buildPipeline({
    algorithm: TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.minutes(30) }),
  }, (stack, lake) => ({
    extract: DataExtract.glueEtl(new GlueEtl(stack, 'Etl', { schema: pollutionSchema(), lakeBucket: lake.bucket }), 'exports/stocks/'),
    deployTo: endpointTarget(stack),
  })).stack],
  ['XGBoost in a VPC, creating its endpoint with the first model', () => buildPipeline({}, (stack) => ({
    vpc: ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0a1b2c3d', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0a', 'subnet-0b'] }),
    deployTo: endpointTarget(stack, { createsEndpoint: true, workflowNamePrefix: 'ct-stocks', productionVariants: [{ variantName: 'champion', initialWeight: 1, instanceType: 'ml.m5.large', initialInstanceCount: 2 }] }),
  })).stack],
  ['XGBoost on a Redshift snapshot', () => buildPipeline({}, (stack, lake) => ({
    extract: DataExtract.redshiftSnapshot(new RedshiftWarehouse(stack, 'Warehouse', { schema: stocksSchema(), lakeBucket: lake.bucket })),
  })).stack],
  ['DeepAR with manual approval', () => buildPipeline({
    schema: pollutionSchema(),
    algorithm: TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 72, predictionLength: 24, seriesIdColumn: 'device_id' }),
    gate: { threshold: 0.3 },
    approval: ApprovalMode.MANUAL,
    training: { maxRuntime: Duration.hours(1), spot: { maxWait: Duration.hours(2) } },
  }).stack],
];

describe.each(variants)('%s', (_name, build) => {
  test('has no unacknowledged AwsSolutions or NIST 800-53 R5 errors or warnings', () => {
    const stack = build();
    const findings = nagFindings(stack, ['Error', 'Warning']);
    expect(formatFindings(findings)).toBe('');
  });

  test('passes cfn-lint', () => {
    const stack = build();
    const matches = cfnLint([Template.fromStack(stack).toJSON()]);
    expect(formatCfnLint(matches)).toBe('');
  });
});
