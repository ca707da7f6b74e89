import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON, synthConsumerApp } from './helpers';
import { maxConcurrent } from './replay-run';
import { sensorsStore } from './runs-fixtures';
import { readApp } from '../src/app/app-model';
import { chooseLoop } from '../src/app/capabilities';
import { DataPathResult, replayDataPath } from '../src/loop/data-path-replay';
import { onsetOf, parseScenario } from '../src/scenario/scenario';

jest.setTimeout(900_000);

const HOUR = 3_600_000;

/**
 * The whole loop on the consumer test's app (unstaged, XGBoost end to end): traffic through the built proxy to the
 * model's own inference.py, capture, the drift monitor as synthesized, the app's alarms, trigger and start guard,
 * and the real retrain workflow (first model before day 0, then every start). Temperature shifts by 2 standard
 * deviations from day 1 06:00. Everything asserted is read from the timeline and the run outcomes.
 */
describe('the data path replay on the consumer app: drift, alarm, retrain, a new model serving', () => {
  let result: DataPathResult;
  const scenario = parseScenario(JSON.stringify({
    name: 'sensors: temperature shifts by 2 standard deviations from day 1 06:00',
    days: 2,
    start: '2026-01-05',
    seed: 1,
    traffic: { requestsPerHour: 120 },
    groundTruthDelayHours: 2,
    injections: [{ kind: 'covariate-shift', fromDay: 1, fromHour: 6, feature: 'temperature', stdDevs: 2 }],
  }));
  const onset = onsetOf(scenario, scenario.injections[0]);

  beforeAll(async () => {
    const app = readApp(synthConsumerApp());
    const loop = chooseLoop(app, undefined, PYTHON);
    // The history: pump readings (the consumer app's schema), a reading a minute before the replay.
    const store = sensorsStore(Date.parse('2025-12-01T00:00:00Z'), 60_000, 30_000).rowsUpTo(Infinity);
    const data = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'replay-sensors-')), 'sensors.csv');
    fs.writeFileSync(data, `${[store.header.join(','), ...store.rows.map((r) => r.join(','))].join('\n')}\n`);
    result = await replayDataPath(app, loop, scenario, { data, python: PYTHON, seedRows: 10_000 });
  });

  test('the first model (the retrain workflow before day 0) serves from before day 0, and traffic is answered and captured', () => {
    expect(result.firstModel.outcome).toMatchObject({ status: 'SUCCEEDED', deployed: expect.objectContaining({ algorithm: 'xgboost' }) });
    expect(result.servingChanges[0].time).toBeLessThan(result.start);
    expect(result.traffic.records).toBeGreaterThan(5000);
    expect(result.traffic.rejected).toBe(0);
    expect(result.traffic.captured).toBe(result.traffic.requests);
  });

  test('no alarm before the onset; after it the drift job\'s own PSI puts a watched drift alarm in ALARM', () => {
    const alarms = result.timeline.filter((e) => e.kind === 'alarm' && e.state === 'ALARM');
    expect(alarms.filter((e) => Date.parse(e.time) < onset)).toEqual([]);
    expect(alarms.length).toBeGreaterThan(0);
    const drifted = result.windows.filter((w) => Object.values(w.features ?? {}).some((f) => f.status === 'drift'));
    expect(drifted.length).toBeGreaterThan(0);
    expect(Math.min(...drifted.map((w) => w.scheduledTime))).toBeGreaterThan(onset);
    expect(drifted.every((w) => (w.features!.temperature.psi ?? 0) > w.features!.temperature.threshold!)).toBe(true);
  });

  test('the alarm starts a retrain at once, which deploys a new model: it serves within the bound after the onset', () => {
    const firstAlarm = result.timeline.find((e) => e.kind === 'alarm' && e.state === 'ALARM')!;
    const started = result.timeline.find((e) => e.kind === 'trigger' && e.started === true)!;
    expect(started.time).toBe(firstAlarm.time);
    const run = result.outcomes.find((o) => o.run === started.run || o.start === Date.parse(started.time))!;
    expect(run.outcome).toMatchObject({ status: 'SUCCEEDED', gate: expect.objectContaining({ passed: true }) });
    const served = result.servingChanges.find((c) => c.model === run.outcome.deployed!.modelName)!;
    expect(served.time).toBeGreaterThan(Date.parse(started.time));
    // Bound (consumer app): windows every 2 h, 3 of 4 two-hour periods to ALARM, plus the window's own 12 h to fill
    // past the min-samples with shifted traffic, plus the run (~37 simulated minutes): 18 h.
    expect(served.time - onset).toBeLessThanOrEqual(18 * HOUR);
  });

  test('at most one run at a time, the whole replay through', () => {
    expect(maxConcurrent(result.timeline)).toBeLessThanOrEqual(1);
    expect(result.maxConcurrentRuns).toBeLessThanOrEqual(1);
  });

  test('the model\'s error on labelled traffic is measured per day, with the models that served', () => {
    expect(result.dailyErrors.map((d) => d.day)).toEqual([0, 1]);
    expect(result.dailyErrors[0].models).toEqual([result.servingChanges[0].model]);
    expect(result.dailyErrors.every((d) => d.metric === 'rmse' && d.value > 0 && Number.isFinite(d.value))).toBe(true);
  });
});
