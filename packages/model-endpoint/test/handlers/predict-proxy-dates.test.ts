import { validateDeepAr, validateRecords } from '../../src/handlers/predict-proxy/request-validation';

/**
 * Issue 22: impossible calendar dates were accepted (`Date.parse` rolls
 * 2024-02-30 over to 1 March), so the model saw another day than the caller
 * sent. The proxy now applies the calendar rule the CSV ingest applies
 * (packages/core's calendar-date), naming the record, the column and the value.
 */
const features = [
  { name: 'at', type: 'timestamp', nullable: false },
  { name: 'price', type: 'double', nullable: false },
];
const limits = { maxInstances: 1000, maxBodyBytes: 5 * 1024 * 1024, maxStringLength: 1024 };

describe('predict proxy: calendar-valid dates only', () => {
  test.each([
    ['2024-02-30T10:00:00Z', '2024 has no February 30'],
    ['2024-04-31 08:00:00Z', '2024 has no April 31'],
    ['2023-02-29T00:00:00+01:00', '2023 has no February 29'],
  ])('%s is a 400 naming the record, the column and the value', (at, problem) => {
    const result = validateRecords({ instances: [{ at: '2024-05-01T00:00:00Z', price: 1 }, { at, price: 2 }] }, features, 'target', limits);
    expect(result).toEqual({
      ok: false,
      status: 400,
      problems: [{ field: 'instances[1].at', problem: `must be a real calendar date-time (${problem}), got the string ${JSON.stringify(at)}.` }],
    });
  });

  test('real edge dates pass: 29 February of a leap year, 30 April, a day\'s last second', () => {
    const result = validateRecords({
      instances: [
        { at: '2024-02-29T10:00:00Z', price: 1 },
        { at: '2024-04-30T08:00:00Z', price: 1 },
        { at: '2024-12-31T23:59:59.999+14:00', price: 1 },
      ],
    }, features, 'target', limits);
    expect(result).toMatchObject({ ok: true, single: false });
  });

  test('a single record with an impossible date is refused too', () => {
    expect(validateRecords({ at: '2024-04-31T08:00:00Z', price: 1 }, features, 'target', limits)).toMatchObject({
      ok: false, problems: [{ field: 'at', problem: 'must be a real calendar date-time (2024 has no April 31), got the string "2024-04-31T08:00:00Z".' }],
    });
  });

  test('a DeepAR series start on an impossible date is refused; a real one passes', () => {
    const body = (start: string) => ({ instances: [{ start, target: [1, 2, 3] }] });
    expect(validateDeepAr(body('2024-02-30 00:00:00'), Buffer.from(''), limits)).toMatchObject({
      ok: false, problems: [{ field: 'instances[0].start', problem: 'must be a real calendar date-time (2024 has no February 30), got the string "2024-02-30 00:00:00".' }],
    });
    expect(validateDeepAr(body('2024-02-29 00:00:00'), Buffer.from(''), limits)).toMatchObject({ ok: true });
  });
});
