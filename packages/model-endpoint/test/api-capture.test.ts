import { execFileSync } from 'child_process';
import { Algorithm } from '@freshet/core';
import { formatDenials, PermissionLedger, PermissionModel, serviceSideCalls, testStack } from '@freshet/test-utils';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { ApiCapture, CaptureSource, EndpointCompute, ModelSource } from '../src';
import { lakeAndModel, synthEndpoint } from './fixtures/endpoint';
import { captureLine } from '../src/handlers/predict-proxy/api-capture';

/**
 * Capture at the API (issue 21), as synthesized: the proxy's log subscription,
 * the Firehose stream that extracts and partitions the lines into SageMaker's
 * layout with the lake's key, the alarms on what is dropped or undelivered,
 * and the choice between SageMaker's capture, the API's, or both.
 */

const serverless = EndpointCompute.serverless({ memorySizeMb: 2048, maxConcurrency: 5 });

function ref(stack: Stack, construct: { node: { defaultChild?: unknown } } | unknown): string {
  const child = (construct as { node: { defaultChild?: unknown } }).node?.defaultChild ?? construct;
  return stack.getLogicalId(child as never);
}

describe('a serverless endpoint captures at the API by default', () => {
  const stack = testStack();
  const { lake } = lakeAndModel(stack);
  const firstTraining = ModelSource.fromFirstTraining(Algorithm.XGBOOST, { bucket: lake });
  const { endpoint, template } = synthEndpoint({ compute: serverless, model: firstTraining }, stack);
  const capture = endpoint.apiCapture!;

  test('the source is the API; the workflow gets no SageMaker capture, monitors get the API\'s under capture/', () => {
    expect(endpoint.captureSource).toBe(CaptureSource.API);
    const target = endpoint.deploymentTarget();
    expect(target.dataCapture).toBeUndefined();
    expect(stack.resolve(target.apiCapture!.destinationS3Uri)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: ref(stack, lake.node.defaultChild) }, '/capture']] });
    expect(target.apiCapture!.samplingPercent).toBe(100);
    expect(target.apiCapture!.kmsKey).toBe(lake.encryptionKey);
    expect(capture.capturePrefix).toBe(`capture/${endpoint.endpointName}/`);
  });

  test('the proxy is told to capture, at 100 percent, naming the variant', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CAPTURE: 'api', CAPTURE_SAMPLING_PERCENT: '100', CAPTURE_DEFAULT_VARIANT: 'primary' }) },
    });
  });

  test('a subscription filter sends only capture lines from the proxy\'s log group to the stream', () => {
    template.hasResourceProperties('AWS::Logs::SubscriptionFilter', {
      LogGroupName: { Ref: ref(stack, endpoint.api.proxyLogGroup) },
      DestinationArn: { 'Fn::GetAtt': [ref(stack, capture.deliveryStream), 'Arn'] },
      RoleArn: { 'Fn::GetAtt': [ref(stack, capture.subscriptionRole), 'Arn'] },
      FilterPattern: '{ $.captureData.endpointInput.mode = "INPUT" }',
    });
  });

  test('Firehose decompresses, extracts each message and partitions by variant and hour into SageMaker\'s layout, encrypted with the lake key', () => {
    const streams = template.findResources('AWS::KinesisFirehose::DeliveryStream');
    const props = streams[ref(stack, capture.deliveryStream)].Properties;
    expect(props.DeliveryStreamType).toBe('DirectPut');
    expect(props.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: { 'Fn::GetAtt': [ref(stack, endpoint.encryptionKey), 'Arn'] } });
    const s3 = props.ExtendedS3DestinationConfiguration;
    expect(s3.Prefix).toBe(`capture/${endpoint.endpointName}/!{partitionKeyFromQuery:variant}/!{partitionKeyFromQuery:year}/!{partitionKeyFromQuery:month}/!{partitionKeyFromQuery:day}/!{partitionKeyFromQuery:hour}/`);
    expect(s3.ErrorOutputPrefix).toBe(`rejected/capture/${endpoint.endpointName}/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`);
    expect(s3.EncryptionConfiguration).toEqual({ KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [ref(stack, lake.encryptionKey), 'Arn'] } } });
    expect(s3.DynamicPartitioningConfiguration.Enabled).toBe(true);
    expect(s3.BufferingHints).toEqual({ IntervalInSeconds: 300, SizeInMBs: 64 });
    expect(s3.CompressionFormat).toBe('UNCOMPRESSED');
    expect(s3.ProcessingConfiguration.Processors.map((p: { Type: string }) => p.Type))
      .toEqual(['Decompression', 'CloudWatchLogProcessing', 'MetadataExtraction', 'AppendDelimiterToRecord']);
    // No Lambda anywhere in the transport.
    expect(JSON.stringify(s3)).not.toContain('Lambda');
  });

  test('the partition query, run by jq 1.6 on a line the proxy writes, gives the variant and the UTC hour of the inference', () => {
    const line = captureLine({
      inferenceId: 'abc',
      requestContentType: 'text/csv',
      requestBody: 'AMZN,RETAIL,-1.5\n',
      responseContentType: 'text/csv',
      responseText: '42\n',
      variant: 'Blue',
      time: new Date('2026-12-07T21:59:59.900Z'),
    });
    const keys = JSON.parse(execFileSync('jq', ['-c', ApiCapture.PARTITION_QUERY], { input: line, encoding: 'utf-8' }));
    expect(keys).toEqual({ variant: 'Blue', year: '2026', month: '12', day: '07', hour: '21' });
    expect(JSON.parse(line).captureData.endpointInput.mode).toBe('INPUT');
  });

  test('every way a record can be lost has an alarm with an action: dropped by the proxy, failed or late delivery, partitions, the subscription', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    const byMetric = (namespace: string, name: string) => Object.values(alarms)
      .find((a: any) => a.Properties.Namespace === namespace && a.Properties.MetricName === name) as any;
    for (const [namespace, name] of [
      ['Freshet/PredictProxy', 'CaptureDropped'],
      ['AWS/Firehose', 'DeliveryToS3.Success'],
      ['AWS/Firehose', 'DeliveryToS3.DataFreshness'],
      ['AWS/Firehose', 'PartitionCountExceeded'],
      ['AWS/Logs', 'DeliveryErrors'],
    ]) {
      const alarm = byMetric(namespace, name);
      expect(alarm).toBeDefined();
      expect(alarm.Properties.AlarmActions?.length).toBeGreaterThan(0);
    }
    expect(byMetric('AWS/Firehose', 'DeliveryToS3.Success').Properties).toEqual(expect.objectContaining({ ComparisonOperator: 'LessThanThreshold', Threshold: 1, Statistic: 'Minimum' }));
    expect(byMetric('Freshet/PredictProxy', 'CaptureDropped').Properties.Dimensions).toEqual([{ Name: 'EndpointName', Value: endpoint.endpointName }]);
    expect(capture.alarms).toHaveLength(5);
  });

  test('the IAM proof: Firehose may write its prefixes (with the lake key through S3) and its log stream; CloudWatch Logs may put into the stream', async () => {
    const model = PermissionModel.fromStack(stack);
    const ledger = new PermissionLedger('model-endpoint (API capture)');
    const calls = serviceSideCalls(model).filter((c) => /ApiCapture/.test(String(c.source)));
    const actions = calls.map((c) => c.action);
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 'logs:PutLogEvents', 'firehose:PutRecordBatch']));
    expect(formatDenials(await ledger.evaluate(model, calls))).toBe('');
    // Not another endpoint's capture, nor the rest of the lake.
    const role = capture.deliveryRole.node.path;
    const bucket = model.resources.find((r) => r.type === 'AWS::S3::Bucket' && r.path?.includes('/Lake/'))!;
    const arn = String(bucket.arn);
    expect((await model.evaluate({ principal: role, action: 's3:PutObject', resource: `${arn}/capture/another-endpoint/primary/2026/12/07/21/x.jsonl` })).allowed).toBe(false);
    expect((await model.evaluate({ principal: role, action: 's3:PutObject', resource: `${arn}/models/run/model.tar.gz` })).allowed).toBe(false);
  });
});

