import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
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
  /**
   * A dashboard to draw the construct's section on (its title, alarms and
   * graphs), e.g. one dashboard per dataset shared by its ingest, warehouse,
   * endpoint, retraining and monitor. CloudWatch bills each dashboard beyond
   * the account's free three ($3 a month each), so a construct of its own
   * costs more than a section. A dashboard in another stack of the same stage
   * references this construct's alarms and metrics across stacks: put it in a
   * stack deployed after every construct that draws on it.
   * @default - the construct creates a dashboard of its own
   */
  readonly dashboard?: cloudwatch.Dashboard;
}
