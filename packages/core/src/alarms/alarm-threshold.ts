/**
 * A user's override of one alarm: every field falls back to the default the
 * construct documents for that alarm.
 */
export interface AlarmThreshold {
  /**
   * Whether the alarm is created.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * The value the metric is compared with.
   * @default - the construct's default for this alarm
   */
  readonly threshold?: number;
  /**
   * How many periods the alarm looks at.
   * @default - the construct's default for this alarm
   */
  readonly evaluationPeriods?: number;
  /**
   * How many of those periods must breach to alarm.
   * @default - the same as evaluationPeriods
   */
  readonly datapointsToAlarm?: number;
}

/** Alarm settings every Freshet construct takes. */
export interface AlarmOptions {
  /**
   * Whether the construct creates its alarms.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * An SNS topic that each alarm notifies when it goes into and out of ALARM.
   * @default - alarms notify nobody
   */
  readonly alarmTopicArn?: string;
  /**
   * A prefix for alarm names, e.g. the environment.
   * @default - CloudFormation generates the names
   */
  readonly alarmNamePrefix?: string;
}
