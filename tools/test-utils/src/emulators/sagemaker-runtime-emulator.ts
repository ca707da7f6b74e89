import * as http from 'http';
import { AddressInfo } from 'net';

/** One InvokeEndpoint call as the fake received it. */
export interface SageMakerInvocation {
  /** The endpoint name from the path, URL-decoded. */
  readonly endpointName: string;
  /** The request's Content-Type header. */
  readonly contentType: string;
  /** The request's Accept header. */
  readonly accept: string;
  /** The raw request body. */
  readonly body: Buffer;
  /** Every request header, lower-cased. */
  readonly headers: http.IncomingHttpHeaders;
}

/** How the fake answers one call: a model response, or a service error. */
export interface SageMakerFakeAnswer {
  /** The model's response body. */
  readonly body?: string | Buffer;
  /** The model's response Content-Type. Defaults to the request's Accept. */
  readonly contentType?: string;
  /** The variant that served the call (`x-Amzn-Invoked-Production-Variant`). */
  readonly variant?: string;
  /** A service error to answer with instead, e.g. from {@link SageMakerRuntimeFaults}. */
  readonly fault?: SageMakerRuntimeFault;
}

/** A SageMaker Runtime error as the restJson1 protocol sends it. */
export interface SageMakerRuntimeFault {
  readonly status: number;
  readonly errorType: string;
  readonly body: Record<string, unknown>;
}

/** Decides the answer to one call. It may throw: the fake then answers 500 InternalFailure. */
export type SageMakerFakeModel = (invocation: SageMakerInvocation) => SageMakerFakeAnswer | Promise<SageMakerFakeAnswer>;

/** A running local SageMaker Runtime. */
export interface SageMakerRuntimeEmulator {
  /** The endpoint URL, for `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` or a client's `endpoint`. */
  readonly endpoint: string;
  /** Every InvokeEndpoint call received, in order. */
  readonly invocations: SageMakerInvocation[];
  /**
   * The fake's own service time per call, in milliseconds, from the first byte
   * of the request to the last byte of the response, so a benchmark can
   * subtract it from the client's time.
   */
  readonly serviceTimesMs: number[];
  /** Replaces the model that answers calls. */
  setModel(model: SageMakerFakeModel): void;
  /** Forgets the recorded calls and service times. */
  reset(): void;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** The errors InvokeEndpoint documents, with the status codes the service sends. */
export class SageMakerRuntimeFaults {
  /** The model container answered with an error (HTTP 424). */
  public static modelError(originalStatusCode: number, originalMessage: string): SageMakerRuntimeFault {
    return {
      status: 424,
      errorType: 'ModelError',
      body: {
        message: `Received server error (${originalStatusCode}) from primary with message "${originalMessage}".`,
        OriginalStatusCode: originalStatusCode,
        OriginalMessage: originalMessage,
        LogStreamArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/fake',
      },
    };
  }

  /** A serverless variant is still provisioning (HTTP 429). */
  public static modelNotReady(): SageMakerRuntimeFault {
    return { status: 429, errorType: 'ModelNotReadyException', body: { message: 'Model is not ready yet, please retry later.' } };
  }

  /** The service is unavailable (HTTP 503). */
  public static serviceUnavailable(): SageMakerRuntimeFault {
    return { status: 503, errorType: 'ServiceUnavailable', body: { message: 'The service is unavailable.' } };
  }

  /** The account's invocation rate is exceeded. */
  public static throttling(): SageMakerRuntimeFault {
    return { status: 400, errorType: 'ThrottlingException', body: { message: 'Rate exceeded' } };
  }

  /** A validation error, e.g. an endpoint that does not exist (yet). */
  public static validationError(message: string): SageMakerRuntimeFault {
    return { status: 400, errorType: 'ValidationError', body: { message } };
  }

  /** An internal failure of the service (HTTP 500). */
  public static internalFailure(): SageMakerRuntimeFault {
    return { status: 500, errorType: 'InternalFailure', body: { message: 'An internal failure occurred.' } };
  }

  private constructor() {}
}

const INVOCATIONS_PATH = /^\/endpoints\/([^/]+)\/invocations$/;

/**
 * A small HTTP server that implements SageMaker Runtime's InvokeEndpoint as
 * the AWS SDK v3 calls it (restJson1: `POST /endpoints/{name}/invocations`,
 * the payload as the raw body, errors named by `x-amzn-ErrorType`). A test
 * supplies the model; the fake checks the request is signed, records it, and
 * answers with the model's body and the invoked variant header.
 */
export async function startSageMakerRuntimeEmulator(model: SageMakerFakeModel): Promise<SageMakerRuntimeEmulator> {
  let current = model;
  const invocations: SageMakerInvocation[] = [];
  const serviceTimesMs: number[] = [];

  const server = http.createServer((request, response) => {
    const started = process.hrtime.bigint();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, headers: Record<string, string>, body: string | Buffer) => {
        response.writeHead(status, { ...headers, 'x-amzn-RequestId': `fake-${invocations.length}`, 'Content-Length': String(Buffer.byteLength(body)) });
        response.end(body, () => serviceTimesMs.push(Number(process.hrtime.bigint() - started) / 1e6));
      };
      const sendFault = (fault: SageMakerRuntimeFault) =>
        send(fault.status, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': fault.errorType }, JSON.stringify(fault.body));

      const match = request.method === 'POST' ? INVOCATIONS_PATH.exec((request.url ?? '').split('?')[0]) : null;
      if (!match) {
        sendFault({ status: 404, errorType: 'UnknownOperationException', body: { message: `No operation at ${request.method} ${request.url}` } });
        return;
      }
      if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ') || !request.headers['x-amz-date']) {
        sendFault({ status: 403, errorType: 'MissingAuthenticationTokenException', body: { message: 'Missing Authentication Token' } });
        return;
      }
      const invocation: SageMakerInvocation = {
        endpointName: decodeURIComponent(match[1]),
        contentType: String(request.headers['content-type'] ?? ''),
        accept: String(request.headers.accept ?? ''),
        body: Buffer.concat(chunks),
        headers: request.headers,
      };
      invocations.push(invocation);
      Promise.resolve()
        .then(() => current(invocation))
        .then((answer) => {
          if (answer.fault) {
            sendFault(answer.fault);
            return;
          }
          send(200, {
            'Content-Type': answer.contentType ?? (invocation.accept || 'application/octet-stream'),
            'x-Amzn-Invoked-Production-Variant': answer.variant ?? 'AllTraffic',
          }, answer.body ?? '');
        })
        .catch((error: Error) => sendFault({ status: 500, errorType: 'InternalFailure', body: { message: `fake model threw: ${error.message}` } }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    invocations,
    serviceTimesMs,
    setModel: (next) => {
      current = next;
    },
    reset: () => {
      invocations.length = 0;
      serviceTimesMs.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
