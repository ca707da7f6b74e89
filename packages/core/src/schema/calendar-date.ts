/**
 * The calendar rule every Freshet handler applies to a date or date-time
 * value: the date exists (no 30 February, no 31 April) and the time of day is
 * a real one. `Date.parse` does not check this: it rolls `2024-02-30` over to
 * 1 March. A pure module with no dependency, so Lambda handlers bundle it
 * (import it as `@freshet/core/lib/schema/calendar-date`).
 */

// YYYY-MM-DD, then optionally [T or space]hh:mm[:ss[.fraction]], then optionally Z or ±hh[:]mm.
const PARTS = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))?$/;

/** Days in a month of the proleptic Gregorian calendar (month 1-12). */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * What makes an ISO 8601 date or date-time impossible on the calendar, or
 * undefined when it is a real one (or not shaped like ISO 8601 at all: the
 * caller's own format check says that). For example
 * `calendarProblem('2024-02-30T10:00:00Z')` is `'2024 has no February 30'`.
 */
export function calendarProblem(value: string): string | undefined {
  const match = PARTS.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12) return `there is no month ${match[2]}`;
  if (day < 1 || day > daysInMonth(year, month)) {
    return day < 1 ? `there is no day ${match[3]}` : `${match[1]} has no ${MONTHS[month - 1]} ${day}`;
  }
  if (match[4] !== undefined && (Number(match[4]) > 23 || Number(match[5]) > 59 || (match[6] !== undefined && Number(match[6]) > 59))) {
    return `there is no time of day ${match[4]}:${match[5]}${match[6] !== undefined ? `:${match[6]}` : ''}`;
  }
  if (match[7] !== undefined && (Number(match[7]) > 23 || Number(match[8]) > 59)) {
    return `there is no UTC offset ${match[7]}:${match[8]}`;
  }
  return undefined;
}

/**
 * The calendar rule of Freshet's handlers, for apps that check dates the same
 * way (the CSV ingest's row typing and the predict proxy's request validation
 * import the functions of this module directly).
 */
export class CalendarDate {
  /**
   * What makes an ISO 8601 date or date-time impossible on the calendar
   * (`2024-02-30T10:00:00Z`: "2024 has no February 30"), or undefined when it
   * is a real one or not ISO 8601 at all.
   */
  public static problem(value: string): string | undefined {
    return calendarProblem(value);
  }

  /** Days in a month (1-12) of the Gregorian calendar. */
  public static daysInMonth(year: number, month: number): number {
    return daysInMonth(year, month);
  }

  private constructor() {}
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
