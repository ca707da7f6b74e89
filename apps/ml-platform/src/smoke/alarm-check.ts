import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CheckResult } from './check-result';

/** Every alarm under each prefix; none may be in ALARM, and each prefix must name at least one. */
export async function checkNoAlarmInAlarm(cloudwatch: CloudWatchClient, prefixes: string[]): Promise<Omit<CheckResult, 'name'>> {
  const inAlarm: string[] = [];
  const unmatched: string[] = [];
  let count = 0;
  for (const prefix of prefixes) {
    let token: string | undefined;
    let matched = 0;
    do {
      const page = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: token }));
      const alarms = [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])];
      matched += alarms.length;
      for (const alarm of alarms) if (alarm.StateValue === 'ALARM') inAlarm.push(`${alarm.AlarmName} (${alarm.StateReason ?? 'no reason given'})`);
      token = page.NextToken;
    } while (token);
    if (matched === 0) unmatched.push(prefix);
    count += matched;
  }
  const problems: string[] = [];
  if (inAlarm.length > 0) problems.push(`in ALARM: ${inAlarm.join('; ')}`);
  if (unmatched.length > 0) problems.push(`no alarm is named ${unmatched.map((p) => `${p}*`).join(', ')}: the stage's alarms are missing or renamed`);
  if (problems.length > 0) return { status: 'fail', detail: problems.join('. ') };
  return { status: 'pass', detail: `${count} alarms under ${prefixes.length} prefixes, none in ALARM` };
}
