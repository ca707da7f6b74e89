import { AwsRequestRecorder, formatDenials, PermissionLedger, PermissionModel, SageMakerRuntimeEmulator, SageMakerRuntimeFaults, startAwsRequestRecorder } from '@freshet/test-utils';
import { ENDPOINT_NAME, loadProxy, predictEvent, startFakeRuntime } from './proxy-harness';
import { stocksRecords, stocksSchema } from '../fixtures/datasets';
import { synthEndpoint } from '../fixtures/endpoint';

/**
 * Issue 14: every request the proxy's own SDK client sends to the SageMaker
 * Runtime fake, recorded on the wire, evaluated against the proxy's role as
 * ModelEndpoint synthesizes it (the endpoint name translated to the one in
 * the function's environment). A second endpoint in the same stack proves the
 * proxy may invoke its own endpoint only.
 */

const { endpoint, stack } = synthEndpoint();
const model = PermissionModel.fromStack(stack);
const ledger = new PermissionLedger('model-endpoint (predict proxy)');
const proxyPath = endpoint.api.proxyFunction.node.path;
const deployed = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${proxyPath}/Resource`)!;
const names = { [ENDPOINT_NAME]: String(deployed.properties.Environment.Variables.ENDPOINT_NAME) };

let runtime: SageMakerRuntimeEmulator;
let recorder: AwsRequestRecorder;
let failNext = 0;

beforeAll(async () => {
  runtime = await startFakeRuntime(() => {
    if (failNext-- > 0) return { fault: SageMakerRuntimeFaults.throttling() };
    return { body: '1.5\n2.5\n', variant: 'Blue' };
  });
  recorder = await startAwsRequestRecorder(runtime.endpoint);
});

afterAll(async () => {
  await recorder.stop();
  await runtime.stop();
  console.log(ledger.summary());
});

test('a prediction, and one retried after throttling: every InvokeEndpoint is allowed on the proxy\'s own endpoint', async () => {
  const handler = loadProxy({ ...runtime, endpoint: recorder.endpoint } as SageMakerRuntimeEmulator, { format: 'xgboost-csv', schema: stocksSchema().toSpec() });
  expect((await handler(predictEvent(JSON.stringify({ instances: stocksRecords(2) })))).statusCode).toBe(200);
  failNext = 1;
  await handler(predictEvent(JSON.stringify({ instances: stocksRecords(2) })));
  expect(recorder.requests.length).toBeGreaterThanOrEqual(3);
  const decisions = await ledger.evaluateRequests(model, recorder.requests, proxyPath, names);
  expect(decisions.every((d) => d.call.action === 'sagemaker:InvokeEndpoint')).toBe(true);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
});

test('the same requests to another endpoint are denied', async () => {
  const other = await model.evaluateAll(recorder.requests.map(() => ({
    principal: proxyPath, action: 'sagemaker:InvokeEndpoint', resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/another-endpoint',
  })));
  expect(other.length).toBeGreaterThan(0);
  expect(other.every((d) => d.result === 'ImplicitlyDenied')).toBe(true);
});
