/**
 * The accuracy gate's arithmetic, which the States Language cannot do
 * (`candidate` must beat `champion` by a margin, in the metric's direction).
 * Pure: no AWS calls; the state machine branches on `passed`.
 */

/** The gate's input, built by the "Gate" state. */
export interface GateEvent {
  readonly metricName: string;
  /** The candidate's metric value from evaluation.json. */
  readonly metricValue: number | null;
  readonly higherIsBetter: boolean;
  readonly threshold: number;
  readonly minImprovement: number;
  /** `$.gate` as "Find champion" and "Describe champion" left it. */
  readonly search?: {
    readonly packages?: { readonly ModelPackageArn?: string }[];
    readonly champion?: {
      readonly ModelPackageArn?: string;
      /** Re-read by "Describe champion": a package rejected since "Find champion" listed it is no champion. */
      readonly ModelApprovalStatus?: string;
      readonly CustomerMetadataProperties?: Record<string, string>;
    };
  };
}

/** The gate's decision; `reason` is what the notification and the Rejected output say. */
export interface GateDecision {
  readonly passed: boolean;
  readonly reason: string;
  readonly metricName: string;
  readonly metricValue: number | null;
  readonly championArn: string | null;
  readonly championValue: number | null;
}

export const GATE_METRIC_NAME_KEY = 'gateMetricName';
export const GATE_METRIC_VALUE_KEY = 'gateMetricValue';

export async function handler(event: GateEvent): Promise<GateDecision> {
  return decide(event);
}

export function decide(event: GateEvent): GateDecision {
  const { metricName, higherIsBetter, threshold, minImprovement } = event;
  const value = typeof event.metricValue === 'number' && Number.isFinite(event.metricValue) ? event.metricValue : null;
  const described = event.search?.champion;
  // Only an Approved package is a champion (the workflow approves a package once it serves, and rejects it when
  // its deployment rolls back or fails); a status other than Approved here means it was rejected in between.
  const withdrawn = described?.ModelApprovalStatus !== undefined && described.ModelApprovalStatus !== 'Approved' ? described : undefined;
  const champion = withdrawn ? undefined : described;
  const championArn = champion?.ModelPackageArn ?? null;
  const metadata = champion?.CustomerMetadataProperties ?? {};
  const parsed = metadata[GATE_METRIC_NAME_KEY] === metricName ? Number(metadata[GATE_METRIC_VALUE_KEY]) : NaN;
  const championValue = Number.isFinite(parsed) ? parsed : null;
  const base = { metricName, metricValue: value, championArn, championValue };
  const better = higherIsBetter ? 'higher' : 'lower';

  if (value === null) {
    return { ...base, passed: false, reason: `evaluation.json has no numeric ${metricName}` };
  }
  const passesThreshold = higherIsBetter ? value >= threshold : value <= threshold;
  if (!passesThreshold) {
    return { ...base, passed: false, reason: `${metricName} ${value} misses the threshold ${threshold} (${better} is better)` };
  }
  if (championValue === null) {
    const why = championArn
      ? `the champion ${championArn} records no ${metricName}`
      : withdrawn
        ? `there is no approved champion (${withdrawn.ModelPackageArn} is ${withdrawn.ModelApprovalStatus} now)`
        : 'there is no approved champion';
    return { ...base, passed: true, reason: `${metricName} ${value} passes the threshold ${threshold}; ${why}` };
  }
  const bar = higherIsBetter ? championValue + minImprovement : championValue - minImprovement;
  const beats = higherIsBetter ? value >= bar : value <= bar;
  return {
    ...base,
    passed: beats,
    reason: beats
      ? `${metricName} ${value} passes the threshold ${threshold} and beats the champion's ${championValue} by at least ${minImprovement}`
      : `${metricName} ${value} does not beat the champion's ${championValue} by ${minImprovement} (${better} is better; needed ${bar})`,
  };
}
