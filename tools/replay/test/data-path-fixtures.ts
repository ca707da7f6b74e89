import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
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

/**
 * The stocks history's first `rows` rows preprocessed by the stage's own preprocess.py for `algorithm`: the run folder
 * with training/baseline/baseline.json (the drift baseline RetrainPipeline puts under baselines/<run>/).
 */
export function preprocessStocks(algorithm: 'xgboost' | 'autogluon', rows = 3000): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-baseline-'));
  fs.mkdirSync(path.join(work, 'snapshot'));
  const lines = fs.readFileSync(STOCKS_CSV, 'utf8').split('\n').slice(0, rows + 1);
  fs.writeFileSync(path.join(work, 'snapshot', 'part.csv'), `${lines.join('\n')}\n`);
  const env = { ...process.env, FRESHET_OPT_ML: path.join(work, 'no-sagemaker'), PYTHONDONTWRITEBYTECODE: '1' };
  execFileSync(PYTHON, [path.join(SCRIPTS, 'preprocess.py'), '--schema', JSON.stringify(STOCKS_SCHEMA), '--algorithm', algorithm, '--task-type', 'regression',
    '--input-dir', 'snapshot', '--output-dir', 'training'], { cwd: work, env, stdio: 'pipe' });
  return work;
}

/**
 * A small HTTP fake of SageMaker's DescribeEndpoint and ListTags (awsJson1_1, as the SDK v3 client speaks them) for the
 * drift planner, answering one endpoint's serving config. It stands in for the SageMaker emulator of the retrain run
 * executor in tests of the monitor alone.
 */
export interface DescribedEndpoint { endpointName: string; configName: string; baselineUri: string; deployedAt: number; variants: string[] }

export async function startEndpointDescriber(state: DescribedEndpoint) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('SageMaker.', '');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      if (target === 'DescribeEndpoint' && body.EndpointName === state.endpointName) {
        send(200, {
          EndpointName: state.endpointName,
          EndpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${state.endpointName}`,
          EndpointConfigName: state.configName,
          EndpointStatus: 'InService',
          ProductionVariants: state.variants.map((VariantName) => ({ VariantName })),
          CreationTime: state.deployedAt / 1000,
          LastModifiedTime: state.deployedAt / 1000,
        });
      } else if (target === 'DescribeEndpoint') {
        send(400, { __type: 'ValidationException', message: `Could not find endpoint "${body.EndpointName}".` });
      } else if (target === 'ListTags') {
        send(200, { Tags: [{ Key: 'freshet:baseline-uri', Value: state.baselineUri }] });
      } else {
        send(400, { __type: 'UnknownOperationException', message: target });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
