#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readApp } from './app/app-model';
import { chooseLoop, RefusalError } from './app/capabilities';
import { replayDataPath } from './loop/data-path-replay';
import { rehearseTrigger } from './loop/trigger-rehearsal';
import { renderDataPathCharts } from './output/data-path-report';
import { renderDataPathSummary, summarizeDataPath } from './output/data-path-summary';
import { renderReport } from './output/report';
import { renderSummary, summarize } from './output/summary';
import { DATA_PATH_KINDS, loadScenario, ScenarioError } from './scenario/scenario';

export const USAGE = `Usage: freshet-replay --app <cdk.out> [--stage <name>] [--dataset <name>] --scenario <scenario.json> [--data <history.csv>] [--out <dir>] [--python <python>] [--autogluon-python <python>]
Replays simulated days of traffic through the app's continuous-training loop (see tools/replay/README.md).`;

/** The options of one replay. */
export interface ReplayOptions {
  readonly app: string;
  readonly stage?: string;
  readonly dataset?: string;
  readonly scenario: string;
  readonly data?: string;
  readonly out: string;
  readonly python: string;
  /** A Python with autogluon.tabular, for an AutoGluon loop's training and serving (default: --python). */
  readonly autogluonPython?: string;
}

export function parseArgs(argv: string[]): ReplayOptions | 'help' {
  const args = [...argv];
  const values: Record<string, string> = {};
  while (args.length > 0) {
    const name = args.shift()!;
    if (name === '--help' || name === '-h') return 'help';
    if (!['--app', '--stage', '--dataset', '--scenario', '--data', '--out', '--python', '--autogluon-python'].includes(name)) throw new Error(`Unknown argument ${name}.\n${USAGE}`);
    const value = args.shift();
    if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value.\n${USAGE}`);
    values[name.slice(2)] = value;
  }
  if (!values.app) throw new Error(`--app is required.\n${USAGE}`);
  if (!values.scenario) throw new Error(`--scenario is required.\n${USAGE}`);
  return {
    app: values.app,
    stage: values.stage,
    dataset: values.dataset,
    scenario: values.scenario,
    data: values.data,
    out: values.out ?? 'replay',
    python: interpreter(values.python) ?? path.resolve(__dirname, '..', '..', '..', '.venv', 'bin', 'python'),
    autogluonPython: interpreter(values['autogluon-python']) ?? repositoryAutogluon(),
  };
}

/**
 * Checks everything before anything runs: the app's loop, what this machine
 * can run of it, the scenario. Returns the exit code: 0, 2 for a refusal or
 * a bad input (the message says which field, line or part).
 */
export async function main(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const options = parseArgs(argv);
  if (options === 'help') {
    write(`${USAGE}\n`);
    return 0;
  }
  try {
    const app = readApp(options.app, options.stage);
    const scenario = loadScenario(options.scenario);
    const needsData = scenario.injections.some((i) => DATA_PATH_KINDS.includes(i.kind));
    const loop = chooseLoop(app, options.dataset, options.autogluonPython ?? options.python, { training: needsData });
    fs.mkdirSync(options.out, { recursive: true });
    if (needsData) {
      // The data path: traffic, serving, capture, the drift monitor and the real retrain workflow (src/loop/data-path-replay.ts).
      const data = options.data ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'stocks_all.csv');
      const result = await replayDataPath(app, loop, scenario, { data, python: options.python, autogluonPython: options.autogluonPython });
      const summary = summarize(result, scenario);
      const dataPath = summarizeDataPath(result, scenario);
      fs.writeFileSync(path.join(options.out, 'timeline.json'), `${JSON.stringify({
        app: options.app,
        stage: app.stage,
        monitor: loop.monitorId,
        scenario,
        summary,
        dataPath,
        timeline: result.timeline,
        servingChanges: result.servingChanges.map((c) => ({ ...c, time: new Date(c.time).toISOString() })),
        runs: result.outcomes.map((o) => ({
          run: o.run,
          start: new Date(o.start).toISOString(),
          status: o.outcome.status,
          durationMs: o.outcome.durationMs,
          gate: o.outcome.gate,
          deployed: o.outcome.deployed?.modelName,
          deployedAt: o.outcome.deployed ? new Date(o.outcome.deployed.deployedAt).toISOString() : undefined,
          rolledBack: o.outcome.rolledBack ?? false,
          error: o.outcome.error,
          cause: o.outcome.cause,
        })),
        dailyErrors: result.dailyErrors,
        windows: result.windows.map((w) => ({ ...w, scheduledTime: new Date(w.scheduledTime).toISOString() })),
        wallMs: result.wallMs,
      }, null, 2)}\n`);
      fs.writeFileSync(path.join(options.out, 'report.html'), renderReport(loop, scenario, result, summary, renderDataPathCharts(result, dataPath)));
      write(renderSummary(summary).replace(/ {2}model error before\/during\/after drift: not measured.*\n/, ''));
      write(renderDataPathSummary(dataPath));
    } else {
      const result = await rehearseTrigger(app, loop, scenario);
      const summary = summarize(result, scenario);
      fs.writeFileSync(path.join(options.out, 'timeline.json'), `${JSON.stringify({ app: options.app, stage: app.stage, monitor: loop.monitorId, scenario, summary, timeline: result.timeline }, null, 2)}\n`);
      fs.writeFileSync(path.join(options.out, 'report.html'), renderReport(loop, scenario, result, summary));
      write(renderSummary(summary));
    }
    write(`Wrote ${path.join(options.out, 'timeline.json')} and ${path.join(options.out, 'report.html')}.\n`);
    return 0;
  } catch (e) {
    if (e instanceof RefusalError || e instanceof ScenarioError) {
      write(`freshet-replay: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}

/** A Python given as a path is resolved against the working directory (jobs run in their own folders); a bare command stays a PATH lookup. */
function interpreter(value: string | undefined): string | undefined {
  return value !== undefined && value.includes('/') ? path.resolve(value) : value;
}

/** The repository's AutoGluon venv (tools/scripts/autogluon-venv.sh), when it exists. */
function repositoryAutogluon(): string | undefined {
  const venv = path.resolve(__dirname, '..', '..', '..', '.venv-autogluon', 'bin', 'python');
  return fs.existsSync(venv) ? venv : undefined;
}
