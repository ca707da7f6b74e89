import { LabelledStore } from '../runs/types';

/**
 * The warehouse as a run's extract sees it: the history before the replay's start (labelled before
 * day 0), then each served record's row once its ground truth has landed (its request's time plus
 * the scenario's delay). Rows are kept in arrival order, so `rowsUpTo` is a prefix.
 */
export class ArrivingLabels implements LabelledStore {
  private readonly arrivals: { time: number; row: string[] }[] = [];

  constructor(private readonly header: string[], private readonly initial: string[][]) {}

  /** A served record's row, landing at `time` (its labels arrive in time order: requests are sent in time order with one delay). */
  add(time: number, row: string[]): void {
    const last = this.arrivals[this.arrivals.length - 1];
    if (last && time < last.time) throw new Error(`Labels must arrive in time order: ${new Date(time).toISOString()} after ${new Date(last.time).toISOString()}.`);
    this.arrivals.push({ time, row });
  }

  rowsUpTo(time: number): { header: string[]; rows: string[][] } {
    let n = 0;
    while (n < this.arrivals.length && this.arrivals[n].time <= time) n++;
    return { header: [...this.header], rows: [...this.initial, ...this.arrivals.slice(0, n).map((a) => a.row)] };
  }

  /** Labels that arrived so far (not counting the history). */
  get arrived(): number {
    return this.arrivals.length;
  }
}
