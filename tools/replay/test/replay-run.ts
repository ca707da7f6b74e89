import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src';

export const SCENARIOS = path.resolve(__dirname, '..', 'scenarios');

/** Runs freshet-replay as the CLI does; returns the exit code, the printed text and timeline.json (when written). */
export async function replay(args: string[]): Promise<{ code: number; text: string; timeline?: any; out: string }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-run-'));
  const printed: string[] = [];
  const code = await main([...args, '--out', out], (t) => printed.push(t));
  const file = path.join(out, 'timeline.json');
  return { code, text: printed.join(''), timeline: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined, out };
}

/** The runs of a timeline: start and end entries paired by run name. */
export function runsOf(timeline: any[]): { run: string; reason: string; start: number; end?: number; status?: string }[] {
  const runs = new Map<string, { run: string; reason: string; start: number; end?: number; status?: string }>();
  for (const e of timeline) {
    if (e.kind === 'run-started') runs.set(e.run, { run: e.run, reason: e.reason, start: Date.parse(e.time) });
    if (e.kind === 'run-ended') Object.assign(runs.get(e.run)!, { end: Date.parse(e.time), status: e.status });
  }
  return [...runs.values()];
}

/** The most runs in flight at one instant, from the timeline's own start and end entries. */
export function maxConcurrent(timeline: any[]): number {
  const edges = runsOf(timeline).flatMap((r) => [[r.start, 1], [r.end ?? Infinity, -1]] as [number, number][]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let most = 0;
  for (const [, delta] of edges) {
    running += delta;
    most = Math.max(most, running);
  }
  return most;
}
