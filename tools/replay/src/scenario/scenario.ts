import * as fs from 'node:fs';

/** One injection: something that changes from a day onward (days count from 0, the replay's start). */
export type Injection =
  | { kind: 'covariate-shift'; fromDay: number; feature: string; stdDevs: number }
  | { kind: 'category-mix'; fromDay: number; feature: string; weights?: Record<string, number>; unseen?: string[] }
  | { kind: 'concept-drift'; fromDay: number; factor: number; offset?: number }
  | { kind: 'feature-null'; fromDay: number; feature: string; share: number }
  | { kind: 'traffic-drop'; fromDay: number; requestsPerDay: number }
  | { kind: 'capture-stops'; fromDay: number }
  | { kind: 'training-fails'; fromDay: number; runs?: number }
  | { kind: 'deployment-rolls-back'; fromDay: number; runs?: number }
  | { kind: 'metric-level'; fromDay: number; metric: string; value: number };

/** Injections that need the data path (serving, capture, the drift job); the rest act on metrics and runs. */
export const DATA_PATH_KINDS: readonly Injection['kind'][] = [
  'covariate-shift', 'category-mix', 'concept-drift', 'feature-null', 'traffic-drop', 'capture-stops', 'deployment-rolls-back',
];

export interface Scenario {
  readonly name: string;
  readonly days: number;
  /** ISO date of day 0 (UTC midnight). */
  readonly start: string;
  readonly seed: number;
  /** Requests per hour: a default, and factors by hour of day (24) and weekday (7, Sunday first). */
  readonly traffic: { requestsPerHour: number; hourOfDay?: number[]; weekday?: number[] };
  /** Hours from a request to its ground truth landing. */
  readonly groundTruthDelayHours: number;
  readonly injections: Injection[];
  /** Simulated hours a retrain run takes (start to end). */
  readonly retrainHours: number;
  /** The value each watched metric has while no metric-level injection is in force. */
  readonly baselineLevels: Record<string, number>;
}

const KINDS: Record<Injection['kind'], Record<string, 'number' | 'string' | 'object' | 'string[]'>> = {
  'covariate-shift': { feature: 'string', stdDevs: 'number' },
  'category-mix': { feature: 'string' },
  'concept-drift': { factor: 'number' },
  'feature-null': { feature: 'string', share: 'number' },
  'traffic-drop': { requestsPerDay: 'number' },
  'capture-stops': {},
  'training-fails': {},
  'deployment-rolls-back': {},
  'metric-level': { metric: 'string', value: 'number' },
};
const OPTIONAL: Record<string, 'number' | 'object' | 'string[]'> = { weights: 'object', unseen: 'string[]', offset: 'number', runs: 'number', fromHour: 'number' };

/** A scenario file that cannot be used: names the field, and the line when it came from a file. */
export class ScenarioError extends Error {}

/** Reads and checks a scenario file; every problem names the field and its line. Nothing runs on a bad file. */
export function loadScenario(file: string, features?: string[]): Scenario {
  const text = fs.readFileSync(file, 'utf8');
  return parseScenario(text, file, features);
}

