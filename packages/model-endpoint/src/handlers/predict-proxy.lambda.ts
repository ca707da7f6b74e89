/**
 * The prediction proxy behind POST /predict: validates the request again,
 * converts JSON records to the model's content type, invokes the SageMaker
 * endpoint by its stable name, and answers JSON predictions with the model
 * version.
 *
 * Environment:
 * - ENDPOINT_NAME: the endpoint to invoke.
 * - PAYLOAD_FORMAT: xgboost-csv | autogluon-csv | deepar-json.
 * - SCHEMA: the DatasetSchemaSpec as JSON (tabular formats).
 * - MODEL_VERSION: what the construct deployed first (model package ARN, artifact or preset).
 * - MAX_INSTANCES, MAX_BODY_BYTES, MAX_STRING_LENGTH, RETRY_AFTER_SECONDS, MAX_ATTEMPTS: limits.
 * - ATTEMPT_TIMEOUT_MS (default 11000), DEADLINE_MS (default 25000): one InvokeEndpoint attempt's
 *   timeout, and the whole request's, below API Gateway's 29 s and the Lambda's timeout. On expiry
 *   the proxy answers 504 ModelTimeout with Retry-After and counts Freshet/PredictProxy ModelTimeouts.
 * - AWAITING_FIRST_MODEL: 'true' when the retraining workflow creates the endpoint; a missing endpoint then
 *   answers 503 FirstModelTraining with Retry-After FIRST_MODEL_RETRY_AFTER_SECONDS (default 300).
 * - CAPTURE: 'api' to capture every forwarded request and the model's answer at the API
 *   (CAPTURE_SAMPLING_PERCENT, default 100; CAPTURE_MAX_LINE_BYTES; CAPTURE_DEFAULT_VARIANT): one
 *   SageMaker data-capture line on stdout per request (predict-proxy/api-capture.ts).
 * - AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: the SDK's own override, for local tests.
 */
import { randomUUID } from 'node:crypto';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ApiCaptureWriter, loadApiCaptureConfig } from './predict-proxy/api-capture';
import { mapEndpointError } from './predict-proxy/endpoint-errors';
import {
  ModelResponseError, NonFinitePrediction, parseAutoGluonCsv, parseDeepArJson, parseXgboostCsv, toCsv, WireFormat,
} from './predict-proxy/payload-codec';
import { emitProxyCount, MODEL_TIMEOUTS_METRIC } from './predict-proxy/proxy-metrics';
import { compileRecordValidator, FeatureColumn, InvalidRequest, parseJsonBody, RequestLimits, validateDeepAr } from './predict-proxy/request-validation';
import {
  createRuntimeClient, DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_DEADLINE_MS, DEFAULT_MAX_ATTEMPTS, RequestDeadlines,
} from './predict-proxy/runtime-client';

interface ProxyConfig {
  readonly endpointName: string;
  readonly format: WireFormat;
  readonly features: FeatureColumn[];
  readonly target: string;
  readonly modelVersion: string;
  readonly limits: RequestLimits;
  readonly retryAfterSeconds: number;
  readonly awaitingFirstModel: boolean;
  readonly firstModelRetryAfterSeconds: number;
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
}

