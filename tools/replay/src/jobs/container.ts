import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** How a job's process runs. */
export interface RunOptions {
  /** The Python that stands for the image's `python3`. */
  readonly python: string;
  readonly env: Record<string, string>;
  /** The job's MaxRuntimeInSeconds, as a wall-clock limit. */
  readonly timeoutMs: number;
  /** Map `/opt/ml` in the entry point and arguments. @default true */
  readonly mapPaths?: boolean;
}

/** SageMaker's root inside a job's container. */
export const CONTAINER_ROOT = '/opt/ml';

/**
 * A job's container on this machine: `/opt/ml` mapped to a folder of the
 * replay's work dir. The scripts find it through `FRESHET_OPT_ML`
 * (freshet_ml/job_paths.py: the documented override of the root its SageMaker
 * rule looks at), and every `/opt/ml/...` in the job's entry point and
 * arguments (the state machine's inline launcher) is rewritten to it.
 */
export class JobContainer {
  readonly root: string;

  constructor(workDir: string, kind: string, jobName: string) {
    this.root = path.join(workDir, 'jobs', `${kind}-${jobName}`, 'opt', 'ml');
    fs.rmSync(path.dirname(path.dirname(this.root)), { recursive: true, force: true });
    fs.mkdirSync(this.root, { recursive: true });
  }

  /** The local folder of a container path (`/opt/ml/...`); anything else is refused. */
  local(containerPath: string): string {
    if (containerPath !== CONTAINER_ROOT && !containerPath.startsWith(`${CONTAINER_ROOT}/`)) {
      throw new Error(`${containerPath} is outside ${CONTAINER_ROOT}: SageMaker maps job inputs and outputs only under it.`);
    }
    return path.join(this.root, containerPath.slice(CONTAINER_ROOT.length));
  }

  /** A string of the entry point or arguments with every container path mapped. */
  mapText(text: string): string {
    return text.split(`${CONTAINER_ROOT}/`).join(`${this.root}/`).split(`'${CONTAINER_ROOT}'`).join(`'${this.root}'`);
  }

  /**
   * Runs the container's entry point as a local process: `python3`/`python` is the
   * replay's Python for this job. Resolves with the exit code and the output's tail.
   */
  async run(entrypoint: string[], args: string[], options: RunOptions): Promise<{ code: number; output: string }> {
    if (entrypoint.length === 0) throw new Error('The job has no ContainerEntrypoint: the replay runs only entry points it can see (the app\'s own scripts).');
    // The replay's own runner (the transform's) gets local paths already: only the app's entry points are mapped.
    const map = (a: string) => (options.mapPaths === false ? a : this.mapText(a));
    const [program, ...rest] = entrypoint.map(map);
    if (!/^python3?$/.test(program)) {
      throw new Error(`The job's entry point is ${program}; the replay runs Python entry points only (the app's own scripts).`);
    }
    const argv = [...rest, ...args.map(map)];
    const cwd = path.dirname(this.root);
    return new Promise((resolve, reject) => {
      const child = spawn(options.python, argv, {
        cwd,
        env: { ...process.env, ...options.env, FRESHET_OPT_ML: this.root, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-20_000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 137 : 1), output: signal === 'SIGKILL' ? `${output}\n(stopped: MaxRuntimeInSeconds reached)` : output });
      });
    });
  }

  /** What the job left for SageMaker's FailureReason (`/opt/ml/output/message` or `failure`), else the output's last line. */
  failureMessage(output: string): string {
    for (const name of ['message', 'failure']) {
      const file = path.join(this.root, 'output', name);
      if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim().slice(0, 1024);
    }
    const lines = output.trim().split('\n');
    return lines.slice(-3).join(' | ').slice(0, 1024);
  }
}
