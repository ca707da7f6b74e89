import { DataPathSummary } from './data-path-summary';
import { DataPathResult } from '../loop/data-path-replay';

const W = 1200;
const LEFT = 170;
const RIGHT = 20;
const DAY = 86_400_000;
const COLOURS = ['#236', '#c60', '#393', '#939', '#069', '#963'];

/** The data path's charts for report.html: PSI and null share per feature with thresholds, the serving model, the model's error. */
export function renderDataPathCharts(result: DataPathResult, summary: DataPathSummary): string {
  const x = (t: number) => LEFT + ((t - result.start) / (result.end - result.start)) * (W - LEFT - RIGHT);
  const days = Math.round((result.end - result.start) / DAY);
  const axis = (h: number) => Array.from({ length: days + 1 }, (_, d) => {
    const px = x(result.start + d * DAY);
    return `<line x1="${px}" y1="0" x2="${px}" y2="${h}" stroke="#eee"/>${d % 2 === 0 ? `<text x="${px}" y="${h + 14}" font-size="10" text-anchor="middle">day ${d}</text>` : ''}`;
  }).join('');
  const measured = result.windows.filter((w) => w.features && w.windowEnd);
  const features = [...new Set(measured.flatMap((w) => Object.keys(w.features!)))];
  const series = (value: (f: NonNullable<typeof measured[number]['features']>[string]) => number | null | undefined) => features.map((name) => ({
    name,
    points: measured.map((w) => ({ t: Date.parse(w.windowEnd!), v: value(w.features![name] ?? { psi: null }) })).filter((p): p is { t: number; v: number } => typeof p.v === 'number'),
  }));
  const lines = (h: number, data: { name: string; points: { t: number; v: number }[] }[], threshold?: number, label = 'threshold') => {
    const max = Math.max(1e-9, (threshold ?? 0) * 1.5, ...data.flatMap((d) => d.points.map((p) => p.v)));
    const y = (v: number) => h - (v / max) * (h - 10);
    const paths = data.map((d, i) => `<path d="${d.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}" fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="1.5"/>`
      + `<text x="${LEFT - 6}" y="${14 + i * 12}" font-size="10" text-anchor="end" fill="${COLOURS[i % COLOURS.length]}">${esc(d.name)}</text>`).join('');
    const line = threshold === undefined ? '' : `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y(threshold)}" y2="${y(threshold)}" stroke="#e80" stroke-dasharray="6 3"/><text x="${W - RIGHT}" y="${y(threshold) - 3}" font-size="10" text-anchor="end">${label} ${threshold}</text>`;
    return `${axis(h)}${line}${paths}<text x="${LEFT - 6}" y="${h}" font-size="10" text-anchor="end">max ${max.toPrecision(3)}</text>`;
  };
  const psiThreshold = measured.flatMap((w) => Object.values(w.features!).map((f) => f.threshold)).find((v) => typeof v === 'number');
  const charts = [
    chart('PSI per feature, each drift window (the drift job\'s report.json), with the threshold', 140, lines(140, series((f) => f.psi), psiThreshold)),
    chart('Null share per feature, each drift window (baseline\'s share + the null-share increase alarms)', 110, lines(110, series((f) => f.nullShare))),
  ];
  // The serving model as bands, one colour per version.
  const changes = result.servingChanges;
  const bands = changes.map((c, i) => {
    const from = Math.max(result.start, c.time);
    const until = changes[i + 1]?.time ?? result.end;
    return `<rect x="${x(from)}" y="4" width="${Math.max(1, x(until) - x(from))}" height="18" fill="${COLOURS[i % COLOURS.length]}" opacity="0.7"><title>${esc(`${c.model} from ${new Date(c.time).toISOString()}: ${c.reason}`)}</title></rect>`
      + `<text x="${x(from) + 3}" y="17" font-size="10" fill="#fff">v${i + 1}</text>`;
  }).join('');
  charts.push(chart(`Serving model version (${summary.modelVersions} versions; hover for the model)`, 26, `${axis(26)}${bands}`));
  const runs = result.outcomes.map((o, i) => {
    const end = o.start + o.outcome.durationMs;
    const fill = o.outcome.status !== 'SUCCEEDED' ? '#d44' : o.outcome.deployed ? '#6b6' : o.outcome.rolledBack ? '#e80' : '#aaa';
    return `<rect x="${x(o.start)}" y="${(i % 3) * 14 + 4}" width="${Math.max(3, x(end) - x(o.start))}" height="10" fill="${fill}"><title>${esc(`${o.run}: ${o.outcome.status}; gate ${o.outcome.gate?.reason ?? 'not reached'}; ${o.outcome.deployed ? `deployed ${o.outcome.deployed.modelName}` : o.outcome.rolledBack ? 'rolled back' : 'not deployed'}`)}</title></rect>`;
  }).join('');
  charts.push(chart('Runs of the retrain workflow (green deployed, orange rolled back, grey not deployed, red failed; hover for the gate)', 50, `${axis(50)}${runs}`));
  const errors = result.dailyErrors;
  const max = Math.max(1e-9, ...errors.map((e) => e.value));
  const bars = errors.map((e) => {
    const h = (e.value / max) * 90;
    return `<rect x="${x(result.start + e.day * DAY) + 1}" y="${100 - h}" width="${Math.max(1, x(result.start + DAY) - x(result.start) - 2)}" height="${h}" fill="#569"><title>${esc(`${e.date}: ${e.metric} ${e.value.toFixed(4)} over ${e.records} records (${e.models.join(', ')})`)}</title></rect>`;
  }).join('');
  charts.push(chart(`Model error on labelled traffic per day (${errors[0]?.metric ?? 'rmse'}; max ${max.toPrecision(3)})`, 100, `${axis(100)}${bars}`));
  return charts.join('\n');
}

function chart(title: string, h: number, body: string): string {
  return `<h2>${esc(title)}</h2><svg width="${W}" height="${h + 20}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
