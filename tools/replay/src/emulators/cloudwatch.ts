import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { AlarmState } from '../cloudwatch/alarm-evaluator';

/** What the replay's alarm evaluator holds for one alarm. */
export interface AlarmStatus {
  readonly state: AlarmState;
  readonly reason: string;
  /** Simulated epoch ms of its last state change. */
  readonly since: number;
}

/** DescribeAlarms returns at most this many alarms a page (CloudWatch's MaxRecords default and limit). */
const PAGE = 100;

/**
 * CloudWatch's DescribeAlarms for the handlers, answered from the replay's
 * own alarm evaluator (its states, reasons and simulated state-change times).
 * moto's CloudWatch would stamp state changes with the wall clock, not the
 * simulated one, and the trigger compares those times with its runs' starts.
 *
 * The AWS SDK v3's CloudWatch client (the replay's, which the bundles use)
 * speaks awsJson1_0 (target `GraniteServiceVersion20100801.DescribeAlarms`);
 * any other operation, or another protocol, is refused with the reason.
 */
export class CloudWatchEmulator {
  endpoint = '';
  /** Every DescribeAlarms call: the names asked for (tests and the timeline read them). */
  readonly calls: string[][] = [];
  /** Datums received through PutMetricData. */
  puts = 0;
  private server?: http.Server;

  /**
   * @param alarms the evaluator's state of an alarm, by name (DescribeAlarms)
   * @param onPut receives each datum of a PutMetricData call (the drift publisher's, the planner's), its
   *   timestamp in epoch ms; without it PutMetricData is refused
   */
  constructor(private readonly alarms: (name: string) => AlarmStatus | undefined, private readonly onPut?: (datum: PutDatum) => void) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The SDK compresses large PutMetricData bodies (request compression, Content-Encoding gzip).
        const raw = Buffer.concat(chunks);
        const body = /gzip/.test(String(req.headers['content-encoding'] ?? '')) ? gunzipSync(raw) : raw;
        this.answer(req, body.toString('utf8'), res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private answer(req: http.IncomingMessage, text: string, res: http.ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (!target) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('The replay\'s CloudWatch speaks the awsJson1_0 protocol of the AWS SDK v3 (an X-Amz-Target header), not the query protocol.');
      return;
    }
    return this.answerJson(target, text, res);
  }

  /** The alarms of one page: CloudWatch answers only the names that exist, in name order. */
  private page(names: string[], types: string[], token: string | undefined): { alarms: [string, AlarmStatus][]; next?: string } {
    this.calls.push(names);
    const found = [...new Set(names)].sort()
      .map((name): [string, AlarmStatus | undefined] => [name, this.alarms(name)])
      .filter((entry): entry is [string, AlarmStatus] => entry[1] !== undefined);
    // The replay's alarms are metric alarms: a call asking only for composite alarms finds none.
    const metric = types.length === 0 || types.includes('MetricAlarm') ? found : [];
    const from = token ? Number(token) : 0;
    const next = from + PAGE < metric.length ? String(from + PAGE) : undefined;
    return { alarms: metric.slice(from, from + PAGE), next };
  }

  private answerJson(target: string, text: string, res: http.ServerResponse): void {
    const operation = target.replace(/^GraniteServiceVersion20100801\./, '');
    if (operation === 'PutMetricData' && this.onPut) {
      this.putMetricData(JSON.parse(text || '{}'), res);
      return;
    }
    if (operation !== 'DescribeAlarms') {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'InvalidAction;Sender' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.cloudwatch#InvalidAction', message: `The replay's CloudWatch does not implement ${operation}.` }));
      return;
    }
    const body = JSON.parse(text || '{}');
    const { alarms, next } = this.page(body.AlarmNames ?? [], body.AlarmTypes ?? [], body.NextToken);
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({
      MetricAlarms: alarms.map(([name, status]) => ({
        AlarmName: name,
        AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`,
        StateValue: status.state,
        StateReason: status.reason,
        StateUpdatedTimestamp: status.since / 1000,
      })),
      CompositeAlarms: [],
      ...(next ? { NextToken: next } : {}),
    }));
  }

  /** PutMetricData (awsJson1_0): each datum's Value, or its Values (each Count times), at its Timestamp (epoch seconds). */
  private putMetricData(body: any, res: http.ServerResponse): void {
    const namespace = String(body.Namespace ?? '');
    const data: any[] = body.MetricData ?? [];
    const problem = !namespace ? 'Namespace is required' : data.length > 1000 ? 'at most 1000 MetricData' : undefined;
    if (problem) {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'InvalidParameterValue;Sender' });
      res.end(JSON.stringify({ __type: 'com.amazonaws.cloudwatch#InvalidParameterValueException', message: problem }));
      return;
    }
    for (const d of data) {
      const time = d.Timestamp === undefined ? Date.now() : typeof d.Timestamp === 'number' ? d.Timestamp * 1000 : Date.parse(d.Timestamp);
      const dimensions = Object.fromEntries((d.Dimensions ?? []).map((x: any) => [String(x.Name), String(x.Value)]));
      const values: number[] = d.Value !== undefined ? [Number(d.Value)]
        : (d.Values ?? []).flatMap((v: number, i: number) => Array.from({ length: Number(d.Counts?.[i] ?? 1) }, () => Number(v)));
      for (const value of values) this.onPut!({ namespace, metricName: String(d.MetricName), dimensions, time, value, unit: d.Unit });
    }
    this.puts += data.length;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
    res.end('{}');
  }
}

/** One datum PutMetricData stored. */
export interface PutDatum {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  /** Epoch ms. */
  readonly time: number;
  readonly value: number;
  readonly unit?: string;
}
