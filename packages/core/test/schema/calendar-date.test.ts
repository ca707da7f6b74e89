import { calendarProblem, daysInMonth } from '../../src/schema/calendar-date';

describe('calendarProblem', () => {
  test.each([
    ['2024-02-30T10:00:00Z', '2024 has no February 30'],
    ['2024-04-31 08:00', '2024 has no April 31'],
    ['2023-02-29', '2023 has no February 29'],
    ['1900-02-29T00:00:00Z', '1900 has no February 29'],
    ['2024-13-01', 'there is no month 13'],
    ['2024-00-10', 'there is no month 00'],
    ['2024-05-00', 'there is no day 00'],
    ['2024-05-01T24:00:00Z', 'there is no time of day 24:00:00'],
    ['2024-05-01T23:60', 'there is no time of day 23:60'],
    ['2024-05-01T23:59:60Z', 'there is no time of day 23:59:60'],
    ['2024-05-01T10:00:00+24:00', 'there is no UTC offset 24:00'],
  ])('%s is impossible: %s', (value, problem) => {
    expect(calendarProblem(value)).toBe(problem);
  });

  test.each(['2024-02-29T10:00:00Z', '2000-02-29', '2024-04-30 08:00', '2024-12-31T23:59:59.999999999+14:00', '2024-01-31t00:00:00z', '2024-06-30T12:00:00-0530'])(
    '%s is a real date-time', (value) => {
      expect(calendarProblem(value)).toBeUndefined();
    });

  test('leaves values that are not ISO 8601 to the caller\'s format check', () => {
    expect(calendarProblem('30/02/2024')).toBeUndefined();
  });

  test('daysInMonth follows the Gregorian leap rule', () => {
    expect([2023, 2024, 1900, 2000].map((y) => daysInMonth(y, 2))).toEqual([28, 29, 28, 29]);
    expect(daysInMonth(2024, 4)).toBe(30);
    expect(daysInMonth(2024, 12)).toBe(31);
  });
});

test('CalendarDate is the same rule for apps', () => {
  const { CalendarDate } = jest.requireActual('../../src') as typeof import('../../src');
  expect(CalendarDate.problem('2024-04-31 08:00')).toBe('2024 has no April 31');
  expect(CalendarDate.problem('2024-04-30 08:00')).toBeUndefined();
  expect(CalendarDate.daysInMonth(2024, 2)).toBe(29);
});
