import { seededRandom } from '@freshet/test-utils';
import { History, isNumeric, SchemaColumn } from './history';
import { Injection, onsetOf, requestsInHour, Scenario } from '../scenario/scenario';

const HOUR = 3_600_000;

/** One record as a client sends it to the API, with the label the world gives it later. */
export interface TrafficRecord {
  /** The request's features (the predict API's JSON record: every schema column but the target). */
  readonly features: Record<string, string | number | boolean | null>;
  /** The ground truth, as the warehouse will hold it (text). */
  readonly label: string;
  /** The record in schema order with its label: the row the warehouse gets once the label lands. */
  readonly row: string[];
  /** The record carries a null an injection put there. */
  readonly injectedNull: boolean;
}

/** The records of one API request (a batch of `instances`) and when it was sent. */
export interface TrafficBatch {
  readonly time: number;
  readonly records: TrafficRecord[];
}

/** Share of records that get an unseen category while a category-mix injection names `unseen` ones. */
export const UNSEEN_SHARE = 0.2;

/**
 * The scenario's traffic, generated from the history: each hour's requests (the traffic profile,
 * any traffic drop) are rows of the history drawn at random (a seeded generator per hour, so an
 * hour's traffic is the same whatever ran before it), changed by the injections in force:
 * covariate shift (the history's row nearest the value + stdDevs × the feature's standard deviation, so the
 * target keeps its relation to the features), category mix
 * (categories drawn with the history's frequencies × the weights; `unseen` categories for
 * UNSEEN_SHARE of the records), concept drift (label × factor + offset), feature null (the share of
 * records with the feature null). Each hour's records are sent as batched API requests of
 * `batchMinutes` (the API takes `{ "instances": [...] }`; one call per batch keeps the replay fast).
 * Records carrying an injected null go in a request of their own, so a request the API rejects for
 * them rejects nothing else (as each would have been rejected alone).
 */
export class TrafficGenerator {
  private readonly features: SchemaColumn[];
  private readonly targetIndex: number;
  /** The rows traffic draws from: the history after the rows the first model trains on. */
  private readonly pool: string[][];

  readonly batchMinutes: number;
  private readonly cumulative = new Map<string, { categories: string[]; cum: number[] }>();
  private readonly sortedBy = new Map<string, { v: number; r: string[] }[]>();

  constructor(private readonly history: History, private readonly scenario: Scenario, options: { seedRows: number; batchMinutes?: number }) {
    // The API's record: every schema column but the target (the proxy's contract), the id and event time included.
    this.features = history.schema.columns.filter((c) => c.name !== history.schema.targetColumn);
    this.targetIndex = history.header.indexOf(history.schema.targetColumn);
    this.pool = history.rows.length > options.seedRows + 1 ? history.rows.slice(options.seedRows) : history.rows;
    this.batchMinutes = options.batchMinutes ?? 60;
  }

  /** The requests sent in the hour starting at `hourStart` (epoch ms, a whole hour). */
  batchesInHour(hourStart: number): TrafficBatch[] {
    const start = Date.parse(`${this.scenario.start}T00:00:00Z`);
    const day = Math.floor((hourStart - start) / 86_400_000);
    const rng = seededRandom(this.scenario.seed * 1_000_003 + Math.round((hourStart - start) / HOUR));
    const expected = requestsInHour(this.scenario, hourStart, day);
    const count = Math.floor(expected) + (rng() < expected - Math.floor(expected) ? 1 : 0);
    const inForce = this.scenario.injections.filter((i) => hourStart >= onsetOf(this.scenario, i));
    const perBatch = Math.max(1, Math.round(60 / this.batchMinutes));
    const batches: { clean: TrafficRecord[]; nulls: TrafficRecord[] }[] = Array.from({ length: perBatch }, () => ({ clean: [], nulls: [] }));
    for (let n = 0; n < count; n++) {
      const record = this.record(this.pool[Math.floor(rng() * this.pool.length)], inForce, rng, hourStart, n);
      const batch = batches[Math.floor((n * perBatch) / Math.max(1, count))];
      (record.injectedNull ? batch.nulls : batch.clean).push(record);
    }
    const out: TrafficBatch[] = [];
    batches.forEach((b, i) => {
      const time = hourStart + Math.round((i * 60 * 60_000) / perBatch) + 60_000;
      if (b.clean.length > 0) out.push({ time, records: b.clean });
      if (b.nulls.length > 0) out.push({ time, records: b.nulls });
    });
    return out;
  }

