/** How an endpoint update shifts traffic from the old fleet to the new one (blue/green). */
export enum TrafficShiftingMode {
  /** A canary share first, then the rest after the wait interval. */
  CANARY = 'CANARY',
  /** Equal steps, one per wait interval. */
  LINEAR = 'LINEAR',
  /** Everything at once, then the bake time. */
  ALL_AT_ONCE = 'ALL_AT_ONCE',
}

/**
 * Deployment guardrails as resolved: ModelEndpoint applies them to its own
 * updates, and RetrainPipeline passes the same settings on every UpdateEndpoint.
 */
export interface DeploymentGuardrailSettings {
  /** How traffic shifts. */
  readonly mode: TrafficShiftingMode;
  /** The canary's share of capacity in percent; 0 unless CANARY. */
  readonly canarySizePercent: number;
  /** Each linear step's share of capacity in percent; 0 unless LINEAR. */
  readonly linearStepPercent: number;
  /** Seconds each shift waits. */
  readonly waitIntervalSeconds: number;
  /** Seconds the old fleet stays after the last shift. */
  readonly bakeTimeSeconds: number;
  /** Names of the alarms that roll an update back. */
  readonly rollbackAlarmNames: string[];
}
