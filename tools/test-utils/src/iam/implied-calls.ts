import type { PermissionCall } from './permission-call';
import type { PermissionModel } from './permission-model';

/**
 * The KMS calls a service makes with the caller's credentials when the
 * resource is encrypted with a customer managed key of the templates, with
 * the context keys the service sets (`kms:ViaService`, `kms:CallerAccount`,
 * and S3's encryption context):
 *
 * | Call | Implied |
 * |---|---|
 * | s3:GetObject on an SSE-KMS bucket | kms:Decrypt |
 * | s3:PutObject on an SSE-KMS bucket | kms:GenerateDataKey |
 * | kinesis:PutRecord(s) on a KMS stream | kms:GenerateDataKey |
 * | kinesis:GetRecords on a KMS stream | kms:Decrypt |
 * | sns:Publish to a KMS topic, sqs:SendMessage to a KMS queue | kms:GenerateDataKey, kms:Decrypt |
 * | sqs:ReceiveMessage from a KMS queue | kms:Decrypt |
 * | secretsmanager:GetSecretValue of a KMS secret | kms:Decrypt |
 *
 * Keys the templates do not hold (AWS managed keys, imported ARNs) imply nothing.
 */
export function impliedCalls(model: PermissionModel, call: PermissionCall): PermissionCall[] {
  const action = call.action.toLowerCase();
  const service = action.split(':')[0];
  const region = model.env.region;
  const via = (svc: string, actions: string[], key: string | undefined, extra: Record<string, string> = {}): PermissionCall[] =>
    key === undefined ? [] : actions.map((kmsAction) => ({
      principal: call.principal,
      action: kmsAction,
      resource: key,
      // A service principal's call keeps its source (aws:SourceArn, aws:SourceAccount) when the service calls KMS.
      context: { ...sourceKeys(call), 'kms:ViaService': `${svc}.${region}.amazonaws.com`, 'kms:CallerAccount': model.env.account, ...extra },
      source: `${call.action} on ${call.resource}${call.source ? `, from ${call.source}` : ''}`,
    }));
  switch (service) {
    case 's3': {
      const kmsActions = action === 's3:getobject' ? ['kms:Decrypt'] : action === 's3:putobject' ? ['kms:GenerateDataKey'] : [];
      if (kmsActions.length === 0) return [];
      const bucketName = call.resource.replace(/^arn:[^:]+:s3:::/, '').split('/')[0];
      const bucket = model.resourceByArnOrRef(bucketName, 'AWS::S3::Bucket');
      const rule = (bucket?.properties.BucketEncryption?.ServerSideEncryptionConfiguration ?? [])[0];
      const byDefault = rule?.ServerSideEncryptionByDefault;
      if (byDefault?.SSEAlgorithm !== 'aws:kms' && byDefault?.SSEAlgorithm !== 'aws:kms:dsse') return [];
      // With an S3 Bucket Key the encryption context is the bucket's ARN, else the object's.
      const encryptionContext = rule.BucketKeyEnabled ? `arn:${model.env.partition}:s3:::${bucketName}` : call.resource;
      return via('s3', kmsActions, keyArn(model, byDefault.KMSMasterKeyID), { 'kms:EncryptionContext:aws:s3:arn': encryptionContext });
    }
    case 'kinesis': {
      const kmsActions = action.startsWith('kinesis:putrecord') ? ['kms:GenerateDataKey'] : action === 'kinesis:getrecords' ? ['kms:Decrypt'] : [];
      const stream = model.resourceByArnOrRef(call.resource, 'AWS::Kinesis::Stream');
      const encryption = stream?.properties.StreamEncryption;
      return encryption?.EncryptionType === 'KMS' ? via('kinesis', kmsActions, keyArn(model, encryption.KeyId)) : [];
    }
    case 'sns': {
      if (action !== 'sns:publish') return [];
      const topic = model.resourceByArnOrRef(call.resource, 'AWS::SNS::Topic');
      return via('sns', ['kms:GenerateDataKey', 'kms:Decrypt'], keyArn(model, topic?.properties.KmsMasterKeyId));
    }
    case 'sqs': {
      const kmsActions = action === 'sqs:sendmessage' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : action === 'sqs:receivemessage' ? ['kms:Decrypt'] : [];
      const queue = model.resourceByArnOrRef(call.resource, 'AWS::SQS::Queue');
      return via('sqs', kmsActions, keyArn(model, queue?.properties.KmsMasterKeyId));
    }
    case 'secretsmanager': {
      if (action !== 'secretsmanager:getsecretvalue') return [];
      const secret = model.resourceByArnOrRef(call.resource, 'AWS::SecretsManager::Secret');
      return via('secretsmanager', ['kms:Decrypt'], keyArn(model, secret?.properties.KmsKeyId));
    }
    default:
      return [];
  }
}

function sourceKeys(call: PermissionCall): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(call.context ?? {}).filter(([key]) => /^aws:Source(Arn|Account)$/i.test(key)));
}

/** The ARN of a key of the templates given by ARN, key id or alias; undefined for keys the templates do not hold. */
function keyArn(model: PermissionModel, reference: unknown): string | undefined {
  if (typeof reference !== 'string') return undefined;
  const key = model.resourceByArnOrRef(reference, 'AWS::KMS::Key');
  if (key) return key.arn;
  const alias = model.resources.find((r) => r.type === 'AWS::KMS::Alias' && (r.properties.AliasName === reference || r.arn === reference));
  return alias ? model.resourceByArnOrRef(String(alias.properties.TargetKeyId), 'AWS::KMS::Key')?.arn : undefined;
}