export function parseScenario(text: string, source = 'scenario', features?: string[]): Scenario {
  let raw: any;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec(String((e as Error).message));
    const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined;
    throw new ScenarioError(`${source}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message}).`);
  }
  const where = (field: string) => {
    let key = field.split(/[.[\]]/).filter(Boolean).pop()!;
    // An injection's field is looked for from its own object on (the i-th "kind"), not the first one in the file.
    let from = 0;
    const inj = /^injections\[(\d+)\]/.exec(field);
    if (inj) {
      const kinds = [...text.matchAll(/"kind"\s*:/g)];
      from = kinds[Number(inj[1])]?.index ?? 0;
      if (key === `${inj[1]}`) key = 'kind';
    }
    const found = text.slice(from).search(new RegExp(`"${key.replace(/[-]/g, '\\-')}"\\s*:`));
    const index = found >= 0 ? from + found : -1;
    const line = index >= 0 ? text.slice(0, index).split('\n').length : undefined;
    return `${source}${line ? `:${line}` : ''}: ${field}`;
  };
  const fail = (field: string, message: string): never => {
    throw new ScenarioError(`${where(field)} ${message}`);
  };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('(top level)', 'must be an object.');
  const known = ['name', 'days', 'start', 'seed', 'traffic', 'groundTruthDelayHours', 'injections', 'retrainHours', 'baselineLevels', '$comment'];
  for (const key of Object.keys(raw)) if (!known.includes(key)) fail(key, `is not a scenario field (fields: ${known.join(', ')}).`);
  const num = (field: string, value: unknown, min: number, max = Infinity): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) return fail(field, `must be a number, not ${JSON.stringify(value)}.`);
    if (value < min || value > max) return fail(field, `must be between ${min} and ${max}, not ${value}.`);
    return value;
  };
  const days = num('days', raw.days, 1, 366);
  const start = raw.start ?? '2026-01-05';
  if (typeof start !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(`${start}T00:00:00Z`))) fail('start', `must be a date YYYY-MM-DD, not ${JSON.stringify(start)}.`);
  const traffic = raw.traffic;
  if (traffic === null || typeof traffic !== 'object') fail('traffic', 'must be an object with requestsPerHour.');
  num('traffic.requestsPerHour', traffic.requestsPerHour, 0, 1_000_000);
  for (const [name, length] of [['hourOfDay', 24], ['weekday', 7]] as const) {
    const list = traffic[name];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length !== length) fail(`traffic.${name}`, `must be a list of ${length} factors.`);
    list.forEach((v: unknown, i: number) => num(`traffic.${name}[${i}]`, v, 0, 1000));
  }
  const delay = num('groundTruthDelayHours', raw.groundTruthDelayHours ?? 24, 0, 24 * 60);
  const injections: Injection[] = [];
  if (raw.injections !== undefined && !Array.isArray(raw.injections)) fail('injections', 'must be a list.');
  (raw.injections ?? []).forEach((inj: any, i: number) => {
    const at = `injections[${i}]`;
    if (inj === null || typeof inj !== 'object') fail(at, 'must be an object.');
    const spec = KINDS[inj.kind as Injection['kind']];
    if (!spec) fail(`${at}.kind`, `must be one of ${Object.keys(KINDS).join(', ')}, not ${JSON.stringify(inj.kind)}.`);
    num(`${at}.fromDay`, inj.fromDay, 0, days);
    for (const [field, type] of Object.entries(spec)) {
      if (type === 'number') num(`${at}.${field}`, inj[field], ['stdDevs', 'factor', 'value'].includes(field) ? -1e9 : 0, field === 'share' ? 1 : 1e9);
      else if (typeof inj[field] !== 'string' || inj[field] === '') fail(`${at}.${field}`, 'must be a non-empty string.');
    }
    for (const key of Object.keys(inj)) {
      if (key === 'kind' || key === 'fromDay' || key in spec) continue;
      const type = OPTIONAL[key];
      if (!type) fail(`${at}.${key}`, `is not a field of ${inj.kind}.`);
      if (type === 'number') num(`${at}.${key}`, inj[key], -1e9, 1e9);
      if (type === 'object' && (inj[key] === null || typeof inj[key] !== 'object' || Array.isArray(inj[key]))) fail(`${at}.${key}`, 'must be an object.');
      if (type === 'string[]' && (!Array.isArray(inj[key]) || inj[key].some((v: unknown) => typeof v !== 'string'))) fail(`${at}.${key}`, 'must be a list of strings.');
    }
    if (features && typeof inj.feature === 'string' && !features.includes(inj.feature)) {
      fail(`${at}.feature`, `names ${inj.feature}, which is not a feature of the dataset (${features.join(', ')}).`);
    }
    if (inj.kind === 'category-mix' && !inj.weights && !inj.unseen) fail(at, 'category-mix needs weights or unseen.');
    injections.push(inj as Injection);
  });
  const baselineLevels: Record<string, number> = {};
  if (raw.baselineLevels !== undefined) {
    if (raw.baselineLevels === null || typeof raw.baselineLevels !== 'object' || Array.isArray(raw.baselineLevels)) fail('baselineLevels', 'must be an object {metric: value}.');
    for (const [metric, value] of Object.entries(raw.baselineLevels)) baselineLevels[metric] = num(`baselineLevels.${metric}`, value, -1e9, 1e9);
  }
  return {
    retrainHours: num('retrainHours', raw.retrainHours ?? 2, 0.1, 24 * 7),
    baselineLevels,
    name: typeof raw.name === 'string' ? raw.name : source,
    days,
    start,
    seed: raw.seed === undefined ? 1 : num('seed', raw.seed, 0, 2 ** 31),
    traffic,
    groundTruthDelayHours: delay,
    injections,
  };
}

/** When an injection starts (epoch ms): its day, plus its optional hour of that day. */
export function onsetOf(scenario: Scenario, injection: Injection): number {
  return Date.parse(`${scenario.start}T00:00:00Z`) + injection.fromDay * 86_400_000 + ((injection as { fromHour?: number }).fromHour ?? 0) * 3_600_000;
}

/** The requests in one simulated hour, from the traffic profile and any traffic-drop in force. */
export function requestsInHour(scenario: Scenario, time: number, day: number): number {
  const date = new Date(time);
  const drop = scenario.injections.filter((i) => i.kind === 'traffic-drop' && day >= i.fromDay).pop() as Extract<Injection, { kind: 'traffic-drop' }> | undefined;
  if (drop) return drop.requestsPerDay / 24;
  const hour = scenario.traffic.hourOfDay?.[date.getUTCHours()] ?? 1;
  const weekday = scenario.traffic.weekday?.[date.getUTCDay()] ?? 1;
  return scenario.traffic.requestsPerHour * hour * weekday;
}
