import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import {
  CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand,
  DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { Algorithm } from '@freshet/core';
import { formatDenials, MotoServer, PermissionLedger, PermissionModel, startAwsRequestRecorder, startMotoServer, testStack } from '@freshet/test-utils';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ModelSource } from '../../src';
import { lakeAndModel, synthEndpoint } from '../fixtures/endpoint';

/**
 * The teardown custom resource's handler, with the real SDK v3 against moto's
 * SageMaker API, answering a local stand-in for CloudFormation's pre-signed
 * response URL.
 */

type Handler = (event: CloudFormationCustomResourceEvent) => Promise<void>;

const ROLE = 'arn:aws:iam::123456789012:role/model-role';
const IMAGE = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

let moto: MotoServer;
let sagemaker: SageMakerClient;
let responses: { path: string; contentType: string | undefined; body: any }[];
let responseServer: http.Server;
let responseUrl: string;

function loadHandler(endpoint: string): Handler {
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret', AWS_ENDPOINT_URL_SAGEMAKER: endpoint });
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../src/handlers/endpoint-teardown.lambda').handler;
  });
  return handler!;
}

function event(requestType: 'Create' | 'Update' | 'Delete', props: Record<string, string>, physicalId?: string): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:teardown',
    ResponseURL: `${responseUrl}/response/${requestType}`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Serving/abc',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'EndpointTeardown',
    ResourceType: 'Custom::EndpointTeardown',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:teardown', ...props },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: physicalId!, OldResourceProperties: base.ResourceProperties };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: physicalId! };
}

/** An endpoint running one config of one model, as the workflow (or CloudFormation) leaves it. */
async function deployEndpoint(endpointName: string, configName: string, modelName: string): Promise<void> {
  await sagemaker.send(new CreateModelCommand({ ModelName: modelName, ExecutionRoleArn: ROLE, PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://lake/models/run/job/output/model.tar.gz' } }));
  await sagemaker.send(new CreateEndpointConfigCommand({
    EndpointConfigName: configName,
    ProductionVariants: [{ VariantName: 'primary', ModelName: modelName, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 }],
  }));
  await sagemaker.send(new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: configName }));
}

async function exists(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (/could not find/i.test((error as Error).message)) return false;
    throw error;
  }
}
const endpointExists = (name: string) => exists(() => sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })));
const configExists = (name: string) => exists(() => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name })));
const modelExists = (name: string) => exists(() => sagemaker.send(new DescribeModelCommand({ ModelName: name })));

