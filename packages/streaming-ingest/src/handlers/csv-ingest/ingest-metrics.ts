/** The counts of one object's ingest, published as CloudWatch metrics. */
export interface IngestCounts {
  readonly rowsIngested: number;
  readonly rowsRejected: number;
  /** Empty lines, skipped as Python's csv and pandas skip them: neither rows nor rejections. */
  readonly blankLinesSkipped: number;
  readonly filesRejected: number;
  readonly putRecordsRetries: number;
  readonly duplicateDeliveries: number;
}

/** The namespace the construct's alarms read. */
export const METRIC_NAMESPACE = 'Freshet/Ingest';

/**
 * Prints the counts as one CloudWatch Embedded Metric Format line: Lambda
 * ships stdout to CloudWatch Logs, which turns it into metrics with no API
 * call on the hot path.
 */
export function emitIngestMetrics(dataset: string, counts: IngestCounts, log: (line: string) => void = console.log): void {
  const names: (keyof IngestCounts)[] = ['rowsIngested', 'rowsRejected', 'blankLinesSkipped', 'filesRejected', 'putRecordsRetries', 'duplicateDeliveries'];
  const metricName = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
  const values = Object.fromEntries(names.map((name) => [metricName(name), counts[name]]));
  log(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: METRIC_NAMESPACE,
        Dimensions: [['Dataset']],
        Metrics: names.map((name) => ({ Name: metricName(name), Unit: 'Count' })),
      }],
    },
    Dataset: dataset,
    ...values,
  }));
}
