/** The namespace of the proxy's metrics. */
export const PROXY_METRIC_NAMESPACE = 'Freshet/PredictProxy';

/** The metric counting requests the proxy answered 504 because the model did not answer in time. */
export const MODEL_TIMEOUTS_METRIC = 'ModelTimeouts';

/**
 * Prints one CloudWatch Embedded Metric Format line (as the ingest handler does):
 * Lambda ships stdout to CloudWatch Logs, which turns it into the metric with no
 * API call on the request's path.
 */
export function emitProxyCount(endpointName: string, metric: string, log: (line: string) => void = console.log): void {
  log(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: PROXY_METRIC_NAMESPACE, Dimensions: [['EndpointName']], Metrics: [{ Name: metric, Unit: 'Count' }] }],
    },
    EndpointName: endpointName,
    [metric]: 1,
  }));
}

/** The metric counting capture records the proxy could not write (too large for a log event, or stdout failed). */
export const CAPTURE_DROPPED_METRIC = 'CaptureDropped';
