import { testStack } from '@freshet/test-utils';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DataRemovalPolicy, SecureKey, SecureLogGroup } from '../../src';

describe('SecureKey', () => {
  test('rotates, waits 30 days and is retained', () => {
    const stack = testStack();
    new SecureKey(stack, 'Key', { description: 'Encrypts the lake' });
    Template.fromStack(stack).hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: { Description: 'Encrypts the lake', EnableKeyRotation: true, PendingWindowInDays: 30 },
    });
  });

  test('grantCloudWatchLogs lets only this account\'s log groups use the key', () => {
    const stack = testStack();
    new SecureKey(stack, 'Key', { description: 'logs' }).grantCloudWatchLogs();
    const key = Object.values(Template.fromStack(stack).findResources('AWS::KMS::Key'))[0] as any;
    const statement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'AllowCloudWatchLogsOfThisAccount');
    expect(statement.Principal).toEqual({ Service: 'logs.us-east-1.amazonaws.com' });
    const arn = statement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'];
    expect(arn['Fn::Join'][1]).toEqual(['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:*']);
  });
});

describe('SecureLogGroup', () => {
  test('keeps a year by default and is retained', () => {
    const stack = testStack();
    new SecureLogGroup(stack, 'Logs');
    Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
  });

  test('takes retention, a key and a name', () => {
    const stack = testStack();
    const key = new SecureKey(stack, 'Key', { description: 'logs' });
    new SecureLogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, encryptionKey: key, logGroupName: '/freshet/test' });
    Template.fromStack(stack).hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 30,
      LogGroupName: '/freshet/test',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
  });
});

describe('DataRemovalPolicy', () => {
  test('anything but DESTROY means RETAIN', () => {
    const stack = testStack();
    expect(DataRemovalPolicy.of(stack)).toBe(RemovalPolicy.RETAIN);
    expect(DataRemovalPolicy.of(stack, RemovalPolicy.SNAPSHOT)).toBe(RemovalPolicy.RETAIN);
    expect(DataRemovalPolicy.of(stack, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE)).toBe(RemovalPolicy.RETAIN);
  });

  test('DESTROY needs the context, as a boolean or the string from -c', () => {
    expect(DataRemovalPolicy.of(testStack(), RemovalPolicy.DESTROY)).toBe(RemovalPolicy.RETAIN);
    for (const value of [true, 'true']) {
      const stack = new Stack(new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: value } }), 'S');
      expect(DataRemovalPolicy.of(stack, RemovalPolicy.DESTROY)).toBe(RemovalPolicy.DESTROY);
    }
    const refused = new Stack(new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: 'yes' } }), 'S');
    expect(DataRemovalPolicy.of(refused, RemovalPolicy.DESTROY)).toBe(RemovalPolicy.RETAIN);
  });
});
