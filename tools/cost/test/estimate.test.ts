import { item, run, table } from './helpers';
import { stackFromTemplate } from '../src/assembly';
import { datasetOf, estimate } from '../src/estimate';
import { DEFAULT_LOAD } from '../src/load-profile';
import { renderReport } from '../src/report';

describe('the estimate', () => {
  test('a resource type without a pricer is listed as unpriced, never dropped', () => {
    const result = run({ Mystery: { Type: 'AWS::Foo::Bar', Properties: {} }, Key: { Type: 'AWS::KMS::Key', Properties: {} } }, { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03 });
    const mystery = item(result, 'Mystery');
    expect(mystery.status).toBe('unpriced');
    expect(mystery.detail).toBe('no pricer for AWS::Foo::Bar');
    const report = renderReport(result);
    expect(report).toMatch(/UNPRICED\s+AWS::Foo::Bar Mystery/);
    expect(report).toContain('(1 unpriced)');
  });

  test('a price missing from the table makes the resource unpriced, naming the key', () => {
    const result = run({ Key: { Type: 'AWS::KMS::Key', Properties: {} } }, {});
    expect(item(result, 'Key').status).toBe('unpriced');
    expect(item(result, 'Key').detail).toContain("no price 'kms.keyMonth'");
  });

  test('types without a charge of their own are listed as free with why', () => {
    const result = run({ Role: { Type: 'AWS::IAM::Role', Properties: {} }, Hook: { Type: 'Custom::Anything', Properties: {} } }, {});
    expect(item(result, 'Role')).toMatchObject({ status: 'free', load: 0 });
    expect(item(result, 'Hook').detail).toContain('deployment only');
  });

  test('the report prints the pricing date, per stack and per construct, idle and at load', () => {
    const result = run(
      {
        Key: { Type: 'AWS::KMS::Key', Properties: {}, Metadata: { 'aws:cdk:path': 'Test/Ingest/Key/Resource' } },
        Board: { Type: 'AWS::CloudWatch::Dashboard', Properties: {}, Metadata: { 'aws:cdk:path': 'Test/Watch/Board/Resource' } },
      },
      { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03, 'cloudwatch.dashboardMonth': 3 },
    );
    const report = renderReport(result);
    expect(report).toContain('list prices as read on 2000-01-02');
    expect(report).toMatch(/Test \(Test\)\s+\$4\.00\s+\$4\.00/);
    expect(report).toContain('Ingest: idle $1.00, at load $1.00');
    expect(report).toContain('Watch: idle $3.00, at load $3.00');
  });
});

describe('datasets', () => {
  test('a first word starting constructs in two stacks of a stage is a dataset; the rest is shared', () => {
    const resource = (stack: string, path: string, type = 'AWS::KMS::Key') => ({ Type: type, Properties: {}, Metadata: { 'aws:cdk:path': `App/Dev/${stack}/${path}/Resource` } });
    const prices = { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03 };
    const data = stackFromTemplate({
      Resources: {
        A: resource('Data', 'StocksIngest/Key'),
        B: resource('Data', 'AlarmTopic/Key'),
        C: resource('Data', 'AlarmTopicKey'),
        D: resource('Data', 'CDKMetadata', 'AWS::CDK::Metadata'),
      },
    }, 'App/Dev/Data', 'dev');
    const serving = stackFromTemplate({
      Resources: { E: resource('Serving', 'StocksEndpoint/Key'), F: resource('Serving', 'CDKMetadata', 'AWS::CDK::Metadata') },
    }, 'App/Dev/Serving', 'dev');
    const result = estimate([data, serving], table(prices), DEFAULT_LOAD);
    const dataset = datasetOf(result.items, null);
    expect(Object.fromEntries(result.items.map((i) => [i.logicalId, dataset(i)]))).toEqual({
      A: 'stocks', B: 'shared', C: 'shared', D: 'shared', E: 'stocks', F: 'shared',
    });
    const patterned = datasetOf(result.items, { keys: '^Alarm' });
    expect(patterned(item(result, 'C'))).toBe('keys');
    expect(patterned(item(result, 'A'))).toBe('shared');
  });
});

