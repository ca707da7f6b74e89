import { cfnLint, formatCfnLint, formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataRemovalPolicy, SecureBucket } from '../../src';

describe('SecureBucket', () => {
  test('defaults: SSE-KMS with a rotating key, TLS only, versioned, private, logged, retained', () => {
    const stack = testStack();
    new SecureBucket(stack, 'Lake');
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'access-logs/' },
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 } });

    // Both buckets refuse plain HTTP and old TLS.
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      const statements = (policy as any).Properties.PolicyDocument.Statement;
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
    // The access logs bucket uses SSE-S3: S3 cannot deliver access logs to an SSE-KMS bucket.
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
  });

  test('uses a given key, logs bucket and lifecycle rules', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Given', { enableKeyRotation: true });
    const logs = new s3.Bucket(stack, 'Logs');
    const secure = new SecureBucket(stack, 'Lake', {
      encryptionKey: key,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'lake/',
      lifecycleRules: [{ id: 'raw', prefix: 'raw/', transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(30) }] }],
    });
    expect(secure.encryptionKey).toBe(key);
    expect(secure.serverAccessLogsBucket).toBe(logs);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'lake/' },
      LifecycleConfiguration: { Rules: [Match.objectLike({ Id: 'raw', Prefix: 'raw/', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 30 }] })] },
    });
  });

  test('DESTROY without the context is ignored, with a warning that says how to allow it', () => {
    const stack = testStack();
    new SecureBucket(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect((bucket as any).DeletionPolicy).toBe('Retain');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    Annotations.fromStack(stack).hasWarning('/Test/Lake', Match.stringLikeRegexp(`set the context '${DataRemovalPolicy.ALLOW_DESTROY_CONTEXT}' to true`));
  });

  test('DESTROY with the context empties and deletes the buckets and schedules the key', () => {
    const app = new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: true } });
    const stack = new Stack(app, 'Sandbox');
    new SecureBucket(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect((bucket as any).DeletionPolicy).toBe('Delete');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('passes the AwsSolutions and NIST 800-53 R5 packs and cfn-lint', () => {
    const stack = testStack();
    new SecureBucket(stack, 'Lake');
    expect(formatFindings(nagFindings(stack))).toBe('');
    expect(formatCfnLint(cfnLint([Template.fromStack(stack).toJSON()]))).toBe('');
  });
});

describe('SecureBucket replication', () => {
  test('replication rules replace the acknowledgement', () => {
    const stack = testStack();
    const destination = new SecureBucket(stack, 'Replica');
    const source = new SecureBucket(stack, 'Lake', {
      replicationRules: [{ destination: destination.bucket, priority: 1, kmsKey: destination.encryptionKey }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled' })] },
    });
    const acknowledged = source.bucket.node.metadata.some((m) => JSON.stringify(m.data ?? '').includes('S3BucketReplicationEnabled'));
    expect(acknowledged).toBe(false);
    expect(nagFindings(stack).filter((f) => f.path.startsWith('Test/Lake/Bucket')).map((f) => f.ruleId)).toEqual([]);
  });
});
