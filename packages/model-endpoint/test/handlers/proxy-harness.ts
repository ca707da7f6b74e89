import * as path from 'path';
import type { DatasetSchemaSpec } from '@freshet/core';
import { SageMakerFakeModel, SageMakerRuntimeEmulator, startSageMakerRuntimeEmulator } from '@freshet/test-utils';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export type ProxyHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

export const ENDPOINT_NAME = 'stocks-endpoint';

/** What ships: the build's bundle of the proxy, with the SDK inside it. */
export const PROXY_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'handlers', 'predict-proxy.lambda', 'index.js');

/** Starts the fake SageMaker Runtime with a model. */
export function startFakeRuntime(model: SageMakerFakeModel): Promise<SageMakerRuntimeEmulator> {
  return startSageMakerRuntimeEmulator(model);
}

/**
 * Loads a fresh copy of the handler with its environment, its own SDK client
 * pointed at the fake through the SDK's standard `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`.
 */
export function loadProxy(
  runtime: SageMakerRuntimeEmulator,
  env: { format: string; schema?: DatasetSchemaSpec } & Record<string, unknown>,
): ProxyHandler {
  const { format, schema, ...rest } = env;
  // Limits left over from an earlier test must not leak into this one.
  for (const knob of ['MAX_INSTANCES', 'MAX_BODY_BYTES', 'MAX_STRING_LENGTH', 'MAX_ATTEMPTS', 'AWAITING_FIRST_MODEL', 'FIRST_MODEL_RETRY_AFTER_SECONDS', 'ATTEMPT_TIMEOUT_MS', 'DEADLINE_MS',
    'CAPTURE', 'CAPTURE_SAMPLING_PERCENT', 'CAPTURE_MAX_LINE_BYTES', 'CAPTURE_DEFAULT_VARIANT']) delete process.env[knob];
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtime.endpoint,
    ENDPOINT_NAME,
    PAYLOAD_FORMAT: format,
    SCHEMA: schema ? JSON.stringify(schema) : '',
    MODEL_VERSION: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks/3',
    RETRY_AFTER_SECONDS: '7',
    ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)])),
  });
  let handler: ProxyHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../src/handlers/predict-proxy.lambda').handler;
  });
  return handler!;
}

/** The event API Gateway's proxy integration sends for POST /predict. */
export function predictEvent(body: string | null, isBase64Encoded = false): APIGatewayProxyEvent {
  return {
    body,
    isBase64Encoded,
    httpMethod: 'POST',
    path: '/predict',
    resource: '/predict',
    headers: { 'Content-Type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

/**
 * An independent RFC 4180 reader for the fake model (not the proxy's own
 * parser): splits on unquoted commas and line feeds, unescapes doubled quotes.
 */
export function readCsvAsModel(text: string): string[][] {
  const rows: string[][] = [];
  const pattern = /("((?:[^"]|"")*)"|[^,\n]*)(,|\n|$)/g;
  let row: string[] = [];
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    row.push(match[2] !== undefined ? match[2].replace(/""/g, '"') : match[1]);
    if (match[3] !== ',') {
      rows.push(row);
      row = [];
    }
    if (match[3] === '' || pattern.lastIndex >= text.length) break;
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}
