/** One metric's identity: namespace, name and dimensions (order does not matter). */
export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
}

/** Which statistic a query asks for. */
export interface StatisticQuery extends MetricId {
  readonly statistic: string;
}

/**
 * CloudWatch's metric storage as alarms read it: raw values at their
 * timestamps, aggregated per period on read. A metric matches only with
 * exactly the same dimensions (CloudWatch does not aggregate across
 * dimension sets for alarms).
 */
export class MetricStore {
  private readonly series = new Map<string, { time: number; value: number }[]>();

  put(id: MetricId, time: number, value: number): void {
    if (!Number.isFinite(value)) throw new Error(`CloudWatch rejects non-finite values: ${id.metricName} = ${value}.`);
    const key = metricKey(id);
    const list = this.series.get(key) ?? [];
    list.push({ time, value });
    this.series.set(key, list);
  }

  /** The statistic of the values with start <= time < end, or undefined when there are none (a missing datapoint). */
  statistic(query: StatisticQuery, start: number, end: number): number | undefined {
    const values = (this.series.get(metricKey(query)) ?? []).filter((p) => p.time >= start && p.time < end).map((p) => p.value);
    if (values.length === 0) return undefined;
    switch (query.statistic) {
      case 'Maximum': return Math.max(...values);
      case 'Minimum': return Math.min(...values);
      case 'Sum': return values.reduce((a, b) => a + b, 0);
      case 'SampleCount': return values.length;
      case 'Average': return values.reduce((a, b) => a + b, 0) / values.length;
      default: throw new Error(`Statistic ${query.statistic} is not supported by the replay's CloudWatch (Average, Sum, Minimum, Maximum, SampleCount are).`);
    }
  }

  /** Every stored value of one metric, oldest first (for charts). */
  values(id: MetricId): { time: number; value: number }[] {
    return [...(this.series.get(metricKey(id)) ?? [])].sort((a, b) => a.time - b.time);
  }
}

export function metricKey(id: MetricId): string {
  const dims = Object.entries(id.dimensions).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${v}`).join(',');
  return `${id.namespace}|${id.metricName}|${dims}`;
}
