import { RehearsalResult } from '../loop/trigger-rehearsal';
import { onsetOf, Scenario } from '../scenario/scenario';

const HOUR = 3_600_000;

/** The figures printed at the end of a replay. */
export interface Summary {
  readonly injections: {
    kind: string; fromDay: number; onset: string; toAlarmHours?: number; toRetrainStartHours?: number; toNewModelHours?: number;
  }[];
  /** ALARM transitions while no injection was in force. */
  readonly falseAlarms: number;
  readonly retrainsStarted: number;
  readonly startsSkipped: { by: string; reason: string; count: number }[];
  readonly maxConcurrentRuns: number;
}

export function summarize(result: RehearsalResult, scenario: Scenario): Summary {
  const at = (iso: string) => Date.parse(iso);
  const alarms = result.timeline.filter((e) => e.kind === 'alarm' && e.state === 'ALARM');
  const firstOnset = Math.min(...scenario.injections.map((i) => onsetOf(scenario, i)));
  const injections = scenario.injections.map((i) => {
    const onset = onsetOf(scenario, i);
    const alarm = alarms.find((e) => at(e.time) >= onset);
    const run = result.runs.find((r) => r.start >= onset);
    const deployed = result.runs.find((r) => r.start >= onset && r.status === 'SUCCEEDED');
    const hours = (t?: number) => (t === undefined ? undefined : Math.round(((t - onset) / HOUR) * 10) / 10);
    return {
      kind: i.kind,
      fromDay: i.fromDay,
      onset: new Date(onset).toISOString(),
      toAlarmHours: hours(alarm ? at(alarm.time) : undefined),
      toRetrainStartHours: hours(run?.start),
      toNewModelHours: hours(deployed?.end),
    };
  });
  const skipped = new Map<string, number>();
  for (const e of result.timeline) {
    if (e.kind === 'trigger' && e.started === false) skipped.set(`trigger|${String(e.reason)}`, (skipped.get(`trigger|${String(e.reason)}`) ?? 0) + 1);
    if (e.kind === 'start-guard' && e.started === false) skipped.set(`start-guard|${String(e.skipped)}`, (skipped.get(`start-guard|${String(e.skipped)}`) ?? 0) + 1);
  }
  return {
    injections,
    falseAlarms: alarms.filter((e) => at(e.time) < firstOnset).length,
    retrainsStarted: result.runs.length,
    startsSkipped: [...skipped].map(([key, count]) => ({ by: key.split('|')[0], reason: key.split('|')[1], count })),
    maxConcurrentRuns: result.maxConcurrentRuns,
  };
}

export function renderSummary(summary: Summary): string {
  const lines = ['Replay summary (simulated time)'];
  for (const i of summary.injections) {
    const h = (v?: number) => (v === undefined ? 'never' : `${v} h`);
    lines.push(`  ${i.kind} from day ${i.fromDay} (${i.onset}): to alarm ${h(i.toAlarmHours)}, to retrain start ${h(i.toRetrainStartHours)}, to new model serving ${h(i.toNewModelHours)}`);
  }
  lines.push(`  false alarms (before any injection): ${summary.falseAlarms}`);
  lines.push(`  retrains started: ${summary.retrainsStarted}; most runs at once: ${summary.maxConcurrentRuns}`);
  lines.push(`  starts skipped: ${summary.startsSkipped.map((s) => `${s.by} ${s.reason} x${s.count}`).join(', ') || 'none'}`);
  lines.push('  model error before/during/after drift: not measured (the data path is not run by this build; see README)');
  return `${lines.join('\n')}\n`;
}
