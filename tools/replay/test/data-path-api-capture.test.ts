import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startMotoServer } from '@freshet/test-utils';
import { DEV_APP, synthConsumerApp } from './helpers';
import { readApp } from '../src/app/app-model';
import { RefusalError } from '../src/app/capabilities';
import { StageResolver } from '../src/monitor/stage-resolver';
import { ApiCaptureDelivery, ApiCaptureRoute, apiCaptureRouteOf } from '../src/serving/api-capture-delivery';
import { predictProxyOf } from '../src/serving/predict-api';

jest.setTimeout(300_000);

function routeOf(cdkOut: string, stage: string | undefined, endpointPattern: RegExp): ApiCaptureRoute | undefined {
  const app = readApp(cdkOut, stage);
  const proxy = app.stacks.flatMap((s) => s.resources)
    .map((r) => r.properties.Environment?.Variables?.ENDPOINT_NAME)
    .find((name) => typeof name === 'string' && endpointPattern.test(name));
  return apiCaptureRouteOf(app, new StageResolver(app.stacks), predictProxyOf(app, proxy));
}

describe('capture at the API, delivered as the app delivers it', () => {
  test("the Dev stage's route is read from its templates: the subscription filter's pattern, the stream's jq keys, prefix, bucket and key", () => {
    const route = routeOf(DEV_APP, 'Dev', /stocks/)!;
    expect(route.filter).toEqual({ path: ['captureData', 'endpointInput', 'mode'], value: 'INPUT' });
    expect(route.keys.variant).toEqual({ path: ['invokedProductionVariant'], slice: undefined });
    expect(route.keys.hour).toEqual({ path: ['eventMetadata', 'inferenceTime'], slice: [11, 13] });
    expect(route.prefix).toMatch(/^capture\/devserving-stocksendpoint-[0-9a-f]+\/!\{partitionKeyFromQuery:variant\}\//);
    expect(route.bucket).toMatch(/lakebucket/);
    expect(route.kmsKeyArn).toMatch(/^arn:aws:kms:/);
  });

  test('only lines the filter matches are delivered, under the partition the jq keys give', async () => {
    const route = routeOf(synthConsumerApp(), undefined, /./)!;
    const moto = await startMotoServer();
    const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: route.bucket }));
      const delivery = new ApiCaptureDelivery(s3, { ...route, kmsKeyArn: undefined });
      const record = (time: string, variant: string, mode = 'INPUT') => JSON.stringify({
        captureData: { endpointInput: { mode, observedContentType: 'text/csv', encoding: 'CSV', data: '1,2' }, endpointOutput: { mode: 'OUTPUT', observedContentType: 'text/csv', encoding: 'CSV', data: '3' } },
        eventMetadata: { eventId: 'e', inferenceId: 'i', inferenceTime: time },
        eventVersion: '0',
        invokedProductionVariant: variant,
      });
      await delivery.deliver([
        record('2026-01-05T07:59:59Z', 'primary'),
        '{"_aws":{"CloudWatchMetrics":[]},"ModelLatency":3}',
        'not json',
        record('2026-01-05T08:00:00Z', 'primary'),
        record('2026-01-05T08:00:01Z', 'primary', 'OUTPUT'),
      ]);
      expect(delivery.written).toBe(2);
      expect(delivery.ignored).toBe(3);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: route.bucket }));
      const keys = (listed.Contents ?? []).map((o) => o.Key!).sort();
      const base = route.prefix.slice(0, route.prefix.indexOf('!{'));
      expect(keys.map((k) => k.slice(base.length, base.length + 'primary/2026/01/05/07/'.length))).toEqual(['primary/2026/01/05/07/', 'primary/2026/01/05/08/']);
      const body = await (await s3.send(new GetObjectCommand({ Bucket: route.bucket, Key: keys[1] }))).Body!.transformToString();
      expect(body.split('\n').filter(Boolean).map((l) => JSON.parse(l).eventMetadata.inferenceTime)).toEqual(['2026-01-05T08:00:00Z']);
      delivery.stopped = true;
      await delivery.deliver([record('2026-01-05T09:00:00Z', 'primary')]);
      expect(delivery.written).toBe(2);
    } finally {
      s3.destroy();
      await moto.stop();
    }
  });

  test('a filter pattern the replay cannot evaluate is refused, naming it', () => {
    const app = readApp(DEV_APP, 'Dev');
    const filter = app.stacks.flatMap((s) => s.resources).find((r) => r.type === 'AWS::Logs::SubscriptionFilter')!;
    const saved = filter.properties.FilterPattern;
    filter.properties.FilterPattern = '[ip, user, ...]';
    try {
      const endpoint = filter.properties.LogGroupName.Ref.startsWith('Stocks') ? /stocks/ : /pollution/;
      const proxyName = app.stacks.flatMap((s) => s.resources).map((r) => r.properties.Environment?.Variables?.ENDPOINT_NAME)
        .find((n) => typeof n === 'string' && endpoint.test(n));
      expect(() => apiCaptureRouteOf(app, new StageResolver(app.stacks), predictProxyOf(app, proxyName))).toThrow(RefusalError);
      expect(() => apiCaptureRouteOf(app, new StageResolver(app.stacks), predictProxyOf(app, proxyName))).toThrow(/\[ip, user, \.\.\.\].*\{ \$\.path = "value" \}/);
    } finally {
      filter.properties.FilterPattern = saved;
    }
  });
});