  private record(source: string[], inForce: Injection[], rng: () => number, time: number, n: number): TrafficRecord {
    const header = this.history.header;
    const row = [...source];
    let injectedNull = false;
    for (const injection of inForce) {
      switch (injection.kind) {
        case 'covariate-shift': {
          // The record the world sends instead: the history's row whose value is nearest the shifted one, so the
          // shifted traffic keeps the relation of the target to the features (a covariate shift, not a concept drift).
          const i = header.indexOf(injection.feature);
          if (row[i] === '') break;
          const std = this.history.stats[injection.feature]?.std ?? 0;
          const shifted = this.nearest(injection.feature, Number(row[i]) + injection.stdDevs * std);
          for (let k = 0; k < row.length; k++) row[k] = shifted[k];
          break;
        }
        case 'category-mix': {
          const i = header.indexOf(injection.feature);
          const unseen = injection.unseen ?? [];
          if (unseen.length > 0 && rng() < UNSEEN_SHARE) {
            row[i] = unseen[Math.floor(rng() * unseen.length)];
          } else if (injection.weights) {
            row[i] = this.weightedCategory(injection.feature, injection.weights, rng);
          }
          break;
        }
        case 'concept-drift': {
          const label = Number(row[this.targetIndex]);
          if (Number.isFinite(label)) row[this.targetIndex] = String(round(label * injection.factor + (injection.offset ?? 0)));
          break;
        }
        case 'feature-null': {
          if (rng() < injection.share) {
            row[header.indexOf(injection.feature)] = '';
            injectedNull = true;
          }
          break;
        }
        default:
          break;
      }
    }
    // Each request is a new record: a fresh id (a history row's id again would be de-duplicated away by preprocess).
    const id = this.history.schema.idColumn;
    if (id) row[header.indexOf(id)] = `replay-${new Date(time).toISOString().slice(0, 13).replace(/[^0-9]/g, '')}-${n}`;
    // A record is read when it is sent: its event time is the simulated hour's, not the history's.
    const eventTime = this.history.schema.eventTimeColumn;
    if (eventTime) row[header.indexOf(eventTime)] = new Date(time).toISOString();
    const features: TrafficRecord['features'] = {};
    for (const c of this.features) {
      const value = row[header.indexOf(c.name)];
      features[c.name] = value === '' ? null : isNumeric(c) ? Number(value) : c.type === 'boolean' ? value === 'true' : value;
    }
    return { features, label: row[this.targetIndex], row, injectedNull };
  }

  /** The pool's row whose value of `feature` is nearest `value` (the extremes beyond the history's range). */
  private nearest(feature: string, value: number): string[] {
    let sorted = this.sortedBy.get(feature);
    if (!sorted) {
      const i = this.history.header.indexOf(feature);
      sorted = this.pool.filter((r) => r[i] !== '').map((r) => ({ v: Number(r[i]), r })).sort((a, b) => a.v - b.v);
      this.sortedBy.set(feature, sorted);
    }
    let lo = 0;
    let hi = sorted.length - 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (sorted[mid].v < value) lo = mid + 1;
      else hi = mid;
    }
    const best = lo > 0 && Math.abs(sorted[lo - 1].v - value) < Math.abs(sorted[lo].v - value) ? lo - 1 : lo;
    return sorted[best].r;
  }

  /** A category drawn with the history's frequencies times the injection's weights. */
  private weightedCategory(feature: string, weights: Record<string, number>, rng: () => number): string {
    const key = `${feature}|${JSON.stringify(weights)}`;
    let table = this.cumulative.get(key);
    if (!table) {
      const counts = new Map<string, number>();
      const i = this.history.header.indexOf(feature);
      for (const row of this.pool) counts.set(row[i], (counts.get(row[i]) ?? 0) + 1);
      const categories = [...counts.keys()].sort();
      let total = 0;
      const cum = categories.map((c) => (total += counts.get(c)! * (weights[c] ?? 1)));
      table = { categories, cum: cum.map((v) => v / total) };
      this.cumulative.set(key, table);
    }
    const u = rng();
    const found = table.cum.findIndex((v) => u < v);
    return table.categories[found < 0 ? table.categories.length - 1 : found];
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
