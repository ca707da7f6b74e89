/**
 * Maps SageMaker Runtime InvokeEndpoint errors to the proxy's answer: 503 with
 * Retry-After when a retry will likely succeed (throttled, not ready, updating,
 * unavailable), 504 with Retry-After when the model did not answer in time,
 * 502 when the model or the service failed.
 */

/** How the proxy answers an endpoint failure. */
export interface EndpointFailure {
  readonly status: 502 | 503 | 504;
  readonly retryAfterSeconds?: number;
  readonly message: string;
  readonly errorName: string;
}

/** Errors a client should retry after a pause. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ModelNotReadyException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalDependencyException',
]);

/**
 * The model did not answer in time: an attempt timed out (the SDK's TimeoutError, after its retries)
 * or the proxy's deadline aborted the call (AbortError).
 */
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);

/** Network failures before an answer: the endpoint is unreachable for now. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * ValidationError also says the endpoint is missing or not in service: during
 * the first creation, a replacement, or an update that failed over.
 */
const ENDPOINT_NOT_SERVING = /endpoint .* (not found|is not in service|is being (updated|created)|is (updating|creating))/i;

/** SageMaker Runtime's answer for an endpoint that does not exist: "Endpoint <name> of account <id> not found." */
const ENDPOINT_NOT_FOUND = /endpoint .* not found/i;

/**
 * How the proxy tells callers about an endpoint failure.
 * `awaitingFirstModel`: the retraining workflow creates the endpoint, so a missing one means the first model is still training.
 */
export interface EndpointErrorContext {
  readonly retryAfterSeconds: number;
  readonly awaitingFirstModel?: boolean;
  readonly firstModelRetryAfterSeconds?: number;
  /** The proxy's deadline, named in the 504's message. */
  readonly deadlineMs?: number;
}

export function mapEndpointError(error: unknown, retryAfterSecondsOrContext: number | EndpointErrorContext): EndpointFailure {
  const context = typeof retryAfterSecondsOrContext === 'number' ? { retryAfterSeconds: retryAfterSecondsOrContext } : retryAfterSecondsOrContext;
  const retryAfterSeconds = context.retryAfterSeconds;
  const e = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; OriginalStatusCode?: number };
  const name = String(e?.name ?? 'Error');
  const message = String(e?.message ?? '');
  const httpStatus = e?.$metadata?.httpStatusCode;
  // The SDK's retry layer may wrap a socket error in a plain Error, keeping the code only in the message.
  const networkCode = e?.code ?? /\b(E[A-Z_]+)\b/.exec(message)?.[1] ?? '';
  if (name === 'ModelError') {
    return { status: 502, errorName: name, message: `The model failed on this request (status ${e.OriginalStatusCode ?? 'unknown'}); see the endpoint's logs.` };
  }
  if (TIMEOUTS.has(name)) {
    return {
      status: 504,
      retryAfterSeconds,
      errorName: 'ModelTimeout',
      message: `The model did not answer in time${context.deadlineMs ? ` (the proxy waits ${context.deadlineMs} ms at most)` : ''}; retry after the Retry-After delay, or send fewer instances.`,
    };
  }
  if (RETRYABLE.has(name) || httpStatus === 429 || httpStatus === 503 || NETWORK_CODES.has(networkCode)) {
    return { status: 503, retryAfterSeconds, errorName: name, message: 'The model endpoint is busy or updating; retry after the Retry-After delay.' };
  }
  if (context.awaitingFirstModel && name === 'ValidationError' && ENDPOINT_NOT_FOUND.test(message)) {
    return {
      status: 503,
      retryAfterSeconds: context.firstModelRetryAfterSeconds ?? 300,
      errorName: 'FirstModelTraining',
      message: 'A first model is still training: the endpoint appears when the first retraining run passes its quality gate. Retry after the Retry-After delay.',
    };
  }
  if (name === 'ValidationError' && ENDPOINT_NOT_SERVING.test(message)) {
    return { status: 503, retryAfterSeconds, errorName: name, message: 'The model endpoint is not serving yet; retry after the Retry-After delay.' };
  }
  return { status: 502, errorName: name, message: 'The model endpoint failed to answer; see the proxy and endpoint logs.' };
}
