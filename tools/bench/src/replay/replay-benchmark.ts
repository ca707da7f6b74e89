import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { evaluateAlarm, fireTimes, main as replayMain, MetricStore, readApp, SimulatedClock } from '@freshet/replay';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');
const APP = path.join(REPO, 'apps', 'ml-platform', 'cdk.out');
const DAY = 86_400_000;

/**
 * The replay benchmark: simulated days per wall-clock minute of freshet-replay's trigger rehearsal
 * on the Dev stage's stocks loop (28 days, drift from day 10), beside, in the same run,
 * - a floor: the same replay of 1 simulated day (moto's start, the bundles' loading: the fixed cost), and
 * - a baseline: the 28 days of clock, schedules and alarm evaluation alone (no handlers, no emulators),
 *   the most a replay could do per minute with the AWS side free.
 */
export async function runReplayBenchmark(): Promise<void> {
  const days = Number(process.env.REPLAY_BENCH_DAYS ?? 28);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-bench-'));
  const scenario = (n: number) => {
    const file = path.join(work, `s${n}.json`);
    fs.writeFileSync(file, JSON.stringify({
      name: 'bench',
      days: n,
      start: '2026-01-05',
      traffic: { requestsPerHour: 120 },
      retrainHours: 2,
      baselineLevels: { MaxFeatureDrift: 0.05, PredictionDrift: 0.04, ModelQuality: 2.5 },
      injections: [{ kind: 'metric-level', fromDay: Math.min(10, n - 1), metric: 'MaxFeatureDrift', value: 0.35 }],
    }));
    return file;
  };
  const timeReplay = async (n: number) => {
    const started = process.hrtime.bigint();
    const code = await replayMain(['--app', APP, '--stage', 'Dev', '--dataset', 'stocks', '--scenario', scenario(n), '--out', path.join(work, `out${n}`)], () => undefined);
    if (code !== 0) throw new Error(`freshet-replay exited ${code}`);
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const full = await timeReplay(days);
  const floor = await timeReplay(1);
  // Baseline: the clock, the schedules and the alarms alone.
  const loop = readApp(APP, 'Dev').loops.find((l) => l.monitorId.startsWith('Stocks'))!;
  const started = process.hrtime.bigint();
  const start = Date.parse('2026-01-05T00:00:00Z');
  const clock = new SimulatedClock(start, start + days * DAY);
  const store = new MetricStore();
  for (const t of fireTimes(loop.driftSchedule.expression, start, start + days * DAY)) {
    clock.at(t, 'drift', () => {
      for (const alarm of loop.watchedAlarms) {
        store.put(alarm, Math.floor(t / 3_600_000) * 3_600_000, t > start + 10 * DAY ? 0.35 : 0.05);
        evaluateAlarm(alarm, store, t, 'OK');
      }
    });
  }
  await clock.run();
  const baseline = Number(process.hrtime.bigint() - started) / 1e9;
  const perMinute = (d: number, s: number) => ((d / s) * 60).toFixed(0);
  console.log(`replay (trigger rehearsal, Dev stocks, ${days} simulated days, ${os.cpus().length} cores):`);
  console.log(`  freshet-replay:            ${full.toFixed(1)} s wall, ${perMinute(days, full)} simulated days per minute`);
  console.log(`  floor (1 simulated day):   ${floor.toFixed(1)} s wall: the fixed cost (moto start, bundles loaded); per day after it ${((full - floor) / Math.max(1, days - 1)).toFixed(2)} s`);
  console.log(`  baseline (clock + alarms): ${baseline.toFixed(2)} s wall, ${perMinute(days, baseline)} simulated days per minute (no handlers, no emulators)`);
  fs.rmSync(work, { recursive: true, force: true });
}
