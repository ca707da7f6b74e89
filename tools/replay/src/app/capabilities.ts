import { spawnSync } from 'node:child_process';
import { AppModel, LoopModel } from './app-model';

/** The app cannot be replayed as it is: the message says why and what to do. */
export class RefusalError extends Error {}

/**
 * Picks the loop of `dataset` (the monitor's construct id starts with it,
 * case-insensitively) and checks that every part of it can run on this
 * machine; refuses with the reason otherwise. Never falls back to a fake.
 */
export function chooseLoop(app: AppModel, dataset: string | undefined, python: string, options: { training?: boolean } = {}): LoopModel {
  if (app.loops.length === 0) {
    throw new RefusalError(`Stage ${app.stage} has no MonitorRetrainTrigger (no retrain trigger function): there is no loop to replay. Add a monitor to the app, or choose another stage.`);
  }
  const names = app.loops.map((l) => l.monitorId);
  let loop: LoopModel | undefined;
  if (dataset) {
    loop = app.loops.find((l) => l.monitorId.toLowerCase().startsWith(dataset.toLowerCase()));
    if (!loop) throw new RefusalError(`No monitor for dataset '${dataset}' in stage ${app.stage}; its monitors are ${names.join(', ')}.`);
  } else if (app.loops.length === 1) {
    loop = app.loops[0];
  } else {
    throw new RefusalError(`Stage ${app.stage} has ${app.loops.length} monitors (${names.join(', ')}): choose one with --dataset.`);
  }
  if (loop.targetKind !== 'state-machine' || !loop.retrainStateMachine) {
    throw new RefusalError(`${loop.monitorId} retrains through ${loop.targetKind}; the replay runs RetrainPipeline state-machine targets only (a CodePipeline's stages are not in the cloud assembly).`);
  }
  // A rehearsal that trains nothing (metric-level scenarios) does not need the algorithm.
  if (options.training === false) return loop;
  switch (loop.flavour) {
    case 'deepar':
      throw new RefusalError(`${loop.monitorId} trains with SageMaker's built-in DeepAR (${loop.trainingImage}). That algorithm runs only inside SageMaker's container; no local equivalent exists, and the replay never fakes a model. Replay a dataset trained with XGBoost or AutoGluon.`);
    case 'autogluon': {
      const probe = spawnSync(python, ['-c', 'import autogluon.tabular'], { encoding: 'utf8' });
      if (probe.status !== 0) {
        throw new RefusalError(`${loop.monitorId} trains with AutoGluon (${loop.trainingImage}), and ${python} cannot import autogluon.tabular. `
          + 'Install it in a virtual environment of its own (python3 -m venv /tmp/ag && /tmp/ag/bin/pip install "autogluon.tabular[all]==1.1.1" '
          + '-r packages/retrain-pipeline/scripts/requirements.txt) and pass --python /tmp/ag/bin/python. The replay does not train a stand-in model.');
      }
      break;
    }
    case 'unknown':
      throw new RefusalError(`${loop.monitorId}'s retrain state machine runs an algorithm the replay cannot recognise (training image ${loop.trainingImage ?? 'none'}).`);
    case 'xgboost':
      break;
  }
  return loop;
}
