import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MotoServer, startMotoServer, testStack } from '@freshet/test-utils';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { retrainStateMachine } from './fixtures';
import { RetrainTarget, RetrainTrigger } from '../../src/trigger';
import { alarmEvent } from '../handlers/trigger-harness';

const ARN = (name: string) => `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;

let moto: MotoServer;
let eventbridge: EventBridgeClient;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  moto = await startMotoServer();
  const client = { endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } };
  eventbridge = new EventBridgeClient(client);
  sqs = new SQSClient(client);
  const stack = testStack();
  const trigger = new RetrainTrigger(stack, 'Trigger', {
    target: RetrainTarget.stateMachine(retrainStateMachine(stack)),
    alarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Drift', ARN('stocks-MaxFeatureDrift'))],
  });
  trigger.addAlarm(cloudwatch.Alarm.fromAlarmArn(stack, 'Errors', ARN('stocks-5xx')));
  const [rule] = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule')) as any[];
  // The synthesized pattern on moto's default bus, its matches delivered to a queue.
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'matched' }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await eventbridge.send(new PutRuleCommand({ Name: 'retrain-trigger', EventPattern: JSON.stringify(rule.Properties.EventPattern) }));
  await eventbridge.send(new PutTargetsCommand({ Rule: 'retrain-trigger', Targets: [{ Id: 'queue', Arn: queueArn }] }));
});

afterAll(async () => {
  eventbridge?.destroy();
  sqs?.destroy();
  await moto?.stop();
});

async function matches(event: ReturnType<typeof alarmEvent>): Promise<boolean> {
  const put = await eventbridge.send(new PutEventsCommand({
    Entries: [{ Source: event.source, DetailType: event['detail-type'], Resources: event.resources, Detail: JSON.stringify(event.detail) }],
  }));
  expect(put.FailedEntryCount).toBe(0);
  const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
  for (const message of received.Messages ?? []) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
  return (received.Messages ?? []).length > 0;
}

// moto's EventBridge matches the synthesized pattern (it has no TestEventPattern): a match lands in the queue.
test.each([
  ['a watched alarm into ALARM', true, alarmEvent({ alarmName: 'stocks-MaxFeatureDrift' })],
  ['the alarm added with addAlarm() into ALARM', true, alarmEvent({ alarmName: 'stocks-5xx' })],
  ['a watched alarm back to OK', false, alarmEvent({ alarmName: 'stocks-MaxFeatureDrift', state: 'OK' })],
  ['a watched alarm into INSUFFICIENT_DATA', false, alarmEvent({ alarmName: 'stocks-MaxFeatureDrift', state: 'INSUFFICIENT_DATA' })],
  ['another alarm into ALARM', false, alarmEvent({ alarmName: 'someone-elses-alarm' })],
])('%s: matched %p', async (_case, expected, event) => {
  expect(await matches(event)).toBe(expected);
});
