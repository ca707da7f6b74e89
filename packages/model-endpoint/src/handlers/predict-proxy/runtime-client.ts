/**
 * The proxy's SageMaker Runtime client, in one place so that the proxy
 * benchmark's SDK floor (tools/bench) builds exactly the same client.
 */
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { fromEnv } from '@aws-sdk/credential-provider-env';

type SignerFactory = SageMakerRuntimeClient['config']['signer'];

/** Attempts per request unless MAX_ATTEMPTS says otherwise: one retry at most, as API Gateway gives up after 29 s. */
export const DEFAULT_MAX_ATTEMPTS = 2;

/**
 * How long one InvokeEndpoint attempt may take unless ATTEMPT_TIMEOUT_MS says otherwise:
 * two attempts and the retry's backoff fit in the proxy's deadline (DEFAULT_DEADLINE_MS).
 */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 11_000;

/**
 * The whole request's budget unless DEADLINE_MS says otherwise: below API Gateway's 29 s
 * integration timeout and the proxy Lambda's 28 s, so the proxy answers 504 itself.
 */
export const DEFAULT_DEADLINE_MS = 25_000;

/** The header InvokeEndpoint carries the request's InferenceId in. */
const INFERENCE_ID_HEADER = 'x-amzn-sagemaker-inference-id';

/**
 * The abort signal of each request in flight, by its InferenceId: the client's request
 * handler gives every attempt of a request its signal.
 *
 * Why not `client.send(command, { abortSignal })`: the SDK reuses its resolved middleware
 * stack (`cacheMiddleware`) only for sends without options, so a per-send signal rebuilds the
 * whole stack on every request (about 27 KiB more allocated per request, and the young-generation
 * collections that come with it). Registering the signal here keeps the send option-free.
 */
export class RequestDeadlines {
  private readonly signals = new Map<string, AbortSignal>();

  /** Aborts the attempts of the request with this InferenceId when `signal` aborts. */
  public set(inferenceId: string, signal: AbortSignal): void {
    this.signals.set(inferenceId, signal);
  }

  /** Forgets the request (call it when the send settled). */
  public delete(inferenceId: string): void {
    this.signals.delete(inferenceId);
  }

  /** The signal of the request an HTTP request belongs to, if one was set. */
  public signalFor(headers: Record<string, string> | undefined): AbortSignal | undefined {
    if (this.signals.size === 0 || !headers) return undefined;
    const id = headers[INFERENCE_ID_HEADER];
    return id === undefined ? undefined : this.signals.get(id);
  }
}

type RequestHandler = { handle(request: { headers?: Record<string, string> }, options?: Record<string, unknown>): Promise<unknown> };

/** Passes each attempt the abort signal of its request (RequestDeadlines), if one is set. */
function abortByDeadline(client: SageMakerRuntimeClient, deadlines: RequestDeadlines): void {
  const handler = client.config.requestHandler as unknown as RequestHandler;
  const handle = handler.handle.bind(handler);
  handler.handle = (request, options) => {
    const abortSignal = deadlines.signalFor(request.headers);
    return handle(request, abortSignal ? { ...options, abortSignal } : options);
  };
}

/**
 * A client for the container's lifetime: keep-alive connections and signing keys are reused across requests.
 * With `deadlines`, each attempt of a request whose InferenceId is registered there is aborted with its signal.
 */
export function createRuntimeClient(
  maxAttempts: number,
  attemptTimeoutMs: number = DEFAULT_ATTEMPT_TIMEOUT_MS,
  deadlines?: RequestDeadlines,
): SageMakerRuntimeClient {
  const client = new SageMakerRuntimeClient({
    maxAttempts,
    // Each attempt fails with a TimeoutError after attemptTimeoutMs (the SDK retries it while attempts remain).
    requestHandler: { requestTimeout: attemptTimeoutMs, throwOnRequestTimeout: true, connectionTimeout: Math.min(attemptTimeoutMs, 3000) },
    // Lambda puts the role's credentials in the environment; naming the provider keeps the
    // default chain out of the bundle (see unused-default-credentials.ts).
    credentials: fromEnv(),
    // Resolve the middleware stack once, not on every request.
    cacheMiddleware: true,
  });
  client.config.signer = oncePerAuthScheme(client.config.signer);
  if (deadlines) abortByDeadline(client, deadlines);
  return client;
}

/**
 * The SDK builds a new SignatureV4 for every request, copying the whole client
 * config into it. The signer reads its credentials through the client's
 * memoized provider and takes the date, region and service with each request,
 * and the first request fixes the config's signing region and name, so every
 * one it builds for a given auth scheme is the same: build it once.
 */
function oncePerAuthScheme(build: SignerFactory): SignerFactory {
  const signers = new Map<string, ReturnType<SignerFactory>>();
  return (authScheme) => {
    const key = authScheme ? `${authScheme.name}|${authScheme.signingName ?? ''}|${authScheme.signingRegion ?? ''}` : '';
    let signer = signers.get(key);
    if (!signer) {
      signer = build(authScheme);
      signers.set(key, signer);
      // A failed build is not kept: the next request tries again.
      signer.catch(() => signers.delete(key));
    }
    return signer;
  };
}
