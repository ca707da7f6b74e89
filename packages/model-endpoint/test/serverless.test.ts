import { Algorithm, deploymentTargetProblems, SecureBucket, TrafficShiftingMode } from '@freshet/core';
import { formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { Template } from 'aws-cdk-lib/assertions';
import { CaptureSource, EndpointCompute, ModelEndpoint, ModelSource } from '../src';
import { stocksSchema } from './fixtures/datasets';
import { lakeAndModel, synthEndpoint } from './fixtures/endpoint';

/** Issue 21, section 2: serverless endpoints, end to end (what the construct gives the workflow, and what it refuses). */

describe('a serverless endpoint whose first model comes from the first training', () => {
  function firstTraining() {
    const stack = testStack();
    const lake = new SecureBucket(stack, 'Lake');
    const endpoint = new ModelEndpoint(stack, 'Endpoint', {
      schema: stocksSchema(),
      lakeBucket: lake.bucket,
      model: ModelSource.fromFirstTraining(Algorithm.AUTOGLUON, { bucket: lake.bucket }),
      compute: EndpointCompute.serverless({ memorySizeMb: 3072, maxConcurrency: 5 }),
    });
    return { stack, endpoint, template: Template.fromStack(stack) };
  }

  test('synthesizes no endpoint, config or model, and gives the workflow a serverless target: memory and concurrency, no guardrails, key, capture or isolation', () => {
    const { endpoint, template, stack } = firstTraining();
    expect(template.findResources('AWS::SageMaker::Endpoint')).toEqual({});
    expect(template.findResources('AWS::SageMaker::EndpointConfig')).toEqual({});
    const target = endpoint.deploymentTarget();
    expect(target).toMatchObject({ serverless: true, networkIsolation: false, createsEndpoint: true, retrainedVariantName: 'primary' });
    expect(target.productionVariants).toEqual([{
      variantName: 'primary',
      initialWeight: 1,
      instanceType: undefined,
      initialInstanceCount: undefined,
      serverlessMemorySizeInMb: 3072,
      serverlessMaxConcurrency: 5,
      serverlessProvisionedConcurrency: undefined,
      keepModelName: undefined,
    }]);
    expect(target.guardrails).toBeUndefined();
    expect(target.encryptionKey).toBeUndefined();
    expect(target.dataCapture).toBeUndefined();
    expect(target.shadowVariants).toBeUndefined();
    expect(deploymentTargetProblems(target)).toEqual([]);
    expect(formatFindings(nagFindings(stack))).toBe('');
  });
});

describe('a serverless endpoint with a seed model', () => {
  test('its model runs without network isolation (SageMaker refuses it on serverless), the endpoint takes no DeploymentConfig, and nag accepts why', () => {
    const stack = testStack();
    const { template } = synthEndpoint({ compute: EndpointCompute.serverless() }, stack);
    const models = Object.values(template.findResources('AWS::SageMaker::Model')) as any[];
    expect(models.map((m) => m.Properties.EnableNetworkIsolation)).toEqual([false]);
    const endpoint = Object.values(template.findResources('AWS::SageMaker::Endpoint'))[0] as any;
    expect(endpoint.Properties.DeploymentConfig).toBeUndefined();
    expect(formatFindings(nagFindings(stack))).toBe('');
  });

  test('a real-time endpoint keeps isolation and its guardrails', () => {
    const { template, endpoint } = synthEndpoint();
    expect((Object.values(template.findResources('AWS::SageMaker::Model'))[0] as any).Properties.EnableNetworkIsolation).toBe(true);
    expect((Object.values(template.findResources('AWS::SageMaker::Endpoint'))[0] as any).Properties.DeploymentConfig).toBeDefined();
    expect(endpoint.deploymentTarget()).toMatchObject({
      serverless: undefined, networkIsolation: true, guardrails: { mode: TrafficShiftingMode.CANARY },
    });
  });
});

describe('combinations a serverless endpoint cannot serve are refused at synth, naming what to change', () => {
  const serverless = EndpointCompute.serverless();
  test.each([
    ['SageMaker data capture', () => ({ compute: serverless, dataCapture: { source: CaptureSource.ENDPOINT } }),
      /dataCapture\.source is ENDPOINT, but serverless endpoints have no SageMaker data capture: use CaptureSource\.API .*, or EndpointCompute\.realTime\(\)/],
    ['A/B variants', (stack: any) => ({ compute: serverless, additionalVariants: [{ variantName: 'b', model: lakeAndModel(stack, 'b').model, initialWeight: 1 }] }),
      /serverless endpoints serve one production variant: remove them .*or use EndpointCompute\.realTime\(\)/],
    ['a shadow variant', (stack: any) => ({ compute: serverless, shadowVariant: { model: lakeAndModel(stack, 'shadow').model } }), /additionalVariants or shadowVariant is set, but serverless/],
    ['network isolation required', () => ({ compute: serverless, networkIsolation: true }),
      /networkIsolation is true, but serverless endpoints cannot run network-isolated models .*use EndpointCompute\.realTime\(\) where isolation is required/],
    ['deployment guardrails', () => ({ compute: serverless, deploymentGuardrails: { mode: TrafficShiftingMode.LINEAR } }),
      /deploymentGuardrails is set, but SageMaker updates serverless endpoints all at once.*remove deploymentGuardrails, or use EndpointCompute\.realTime\(\)/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    expect(() => synthEndpoint(props(stack), stack)).toThrow(message);
  });

  test('a hand-written serverless target that asks for what serverless cannot do lists every problem', () => {
    const { endpoint } = synthEndpoint({ compute: EndpointCompute.serverless() });
    const target = endpoint.deploymentTarget();
    const problems = deploymentTargetProblems({
      ...target,
      guardrails: {
        mode: TrafficShiftingMode.ALL_AT_ONCE,
        canarySizePercent: 0,
        linearStepPercent: 0,
        waitIntervalSeconds: 0,
        bakeTimeSeconds: 0,
        rollbackAlarmNames: [],
      },
      encryptionKey: endpoint.encryptionKey,
      networkIsolation: true,
      productionVariants: [...target.productionVariants, { ...target.productionVariants[0], variantName: 'b' }],
    });
    expect(problems).toEqual([
      expect.stringMatching(/serverless endpoints serve one production variant and no shadow/),
      expect.stringMatching(/remove guardrails/),
      expect.stringMatching(/remove encryptionKey/),
      expect.stringMatching(/remove networkIsolation/),
    ]);
    expect(deploymentTargetProblems({ ...target, serverless: undefined }))
      .toEqual([expect.stringMatching(/variants primary are serverless but serverless is not set/)]);
  });
});
