import { DAYS_PER_MONTH } from './load-profile';

const MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60;
const UNIT_MINUTES: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 };
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/**
 * Runs per average month of an EventBridge / Scheduler / Glue schedule expression:
 * `rate(1 hour)`, `cron(15 * * * ? *)`, `at(...)` (once, so 0 a month).
 * Throws on an expression it cannot read, so the caller lists the resource as unpriced.
 */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\(\s*(\d+)\s+(\w+)\s*\)$/.exec(expression.trim());
  if (rate) {
    const unit = UNIT_MINUTES[rate[2].toLowerCase()];
    if (!unit) throw new Error(`unknown rate unit in ${expression}`);
    return MINUTES_PER_MONTH / (Number(rate[1]) * unit);
  }
  if (/^at\(/.test(expression.trim())) return 0;
  const cron = /^cron\((.*)\)$/.exec(expression.trim());
  if (!cron) throw new Error(`not a schedule expression: ${expression}`);
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) throw new Error(`a cron expression has 6 fields: ${expression}`);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  const perDay = count(minute, 0, 59) * count(hour, 0, 23);
  const monthShare = count(month, 1, 12, MONTH_NAMES, 1) / 12;
  let daysPerMonth: number;
  if (isAny(dayOfMonth) && isAny(dayOfWeek)) {
    daysPerMonth = DAYS_PER_MONTH;
  } else if (isAny(dayOfMonth)) {
    daysPerMonth = DAYS_PER_MONTH * dayOfWeekShare(dayOfWeek);
  } else {
    daysPerMonth = dayOfMonthCount(dayOfMonth);
  }
  return perDay * daysPerMonth * monthShare;
}

function isAny(field: string): boolean {
  return field === '*' || field === '?';
}

function dayOfWeekShare(field: string): number {
  // 3#2 (the second Tuesday) and 6L (the last Friday) run once a month.
  if (/#|L/.test(field)) return (field.split(',').length * 12) / 365;
  return count(field, 1, 7, DAY_NAMES, 1) / 7;
}

/** Each listed day of the month runs once a month (29-31 not quite; close enough for a month's cost). */
function dayOfMonthCount(field: string): number {
  if (/^(L|LW|\d+W)$/.test(field)) return 1;
  return count(field, 1, 31);
}

/** How many values of [min, max] a cron field selects. */
function count(field: string, min: number, max: number, names: string[] = [], nameBase = 0): number {
  if (isAny(field)) return max - min + 1;
  const selected = new Set<number>();
  for (const part of field.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText ? Number(stepText) : 1;
    let from: number;
    let to: number;
    if (range === '*') {
      from = min;
      to = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      from = value(a, names, nameBase);
      to = value(b, names, nameBase);
    } else {
      from = value(range, names, nameBase);
      to = stepText ? max : from;
    }
    if (!Number.isFinite(from) || !Number.isFinite(to) || !Number.isFinite(step) || step <= 0) {
      throw new Error(`cannot read cron field '${field}'`);
    }
    for (let v = from; v <= to; v += step) selected.add(v);
  }
  return selected.size;
}

function value(text: string, names: string[], nameBase: number): number {
  const index = names.indexOf(text.toUpperCase());
  return index >= 0 ? index + nameBase : Number(text);
}
