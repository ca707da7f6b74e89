/**
 * Issue 20's loop failures 1 and 2 as replay scenarios, asserting the fixed loop (the trigger's pending
 * requests and retry, the RetrainPipeline's run lock). On the code before the fixes, scenario 1 failed at
 * `expect(retried).toBeDefined()` (received undefined) and scenario 2 at `maxConcurrent` (Expected: <= 1,
 * Received: 2). Scenarios 3-7 need the data path: scenarios/pending/ and the README.
 */
import * as path from 'node:path';
import { fireTimes, readApp } from '../src';
import { DEV_APP } from './helpers';
import { maxConcurrent, replay, runsOf, SCENARIOS } from './replay-run';

const FIXES = path.join(SCENARIOS, 'loop-fixes');
const dev = (scenario: string) => ['--app', DEV_APP, '--stage', 'Dev', '--dataset', 'stocks', '--scenario', path.join(FIXES, scenario)];
/** The stocks loop's retrain schedule times, from the templates. */
const scheduleTimes = (from: number, to: number) => readApp(DEV_APP, 'Dev').loops.find((l) => l.monitorId.startsWith('Stocks'))!
  .retrainSchedules.flatMap((s) => fireTimes(s.expression, from, to)).sort((a, b) => a - b);

test('1. refusal then retry: a failed trigger-started run is tried again while the alarm stays in ALARM, before the schedule would', async () => {
  const { code, text, timeline: file } = await replay(dev('1-refusal-then-retry.json'));
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  const failed = runsOf(timeline).find((r) => r.status === 'FAILED' && r.reason !== 'schedule')!;
  expect(failed).toBeDefined();
  // The alarm never left ALARM after the failure.
  const drift = timeline.filter((e) => e.kind === 'alarm' && e.metric === 'MaxFeatureDrift');
  expect(drift.filter((e) => Date.parse(e.time) > failed.end!)).toEqual([]);
  const nextSchedule = scheduleTimes(failed.end!, failed.end! + 8 * 86_400_000)[0];
  const retried = runsOf(timeline).find((r) => r.start >= failed.end! && r.start < nextSchedule && r.reason !== 'schedule');
  expect(retried).toBeDefined();
  // The run's end event (the trigger's run-end rule) retried it at once, and the retry succeeded.
  expect(timeline.find((e) => e.kind === 'trigger' && e.started === true && Date.parse(e.time) === retried!.start)).toMatchObject({ via: 'run-end', rule: expect.stringMatching(/^StocksMonitorTriggerRunEndRule/) });
  expect(retried!.status).toBe('SUCCEEDED');
  // The start guard's run-end rule gave the failed run's lock back.
  expect(timeline.find((e) => e.kind === 'run-lock' && e.run === failed.run)).toMatchObject({ released: true });
  // Once a run succeeded, the pending request is served: no more trigger-started runs while the alarm stays in ALARM.
  expect(runsOf(timeline).filter((r) => r.start > retried!.start && r.reason !== 'schedule')).toEqual([]);
  expect(maxConcurrent(timeline)).toBe(1);
});

test('2. schedule plus alarm at once: never two runs at the same time', async () => {
  const { code, text, timeline: file } = await replay(dev('2-schedule-plus-alarm.json'));
  expect({ code, text }).toMatchObject({ code: 0 });
  const timeline = file.timeline as any[];
  // The scenario is timed so that the drift alarm fires when the retrain schedule starts its run.
  const alarm = timeline.find((e) => e.kind === 'alarm' && e.state === 'ALARM')!;
  const at = Date.parse(alarm.time);
  expect(scheduleTimes(at - 3_600_000, at + 3_600_000)).toContain(at);
  // Both starters tried at that instant; exactly one started.
  const starters = timeline.filter((e) => (e.kind === 'trigger' || e.kind === 'start-guard') && e.time === alarm.time);
  expect(starters.map((e) => e.kind).sort()).toEqual(['start-guard', 'trigger']);
  expect(starters.filter((e) => e.started === true)).toHaveLength(1);
  expect(maxConcurrent(timeline)).toBeLessThanOrEqual(1);
});
