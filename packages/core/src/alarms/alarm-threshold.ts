import * as sns from 'aws-cdk-lib/aws-sns';

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
   * The ARN of an SNS topic that each alarm notifies when it goes into and out
   * of ALARM. Give this or `alarmTopic`, not both. The topic must let
   * CloudWatch publish (and use its key, if it is encrypted).
   * @default - the construct creates an encrypted topic of its own (`alarms.alarmTopic`), with no subscription
   */
  readonly alarmTopicArn?: string;
  /**
   * The SNS topic that each alarm notifies when it goes into and out of ALARM,
   * e.g. one topic per stage shared by every construct. Give this or
   * `alarmTopicArn`, not both.
   * @default - the construct creates an encrypted topic of its own (`alarms.alarmTopic`), with no subscription
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * A prefix for alarm names, e.g. the environment.
   * @default - CloudFormation generates the names
   */
  readonly alarmNamePrefix?: string;
}
