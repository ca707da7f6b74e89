import { stocksSchema } from '@freshet/examples';
import { AwsRequestRecorder, formatDenials, PermissionLedger, PermissionModel, startAwsRequestRecorder, testStack } from '@freshet/test-utils';
import { IngestHarness, LAKE_BUCKET, LANDING_BUCKET } from './ingest-harness';
import { StreamingIngest } from '../../src';

/**
 * Issue 14: every request the CSV ingest handler's own SDK clients send to
 * kinesalite and s3rver, recorded on the wire, evaluated against the
 * function's role as StreamingIngest synthesizes it (names translated from the
 * emulator's to the template's through the function's own environment).
 */

const schema = stocksSchema();
const stack = testStack('IngestPermissions');
const ingest = new StreamingIngest(stack, 'Ingest', { schema, csvUploadSource: {} });
const model = PermissionModel.fromStack(stack);
const ledger = new PermissionLedger('streaming-ingest (CSV ingest handler)');
const functionPath = ingest.csvUploadSource!.ingestFunction.node.path;
const deployed = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${functionPath}/Resource`)!;
const landing = model.resources.find((r) => r.type === 'AWS::S3::Bucket' && r.path === `${ingest.csvUploadSource!.createdLandingBucket!.bucket.node.path}/Resource`)!;

let harness: IngestHarness;
let s3: AwsRequestRecorder;
let kinesis: AwsRequestRecorder;
let logSpy: jest.SpyInstance;

beforeEach(async () => {
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  harness = await IngestHarness.start(1);
  [s3, kinesis] = await Promise.all([startAwsRequestRecorder(harness.s3.endpoint), startAwsRequestRecorder(harness.kinesis.endpoint)]);
});

afterEach(async () => {
  logSpy.mockRestore();
  await Promise.all([s3.stop(), kinesis.stop()]);
  await harness.stop();
});

afterAll(() => {
  console.log(ledger.summary());
});

/** Runs the handler through the recorders and evaluates what it sent as the function's role. */
async function evaluateHandler(key: string, body: string, env: Record<string, string> = {}) {
  await harness.upload(key, body);
  const handler = harness.loadHandler(schema.toSpec(), { AWS_ENDPOINT_URL_S3: s3.endpoint, ...env }, kinesis.endpoint);
  await handler(harness.event(key));
  const variables = deployed.properties.Environment.Variables;
  const names = { [LAKE_BUCKET]: variables.LAKE_BUCKET, [harness.streamName]: variables.STREAM_NAME, [LANDING_BUCKET]: String(landing.ref) };
  const requests = [...s3.requests, ...kinesis.requests];
  expect(requests.length).toBeGreaterThan(0);
  return ledger.evaluateRequests(model, requests, functionPath, names);
}

const GOOD = 'ticker_symbol,sector,change,price\nAAPL,TECHNOLOGY,0.5,101.25\nMSFT,TECHNOLOGY,-1.5,300\n';

test('a good file: read, checkpoint, put records, state written; every call allowed', async () => {
  const decisions = await evaluateHandler('uploads/good.csv', GOOD);
  expect(decisions.map((d) => d.call.action)).toEqual(expect.arrayContaining(['s3:GetObject', 'kinesis:PutRecords', 's3:PutObject']));
  expect(formatDenials(decisions)).toBe('');
});

test('a re-delivered event and a file with malformed rows: the duplicate check and the rejected rows are allowed', async () => {
  await evaluateHandler('uploads/good.csv', GOOD);
  const again = await evaluateHandler('uploads/good.csv', GOOD);
  const bad = await evaluateHandler('uploads/bad.csv', `${GOOD}BAD,RETAIL,1.0\nXYZ,ENERGY,abc,12.0\n`);
  expect(formatDenials([...again, ...bad])).toBe('');
});

test('a file over the limit and a wrong header are quarantined, with calls allowed', async () => {
  const big = await evaluateHandler('uploads/big.csv', GOOD, { MAX_FILE_BYTES: '20' });
  const wrong = await evaluateHandler('uploads/wrong.csv', 'ticker,sector,change,price,volume\nAAPL,TECHNOLOGY,0.5,101.25,3\n');
  expect(formatDenials([...big, ...wrong])).toBe('');
});

test('concurrent deliveries (moto S3, which enforces conditional writes): the lease\'s conditional state writes and reads are allowed', async () => {
  const leased = await IngestHarness.start(1, 'moto');
  const [s3Moto, kinesisMoto] = await Promise.all([startAwsRequestRecorder(leased.s3.endpoint), startAwsRequestRecorder(leased.kinesis.endpoint)]);
  try {
    await leased.upload('uploads/good.csv', GOOD);
    const handlers = Array.from({ length: 5 }, () => leased.loadHandler(schema.toSpec(), { AWS_ENDPOINT_URL_S3: s3Moto.endpoint, LEASE_POLL_MS: '20' }, kinesisMoto.endpoint));
    await Promise.all(handlers.map((handler) => handler(leased.event('uploads/good.csv'))));
    const variables = deployed.properties.Environment.Variables;
    const names = { [LAKE_BUCKET]: variables.LAKE_BUCKET, [leased.streamName]: variables.STREAM_NAME, [LANDING_BUCKET]: String(landing.ref) };
    const requests = [...s3Moto.requests, ...kinesisMoto.requests];
    const stateWrites = requests.filter((r) => r.operation === 'PutObject' && String(r.params.Key).startsWith('_freshet/ingest-state/'));
    // At least one conditional create per delivery that raced, and the holder's checkpoint and completion.
    expect(stateWrites.length).toBeGreaterThanOrEqual(3);
    const decisions = await ledger.evaluateRequests(model, requests, functionPath, names);
    expect(decisions.map((d) => d.call.action)).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject', 'kinesis:PutRecords']));
    expect(formatDenials(decisions)).toBe('');
  } finally {
    await Promise.all([s3Moto.stop(), kinesisMoto.stop()]);
    await leased.stop();
  }
});

test('every operation the handler sent maps to IAM', () => {
  expect([...new Set(ledger.unmapped)]).toEqual([]);
});
