import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AlarmStatus, CloudWatchEmulator } from '../src/emulators/cloudwatch';

const SINCE = Date.UTC(2026, 0, 6, 8);
const statuses = new Map<string, AlarmStatus>([
  ['Drift', { state: 'ALARM', reason: 'Threshold Crossed: 2 out of the last 3 datapoints', since: SINCE }],
  ['Quality', { state: 'OK', reason: 'within', since: Date.UTC(2026, 0, 5, 1) }],
]);
const emulator = new CloudWatchEmulator((name) => statuses.get(name));
let cloudwatch: CloudWatchClient;

beforeAll(async () => {
  await emulator.start();
  cloudwatch = new CloudWatchClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
});
afterAll(async () => {
  cloudwatch.destroy();
  await emulator.stop();
});

test('DescribeAlarms answers the evaluator\'s states with their simulated state-change times, through the real SDK', async () => {
  const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['Quality', 'Drift', 'Gone'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }));
  expect(page.MetricAlarms!.map((a) => [a.AlarmName, a.StateValue, a.StateReason, a.StateUpdatedTimestamp!.getTime()])).toEqual([
    ['Drift', 'ALARM', 'Threshold Crossed: 2 out of the last 3 datapoints', SINCE],
    ['Quality', 'OK', 'within', Date.UTC(2026, 0, 5, 1)],
  ]);
  expect(page.NextToken).toBeUndefined();
  // A change in the evaluator is what the next call sees.
  statuses.set('Drift', { state: 'OK', reason: 'back', since: SINCE + 3_600_000 });
  const again = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['Drift'] }));
  expect(again.MetricAlarms!.map((a) => a.StateValue)).toEqual(['OK']);
  expect(emulator.calls).toEqual([['Quality', 'Drift', 'Gone'], ['Drift']]);
});

test('any other CloudWatch call is refused with the reason', async () => {
  await expect(cloudwatch.send(new PutMetricDataCommand({ Namespace: 'X', MetricData: [{ MetricName: 'm', Value: 1 }] }))).rejects.toThrow(/does not implement PutMetricData/);
});
