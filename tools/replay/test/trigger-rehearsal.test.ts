import * as path from 'node:path';
import { fireTimes, readApp } from '../src';
import { DEV_APP } from './helpers';
import { maxConcurrent, replay, runsOf, SCENARIOS } from './replay-run';

const HOUR = 3_600_000;

test('Dev stocks, feature drift from day 10: the alarm fires after the onset, the trigger starts a run, the new model serves within the bound', async () => {
  const { code, text, timeline: file } = await replay(['--app', DEV_APP, '--stage', 'Dev', '--dataset', 'stocks', '--scenario', path.join(SCENARIOS, 'trigger-rehearsal.json')]);
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  const onset = Date.parse('2026-01-15T00:00:00Z');
  const alarms = timeline.filter((e) => e.kind === 'alarm' && e.state === 'ALARM');
  // No false alarm before the onset; the drift alarm fires after it.
  expect(alarms.filter((e) => Date.parse(e.time) < onset)).toEqual([]);
  const drift = alarms.find((e) => e.metric === 'MaxFeatureDrift')!;
  expect(Date.parse(drift.time)).toBeGreaterThan(onset);
  // The bound (README): DatapointsToAlarm (2) hourly periods to ALARM, the trigger starts at once, the run takes retrainHours (2).
  const started = timeline.find((e) => e.kind === 'trigger' && e.started === true)!;
  expect(started.time).toBe(drift.time);
  const run = runsOf(timeline).find((r) => started.runId.endsWith(r.run))!;
  expect(run.status).toBe('SUCCEEDED');
  expect(run.end! - onset).toBeLessThanOrEqual(2 * HOUR + 2 * HOUR);
  // At most one run at a time, the whole replay through: the retrain schedule's runs (read from the templates) and the trigger's one.
  const loop = readApp(DEV_APP, 'Dev').loops.find((l) => l.monitorId.startsWith('Stocks'))!;
  const from = Date.parse(file.scenario.start);
  const scheduled = loop.retrainSchedules.flatMap((s) => fireTimes(s.expression, from, from + file.scenario.days * 86_400_000));
  expect(scheduled.length).toBeGreaterThan(0);
  expect(runsOf(timeline).map((r) => r.reason === 'schedule' ? 'schedule' : 'trigger').sort()).toEqual([...scheduled.map(() => 'schedule'), 'trigger']);
  expect(maxConcurrent(timeline)).toBe(1);
  expect(file.summary.falseAlarms).toBe(0);
  expect(text).toMatch(/metric-level from day 10 .*: to alarm 2 h, to retrain start 2 h, to new model serving 4 h/);
});

test('a data-path scenario on an AutoGluon loop, given a Python without autogluon.tabular, is refused with its reason; nothing half-runs', async () => {
  // The CLI defaults to the repository's .venv-autogluon when it exists: name a Python without AutoGluon.
  const { code, text, timeline } = await replay(['--app', DEV_APP, '--stage', 'Dev', '--dataset', 'stocks', '--scenario', path.join(SCENARIOS, 'default.json'),
    '--python', process.execPath, '--autogluon-python', process.execPath]);
  expect(code).toBe(2);
  expect(text).toMatch(/AutoGluon .*cannot import autogluon.tabular/);
  expect(timeline).toBeUndefined();
});
