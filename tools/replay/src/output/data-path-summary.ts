import { DataPathResult } from '../loop/data-path-replay';
import { onsetOf, Scenario } from '../scenario/scenario';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The data path's figures: from each injection's onset to the new model serving, and the model's error around the drift. */
export interface DataPathSummary {
  readonly injections: { kind: string; onset: string; toAlarmHours?: number; toRetrainStartHours?: number; toNewModelServingHours?: number }[];
  /** ALARM transitions while no injection was in force. */
  readonly falseAlarms: number;
  readonly retrainsStarted: number;
  readonly runs: { run: string; status: string; gate?: string; deployed?: string; rolledBack?: boolean }[];
  readonly modelVersions: number;
  /** Mean of the daily errors: before the first onset, from it to the first new model serving after it, and after that. */
  readonly modelError: { metric: string; before?: number; during?: number; after?: number };
  readonly windows: { total: number; measured: number; drift: number; notEnoughData: number; unmonitored: number; failed: number };
  readonly traffic: DataPathResult['traffic'];
}

export function summarizeDataPath(result: DataPathResult, scenario: Scenario): DataPathSummary {
  const at = (iso: string) => Date.parse(iso);
  const alarms = result.timeline.filter((e) => e.kind === 'alarm' && e.state === 'ALARM');
  const onsets = scenario.injections.map((i) => onsetOf(scenario, i));
  const firstOnset = onsets.length > 0 ? Math.min(...onsets) : Infinity;
  const hours = (from: number, t?: number) => (t === undefined ? undefined : Math.round(((t - from) / HOUR) * 10) / 10);
  const injections = scenario.injections.map((i) => {
    const onset = onsetOf(scenario, i);
    const alarm = alarms.find((e) => at(e.time) >= onset);
    const run = result.runs.find((r) => r.start >= onset);
    const serving = result.servingChanges.find((c) => c.time >= onset && run !== undefined && c.time >= run.start);
    return {
      kind: i.kind,
      onset: new Date(onset).toISOString(),
      toAlarmHours: hours(onset, alarm && at(alarm.time)),
      toRetrainStartHours: hours(onset, run?.start),
      toNewModelServingHours: hours(onset, serving?.time),
    };
  });
  const newModel = result.servingChanges.find((c) => c.time >= firstOnset)?.time ?? Infinity;
  const mean = (days: typeof result.dailyErrors) => (days.length === 0 ? undefined : days.reduce((a, d) => a + d.value, 0) / days.length);
  const dayStart = (d: number) => result.start + d * DAY;
  const metric = result.dailyErrors[0]?.metric ?? 'rmse';
  return {
    injections,
    falseAlarms: alarms.filter((e) => at(e.time) < firstOnset).length,
    retrainsStarted: result.runs.length,
    runs: result.outcomes.map((o) => ({
      run: o.run, status: o.outcome.status, gate: o.outcome.gate?.reason, deployed: o.outcome.deployed?.modelName, rolledBack: o.outcome.rolledBack,
    })),
    modelVersions: new Set(result.servingChanges.map((c) => c.model)).size,
    modelError: {
      metric,
      // A day counts as "before" when it ends by the onset, "after" when it starts after the new model serves.
      before: mean(result.dailyErrors.filter((d) => dayStart(d.day) + DAY <= firstOnset)),
      during: mean(result.dailyErrors.filter((d) => dayStart(d.day) + DAY > firstOnset && dayStart(d.day) < newModel)),
      after: mean(result.dailyErrors.filter((d) => dayStart(d.day) >= newModel)),
    },
    windows: {
      total: result.windows.length,
      measured: result.windows.filter((w) => w.reportStatus !== undefined).length,
      drift: result.windows.filter((w) => w.reportStatus === 'drift' || Object.values(w.features ?? {}).some((f) => f.status && f.status !== 'ok' && f.status !== 'not enough data')).length,
      notEnoughData: result.windows.filter((w) => w.reportStatus === 'not enough data').length,
      unmonitored: result.windows.filter((w) => ['no-capture', 'no-baseline', 'foreign-baseline'].includes(w.planStatus ?? '')).length,
      failed: result.windows.filter((w) => w.status === 'FAILED').length,
    },
    traffic: result.traffic,
  };
}

export function renderDataPathSummary(s: DataPathSummary): string {
  const h = (v?: number) => (v === undefined ? 'never' : `${v} h`);
  const f = (v?: number) => (v === undefined ? 'n/a' : v.toFixed(4));
  const lines = ['Data path (simulated time)'];
  for (const i of s.injections) {
    lines.push(`  ${i.kind} from ${i.onset}: to alarm ${h(i.toAlarmHours)}, to retrain start ${h(i.toRetrainStartHours)}, to new model serving ${h(i.toNewModelServingHours)}`);
  }
  lines.push(`  traffic: ${s.traffic.requests} API requests, ${s.traffic.records} records (${s.traffic.rejected} refused by the API), ${s.traffic.captured} captured`);
  lines.push(`  drift windows: ${s.windows.total} (${s.windows.measured} measured, ${s.windows.drift} with a finding, ${s.windows.notEnoughData} not enough data, ${s.windows.unmonitored} unmonitored, ${s.windows.failed} failed)`);
  lines.push(`  false alarms: ${s.falseAlarms}; retrains started: ${s.retrainsStarted}; model versions served: ${s.modelVersions}`);
  for (const r of s.runs) lines.push(`    ${r.run}: ${r.status}${r.deployed ? `, deployed ${r.deployed}` : ''}${r.rolledBack ? ', rolled back' : ''}${r.gate ? ` (gate: ${r.gate})` : ''}`);
  lines.push(`  model error (${s.modelError.metric}) before the drift ${f(s.modelError.before)}, during ${f(s.modelError.during)}, after the retrain ${f(s.modelError.after)}`);
  return `${lines.join('\n')}\n`;
}
