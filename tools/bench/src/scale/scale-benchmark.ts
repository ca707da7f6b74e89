import { spawnSync } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const SCRIPT = path.join(REPO, 'tools', 'bench', 'scale', 'scale_bench.py');

/**
 * The preprocess scale benchmark (Python, like the job): peak RSS and time of
 * RetrainPipeline's preprocess.py on stocks snapshots of 1, 4 and 16 million rows and a
 * 50-column table of a million, beside the in-memory preprocess it replaced (up to 4
 * million rows) and a floor (reading the bytes), measured in the same run.
 * `SCALE_BENCH_SIZES` overrides the sizes in millions (default `1,4,16`; the 16 million
 * size takes several minutes).
 */
export function runScaleBenchmark(): void {
  const venvPython = path.join(REPO, '.venv', 'bin', 'python');
  const python = existsSync(venvPython) ? venvPython : 'python3';
  const sizes = process.env.SCALE_BENCH_SIZES ?? '1,4,16';
  const result = spawnSync(python, ['-B', SCRIPT, '--sizes', sizes], { stdio: 'inherit', cwd: REPO });
  if (result.status !== 0) throw new Error(`the scale benchmark failed (exit ${result.status}): see its output above`);
}
