import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO, 'tools', 'bench', 'drift', 'drift_bench.py');

/**
 * The drift job benchmark (Python, like the job): captured records/s, peak RSS and
 * the time of one day of capture at 1 record/s and at 100x, beside the obvious
 * way (pandas per record) on the same window. `DRIFT_BENCH_SCALES` overrides the
 * scales (default `1,100`).
 */
export function runDriftBenchmark(): void {
  const venvPython = path.join(REPO, '.venv', 'bin', 'python');
  const python = existsSync(venvPython) ? venvPython : 'python3';
  const scales = process.env.DRIFT_BENCH_SCALES ?? '1,100';
  const result = spawnSync(python, ['-B', SCRIPT, '--scales', scales], { stdio: 'inherit', cwd: REPO });
  if (result.status !== 0) throw new Error(`the drift benchmark failed (exit ${result.status}): run tools/scripts/python-venv.sh first`);
}
