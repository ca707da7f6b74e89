import { Algorithm } from '@freshet/core';
import { cfnLint, formatCfnLint, formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { ApiAuthorization, CaptureSource, EndpointCompute, ModelEndpointProps, ModelSource } from '../src';
import { lakeAndModel, synthEndpoint } from './fixtures/endpoint';

describe('ModelEndpoint compliance', () => {
  test.each<[string, (stack: ReturnType<typeof testStack>) => Partial<ModelEndpointProps>]>([
    ['defaults (real-time, capture on, IAM auth)', () => ({})],
    ['serverless (capture at the API)', () => ({ compute: EndpointCompute.serverless({ memorySizeMb: 3072, maxConcurrency: 50, provisionedConcurrency: 5 }) })],
    ['real-time capturing at the API and at the endpoint', () => ({ dataCapture: { source: CaptureSource.API_AND_ENDPOINT } })],
    ['A/B + shadow + API keys + WAF + autoscaling', (stack) => ({
      compute: EndpointCompute.realTime({ instanceType: 'ml.c5.xlarge', initialInstanceCount: 2, autoScaling: { minCapacity: 2, maxCapacity: 6 } }),
      additionalVariants: [{ variantName: 'challenger', model: lakeAndModel(stack, 'run-2').model, initialWeight: 1 }],
      shadowVariant: { model: lakeAndModel(stack, 'run-3').model },
      api: { authorization: ApiAuthorization.API_KEY, waf: true },
    })],
    ['first model from training (no CloudFormation endpoint, a teardown custom resource), two instances', (stack) => ({
      model: ModelSource.fromFirstTraining(Algorithm.AUTOGLUON, { bucket: lakeAndModel(stack).lake }),
      compute: EndpointCompute.realTime({ initialInstanceCount: 2 }),
    })],
    ['Cognito, no lake bucket given', (stack) => ({
      lakeBucket: undefined,
      api: { authorization: ApiAuthorization.COGNITO, userPool: new cognito.UserPool(stack, 'Users', { passwordPolicy: { minLength: 12 }, mfa: cognito.Mfa.REQUIRED }) },
    })],
  ])('%s: no unacknowledged nag errors or warnings, cfn-lint clean', (_name, props) => {
    const stack = testStack();
    const { template } = synthEndpoint(props(stack), stack);
    const findings = nagFindings(stack, ['Error', 'Warning']).filter((f) => !f.path.startsWith('/Test/Users') && !f.path.startsWith('Test/Users'));
    expect(formatFindings(findings)).toBe('');
    expect(formatCfnLint(cfnLint([template.toJSON()]))).toBe('');
  });
});
