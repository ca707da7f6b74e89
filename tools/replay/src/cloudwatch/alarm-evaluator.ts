import { MetricStore } from './metric-store';

/** An alarm as the template declares it (AWS::CloudWatch::Alarm, single-metric form). */
export interface AlarmSpec {
  readonly name: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** Average | Sum | Minimum | Maximum | SampleCount (percentiles are refused by the reader). */
  readonly statistic: string;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** M of "M out of N"; CloudWatch's default is EvaluationPeriods. */
  readonly datapointsToAlarm: number;
  readonly threshold: number;
  readonly comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  /** CloudWatch's default is `missing`. */
  readonly treatMissingData: 'missing' | 'ignore' | 'breaching' | 'notBreaching';
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** The result of one evaluation. */
export interface AlarmEvaluation {
  readonly state: AlarmState;
  /** CloudWatch-style reason text, e.g. `Threshold Crossed: 2 out of the last 3 datapoints [...]`. */
  readonly reason: string;
  /** The datapoints (period start, value) the decision looked at, newest first. */
  readonly datapoints: { start: number; value: number | undefined }[];
}

/**
 * How many periods back CloudWatch looks for real datapoints ("the evaluation
 * range"). AWS documents that it retrieves more than EvaluationPeriods but not
 * how many for periods of a minute or more; the replay takes twice
 * EvaluationPeriods (at least EvaluationPeriods + 1) and says so in its README.
 */
export function evaluationRange(spec: AlarmSpec): number {
  return Math.max(spec.evaluationPeriods * 2, spec.evaluationPeriods + 1);
}

/** Whether one value breaches the threshold. */
export function breaches(spec: AlarmSpec, value: number): boolean {
  switch (spec.comparison) {
    case 'GreaterThanThreshold': return value > spec.threshold;
    case 'GreaterThanOrEqualToThreshold': return value >= spec.threshold;
    case 'LessThanThreshold': return value < spec.threshold;
    case 'LessThanOrEqualToThreshold': return value <= spec.threshold;
  }
}

/**
 * Evaluates an alarm at `now` (epoch ms) with CloudWatch's documented rules
 * ("Configuring how CloudWatch alarms treat missing data"):
 *
 * - Only whole periods that ended at or before `now` are looked at, newest first.
 * - If the evaluation range holds at least EvaluationPeriods real datapoints,
 *   the most recent EvaluationPeriods real ones are evaluated and the missing
 *   data treatment is not used.
 * - Otherwise every real datapoint of the range is used and the missing ones
 *   are filled in with the treatment, as few as needed to make
 *   EvaluationPeriods: `breaching` counts them as breaching, `notBreaching` as
 *   within the threshold, `missing` and `ignore` leave them out.
 * - ALARM when at least DatapointsToAlarm of the evaluated points breach.
 *   Otherwise OK, except: with no real datapoint in the range, `missing` goes
 *   to INSUFFICIENT_DATA and `ignore` keeps the current state.
 */
export function evaluateAlarm(spec: AlarmSpec, store: MetricStore, now: number, current: AlarmState): AlarmEvaluation {
  const periodMs = spec.periodSeconds * 1000;
  const lastEnd = Math.floor(now / periodMs) * periodMs;
  const range = evaluationRange(spec);
  const window: { start: number; value: number | undefined }[] = [];
  for (let i = 1; i <= range; i++) {
    const start = lastEnd - i * periodMs;
    window.push({ start, value: store.statistic(spec, start, start + periodMs) });
  }
  const real = window.filter((d) => d.value !== undefined) as { start: number; value: number }[];
  const n = spec.evaluationPeriods;
  const m = spec.datapointsToAlarm;
  let evaluated: { start: number; value: number | undefined; breaching: boolean }[];
  if (real.length >= n) {
    evaluated = real.slice(0, n).map((d) => ({ ...d, breaching: breaches(spec, d.value) }));
  } else {
    if (real.length === 0) {
      if (spec.treatMissingData === 'missing') return { state: 'INSUFFICIENT_DATA', reason: 'Insufficient Data: no datapoints in the evaluation range (treat missing data: missing).', datapoints: window.slice(0, n) };
      if (spec.treatMissingData === 'ignore') return { state: current, reason: `No datapoints in the evaluation range; the state stays ${current} (treat missing data: ignore).`, datapoints: window.slice(0, n) };
    }
    // The newest N periods with the real points kept, plus real points from farther back.
    const newest = window.slice(0, n);
    const older = window.slice(n).filter((d) => d.value !== undefined);
    const fill = n - real.length;
    const filled: { start: number; value: number | undefined; breaching: boolean }[] = [];
    let used = 0;
    for (const d of newest) {
      if (d.value !== undefined) {filled.push({ ...d, breaching: breaches(spec, d.value) });} else if (used < fill) {
        used++;
        if (spec.treatMissingData === 'breaching') filled.push({ ...d, breaching: true });
        else if (spec.treatMissingData === 'notBreaching') filled.push({ ...d, breaching: false });
      }
    }
    for (const d of older) filled.push({ ...d, breaching: breaches(spec, d.value!) });
    evaluated = filled;
  }
  const breachingCount = evaluated.filter((d) => d.breaching).length;
  const shown = evaluated.map((d) => (d.value === undefined ? `missing (${iso(d.start)})` : `${d.value} (${iso(d.start)})`)).join(', ');
  const words = comparisonWords(spec.comparison);
  if (breachingCount >= m) {
    return {
      state: 'ALARM',
      reason: `Threshold Crossed: ${breachingCount} out of the last ${evaluated.length} datapoints [${shown}] were ${words} the threshold (${spec.threshold}) (minimum ${m} datapoint${m === 1 ? '' : 's'} for OK -> ALARM transition).`,
      datapoints: evaluated,
    };
  }
  return {
    state: 'OK',
    reason: `Threshold Crossed: ${evaluated.length - breachingCount} out of the last ${evaluated.length} datapoints [${shown}] were not ${words} the threshold (${spec.threshold}) (minimum ${n - m + 1} datapoint${n - m + 1 === 1 ? '' : 's'} for ALARM -> OK transition).`,
    datapoints: evaluated,
  };
}

function comparisonWords(comparison: AlarmSpec['comparison']): string {
  return {
    GreaterThanThreshold: 'greater than',
    GreaterThanOrEqualToThreshold: 'greater than or equal to',
    LessThanThreshold: 'less than',
    LessThanOrEqualToThreshold: 'less than or equal to',
  }[comparison];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
