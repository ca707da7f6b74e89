import { AlarmFactory, AlarmOptions, AlarmThreshold } from '@freshet/core';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DRIFT_NAMESPACE, DriftMonitor } from './drift/drift-monitor';
import { ModelMonitorSchedule } from './model-monitor/model-monitor-schedule';
import { MonitorRetrainTriggerProps } from './monitor-retrain-trigger-props';
import { RetrainTrigger } from './trigger';

/** Why the trigger skips an alarm (RetrainTrigger.metricSkipped). */
const SKIP_REASONS = ['in-flight', 'cooldown', 'daily-cap', 'duplicate', 'not-alarm', 'alarm-ok'];

/**
 * Watches one served model and retrains it when its inputs drift or its
 * accuracy drops: Freshet's drift job (schedule -> state machine -> SageMaker
 * Processing -> CloudWatch metrics), alarms on the worst feature's PSI, the
 * predictions' PSI and (opt-in) model quality, plus any alarms you pass, all
 * feeding one {@link RetrainTrigger} that starts exactly one run of the
 * target (single-flight, cooldown, daily cap). Model Monitor is an opt-in.
 * A dashboard shows drift per feature, sample size, quality and the trigger's decisions.
 */
export class MonitorRetrainTrigger extends Construct {
  /** The drift job, its schedule and its state machine. */
  public readonly driftMonitor: DriftMonitor;
  /** The trigger every retrain alarm feeds. */
  public readonly trigger: RetrainTrigger;
  /** The monitor's alarms (drift, quality, monitor failures). */
  public readonly alarms: AlarmFactory;
  /** Every alarm that starts a retrain when it goes into ALARM. */
  public readonly retrainAlarms: cloudwatch.IAlarm[] = [];
  /** The Model Monitor schedule (with modelMonitor only). */
  public readonly modelMonitor?: ModelMonitorSchedule;
  /** The dashboard of the monitored endpoint. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitorRetrainTriggerProps) {
    super(scope, id);
    this.driftMonitor = new DriftMonitor(this, 'Drift', props);
    this.alarms = new AlarmFactory(this, 'Alarms', props.alarmOptions);
    this.addDriftAlarms(props);
    if (props.modelMonitor) {
      this.modelMonitor = new ModelMonitorSchedule(this, 'ModelMonitor', {
        endpointName: this.driftMonitor.endpointName,
        options: props.modelMonitor,
        lakeBucket: props.lakeBucket,
        lakeKey: props.lakeKey,
      });
      this.addModelMonitorAlarms(props);
    }
    this.retrainAlarms.push(...(props.alarms ?? []));
    if (this.retrainAlarms.length === 0) {
      throw new Error(`${this.node.path}: no alarm would ever start a retrain (alarmOptions.enabled is false and no alarms are given); turn the drift alarms on or pass alarms.`);
    }
    this.alarms.addAlarm('MonitorFailures', {
      metric: this.driftMonitor.metricFailedRuns(),
      threshold: 0,
      description: `The ${this.driftMonitor.endpointName} drift monitor failed: see the state machine's execution history (the processing job's logs are under /aws/sagemaker/ProcessingJobs). It never retrains by itself.`,
      override: props.alarmOptions?.monitorFailures,
    });

    this.addBrokenMonitorAlarms(props);

    this.trigger = new RetrainTrigger(this, 'Trigger', {
      target: props.target,
      alarms: this.retrainAlarms,
      cooldown: props.cooldown,
      dailyCap: props.dailyCap,
      retryInterval: props.retryInterval,
      removalPolicy: props.removalPolicy,
      // One key per monitored endpoint: the drift monitor's resources and the trigger's are the same team's, in one stack.
      encryptionKey: this.driftMonitor.encryptionKey,
      alarmOptions: this.sharedAlarmOptions(props.alarmOptions),
    });
    this.dashboard = this.alarms.createDashboard('Dashboard', `${this.driftMonitor.endpointName} drift and retraining`, this.widgets(props));
  }

  /** Starts a retrain when this alarm goes into ALARM too (the trigger's storm control applies). */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    this.retrainAlarms.push(alarm);
    this.trigger.addAlarm(alarm);
  }

  private addDriftAlarms(props: MonitorRetrainTriggerProps): void {
    const drift = this.driftMonitor;
    const endpoint = drift.endpointName;
    const options = props.alarmOptions;
    if (Object.keys(drift.featureThresholds).length === 0) {
      this.feed(this.alarms.addAlarm('MaxFeatureDrift', {
        metric: drift.metricMaxFeatureDrift(),
        threshold: drift.psiThreshold,
        description: `The worst feature of ${endpoint} drifted past PSI ${drift.psiThreshold} from the serving model's baseline: the drift report under reports/drift/${endpoint}/ says which. A retrain starts.`,
        ...mOfN(options?.maxFeatureDrift, drift.interval, 'maxFeatureDrift'),
      }));
    } else {
      // Features have thresholds of their own, so the job judges each one and counts those over theirs.
      this.feed(this.alarms.addAlarm('DriftedFeatures', {
        metric: drift.metric('FeaturesOverThreshold'),
        threshold: 0,
        description: `Features of ${endpoint} drifted past their PSI thresholds (${Object.entries(drift.featureThresholds).map(([f, t]) => `${f} ${t}`).join(', ')}, others ${drift.psiThreshold}): `
          + `the drift report under reports/drift/${endpoint}/ says which. A retrain starts.`,
        ...mOfN(options?.maxFeatureDrift, drift.interval, 'maxFeatureDrift'),
      }));
    }
    this.feed(this.alarms.addAlarm('PredictionDrift', {
      metric: drift.metricPredictionDrift(),
      threshold: drift.predictionDriftThreshold,
      description: `The predictions of ${endpoint} drifted past PSI ${drift.predictionDriftThreshold} from the test-channel predictions at training time. A retrain starts.`,
      ...mOfN(options?.predictionDrift, drift.interval, 'predictionDrift'),
    }));
    const quality = props.modelQuality;
    if (quality) {
      const higherIsBetter = drift.qualityHigherIsBetter!;
      this.feed(this.alarms.addAlarm('ModelQuality', {
        metric: drift.metricModelQuality(quality.metric),
        threshold: quality.threshold,
        comparisonOperator: higherIsBetter ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD : cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        description: `The ${quality.metric} of ${endpoint} on the ground truth joined by inference id is ${higherIsBetter ? 'below' : 'above'} ${quality.threshold}. A retrain starts.`,
        ...mOfN(options?.modelQuality, drift.interval, 'modelQuality'),
      }));
    }
  }

  /**
   * Alarms that tell the team, never retrain: null or invalid shares past the baseline's, and a
   * monitor that cannot measure (traffic with no capture or baseline, stopped runs, failed schedule
   * invocations). Missing data never breaches: a window without enough data publishes no share, an
   * inactive empty queue and a run that did not stop publish nothing, and a period without a planner
   * datum or traffic is filled with 0 in the unmonitored-traffic expression.
   */
  private addBrokenMonitorAlarms(props: MonitorRetrainTriggerProps): void {
    const drift = this.driftMonitor;
    const endpoint = drift.endpointName;
    const options = props.alarmOptions;
    this.alarms.addAlarm('NullShareIncrease', {
      metric: drift.metric('MaxNullShareIncrease'),
      threshold: drift.nullShareIncrease,
      description: `A feature of ${endpoint} has ${drift.nullShareIncrease} more of its values null than in training (a dead or failing sensor): `
        + `the drift report under reports/drift/${endpoint}/ names it (status "null share"). Fix the source; it does not retrain.`,
      ...mOfN(options?.nullShare, drift.interval, 'nullShare'),
    });
    this.alarms.addAlarm('InvalidShareIncrease', {
      metric: drift.metric('MaxInvalidShareIncrease'),
      threshold: drift.invalidShareIncrease,
      description: `A feature of ${endpoint} has ${drift.invalidShareIncrease} more of its values not of its type than in training: `
        + `the drift report under reports/drift/${endpoint}/ names it (status "invalid share"). Fix the client; it does not retrain.`,
      ...mOfN(options?.invalidShare, drift.interval, 'invalidShare'),
    });
    const unmonitored = options?.unmonitoredTraffic;
    this.alarms.addAlarm('UnmonitoredTraffic', {
      metric: drift.metricUnmonitoredTraffic(),
      threshold: 0,
      description: `${endpoint} served requests while its drift window had no capture, or the serving config no (or a foreign) baseline tag: `
        + 'nothing measures the model that serves. The drift state machine\'s output gives the status (no-capture, no-baseline, foreign-baseline): '
        + 'check the endpoint\'s data capture and the config\'s freshet:baseline-uri tag.',
      evaluationPeriods: 3,
      override: { ...unmonitored, datapointsToAlarm: unmonitored?.datapointsToAlarm ?? unmonitored?.evaluationPeriods ?? 3 },
    });
    this.alarms.addAlarm('MonitorRunsStopped', {
      metric: drift.metricStoppedRuns(),
      threshold: 0,
      description: `A ${endpoint} drift monitor run timed out or was aborted: see the state machine's execution history. It never retrains by itself.`,
      override: options?.stoppedRuns,
    });
    this.alarms.addAlarm('ScheduleDeadLetters', {
      metric: drift.metricDeadLetters(),
      threshold: 0,
      description: `The ${endpoint} drift schedule could not start a run (the message is in its dead-letter queue with the error): no window is measured until it can.`,
      override: options?.scheduleDeadLetters,
    });
  }

  private addModelMonitorAlarms(props: MonitorRetrainTriggerProps): void {
    const monitor = this.modelMonitor!;
    const threshold = props.modelMonitor!.threshold ?? 0.1;
    for (const feature of props.modelMonitor!.features) {
      this.feed(this.alarms.addAlarm(`ModelMonitorDrift-${feature.replace(/[^A-Za-z0-9]/g, '')}`, {
        metric: monitor.metricFeatureDrift(feature),
        threshold,
        description: `Model Monitor (${monitor.scheduleName}) measured a baseline drift of ${feature} above ${threshold}. A retrain starts.`,
        ...mOfN({ ...props.alarmOptions?.maxFeatureDrift, threshold: undefined }, Duration.hours(1), 'maxFeatureDrift'),
      }));
    }
  }

  private feed(alarm: cloudwatch.Alarm | undefined): void {
    if (alarm) this.retrainAlarms.push(alarm);
  }

  /**
   * The trigger's alarms notify the same topic as the monitor's, and their names carry this
   * monitor's id (`<prefix>-<monitor>-Trigger-<alarm>`), so two monitors' trigger alarms never share a name.
   */
  private sharedAlarmOptions(options: AlarmOptions | undefined): AlarmOptions {
    const named = options?.alarmNamePrefix ? { ...options, alarmNamePrefix: `${options.alarmNamePrefix}-${this.node.id}` } : { ...options };
    if (options?.alarmTopicArn || options?.alarmTopic || !this.alarms.alarmTopic) return named;
    return { ...named, alarmTopic: this.alarms.alarmTopic };
  }

  private widgets(props: MonitorRetrainTriggerProps): cloudwatch.IWidget[] {
    const widgets = this.driftWidgets();
    if (props.modelQuality) {
      widgets.push(new cloudwatch.GraphWidget({
        title: `Model quality (${props.modelQuality.metric})`,
        width: 12,
        left: [this.driftMonitor.metricModelQuality(props.modelQuality.metric)],
        right: [this.driftMonitor.metric('GroundTruthMatches'), this.driftMonitor.metric('UnmatchedPredictions')],
        leftAnnotations: [{ value: props.modelQuality.threshold, label: 'threshold' }],
      }));
    }
    widgets.push(new cloudwatch.GraphWidget({
      title: 'Trigger decisions',
      width: 12,
      left: [
        this.trigger.metricStarted({ label: 'started' }),
        ...SKIP_REASONS.map((reason) => this.trigger.metricSkipped(reason, { label: `skipped: ${reason}` })),
      ],
    }));
    return widgets;
  }

  /** The drift job's widgets: PSI per feature, sample size, null and invalid shares, unmonitored windows. */
  private driftWidgets(): cloudwatch.IWidget[] {
    const drift = this.driftMonitor;
    const perFeature = (metricName: string, dimension: string, label: string) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${DRIFT_NAMESPACE},Endpoint,${dimension}} MetricName="${metricName}" Endpoint="${drift.endpointName}"', 'Maximum', ${drift.interval.toSeconds()})`,
      label,
      period: drift.interval,
    });
    return [
      new cloudwatch.GraphWidget({
        title: 'Drift per feature (PSI)',
        width: 12,
        left: [perFeature('FeatureDrift', 'Feature', 'Feature'), drift.metricMaxFeatureDrift(), drift.metricPredictionDrift()],
        leftAnnotations: [{ value: drift.psiThreshold, label: 'threshold' }],
      }),
      new cloudwatch.GraphWidget({
        title: 'Sample size',
        width: 12,
        left: [drift.metricSampleSize(), drift.metric('CorruptRecords')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Null and invalid share per feature',
        width: 12,
        left: [
          perFeature('NullShare', 'Feature', 'null share'),
          perFeature('InvalidShare', 'Feature', 'invalid share'),
          drift.metric('MaxNullShareIncrease'),
          drift.metric('MaxInvalidShareIncrease'),
        ],
        leftAnnotations: [{ value: drift.nullShareIncrease, label: 'null share increase' }, { value: drift.invalidShareIncrease, label: 'invalid share increase' }],
      }),
      new cloudwatch.GraphWidget({
        title: 'Unmonitored windows',
        width: 12,
        left: [perFeature('UnmonitoredWindow', 'Reason', 'Reason')],
        right: [drift.metricUnmonitoredTraffic()],
      }),
    ];
  }
}

/** Drift alarms judge 2 of the last 3 runs by default: consecutive windows overlap, so one noisy run alone does not retrain. */
function mOfN(user: AlarmThreshold | undefined, period: Duration, name: string): { evaluationPeriods: number; override: AlarmThreshold } {
  const evaluationPeriods = user?.evaluationPeriods ?? 3;
  // CloudWatch evaluates at most 7 days for periods of an hour or more.
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1 || evaluationPeriods * period.toSeconds() > 7 * 86_400) {
    throw new Error(`alarmOptions.${name}.evaluationPeriods is ${evaluationPeriods}; give a whole number of at least 1 whose runs (every ${period.toHumanString()}) span at most 7 days.`);
  }
  const datapointsToAlarm = user?.datapointsToAlarm ?? (user?.evaluationPeriods !== undefined ? user.evaluationPeriods : 2);
  return { evaluationPeriods, override: { ...user, evaluationPeriods, datapointsToAlarm } };
}
