import { SkipReason } from './storm-control';

/** The CloudWatch namespace of the trigger's decisions. */
export const TRIGGER_NAMESPACE = 'Freshet/RetrainTrigger';

/** Writes one line to the function's log. */
export type LogWriter = (line: string) => void;

/**
 * Lambda's console.log prefixes each line with a timestamp and request id,
 * which turns an embedded-metric-format document into plain text, so the
 * lines go to stdout as they are.
 */
export const stdoutWriter: LogWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

/**
 * Logs each decision as one JSON line that is also a CloudWatch embedded
 * metric format document: TriggerStarted {Target} or TriggerSkipped
 * {Target, Reason}, so every skip is both readable and counted.
 */
export class DecisionLog {
  constructor(private readonly target: string, private readonly write: LogWriter, private readonly now: () => Date) {}

  public started(fields: Record<string, unknown>): void {
    this.emit('TriggerStarted', { Target: this.target }, { message: 'started a retraining run', ...fields });
  }

  public skipped(reason: SkipReason, fields: Record<string, unknown>): void {
    this.emit('TriggerSkipped', { Target: this.target, Reason: reason }, { message: `skipped: ${reason}`, ...fields });
  }

  /** A line that is not a decision (a failed start, a released claim). */
  public info(message: string, fields: Record<string, unknown>): void {
    this.write(JSON.stringify({ message, target: this.target, ...fields }));
  }

  private emit(metric: string, dimensions: Record<string, string>, fields: Record<string, unknown>): void {
    this.write(JSON.stringify({
      _aws: {
        Timestamp: this.now().getTime(),
        CloudWatchMetrics: [{ Namespace: TRIGGER_NAMESPACE, Dimensions: [Object.keys(dimensions)], Metrics: [{ Name: metric, Unit: 'Count' }] }],
      },
      ...dimensions,
      [metric]: 1,
      ...fields,
    }));
  }
}
