import { AlarmOptions, AlarmThreshold } from '@freshet/core';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { DriftMonitorProps } from './drift/drift-monitor-props';
import { RetrainTarget } from './trigger';

/** SageMaker Model Monitor, for accounts that have it: its data-quality drift metrics alarm into the same trigger. */
export interface ModelMonitorOptions {
  /**
   * The name of a data-quality monitoring schedule that exists already; the
   * construct creates none and alarms on that schedule's metrics.
   * @default - a schedule is created (give baselineConstraintsUri and baselineStatisticsUri)
   */
  readonly existingScheduleName?: string;
  /**
   * The constraints.json the created schedule checks against (from a Model Monitor baselining job).
   * @default - required unless existingScheduleName is given
   */
  readonly baselineConstraintsUri?: string;
  /**
   * The statistics.json the created schedule compares with.
   * @default - required unless existingScheduleName is given
   */
  readonly baselineStatisticsUri?: string;
  /** The features whose `feature_baseline_drift_<feature>` metric gets an alarm that feeds the trigger. */
  readonly features: string[];
  /**
   * The drift distance above which a feature alarms.
   * @default 0.1 - Model Monitor's default comparison threshold
   */
  readonly threshold?: number;
  /**
   * The created schedule's instance type.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
}

/** Alarms of the monitor, each with M-of-N evaluation and missing data not breaching. */
export interface MonitorAlarmProps extends AlarmOptions {
  /**
   * The worst feature's PSI.
   * @default - above DriftThresholds.psiThreshold in 2 of 3 runs
   */
  readonly maxFeatureDrift?: AlarmThreshold;
  /**
   * The PSI of the predictions.
   * @default - above DriftThresholds.predictionDriftThreshold in 2 of 3 runs
   */
  readonly predictionDrift?: AlarmThreshold;
  /**
   * The model-quality metric (only with modelQuality).
   * @default - worse than ModelQualityMonitoring.threshold in 2 of 3 runs
   */
  readonly modelQuality?: AlarmThreshold;
  /**
   * Failed drift monitor runs (this alarm tells the team; it never retrains).
   * @default - more than 0 in 1 day
   */
  readonly monitorFailures?: AlarmThreshold;
  /**
   * A feature's null share grew past `DriftThresholds.nullShareIncrease` over the baseline's
   * (MaxNullShareIncrease): a dead or failing sensor. It tells the team; it does not retrain.
   * @default - above DriftThresholds.nullShareIncrease in 2 of 3 runs
   */
  readonly nullShare?: AlarmThreshold;
  /**
   * A feature's invalid share grew past `DriftThresholds.invalidShareIncrease` (MaxInvalidShareIncrease).
   * It tells the team; it does not retrain.
   * @default - above DriftThresholds.invalidShareIncrease in 2 of 3 runs
   */
  readonly invalidShare?: AlarmThreshold;
  /**
   * The endpoint served requests while its window had no capture or no (or a foreign)
   * baseline: nothing measures the model that serves.
   * @default - in 3 of 3 intervals
   */
  readonly unmonitoredTraffic?: AlarmThreshold;
  /**
   * Drift runs that timed out or were aborted.
   * @default - more than 0 in 1 day
   */
  readonly stoppedRuns?: AlarmThreshold;
  /**
   * Schedule invocations that failed (messages in the schedule's dead-letter queue).
   * @default - more than 0 in 5 minutes
   */
  readonly scheduleDeadLetters?: AlarmThreshold;
}

/** Properties of a {@link MonitorRetrainTrigger}. */
export interface MonitorRetrainTriggerProps extends DriftMonitorProps {
  /** What a drift alarm starts: `RetrainTarget.stateMachine(pipeline.stateMachine)` or `RetrainTarget.codePipeline(...)`. */
  readonly target: RetrainTarget;
  /**
   * More alarms that start a retrain when they go into ALARM: an endpoint 5XX alarm, a business metric.
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * The monitor's alarms.
   * @default - MaxFeatureDrift, PredictionDrift, ModelQuality (with modelQuality), NullShareIncrease, InvalidShareIncrease,
   * MonitorFailures, MonitorRunsStopped, ScheduleDeadLetters and UnmonitoredTraffic
   */
  readonly alarmOptions?: MonitorAlarmProps;
  /**
   * SageMaker Model Monitor (opt-in; nothing else needs it).
   * @default - off
   */
  readonly modelMonitor?: ModelMonitorOptions;
  /**
   * The quiet time after a run the trigger started.
   * @default Duration.hours(6)
   */
  readonly cooldown?: Duration;
  /**
   * The most runs the trigger starts in a UTC day.
   * @default 3
   */
  readonly dailyCap?: number;
  /**
   * How often the trigger tries a pending retrain again while its alarm stays
   * in ALARM (a start refused for in-flight, cooldown or the daily cap, or a
   * run that did not succeed); the end of every run of the target retries too.
   * @default Duration.minutes(15)
   */
  readonly retryInterval?: Duration;
}
