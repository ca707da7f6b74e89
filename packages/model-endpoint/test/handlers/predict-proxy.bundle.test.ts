import { execFile } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { SageMakerRuntimeEmulator } from '@freshet/test-utils';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ENDPOINT_NAME, predictEvent, PROXY_BUNDLE, readCsvAsModel, startFakeRuntime } from './proxy-harness';
import { stocksRecords, stocksSchema } from '../fixtures/datasets';

interface BundleRun {
  readonly result: APIGatewayProxyResult;
  readonly stderr: string;
}

/**
 * Runs the bundle in a plain Node process, as Lambda does: the SDK's ES
 * modules load `node:http` lazily with import(), which jest's VM sandbox refuses.
 */
async function runBundle(
  runtime: SageMakerRuntimeEmulator,
  event: APIGatewayProxyEvent,
  env: Record<string, string | undefined>,
): Promise<BundleRun> {
  const script = `require(${JSON.stringify(PROXY_BUNDLE)}).handler(JSON.parse(process.argv[1])).then((r) => process.stdout.write(JSON.stringify(r)));`;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--no-warnings', '-e', script, JSON.stringify(event)], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtime.endpoint,
      ENDPOINT_NAME,
      PAYLOAD_FORMAT: 'xgboost-csv',
      SCHEMA: JSON.stringify(stocksSchema().toSpec()),
      MODEL_VERSION: 'bundle-test',
      ...env,
    },
  });
  return { result: JSON.parse(stdout), stderr };
}

/**
 * The bundle is what Lambda runs: the SDK is inside it and its default
 * credential chain is swapped out at build time, so the source tests alone
 * would not catch a bundling mistake.
 */
describe('predict proxy bundle (what ships)', () => {
  let runtime: SageMakerRuntimeEmulator;
  beforeAll(async () => {
    runtime = await startFakeRuntime((invocation) => ({
      body: readCsvAsModel(invocation.body.toString('utf-8')).map(([, , change]) => String(100 + Number(change))).join('\n') + '\n',
      variant: 'Blue',
    }));
  });
  afterAll(() => runtime.stop());
  beforeEach(() => runtime.reset());

  test('carries its SDK but not the default credential chain', () => {
    const bundle = readFileSync(PROXY_BUNDLE, 'utf-8');
    expect(bundle).toContain('"InvokeEndpoint"');
    expect(bundle).not.toMatch(/require\("@aws-sdk\//);
    // The chain's STS and SSO clients are what the alias keeps out.
    expect(bundle).not.toContain('AssumeRoleWithWebIdentity');
    expect(bundle).not.toContain('GetRoleCredentials');
  });

  test('stocks records round-trip through the bundled SDK, signed with the environment credentials', async () => {
    const records = stocksRecords(50);
    const { result } = await runBundle(runtime, predictEvent(JSON.stringify({ instances: records })), {
      AWS_ACCESS_KEY_ID: 'AKIDBUNDLE',
      AWS_SECRET_ACCESS_KEY: 'bundle-secret',
      AWS_SESSION_TOKEN: 'bundle-session',
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body).predictions).toEqual(records.map((r) => 100 + r.change));
    expect(runtime.invocations).toHaveLength(1);
    expect(runtime.invocations[0].headers['x-amz-security-token']).toBe('bundle-session');
    expect(String(runtime.invocations[0].headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDBUNDLE\/\d{8}\/us-east-1\/sagemaker\/aws4_request/);
  });

  test('takes credentials from the environment only: with none there it answers 502 and calls nothing, even with a credentials file at hand', async () => {
    // A shared-config file would be the default chain's next stop: give it one with keys in it.
    const home = mkdtempSync(path.join(tmpdir(), 'proxy-home-'));
    mkdirSync(path.join(home, '.aws'));
    writeFileSync(path.join(home, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = file-secret\n');
    const { result, stderr } = await runBundle(runtime, predictEvent(JSON.stringify(stocksRecords(1)[0])), { HOME: home });
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(stderr.trim().split('\n').pop()!).errorName).toBe('CredentialsProviderError');
    expect(runtime.invocations).toHaveLength(0);
  });
});
