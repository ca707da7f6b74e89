import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as readline from 'node:readline';

/**
 * A long-lived Python process answering one JSON object a line (stdin to stdout): imported once,
 * asked many times, so a model or a job pays its import cost once per replay, not per request.
 * It first answers `{"id": null, "ready": true}` (or `{"id": null, "error"}`, which fails `ready`).
 */
export class PythonWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private next = 1;
  private stderr = '';
  private exited?: string;
  readonly ready: Promise<void>;

  constructor(readonly label: string, python: string, args: string[], env: Record<string, string | undefined> = {}, cwd?: string) {
    this.child = spawn(python, args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env }, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      // Only the tail is kept: a failure message quotes it.
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    let onReady!: () => void;
    let onFail!: (e: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve;
      onFail = reject;
    });
    this.ready.catch(() => undefined);
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => {
      let message: any;
      try {
        message = JSON.parse(line);
      } catch {
        return;
      }
      if (message.id === null) {
        if (message.ready) onReady();
        else onFail(new Error(`${this.label}: ${message.error}`));
        return;
      }
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      waiter.resolve(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = `${this.label} exited (${code ?? signal}): ${this.stderr.trim().split('\n').slice(-8).join('\n')}`;
      const error = new Error(this.exited);
      onFail(error);
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    });
  }

  /** Sends one request; resolves with the worker's answer object (which may carry `error`). */
  async ask(request: Record<string, unknown>): Promise<any> {
    await this.ready;
    if (this.exited) throw new Error(this.exited);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...request, id })}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
      setTimeout(() => this.child.kill('SIGKILL'), 5000).unref();
    });
  }
}