/** What the proxy keeps of the Lambda's remaining time to answer after it gives up on the model. */
const ANSWER_MARGIN_MS = 1000;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, got '${raw}'.`);
  return value;
}

/** Read once per container; a misconfiguration fails the init, not each request. */
function loadConfig(): ProxyConfig {
  const format = (process.env.PAYLOAD_FORMAT ?? 'xgboost-csv') as WireFormat;
  if (!['xgboost-csv', 'autogluon-csv', 'deepar-json'].includes(format)) {
    throw new Error(`PAYLOAD_FORMAT must be xgboost-csv, autogluon-csv or deepar-json, got '${format}'.`);
  }
  const endpointName = process.env.ENDPOINT_NAME;
  if (!endpointName) throw new Error('ENDPOINT_NAME is not set.');
  let features: FeatureColumn[] = [];
  let target = '';
  if (format !== 'deepar-json') {
    const schema = JSON.parse(process.env.SCHEMA ?? 'null') as { columns: FeatureColumn[]; targetColumn: string } | null;
    if (!schema || !Array.isArray(schema.columns)) throw new Error('SCHEMA must hold the dataset schema spec as JSON.');
    target = schema.targetColumn;
    features = schema.columns.filter((c) => c.name !== target);
  }
  const attemptTimeoutMs = positiveInt('ATTEMPT_TIMEOUT_MS', DEFAULT_ATTEMPT_TIMEOUT_MS);
  const deadlineMs = positiveInt('DEADLINE_MS', DEFAULT_DEADLINE_MS);
  if (attemptTimeoutMs > deadlineMs) throw new Error(`ATTEMPT_TIMEOUT_MS (${attemptTimeoutMs}) must not exceed DEADLINE_MS (${deadlineMs}).`);
  return {
    endpointName,
    format,
    features,
    target,
    modelVersion: process.env.MODEL_VERSION ?? 'unknown',
    limits: {
      maxInstances: positiveInt('MAX_INSTANCES', 1000),
      // SageMaker real-time payloads stop at 6 MB; API Gateway's at 10 MB.
      maxBodyBytes: positiveInt('MAX_BODY_BYTES', 5 * 1024 * 1024),
      maxStringLength: positiveInt('MAX_STRING_LENGTH', 65535),
    },
    retryAfterSeconds: positiveInt('RETRY_AFTER_SECONDS', 5),
    awaitingFirstModel: process.env.AWAITING_FIRST_MODEL === 'true',
    firstModelRetryAfterSeconds: positiveInt('FIRST_MODEL_RETRY_AFTER_SECONDS', 300),
    attemptTimeoutMs,
    deadlineMs,
  };
}

const config = loadConfig();
const featureOrder = config.features.map((f) => f.name);
// Compiled once per container: a request pays only for checking its own values.
const validateRecords = compileRecordValidator(config.features, config.target, config.limits);
const contentType = config.format === 'deepar-json' ? 'application/json' : 'text/csv';
// One client per container: connections and credentials are reused across requests.
// The caller of a request that still fails gets Retry-After.
const deadlines = new RequestDeadlines();
const client = createRuntimeClient(positiveInt('MAX_ATTEMPTS', DEFAULT_MAX_ATTEMPTS), config.attemptTimeoutMs, deadlines);

const captureConfig = loadApiCaptureConfig(config.endpointName);
const capture = captureConfig ? new ApiCaptureWriter(captureConfig) : undefined;

const JSON_HEADERS: Record<string, string> = { 'Content-Type': 'application/json' };

function reply(statusCode: number, body: unknown, headers?: Record<string, string>): APIGatewayProxyResult {
  return { statusCode, headers: headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

/** UTF-8 text of the model's answer, read in place (Buffer.from(uint8Array) would copy it first). */
function utf8Text(body: Uint8Array | undefined): string {
  return body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf-8') : '';
}

function rejected(result: InvalidRequest): APIGatewayProxyResult {
  return reply(result.status, { message: 'The request is not valid.', errors: result.problems });
}

export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  const started = Date.now();
  const parsed = parseJsonBody(event?.body, event?.isBase64Encoded, config.limits);
  if (!parsed.ok) return rejected(parsed);

  let payload: string | Buffer;
  let count: number;
  let single = false;
  if (config.format === 'deepar-json') {
    const valid = validateDeepAr(parsed.value, parsed.raw, config.limits);
    if (!valid.ok) return rejected(valid);
    if (!('passthrough' in valid)) throw new Error('unreachable');
    payload = valid.passthrough;
    count = valid.instanceCount;
  } else {
    const valid = validateRecords(parsed.value);
    if (!valid.ok) return rejected(valid);
    if (!('records' in valid)) throw new Error('unreachable');
    payload = toCsv(valid.records, featureOrder, config.format === 'autogluon-csv');
    count = valid.records.length;
    single = valid.single;
  }

  // API Gateway's request id (a UUID) when there is one, so access logs and captured data share it.
  const inferenceId = /^[A-Za-z0-9-]{1,64}$/.test(event?.requestContext?.requestId ?? '') ? event.requestContext.requestId : randomUUID();
  let variant: string | undefined;
  let responseText: string;
  let responseContentType: string | undefined;
  // The deadline counts from the request's start, and leaves the Lambda time to answer.
  const remainingMs = context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS : Infinity;
  const budgetMs = Math.max(0, Math.min(config.deadlineMs - (Date.now() - started), remainingMs));
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), budgetMs);
  // Registered by inference id rather than passed to send(): see RequestDeadlines.
  deadlines.set(inferenceId, deadline.signal);
  try {
    const response = await client.send(new InvokeEndpointCommand({
      EndpointName: config.endpointName,
      ContentType: contentType,
      Accept: contentType,
      // Data capture records it, so ground truth sent later joins to this request's predictions.
      InferenceId: inferenceId,
      Body: typeof payload === 'string' ? Buffer.from(payload, 'utf-8') : payload,
    }));
    variant = response.InvokedProductionVariant;
    responseText = utf8Text(response.Body);
    responseContentType = response.ContentType;
  } catch (error) {
    const failure = mapEndpointError(deadline.signal.aborted ? Object.assign(new Error('deadline'), { name: 'AbortError' }) : error, {
      retryAfterSeconds: config.retryAfterSeconds,
      awaitingFirstModel: config.awaitingFirstModel,
      firstModelRetryAfterSeconds: config.firstModelRetryAfterSeconds,
      deadlineMs: config.deadlineMs,
    });
    if (failure.status === 504) emitProxyCount(config.endpointName, MODEL_TIMEOUTS_METRIC);
    console.error(JSON.stringify({ level: 'error', message: 'InvokeEndpoint failed', errorName: failure.errorName, code: (error as { code?: string }).code, detail: String((error as Error).message).slice(0, 200), status: failure.status }));
    const headers: Record<string, string> = failure.retryAfterSeconds ? { 'Retry-After': String(failure.retryAfterSeconds) } : {};
    return reply(failure.status, { message: failure.message, error: failure.errorName }, headers);
  } finally {
    clearTimeout(timer);
    deadlines.delete(inferenceId);
  }

  // Captured as the model answered, before the proxy reads it: SageMaker's capture would hold the same.
  capture?.capture({
    inferenceId, requestContentType: contentType, requestBody: payload, responseContentType, responseText, variant, time: new Date(started),
  });

  let predictions: unknown[];
  try {
    predictions = config.format === 'xgboost-csv'
      ? parseXgboostCsv(responseText, count)
      : config.format === 'autogluon-csv'
        ? parseAutoGluonCsv(responseText, count)
        : parseDeepArJson(responseText, count);
  } catch (error) {
    if (error instanceof NonFinitePrediction) {
      console.error(JSON.stringify({ level: 'error', message: 'Non-finite prediction', record: error.recordIndex, value: error.value }));
      const where = single ? 'the record' : `record ${error.recordIndex} (instances[${error.recordIndex}])`;
      return reply(502, {
        message: `The model answered ${error.value} for ${where}: a prediction must be a finite number; see the endpoint's logs.`,
        error: 'ModelError',
        record: error.recordIndex,
      });
    }
    if (!(error instanceof ModelResponseError)) throw error;
    console.error(JSON.stringify({ level: 'error', message: 'Unreadable model response', reason: error.message }));
    return reply(502, { message: `The model's answer could not be read: ${error.message}.`, error: 'ModelResponseError' });
  }

  const body = single
    ? { prediction: predictions[0], modelVersion: config.modelVersion, variant, inferenceId }
    : { predictions, modelVersion: config.modelVersion, variant, inferenceId };
  return reply(200, body, variant ? { 'X-Model-Variant': variant } : undefined);
}
