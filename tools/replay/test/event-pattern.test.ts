import { matchesPattern } from '../src';

const event = {
  'source': 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  'resources': ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:A'],
  'detail': { alarmName: 'A', state: { value: 'ALARM' }, previousState: { value: 'OK' }, count: 5 },
};

test('exact values, lists as OR, nested objects as AND, arrays in the event match any element', () => {
  expect(matchesPattern({ source: ['aws.cloudwatch'], detail: { state: { value: ['ALARM'] } } }, event)).toBe(true);
  expect(matchesPattern({ source: ['aws.cloudwatch'], detail: { state: { value: ['OK'] } } }, event)).toBe(false);
  expect(matchesPattern({ resources: ['x', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:A'] }, event)).toBe(true);
  expect(matchesPattern({ resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:B'] }, event)).toBe(false);
});

test('prefix, suffix, anything-but, exists, numeric', () => {
  expect(matchesPattern({ detail: { alarmName: [{ prefix: 'A' }] } }, event)).toBe(true);
  expect(matchesPattern({ detail: { alarmName: [{ suffix: 'B' }] } }, event)).toBe(false);
  expect(matchesPattern({ detail: { state: { value: [{ 'anything-but': ['OK', 'INSUFFICIENT_DATA'] }] } } }, event)).toBe(true);
  expect(matchesPattern({ detail: { state: { value: [{ 'anything-but': 'ALARM' }] } } }, event)).toBe(false);
  expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
  expect(matchesPattern({ detail: { missing: [{ exists: true }] } }, event)).toBe(false);
  expect(matchesPattern({ detail: { count: [{ numeric: ['>', 1, '<=', 5] }] } }, event)).toBe(true);
  expect(matchesPattern({ detail: { count: [{ numeric: ['>', 5] }] } }, event)).toBe(false);
});

test('a field absent from the event does not match a value', () => {
  expect(matchesPattern({ detail: { nothing: ['x'] } }, event)).toBe(false);
});

test('an unknown filter is an error, not a silent match', () => {
  expect(() => matchesPattern({ detail: { alarmName: [{ wildcard: 'A*' }] } }, event)).toThrow(/not supported/);
});
