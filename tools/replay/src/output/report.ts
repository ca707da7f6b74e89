import { Summary } from './summary';
import { LoopModel } from '../app/app-model';
import { RehearsalResult } from '../loop/trigger-rehearsal';
import { onsetOf, Scenario } from '../scenario/scenario';

const DAY = 86_400_000;
const W = 1200;
const LEFT = 170;
const RIGHT = 20;

/** report.html: SVG charts over the simulated time, one row per concern, days on the x axis. */
export function renderReport(loop: LoopModel, scenario: Scenario, result: RehearsalResult, summary: Summary, dataPathCharts?: string): string {
  const x = (t: number) => LEFT + ((t - result.start) / (result.end - result.start)) * (W - LEFT - RIGHT);
  const days = Math.round((result.end - result.start) / DAY);
  const axis = (h: number) => Array.from({ length: days + 1 }, (_, d) => {
    const px = x(result.start + d * DAY);
    return `<line x1="${px}" y1="0" x2="${px}" y2="${h}" stroke="#eee"/>${d % 2 === 0 ? `<text x="${px}" y="${h + 14}" font-size="10" text-anchor="middle">day ${d}</text>` : ''}`;
  }).join('');
  const onsets = (h: number) => scenario.injections.map((i) => {
    const px = x(onsetOf(scenario, i));
    return `<line x1="${px}" y1="0" x2="${px}" y2="${h}" stroke="#c00" stroke-dasharray="4 3"/><text x="${px + 3}" y="10" font-size="10" fill="#c00">${esc(i.kind)}</text>`;
  }).join('');
  const charts: string[] = [];
  for (const alarm of loop.watchedAlarms) {
    const points = result.series[alarm.metricName] ?? [];
    const max = Math.max(alarm.threshold * 1.5, ...points.map((p) => p.value), 1e-9);
    const h = 120;
    const y = (v: number) => h - (v / max) * (h - 10);
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.time).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    charts.push(chart(`${alarm.metricName} (${alarm.statistic}, threshold ${alarm.threshold}, ${alarm.datapointsToAlarm} of ${alarm.evaluationPeriods} × ${alarm.periodSeconds / 3600} h, missing: ${alarm.treatMissingData})`, h,
      `${axis(h)}${onsets(h)}<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(alarm.threshold)}" y2="${y(alarm.threshold)}" stroke="#e80" stroke-dasharray="6 3"/>`
      + `<text x="${LEFT - 6}" y="${y(alarm.threshold) + 4}" font-size="10" text-anchor="end">threshold ${alarm.threshold}</text><path d="${path}" fill="none" stroke="#236" stroke-width="1.5"/>`));
  }
  // Alarm states as coloured bands.
  const colours: Record<string, string> = { OK: '#6b6', ALARM: '#d44', INSUFFICIENT_DATA: '#bbb' };
  const bands = loop.watchedAlarms.map((a, row) => {
    const states = result.alarmStates[a.logicalId];
    return states.map((s, i) => {
      const until = states[i + 1]?.time ?? result.end;
      return `<rect x="${x(s.time)}" y="${row * 22 + 4}" width="${Math.max(1, x(until) - x(s.time))}" height="16" fill="${colours[s.state]}"><title>${s.state}</title></rect>`;
    }).join('') + `<text x="${LEFT - 6}" y="${row * 22 + 16}" font-size="10" text-anchor="end">${esc(a.metricName)}</text>`;
  }).join('');
  const bandH = loop.watchedAlarms.length * 22 + 8;
  charts.push(chart('Alarm states (green OK, red ALARM, grey INSUFFICIENT_DATA)', bandH, `${axis(bandH)}${bands}`));
  // Decisions and runs.
  const decisions = result.timeline.filter((e) => e.kind === 'trigger' || e.kind === 'start-guard').map((e) => {
    const t = Date.parse(e.time);
    const row = e.kind === 'trigger' ? 0 : 1;
    const started = e.started === true;
    const via = e.via ? ` on ${String(e.via)}` : '';
    return `<circle cx="${x(t)}" cy="${row * 24 + 12}" r="5" fill="${started ? '#236' : '#fff'}" stroke="#236"><title>${esc(`${e.time} ${e.kind}${via}: ${started ? 'started' : `skipped (${String(e.reason ?? e.skipped)}: ${String(e.detail ?? '')})`}`)}</title></circle>`;
  }).join('') + `<text x="${LEFT - 6}" y="16" font-size="10" text-anchor="end">trigger</text><text x="${LEFT - 6}" y="40" font-size="10" text-anchor="end">schedule (start guard)</text>`;
  charts.push(chart('Start decisions (filled: started, hollow: skipped; hover for the reason)', 52, `${axis(52)}${decisions}`));
  const runs = result.runs.map((r, i) => {
    const fill = r.status === 'SUCCEEDED' ? '#6b6' : r.status === 'RUNNING' ? '#aaa' : '#d44';
    return `<rect x="${x(r.start)}" y="${(i % 3) * 14 + 4}" width="${Math.max(2, x(r.end ?? result.end) - x(r.start))}" height="10" fill="${fill}"><title>${esc(`${r.name}: ${r.status} (${r.reason})`)}</title></rect>`;
  }).join('');
  charts.push(chart('Retrain runs (green succeeded and deployed, red failed)', 50, `${axis(50)}${runs}`));
  const rows = summary.injections.map((i) => `<tr><td>${esc(i.kind)}</td><td>${i.fromDay}</td><td>${i.toAlarmHours ?? 'never'}</td><td>${i.toRetrainStartHours ?? 'never'}</td><td>${i.toNewModelHours ?? 'never'}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>freshet-replay: ${esc(scenario.name)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}h2{font-size:15px;margin:18px 0 4px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}.note{color:#555;font-size:13px}</style></head><body>
<h1>${esc(loop.monitorId)}: ${esc(scenario.name)}</h1>
${dataPathCharts === undefined ? `<p class="note">${days} simulated days from ${esc(scenario.start)}. Trigger rehearsal: the app's alarms, rules and schedules (the trigger's retry rule too), retrain trigger, start guard and run lock ran as built on the simulated clock;
the drift values are the scenario's metric-level injections and each run lasts ${scenario.retrainHours} h (stand-ins, see the README). PSI per feature, null share, serving model version and model error
are not charted: this build does not run the data path.</p>` : `<p class="note">${days} simulated days from ${esc(scenario.start)}. The whole loop as built: traffic through the predict proxy to the serving model's own inference code, capture, the drift monitor's state machine, planner, drift job and publisher, the app's alarms, rules, trigger and start guard, and the real retrain workflow (see the README for what is emulated).</p>`}
<table><tr><th>injection</th><th>from day</th><th>to alarm (h)</th><th>to retrain start (h)</th><th>to new model (h)</th></tr>${rows}</table>
<p>False alarms: ${summary.falseAlarms}. Retrains started: ${summary.retrainsStarted}. Most runs at once: ${summary.maxConcurrentRuns}.
Starts skipped: ${esc(summary.startsSkipped.map((s) => `${s.by} ${s.reason} ×${s.count}`).join(', ') || 'none')}.</p>
${charts.join('\n')}
${dataPathCharts ?? ''}
</body></html>`;
}

function chart(title: string, h: number, body: string): string {
  return `<h2>${esc(title)}</h2><svg width="${W}" height="${h + 20}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