beforeAll(async () => {
  moto = await startMotoServer();
  sagemaker = new SageMakerClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' } });
  responseServer = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      responses.push({ path: request.url ?? '', contentType: request.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf-8')) });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => responseServer.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(responseServer.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  await new Promise((resolve) => responseServer?.close(resolve));
});

beforeEach(() => {
  responses = [];
});

test('Delete deletes the endpoint, the workflow config it runs and that config\'s workflow model; other endpoints stay', async () => {
  await deployEndpoint('stocks-endpoint', 'ct-stocks-config-aaa', 'ct-stocks-model-aaa');
  await deployEndpoint('stocks-endpoint-canary', 'ct-stocks-config-bbb', 'ct-stocks-model-bbb');
  const handler = loadHandler(moto.endpoint);
  await handler(event('Delete', { EndpointName: 'stocks-endpoint', WorkflowNamePrefix: 'ct-stocks' }, 'stocks-endpoint'));

  expect(responses).toHaveLength(1);
  expect(responses[0].path).toBe('/response/Delete');
  // The pre-signed URL is signed without a content type.
  expect(responses[0].contentType ?? '').toBe('');
  expect(responses[0].body).toMatchObject({
    Status: 'SUCCESS',
    Reason: 'Deleted endpoint stocks-endpoint',
    PhysicalResourceId: 'stocks-endpoint',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Serving/abc',
    RequestId: 'request-Delete',
    LogicalResourceId: 'EndpointTeardown',
  });
  expect(await endpointExists('stocks-endpoint')).toBe(false);
  expect(await configExists('ct-stocks-config-aaa')).toBe(false);
  expect(await modelExists('ct-stocks-model-aaa')).toBe(false);
  // An endpoint whose name merely starts with the same letters is someone else's.
  expect(await endpointExists('stocks-endpoint-canary')).toBe(true);
  expect(await configExists('ct-stocks-config-bbb')).toBe(true);
  expect(await modelExists('ct-stocks-model-bbb')).toBe(true);
});

test('Delete of an endpoint on a config the workflow did not name deletes the endpoint only', async () => {
  await deployEndpoint('pollution-endpoint', 'InitialConfig-Ab12Cd', 'ModelPrimary-Ef34Gh');
  const handler = loadHandler(moto.endpoint);
  await handler(event('Delete', { EndpointName: 'pollution-endpoint', WorkflowNamePrefix: 'ct-pollution' }, 'pollution-endpoint'));
  expect(responses.map((r) => r.body.Status)).toEqual(['SUCCESS']);
  expect(await endpointExists('pollution-endpoint')).toBe(false);
  expect(await configExists('InitialConfig-Ab12Cd')).toBe(true);
  expect(await modelExists('ModelPrimary-Ef34Gh')).toBe(true);
});

test('Delete before any model was trained (no endpoint) succeeds and says so', async () => {
  const handler = loadHandler(moto.endpoint);
  await handler(event('Delete', { EndpointName: 'never-trained', WorkflowNamePrefix: 'ct-stocks' }, 'never-trained'));
  expect(responses.map((r) => [r.body.Status, r.body.Reason])).toEqual([['SUCCESS', 'No endpoint never-trained to delete']]);
});

test('Create and Update only record the endpoint name (its physical id) and touch nothing', async () => {
  await deployEndpoint('kept-endpoint', 'ct-kept-config-ccc', 'ct-kept-model-ccc');
  const handler = loadHandler(moto.endpoint);
  await handler(event('Create', { EndpointName: 'kept-endpoint', WorkflowNamePrefix: 'ct-kept' }));
  await handler(event('Update', { EndpointName: 'kept-endpoint', WorkflowNamePrefix: 'ct-kept' }, 'kept-endpoint'));
  expect(responses.map((r) => [r.path, r.body.Status, r.body.PhysicalResourceId, r.body.Data])).toEqual([
    ['/response/Create', 'SUCCESS', 'kept-endpoint', { EndpointName: 'kept-endpoint' }],
    ['/response/Update', 'SUCCESS', 'kept-endpoint', { EndpointName: 'kept-endpoint' }],
  ]);
  expect(await endpointExists('kept-endpoint')).toBe(true);
  expect(await configExists('ct-kept-config-ccc')).toBe(true);
});

test('a SageMaker API that cannot be reached answers FAILED with the endpoint to delete by hand, instead of leaving CloudFormation waiting', async () => {
  const closed = await startMotoServer();
  await closed.stop();
  const handler = loadHandler(closed.endpoint);
  await handler(event('Delete', { EndpointName: 'stocks-endpoint', WorkflowNamePrefix: 'ct-stocks' }, 'stocks-endpoint'));
  expect(responses).toHaveLength(1);
  expect(responses[0].body.Status).toBe('FAILED');
  expect(responses[0].body.Reason).toMatch(/^Could not tear down endpoint stocks-endpoint \(.+\); delete it by hand if it remains\.$/);
}, 60_000);

test('issue 14: every request the teardown sends is allowed by its synthesized role, on its own endpoint and workflow names only', async () => {
  const stack = testStack();
  const { lake } = lakeAndModel(stack);
  const { endpoint } = synthEndpoint({ model: ModelSource.fromFirstTraining(Algorithm.AUTOGLUON, { bucket: lake }) }, stack);
  const model = PermissionModel.fromStack(stack);
  const teardown = model.resources.find((r) => r.type === 'Custom::EndpointTeardown')!.properties;
  const endpointName = String(teardown.EndpointName);
  const prefix = String(teardown.WorkflowNamePrefix);
  await deployEndpoint(endpointName, `${prefix}-config-perm`, `${prefix}-model-perm`);

  const recorder = await startAwsRequestRecorder(moto.endpoint);
  try {
    const handler = loadHandler(recorder.endpoint);
    await handler(event('Delete', { EndpointName: endpointName, WorkflowNamePrefix: prefix }, endpointName));
  } finally {
    await recorder.stop();
  }
  expect(responses.map((r) => r.body.Status)).toEqual(['SUCCESS']);
  expect(new Set(recorder.requests.map((r) => `${r.service}:${r.operation}`))).toEqual(new Set([
    'sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DeleteEndpoint', 'sagemaker:DeleteEndpointConfig', 'sagemaker:DeleteModel',
  ]));
  const ledger = new PermissionLedger('model-endpoint (endpoint teardown)');
  const rolePath = endpoint.teardown!.function.node.path;
  const decisions = await ledger.evaluateRequests(model, recorder.requests, rolePath);
  console.log(ledger.summary());
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  // Least privilege: another endpoint, and configs or models outside the workflow's names, are denied.
  const denied = await model.evaluateAll([
    { principal: rolePath, action: 'sagemaker:DeleteEndpoint', resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/other-endpoint', source: 'negative' },
    { principal: rolePath, action: 'sagemaker:DeleteEndpointConfig', resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/initialconfig-ab12cd', source: 'negative' },
    { principal: rolePath, action: 'sagemaker:DeleteModel', resource: 'arn:aws:sagemaker:us-east-1:123456789012:model/someone-elses-model', source: 'negative' },
  ]);
  expect(denied.filter((d) => d.allowed).map((d) => `${d.call.action} ${d.call.resource}`)).toEqual([]);
});
