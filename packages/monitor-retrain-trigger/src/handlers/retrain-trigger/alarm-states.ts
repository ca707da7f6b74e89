import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';

/** An alarm's current state, as DescribeAlarms reports it. */
export interface AlarmState {
  readonly alarmName: string;
  readonly state: string;
  readonly reason: string;
  /** Epoch seconds of its last state change. */
  readonly since: number;
}

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** Reads the current state of the alarms a pending retrain request waits on. */
export class AlarmStates {
  constructor(private readonly cloudwatch: CloudWatchClient) {}

  /** The named alarms' states (metric and composite alarms); an alarm that no longer exists is absent. */
  public async describe(alarmNames: string[]): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    for (let i = 0; i < alarmNames.length; i += NAMES_PER_CALL) {
      const names = alarmNames.slice(i, i + NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const page = await this.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: nextToken }));
        for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
          states.push({
            alarmName: alarm.AlarmName!,
            state: String(alarm.StateValue),
            reason: alarm.StateReason ?? 'no reason given',
            since: Math.floor((alarm.StateUpdatedTimestamp?.getTime() ?? 0) / 1000),
          });
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    return states;
  }
}
