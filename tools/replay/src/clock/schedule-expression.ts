const UNIT_MS: Record<string, number> = { minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 };
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/**
 * The fire times of an EventBridge / Scheduler schedule expression (UTC), in
 * [from, to): `rate(n unit)` counts from `from` (the schedule's creation, as
 * AWS counts it), `cron(min hour day-of-month month day-of-week year)` with
 * `*`, `?`, lists, ranges, steps and names. `L`, `W` and `#` are refused with
 * a clear error rather than guessed.
 */
export function fireTimes(expression: string, from: number, to: number): number[] {
  const text = expression.trim();
  const rate = /^rate\(\s*(\d+)\s+(\w+)\s*\)$/.exec(text);
  if (rate) {
    const unit = UNIT_MS[rate[2].toLowerCase()];
    if (!unit || Number(rate[1]) < 1) throw new Error(`Cannot read the schedule ${expression}: unknown rate.`);
    const step = Number(rate[1]) * unit;
    const times: number[] = [];
    for (let t = from + step; t < to; t += step) times.push(t);
    return times;
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) throw new Error(`Cannot read the schedule ${expression}: expected rate(...) or cron(...).`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`Cannot read the schedule ${expression}: a cron expression has 6 fields.`);
  if (/[LW#]/.test(fields.join(' '))) throw new Error(`The schedule ${expression} uses L, W or #, which the replay does not evaluate.`);
  const [minutes, hours, dom, months, dow, years] = [
    expand(fields[0], 0, 59), expand(fields[1], 0, 23), expand(fields[2], 1, 31), expand(fields[3], 1, 12, MONTH_NAMES, 1),
    expand(fields[4], 1, 7, DAY_NAMES, 1), expand(fields[5], 1970, 2199),
  ];
  const domAny = fields[2] === '?' || fields[2] === '*';
  const dowAny = fields[4] === '?' || fields[4] === '*';
  const times: number[] = [];
  const firstDay = Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), new Date(from).getUTCDate());
  for (let day = firstDay; day < to; day += 86_400_000) {
    const d = new Date(day);
    if (!years.has(d.getUTCFullYear()) || !months.has(d.getUTCMonth() + 1)) continue;
    const domOk = domAny || dom.has(d.getUTCDate());
    const dowOk = dowAny || dow.has(d.getUTCDay() + 1);
    if (!(domOk && dowOk)) continue;
    for (const h of [...hours].sort((a, b) => a - b)) {
      for (const m of [...minutes].sort((a, b) => a - b)) {
        const t = day + h * 3_600_000 + m * 60_000;
        if (t >= from && t < to) times.push(t);
      }
    }
  }
  return times;
}

function expand(field: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = min; hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = value(a, names, nameBase); hi = value(b, names, nameBase);
    } else {
      lo = value(range, names, nameBase); hi = stepText ? max : lo;
    }
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || !Number.isInteger(step) || step < 1) throw new Error(`Cannot read the cron field ${field}.`);
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

function value(text: string, names: string[], base: number): number {
  const at = names.indexOf(text.toUpperCase());
  return at >= 0 ? at + base : Number(text);
}
