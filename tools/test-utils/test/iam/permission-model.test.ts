import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { formatDenials, PermissionModel } from '../../src';

/**
 * Acceptance 1 of issue 14: the harness on small stacks built here, with the
 * expected decision of each call known from the IAM rules, not from the harness.
 */

const ENV = { account: '123456789012', region: 'us-east-1' };

/** A reader role with a grant on reports/, a writer with a Deny on secret/, a TLS-only bucket and a key that trusts the account. */
function smallApp() {
  const app = new App();
  const stack = new Stack(app, 'Small', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'Bucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true, bucketKeyEnabled: true });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  bucket.grantRead(reader, 'reports/*');
  const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  bucket.grantReadWrite(writer);
  writer.addToPolicy(new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['s3:PutObject'], resources: [bucket.arnForObjects('secret/*')] }));
  // A key whose policy names only the writer role: the account's IAM policies do not count for it.
  const privateKey = new kms.Key(stack, 'PrivateKey', {
    enableKeyRotation: true,
    policy: new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({ actions: ['kms:*'], principals: [new iam.ArnPrincipal(writer.roleArn)], resources: ['*'] })],
    }),
  });
  privateKey.grantDecrypt(reader);
  // A key usable only through S3: kms:ViaService.
  const s3OnlyKey = new kms.Key(stack, 'S3OnlyKey', { enableKeyRotation: true });
  reader.addToPolicy(new iam.PolicyStatement({
    actions: ['kms:Decrypt'],
    resources: [s3OnlyKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${ENV.region}.amazonaws.com` } },
  }));
  const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true });
  topic.grantPublish(writer);
  const model = PermissionModel.fromStack(stack);
  const arnOf = (construct: { node: any }, type: string) => model.resources.find((r) => r.type === type && r.path?.startsWith(`${construct.node.path}/`))!.arn!;
  return {
    model,
    bucketArn: arnOf(bucket, 'AWS::S3::Bucket'),
    keyArn: arnOf(key, 'AWS::KMS::Key'),
    privateKeyArn: arnOf(privateKey, 'AWS::KMS::Key'),
    s3OnlyKeyArn: arnOf(s3OnlyKey, 'AWS::KMS::Key'),
    topicArn: model.resources.find((r) => r.type === 'AWS::SNS::Topic')!.ref as string,
  };
}

const small = smallApp();
const reader = 'Small/Reader';
const writer = 'Small/Writer';

test('a granted read is allowed, naming the statement that allows it, and the S3 read implies kms:Decrypt through S3, allowed by the key grant', async () => {
  const decision = await small.model.evaluate({ principal: reader, action: 's3:GetObject', resource: `${small.bucketArn}/reports/2026.csv` });
  expect(decision.result).toBe('Allowed');
  expect(decision.reason).toMatch(/^allowed by identity policy Small\/Reader\/DefaultPolicy\/Resource statement/);
  expect(decision.implied).toHaveLength(1);
  expect(decision.implied[0]).toMatchObject({
    allowed: true,
    call: { action: 'kms:Decrypt', resource: small.keyArn, context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:EncryptionContext:aws:s3:arn': small.bucketArn } },
  });
});

test('a read outside the granted prefix is implicitly denied, and the message names the call, the role and the reason', async () => {
  const decision = await small.model.evaluate({ principal: reader, action: 's3:GetObject', resource: `${small.bucketArn}/models/model.tar.gz`, source: 'test' });
  expect(decision).toMatchObject({ allowed: false, result: 'ImplicitlyDenied' });
  expect(formatDenials([decision])).toBe([
    `DENIED s3:GetObject on ${small.bucketArn}/models/model.tar.gz (from test)`,
    `  role:   ${small.model.role(reader).arn}`,
    '  reason: no statement of the identity policies allows it; no statement of the resource policy Small/Bucket/Policy/Resource allows it'
      + ' (identity policies: Small/Reader/DefaultPolicy/Resource)',
  ].join('\n'));
});

test('an explicit Deny wins over the Allow of the same role', async () => {
  const allowed = await small.model.evaluate({ principal: writer, action: 's3:PutObject', resource: `${small.bucketArn}/reports/a.csv` });
  expect(allowed.allowed).toBe(true);
  // The write also needs the key: GenerateDataKey through S3, granted by grantReadWrite.
  expect(allowed.implied.map((d) => [d.call.action, d.allowed])).toEqual([['kms:GenerateDataKey', true]]);
  const denied = await small.model.evaluate({ principal: writer, action: 's3:PutObject', resource: `${small.bucketArn}/secret/a.csv` });
  expect(denied.result).toBe('ExplicitlyDenied');
  expect(denied.reason).toMatch(/^explicit Deny in identity policy Small\/Writer\/DefaultPolicy\/Resource statement #\d/);
});

test("a KMS key policy that does not trust the account denies what the role's own policy grants", async () => {
  // The reader's identity policy allows kms:Decrypt on the key (grantDecrypt), but the key policy names only the writer.
  const policies = small.model.identityPolicies(small.model.role(reader)).policies.map((p) => JSON.stringify(p.document));
  expect(policies.some((p) => p.includes(small.privateKeyArn) && p.includes('kms:Decrypt'))).toBe(true);
  const denied = await small.model.evaluate({ principal: reader, action: 'kms:Decrypt', resource: small.privateKeyArn });
  expect(denied.result).toBe('ImplicitlyDenied');
  expect(denied.reason).toContain('PrivateKey');
  const trusted = await small.model.evaluate({ principal: writer, action: 'kms:Decrypt', resource: small.privateKeyArn });
  expect(trusted.result).toBe('Allowed');
  expect(trusted.reason).toContain('resource policy Small/PrivateKey/Resource (key policy)');
});

test("a bucket policy's TLS-only Deny denies a request without aws:SecureTransport", async () => {
  const overTls = await small.model.evaluate({ principal: writer, action: 's3:GetObject', resource: `${small.bucketArn}/reports/a.csv` });
  expect(overTls.allowed).toBe(true);
  const plain = await small.model.evaluate({ principal: writer, action: 's3:GetObject', resource: `${small.bucketArn}/reports/a.csv`, context: { 'aws:SecureTransport': 'false' } });
  expect(plain.result).toBe('ExplicitlyDenied');
  expect(plain.reason).toMatch(/explicit Deny in resource policy Small\/Bucket\/Policy\/Resource statement/);
});

test('a grant conditioned on kms:ViaService allows the call through S3 and denies the direct one', async () => {
  const viaS3 = await small.model.evaluate({ principal: reader, action: 'kms:Decrypt', resource: small.s3OnlyKeyArn, context: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } });
  expect(viaS3.allowed).toBe(true);
  const direct = await small.model.evaluate({ principal: reader, action: 'kms:Decrypt', resource: small.s3OnlyKeyArn });
  expect(direct.result).toBe('ImplicitlyDenied');
  const viaSqs = await small.model.evaluate({ principal: reader, action: 'kms:Decrypt', resource: small.s3OnlyKeyArn, context: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' } });
  expect(viaSqs.allowed).toBe(false);
});

test('a topic policy and service principals: publishing is allowed to the granted role only, and only over TLS', async () => {
  expect((await small.model.evaluate({ principal: writer, action: 'sns:Publish', resource: small.topicArn })).allowed).toBe(true);
  expect((await small.model.evaluate({ principal: reader, action: 'sns:Publish', resource: small.topicArn })).allowed).toBe(false);
  const plain = await small.model.evaluate({ principal: writer, action: 'sns:Publish', resource: small.topicArn, context: { 'aws:SecureTransport': 'false' } });
  expect(plain.result).toBe('ExplicitlyDenied');
  // The role's trust policy lets Lambda assume it, and nobody else.
  const writerArn = small.model.role(writer).arn!;
  expect((await small.model.evaluate({ principal: 'lambda.amazonaws.com', action: 'sts:AssumeRole', resource: writerArn })).allowed).toBe(true);
  expect((await small.model.evaluate({ principal: 'states.amazonaws.com', action: 'sts:AssumeRole', resource: writerArn })).allowed).toBe(false);
});

test('an encryption-context condition on object ARNs denies S3 writes under a Bucket Key (the context is the bucket ARN), and admits them without one', async () => {
  const app = new App();
  const stack = new Stack(app, 'Context', { env: ENV });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const withBucketKey = new s3.Bucket(stack, 'WithBucketKey', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true });
  const withoutBucketKey = new s3.Bucket(stack, 'WithoutBucketKey', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: false });
  const deliveryRole = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
  for (const bucket of [withBucketKey, withoutBucketKey]) {
    deliveryRole.addToPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects('raw/*')] }));
    deliveryRole.addToPolicy(new iam.PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' }, StringLike: { 'kms:EncryptionContext:aws:s3:arn': bucket.arnForObjects('raw/*') } },
    }));
  }
  const model = PermissionModel.fromStack(stack);
  const bucketArn = (id: string) => model.resources.find((r) => r.type === 'AWS::S3::Bucket' && r.path === `Context/${id}/Resource`)!.arn!;
  const underBucketKey = await model.evaluate({ principal: 'Context/Writer', action: 's3:PutObject', resource: `${bucketArn('WithBucketKey')}/raw/a.json` });
  expect(underBucketKey.allowed).toBe(true);
  expect(underBucketKey.implied.map((d) => [d.call.context?.['kms:EncryptionContext:aws:s3:arn'], d.allowed])).toEqual([[bucketArn('WithBucketKey'), false]]);
  const perObject = await model.evaluate({ principal: 'Context/Writer', action: 's3:PutObject', resource: `${bucketArn('WithoutBucketKey')}/raw/a.json` });
  expect(perObject.implied.map((d) => [d.call.context?.['kms:EncryptionContext:aws:s3:arn'], d.allowed])).toEqual([[`${bucketArn('WithoutBucketKey')}/raw/a.json`, true]]);
});

test('roles are found by logical id, construct path or ARN, and an unknown one fails with the roles it knows', () => {
  const role = small.model.role('Small/Reader/Resource');
  expect(small.model.role(role.logicalId)).toBe(role);
  expect(small.model.role(role.arn!)).toBe(role);
  expect(() => small.model.role('Small/Nobody')).toThrow(/matches 0 roles[\s\S]*Small\/Reader\/Resource/);
});

test('cross-stack references resolve to the exporting stack\'s values', async () => {
  const app = new App();
  const producer = new Stack(app, 'Producer', { env: ENV });
  const bucket = new s3.Bucket(producer, 'Shared', { enforceSSL: true });
  const consumer = new Stack(app, 'Consumer', { env: ENV });
  const role = new iam.Role(consumer, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  bucket.grantRead(role);
  const model = PermissionModel.fromStack(consumer);
  const bucketArn = model.resources.find((r) => r.type === 'AWS::S3::Bucket')!.arn!;
  expect(bucketArn).toMatch(/^arn:aws:s3:::shared/);
  expect((await model.evaluate({ principal: 'Consumer/Role', action: 's3:GetObject', resource: `${bucketArn}/x` })).allowed).toBe(true);
  expect((await model.evaluate({ principal: 'Consumer/Role', action: 's3:GetObject', resource: 'arn:aws:s3:::other-bucket/x' })).allowed).toBe(false);
});
