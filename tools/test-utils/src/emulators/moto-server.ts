import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../cfn-lint';

/** Options of {@link startMotoServer}. */
export interface MotoServerOptions {
  /**
   * Process requests concurrently (moto_server's own mode). moto does not lock
   * its backends, so a conditional write can interleave with another request
   * between its check and its write; DynamoDB never lets that happen to one item.
   * @default false - connections are served concurrently, but requests are processed one at a time, so each is atomic as in AWS
   */
  readonly threaded?: boolean;
}

/** A running moto server. */
export interface MotoServer {
  /** The endpoint URL, for a client's `endpoint` or an `AWS_ENDPOINT_URL_*` variable (one server speaks every service). */
  readonly endpoint: string;
  /** Forgets every resource in every service (moto's `/moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server. */
  stop(): Promise<void>;
}

/** The moto of the repo's Python venv (`moto[server]` from requirements-dev.txt). */
export function motoPython(): string {
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(path.join(REPO_ROOT, '.venv', 'bin', 'moto_server'))) {
    throw new Error(`moto server is not installed in ${path.dirname(python)}: run 'bash tools/scripts/python-venv.sh' (npm test does) first.`);
  }
  return python;
}

// moto_server's main(), with a port chosen by the OS and printed once bound. Serial mode keeps
// moto_server's threads (keep-alive connections) but runs one request at a time under a lock.
const LAUNCHER = `
import sys, threading
from werkzeug.serving import make_server
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
moto = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serial(environ, start_response):
    with lock:
        return list(moto(environ, start_response))
app = moto if sys.argv[1] == 'threaded' else serial
server = make_server('127.0.0.1', 0, app, threaded=True, request_handler=MotoRequestHandler)
print(server.port, flush=True)
server.serve_forever()
`;

/**
 * Starts moto server (https://docs.getmoto.org/en/latest/docs/server_mode.html)
 * on a free port of 127.0.0.1: DynamoDB, Step Functions, CloudWatch, SQS,
 * EventBridge and the rest of moto's services behind one endpoint, for
 * handlers that call them through the real AWS SDK v3.
 */
export async function startMotoServer(options: MotoServerOptions = {}): Promise<MotoServer> {
  const child: ChildProcess = spawn(motoPython(), ['-c', LAUNCHER, options.threaded ? 'threaded' : 'serial'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    // Keep the start-up errors only; request logs would grow without bound.
    if (stderr.length < 20_000) stderr += chunk.toString('utf-8');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`moto server did not start within 30 s:\n${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf-8');
      const match = /^(\d+)\s/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`moto server exited with ${code} before it started:\n${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) throw new Error(`moto reset answered ${response.status}`);
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
