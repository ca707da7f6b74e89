import * as http from 'node:http';
import { AddressInfo } from 'node:net';
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
  private server?: http.Server;

  constructor(private readonly alarms: (name: string) => AlarmStatus | undefined) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, Buffer.concat(chunks).toString('utf8'), res));
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
}
