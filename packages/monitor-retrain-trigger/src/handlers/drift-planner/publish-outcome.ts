/**
 * Publishes every plan's outcome, so a monitor that cannot measure reads as
 * such: `UnmonitoredWindow` {Endpoint} is 1 when the endpoint may serve
 * traffic that nothing compares (no capture, no baseline, a foreign
 * baseline) and 0 otherwise, and {Endpoint, Reason} says which. The monitor's
 * UnmonitoredTraffic alarm pairs it with the endpoint's Invocations.
 */
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { UNMONITORED, WindowPlan } from './plan-window';

/** The drift metrics' namespace (the planner may put metrics in this one only). */
export const OUTCOME_NAMESPACE = 'Freshet/ModelMonitor';
export const UNMONITORED_METRIC = 'UnmonitoredWindow';

/** The datums of one plan, timestamped at the window's end like the drift job's. */
export function outcomeData(plan: WindowPlan): MetricDatum[] {
  const timestamp = new Date(plan.windowEnd);
  const blind = UNMONITORED.includes(plan.status);
  const data: MetricDatum[] = [
    { MetricName: UNMONITORED_METRIC, Dimensions: [{ Name: 'Endpoint', Value: plan.endpointName }], Value: blind ? 1 : 0, Unit: 'Count', Timestamp: timestamp },
  ];
  if (blind) {
    data.push({
      MetricName: UNMONITORED_METRIC,
      Dimensions: [{ Name: 'Endpoint', Value: plan.endpointName }, { Name: 'Reason', Value: plan.status }],
      Value: 1,
      Unit: 'Count',
      Timestamp: timestamp,
    });
  }
  return data;
}

export async function publishOutcome(cloudWatch: CloudWatchClient, plan: WindowPlan): Promise<number> {
  const data = outcomeData(plan);
  await cloudWatch.send(new PutMetricDataCommand({ Namespace: OUTCOME_NAMESPACE, MetricData: data }));
  return data.length;
}
