import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MotoServer, startMotoServer } from '@freshet/test-utils';
import { DEV_APP, editedCopy, PYTHON, ROOT } from './helpers';
import { stocksStore } from './runs-fixtures';
import { readApp, stateMachineArn } from '../src/app/app-model';
import { chooseLoop, RefusalError } from '../src/app/capabilities';
import { SageMakerEmulator } from '../src/emulators/sagemaker';
import { createRetrainRunner } from '../src/runs/retrain-runner';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
/** tools/scripts/autogluon-venv.sh's venv (autogluon.tabular 1.1.1 beside numpy 1.26). */
const AUTOGLUON_PYTHON = process.env.FRESHET_AUTOGLUON_PYTHON ?? path.join(ROOT, '.venv-autogluon', 'bin', 'python');

describe('the retrain run executor on the Dev stage (stocks, AutoGluon, the Redshift UNLOAD extract)', () => {
  let moto: MotoServer;
  let workDir: string;

  beforeAll(async () => {
    moto = await startMotoServer();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runs-dev-'));
  });

  afterAll(async () => {
    await moto?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  // AutoGluon gets the app's time_limit (30 min) as given: the timeout allows all of it, and the rest of the run, on a loaded machine.
  test('the first training fits AutoGluon on the stocks the warehouse holds, with its time_limit, and the gate decides on it: deployed when it passes', async () => {
    if (!fs.existsSync(AUTOGLUON_PYTHON)) {
      throw new Error(`${AUTOGLUON_PYTHON} is missing: run bash tools/scripts/autogluon-venv.sh (or set FRESHET_AUTOGLUON_PYTHON).`);
    }
    const app = readApp(DEV_APP, 'Dev');
    const loop = chooseLoop(app, 'stocks', AUTOGLUON_PYTHON);
    expect(loop.flavour).toBe('autogluon');
    const sagemaker = new SageMakerEmulator(() => T0);
    await sagemaker.start();
    try {
      // 1,000 ticks (60 tickers) labelled one a minute from T0: all of them by T0 + 24 h.
      const labelled = stocksStore(T0, 60_000, 1000);
      const runner = await createRetrainRunner(app, loop, {
        sagemaker, s3Endpoint: moto.endpoint, labelled, python: PYTHON, autogluonPython: AUTOGLUON_PYTHON, workDir, clock: () => T0,
      });
      const arn = stateMachineArn(loop.retrainStateMachine!.logicalId);
      const start = T0 + 24 * HOUR;
      const outcome = await runner.run({ executionName: 'dev-1', executionArn: `${arn.replace(':stateMachine:', ':execution:')}:dev-1`, input: { reason: 'drift' }, startTime: start });
      expect({ status: outcome.status, error: outcome.error, cause: outcome.cause?.slice(0, 2000) }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
      expect(outcome.visited).toEqual(expect.arrayContaining(['Extract', 'Unload snapshot: Execute', 'Unload snapshot: Done', 'Use extracted data', 'Train',
        'Transform test channel', 'Evaluate', 'Gate']));
      const train = outcome.steps!.find((s) => s.state === 'Train')!;
      // Its simulated duration: the job's start-up plus the time budget AutoGluon was given (the app's timeLimit, 30 min).
      expect(train.durationMs).toBe(5 * 60_000 + 30 * 60_000);
      // The gate decides on the metric evaluate.py computed from the model's own predictions: the Dev gate is RMSE <= 5.
      const gate = outcome.gate!;
      expect(gate.reason).toMatch(/there is no approved champion|misses the threshold 5/);
      expect(gate.passed).toBe(gate.candidate! <= 5);
      if (gate.passed) {
        expect(outcome.visited).toEqual(expect.arrayContaining(['Register model', 'Create endpoint', 'Approve model', 'Deployed']));
        const deployed = outcome.deployed!;
        expect(deployed).toMatchObject({ endpointName: loop.endpointName, algorithm: 'autogluon', role: 'production' });
        expect(fs.existsSync(path.join(deployed.modelDir, 'code', 'inference.py'))).toBe(true);
        expect(fs.existsSync(path.join(deployed.modelDir, 'predictor'))).toBe(true);
      } else {
        expect(outcome.visited).toEqual(expect.arrayContaining(['Notify rejection', 'Rejected']));
        expect(sagemaker.endpointNames()).toEqual([]);
      }
      // Reported, never asserted on: the wall time of the run on this machine.
      process.stderr.write(`Dev stocks AutoGluon run: wall ${(outcome.wallMs! / 1000).toFixed(1)} s, simulated ${(outcome.durationMs / 60_000).toFixed(1)} min, `
        + `gate: ${outcome.gate!.reason}; training job wall ${(train.wallMs! / 1000).toFixed(1)} s\n`);
    } finally {
      await sagemaker.stop();
    }
  }, 2_700_000);

  test('a loop that trains with DeepAR is refused, with the reason, before anything runs', async () => {
    const app = readApp(DEV_APP, 'Dev');
    const loop = chooseLoop(app, 'pollution', PYTHON, { training: false });
    const sagemaker = new SageMakerEmulator(() => T0);
    const labelled = stocksStore(T0, 1, 1);
    const attempt = createRetrainRunner(app, loop, { sagemaker, s3Endpoint: moto.endpoint, labelled, python: PYTHON, workDir, clock: () => T0 });
    await expect(attempt).rejects.toThrow(RefusalError);
    await expect(attempt).rejects.toThrow(/PollutionMonitor trains with SageMaker's built-in DeepAR .* the replay never fakes a model/);
    expect(sagemaker.calls).toEqual([]);
  });

  test('a Task whose resource has no service in the replay is refused before anything runs, naming the state', async () => {
    const edited = editedCopy(DEV_APP, (template) => {
      for (const resource of Object.values<any>(template.Resources ?? {})) {
        if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
        resource.Properties.DefinitionString = JSON.parse(JSON.stringify(resource.Properties.DefinitionString).split(':states:::sns:publish').join(':states:::sqs:sendMessage'));
      }
    });
    const app = readApp(edited, 'Dev');
    const loop = chooseLoop(app, 'stocks', PYTHON, { training: false });
    const sagemaker = new SageMakerEmulator(() => T0);
    const labelled = stocksStore(T0, 60_000, 10);
    const attempt = createRetrainRunner(app, loop, { sagemaker, s3Endpoint: moto.endpoint, labelled, python: PYTHON, workDir, clock: () => T0 });
    await expect(attempt).rejects.toThrow(RefusalError);
    await expect(attempt).rejects.toThrow(/Task states the replay has no service for: .*"Notify failure" \(arn:aws:states:::sqs:sendMessage\)/);
    expect(sagemaker.calls).toEqual([]);
  }, 300_000);
});