describe('the seed comparison', () => {
  /** A stage with a stocks key in Data and Serving, and a retrain workflow creating a config of `instances`, waiting for a person when `manual`. */
  function stageStacks(stage: string, instances: number, manual: boolean, keys: number) {
    const key = (stack: string, path: string) => ({ Type: 'AWS::KMS::Key', Properties: {}, Metadata: { 'aws:cdk:path': `App/${stage}/${stack}/${path}/Resource` } });
    const asl = JSON.stringify({
      StartAt: 'Config',
      States: {
        Config: {
          Type: 'Task',
          Resource: 'arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig',
          Parameters: { ProductionVariants: [{ InstanceType: 'ml.m5.large', InitialInstanceCount: instances }] },
          Next: manual ? 'Approve' : 'Done',
        },
        ...(manual ? { Approve: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Next: 'Done' } } : {}),
        Done: { Type: 'Succeed' },
      },
    });
    const extraKeys = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`K${i}`, key('Serving', `StocksEndpoint/Key${i}`)]));
    return [
      stackFromTemplate({ Resources: { A: key('Data', 'StocksIngest/Key') } }, `App/${stage}/Data`, stage),
      stackFromTemplate({
        Resources: {
          ...extraKeys,
          W: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: asl }, Metadata: { 'aws:cdk:path': `App/${stage}/Serving/StocksRetrain/Resource` } },
        },
      }, `App/${stage}/Serving`, stage),
    ];
  }

  test('prints each stage\'s datasets beside the seed, and what Prod buys over Dev and costs more per dataset', () => {
    const stacks = [...stageStacks('Dev', 1, false, 1), ...stageStacks('Prod', 2, true, 3)];
    const prices = { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03, 'stepfunctions.standardTransitionThousand': 0.025, 'sagemaker.hosting.ml.m5.large': 0 };
    const result = estimate(stacks, table(prices), { ...DEFAULT_LOAD, retrainsPerDay: null });
    const seed = estimate([stackFromTemplate({ Resources: { S: { Type: 'AWS::KMS::Key', Properties: {} } } }, 'Seed', 'seed')], table(prices), DEFAULT_LOAD);
    const report = renderReport(result, seed);
    expect(report).toMatch(/Dev stocks\s+Prod stocks\s+seed/);
    // Dev: 2 keys; Prod: 4 keys; the seed 1 key.
    expect(report).toMatch(/total\s+\$2\.00 \/ \$2\.00\s+\$4\.00 \/ \$4\.00\s+\$1\.00 \/ \$1\.00/);
    expect(report).toContain('What Prod buys over Dev: 2 instances behind each endpoint (Dev: 1); a person approves each model (Dev: the gate alone).');
    expect(report).toContain('Prod over Dev per dataset: stocks +$2.00 idle / +$2.00 at load.');
  });

  test('a package registered pending that the workflow approves itself once it serves is not a person\'s approval', () => {
    const machine = (stage: string, approvesItself: boolean) => stackFromTemplate({
      Resources: {
        W: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            DefinitionString: JSON.stringify({
              StartAt: 'Register',
              States: {
                Register: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:createModelPackage', Parameters: { ModelApprovalStatus: 'PendingManualApproval' }, Next: approvesItself ? 'Approve' : 'Done' },
                ...(approvesItself ? { Approve: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:updateModelPackage', Parameters: { ModelApprovalStatus: 'Approved' }, Next: 'Done' } } : {}),
                Done: { Type: 'Succeed' },
              },
            }),
          },
          Metadata: { 'aws:cdk:path': `App/${stage}/Training/StocksRetrain/Resource` },
        },
      },
    }, `App/${stage}/Training`, stage);
    const prices = { 'kms.keyMonth': 1, 'kms.requestTenThousand': 0.03, 'stepfunctions.standardTransitionThousand': 0.025 };
    // A dataset is a first word that starts constructs in two stacks of a stage.
    const data = (stage: string) => stackFromTemplate({
      Resources: { K: { Type: 'AWS::KMS::Key', Properties: {}, Metadata: { 'aws:cdk:path': `App/${stage}/Data/StocksIngest/Key/Resource` } } },
    }, `App/${stage}/Data`, stage);
    const result = estimate([data('Dev'), machine('Dev', true), data('Prod'), machine('Prod', false)], table(prices), { ...DEFAULT_LOAD, retrainsPerDay: null });
    const seed = estimate([stackFromTemplate({ Resources: {} }, 'Seed', 'seed')], table(prices), DEFAULT_LOAD);
    expect(renderReport(result, seed)).toContain('a person approves each model (Dev: the gate alone)');
  });
});
