import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AlarmOptions, AlarmThreshold } from './alarm-threshold';
import { AlarmTopic } from './alarm-topic';

/** One alarm a construct defines, with its defaults. */
export interface AlarmDefinition {
  /** The metric the alarm watches. */
  readonly metric: cloudwatch.IMetric;
  /** The default threshold. */
  readonly threshold: number;
  /** What the alarm means and what to do, shown in the alarm. */
  readonly description: string;
  /**
   * How the metric is compared with the threshold.
   * @default GREATER_THAN_THRESHOLD
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /**
   * The default number of periods evaluated.
   * @default 1
   */
  readonly evaluationPeriods?: number;
  /**
   * How missing data counts.
   * @default NOT_BREACHING
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
  /**
   * The user's override.
   * @default - the defaults above
   */
  readonly override?: AlarmThreshold;
}

/**
 * Creates a construct's alarms with thresholds the user can override, sends
 * every one to an SNS topic (the user's, or an encrypted one of its own), and
 * draws them on a dashboard.
 */
export class AlarmFactory extends Construct {
  /**
   * The events an EventBridge rule matched (AWS/Events TriggeredRules, summed
   * over 5 minutes): the metric to alarm on for a rule that catches failure events.
   */
  public static ruleMatches(rule: events.IRule): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: rule.ruleName },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }

  /** Every alarm created so far. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /**
   * The topic every alarm notifies on ALARM and OK: the user's `alarmTopic` or
   * `alarmTopicArn`, else an encrypted topic this factory creates (subscribe
   * the on-call channel to it). Undefined only when alarms are turned off.
   */
  public readonly alarmTopic?: sns.ITopic;
  private readonly options: AlarmOptions;

  constructor(scope: Construct, id: string, options: AlarmOptions = {}) {
    super(scope, id);
    this.options = options;
    this.alarmTopic = this.resolveTopic(options);
  }

  /** Whether alarms are on for this construct. */
  public get enabled(): boolean {
    return this.options.enabled ?? true;
  }

  /**
   * Creates one alarm, unless alarms or this alarm are turned off.
   * @returns the alarm, or undefined when it is turned off
   */
  public addAlarm(id: string, definition: AlarmDefinition): cloudwatch.Alarm | undefined {
    const override = definition.override ?? {};
    if (!this.enabled || override.enabled === false) {
      return undefined;
    }
    const evaluationPeriods = override.evaluationPeriods ?? definition.evaluationPeriods ?? 1;
    const datapointsToAlarm = override.datapointsToAlarm ?? evaluationPeriods;
    if (datapointsToAlarm > evaluationPeriods) {
      throw new Error(
        `Alarm ${id}: datapointsToAlarm (${datapointsToAlarm}) is more than evaluationPeriods (${evaluationPeriods}); lower datapointsToAlarm or raise evaluationPeriods.`,
      );
    }
    const alarm = new cloudwatch.Alarm(this, id, {
      metric: definition.metric,
      threshold: override.threshold ?? definition.threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: definition.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: definition.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: definition.description,
      alarmName: this.options.alarmNamePrefix ? `${this.options.alarmNamePrefix}-${this.node.scope!.node.id}-${id}` : undefined,
    });
    // The topic exists whenever alarms are on.
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic!));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic!));
    this.alarms.push(alarm);
    return alarm;
  }

  private resolveTopic(options: AlarmOptions): sns.ITopic | undefined {
    if (options.alarmTopic && options.alarmTopicArn) {
      throw new Error(`${this.node.path}: give alarmTopic or alarmTopicArn, not both; remove one of them from the alarm options.`);
    }
    if (options.alarmTopic) {
      return options.alarmTopic;
    }
    if (options.alarmTopicArn) {
      return sns.Topic.fromTopicArn(this, 'AlarmTopic', options.alarmTopicArn);
    }
    // No topic is created for a construct whose alarms are off.
    return this.enabled ? new AlarmTopic(this, 'AlarmTopic') : undefined;
  }

  /**
   * A dashboard with the state of every alarm, then one graph per alarm: a new
   * one, or a section of the options' shared `dashboard`.
   * @param extraWidgets widgets drawn after the alarms
   * @returns the dashboard drawn on
   */
  public createDashboard(id: string, title: string, extraWidgets?: cloudwatch.IWidget[]): cloudwatch.Dashboard {
    const dashboard = this.options.dashboard ?? new cloudwatch.Dashboard(this, id, { defaultInterval: Duration.hours(3) });
    dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `# ${title}`, width: 24, height: 1 }));
    if (this.alarms.length > 0) {
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
      dashboard.addWidgets(...this.alarms.map((alarm) => new cloudwatch.AlarmWidget({ alarm, title: alarm.node.id, width: 8 })));
    }
    if (extraWidgets && extraWidgets.length > 0) {
      dashboard.addWidgets(...extraWidgets);
    }
    return dashboard;
  }
}
