import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON, ROOT } from './helpers';
import { ServingModel } from '../src/runs/types';

export const STOCKS_CSV = path.resolve(ROOT, '..', 'shared', 'data', 'stocks_all.csv');
export const SCRIPTS = path.join(ROOT, 'packages', 'retrain-pipeline', 'scripts');
export const STOCKS_SCHEMA = {
  name: 'stocks',
  columns: [
    { name: 'ticker_symbol', type: 'string', nullable: false },
    { name: 'sector', type: 'string', nullable: false },
    { name: 'change', type: 'double', nullable: false },
    { name: 'price', type: 'double', nullable: false },
  ],
  targetColumn: 'price',
} as const;

/**
 * A real XGBoost model of the stocks history's first `rows` rows, trained by the stage's own entry points run as
 * processes (preprocess.py, then xgboost_train.py), as test_local_runs.py runs them: never a fake model.
 * Returns the model folder (xgboost-model and code/inference.py) and the run's folder (baseline, evaluation inputs).
 */
export function trainStocksXgboost(rows = 3000): { modelDir: string; runDir: string } {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-model-'));
  fs.mkdirSync(path.join(work, 'snapshot'));
  const lines = fs.readFileSync(STOCKS_CSV, 'utf8').split('\n').slice(0, rows + 1);
  fs.writeFileSync(path.join(work, 'snapshot', 'part.csv'), `${lines.join('\n')}\n`);
  const env = { ...process.env, FRESHET_OPT_ML: path.join(work, 'no-sagemaker'), PYTHONDONTWRITEBYTECODE: '1' };
  execFileSync(PYTHON, [path.join(SCRIPTS, 'preprocess.py'), '--schema', JSON.stringify(STOCKS_SCHEMA), '--algorithm', 'xgboost', '--task-type', 'regression',
    '--input-dir', 'snapshot', '--output-dir', 'training'], { cwd: work, env, stdio: 'pipe' });
  fs.writeFileSync(path.join(work, 'hp.json'), JSON.stringify({ num_round: '40', objective: 'reg:squarederror', max_depth: '6' }));
  execFileSync(PYTHON, [path.join(SCRIPTS, 'xgboost_train.py'), '--hyperparameters', 'hp.json', '--train-dir', 'training/train',
    '--validation-dir', 'training/validation', '--serving-dir', 'training/serving', '--model-dir', 'model'], { cwd: work, env, stdio: 'pipe' });
  return { modelDir: path.join(work, 'model'), runDir: work };
}

/** The model as it would serve behind `endpointName` (one production variant, capture of every request into the lake). */
export function servingXgboost(modelDir: string, endpointName: string, deployedAt: number, capture?: ServingModel['dataCapture']): ServingModel {
  return {
    endpointName,
    variantName: 'AllTraffic',
    role: 'production',
    modelName: `model-${path.basename(path.dirname(modelDir))}`,
    modelDir,
    algorithm: 'xgboost',
    environment: { SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv' },
    deployedAt,
    dataCapture: capture,
  };
}