describe('the choice of capture is a prop', () => {
  test('real-time by default: SageMaker\'s own capture, no stream, no capture in the proxy', () => {
    const { endpoint, template } = synthEndpoint();
    expect(endpoint.captureSource).toBe(CaptureSource.ENDPOINT);
    expect(endpoint.apiCapture).toBeUndefined();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.objectLike({ EnableCapture: true }) });
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Environment?.Variables?.ENDPOINT_NAME) as any;
    expect(fn.Properties.Environment.Variables.CAPTURE).toBeUndefined();
  });

  test('real-time with CaptureSource.API: the API captures, SageMaker does not; sampling and buffering are passed on', () => {
    const dataCapture = { source: CaptureSource.API, samplingPercentage: 25, apiBufferingInterval: Duration.minutes(1) };
    const { endpoint, template } = synthEndpoint({ dataCapture });
    expect(JSON.stringify(template.findResources('AWS::SageMaker::EndpointConfig'))).not.toContain('DataCaptureConfig');
    expect(endpoint.deploymentTarget().dataCapture).toBeUndefined();
    expect(endpoint.deploymentTarget().apiCapture?.samplingPercent).toBe(25);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ CAPTURE: 'api', CAPTURE_SAMPLING_PERCENT: '25' }) } });
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 } }),
    });
  });

  test('both: SageMaker\'s capture under capture/ (the one monitors read), the API\'s under capture-api/, so nothing is counted twice', () => {
    const { endpoint, template } = synthEndpoint({ dataCapture: { source: CaptureSource.API_AND_ENDPOINT } });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { DataCaptureConfig: Match.objectLike({ EnableCapture: true }) });
    expect(endpoint.apiCapture!.capturePrefix).toBe(`capture-api/${endpoint.endpointName}/`);
    expect(endpoint.deploymentTarget().dataCapture).toBeDefined();
  });

  test.each([CaptureSource.ENDPOINT, CaptureSource.API_AND_ENDPOINT])('serverless with %s is refused at synth, saying what to change', (source) => {
    expect(() => synthEndpoint({ compute: serverless, dataCapture: { source } }))
      .toThrow(`dataCapture.source is ${source}, but serverless endpoints have no SageMaker data capture: use CaptureSource.API (the prediction API captures every request it forwards), or EndpointCompute.realTime().`);
  });

  test('capture off: no stream, no subscription, nothing in the proxy', () => {
    const { endpoint, template } = synthEndpoint({ compute: serverless, dataCapture: { enabled: false } });
    expect(endpoint.captureSource).toBeUndefined();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
  });

  test('a buffering interval outside Firehose\'s range is refused, naming the range', () => {
    expect(() => synthEndpoint({ compute: serverless, dataCapture: { apiBufferingInterval: Duration.seconds(30) } }))
      .toThrow('bufferingInterval is 30 seconds; give 60 to 900 seconds');
  });
});

