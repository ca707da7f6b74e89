/**
 * The seven loop failures of issue 20, each as a replay scenario asserting the FIXED behaviour.
 * On this branch (without the fixes) they fail: they are left out of the default test run
 * (see .projenrc.ts, `replay.jest?.addIgnorePattern('/test/loop-defects/')`) and run with
 *   cd tools/replay && npx jest -c test/loop-defects/jest.config.json
 * Scenarios 3-7 need the replay's data path (serving, capture, the drift job, the retrain
 * state machine), which this build refuses: they fail on that refusal, not on the defect, until it lands.
 */
import * as path from 'node:path';
import { fireTimes } from '../../src';
import { DEV_APP } from '../helpers';
import { maxConcurrent, replay, runsOf, SCENARIOS } from '../replay-run';

const DEFECTS = path.join(SCENARIOS, 'loop-defects');
const dev = (scenario: string) => ['--app', DEV_APP, '--stage', 'Dev', '--dataset', 'stocks', '--scenario', path.join(DEFECTS, scenario)];

test('1. refusal then retry: a failed trigger-started run is tried again while the alarm stays in ALARM, before the schedule would', async () => {
  const { code, text, timeline: file } = await replay(dev('1-refusal-then-retry.json'));
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  const failed = runsOf(timeline).find((r) => r.status === 'FAILED' && r.reason !== 'schedule')!;
  expect(failed).toBeDefined();
  // The alarm never left ALARM after the failure.
  const drift = timeline.filter((e) => e.kind === 'alarm' && e.metric === 'MaxFeatureDrift');
  expect(drift.filter((e) => Date.parse(e.time) > failed.end!)).toEqual([]);
  const nextSchedule = fireTimes('cron(0 3 * * ? *)', failed.end!, failed.end! + 2 * 86_400_000)[0];
  const retried = runsOf(timeline).find((r) => r.start >= failed.end! && r.start < nextSchedule && r.reason !== 'schedule');
  expect(retried).toBeDefined();
});

test('2. schedule plus alarm at once: never two runs at the same time', async () => {
  const { code, text, timeline: file } = await replay(dev('2-schedule-plus-alarm.json'));
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  // The scenario is timed so that the drift alarm fires at 03:00, when the daily schedule starts its run.
  const alarm = timeline.find((e) => e.kind === 'alarm' && e.state === 'ALARM')!;
  expect(alarm.time).toBe('2026-01-06T03:00:00.000Z');
  expect(maxConcurrent(timeline)).toBeLessThanOrEqual(1);
});

test.each([
  ['3-rollback-then-new-candidate.json', '3. rollback then a new candidate: the gate never compares with a model that did not serve'],
  ['4-deploy-mid-window.json', '4. deploy mid-window: the window after a deploy holds only the serving model\'s capture'],
  ['5-feature-null.json', '5. a feature going null alarms'],
  ['6-low-traffic-unchanged.json', '6. 500 requests a day of unchanged traffic never drift'],
  ['7-capture-stops.json', '7. capture stopping while traffic goes on alarms'],
])('%s: %s', async (scenario) => {
  const { code, text, timeline: file } = await replay(dev(scenario));
  // The replay must run the scenario to the end (today it refuses: the data path is not built).
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  const alarms = timeline.filter((e) => e.kind === 'alarm' && e.state === 'ALARM');
  if (scenario.startsWith('3')) {
    const gate = timeline.filter((e) => e.kind === 'gate');
    expect(gate.length).toBeGreaterThan(0);
    expect(gate.every((e) => !e.champion || e.championServed === true)).toBe(true);
  }
  if (scenario.startsWith('4')) expect(timeline.filter((e) => e.kind === 'drift-window' && e.foreignCapture > 0)).toEqual([]);
  if (scenario.startsWith('5') || scenario.startsWith('7')) expect(alarms.length).toBeGreaterThan(0);
  if (scenario.startsWith('6')) expect(alarms).toEqual([]);
});
