import type { RecordedAwsRequest } from './aws-request-recorder';
import { OWN_USER_ID, PermissionCall } from './permission-call';
import type { PermissionModel } from './permission-model';

/** A recorded request mapped to IAM, or why it could not be. */
export interface MappedAwsRequest {
  readonly calls: PermissionCall[];
  /** Set when the harness does not know the operation: `<service>:<operation>`. */
  readonly unmapped?: string;
}

/**
 * Maps an SDK request recorded at the emulator to the IAM calls it needs.
 *
 * `names` translates the emulator's names (the test's bucket `lake`, stream
 * `ingest-test`, endpoint, state machine ARN) into the synthesized ones
 * (read from the function's own environment in the template), so the call is
 * evaluated on the resource the deployed function would call.
 */
export function awsRequestPermissions(
  model: PermissionModel, request: RecordedAwsRequest, principal: string, names: Record<string, string> = {},
): MappedAwsRequest {
  const { region, account, partition } = model.env;
  const name = (value: unknown) => translate(String(value), names);
  const source = `${request.service}:${request.operation}`;
  const call = (action: string, resource: string, context?: Record<string, string>): PermissionCall => ({
    principal, action, resource, context, source,
  });
  const p = request.params;
  const object = (bucket: unknown, key: unknown) => `arn:${partition}:s3:::${name(bucket)}/${key}`;
  const unmapped: MappedAwsRequest = { calls: [], unmapped: source };
  switch (request.service) {
    case 's3':
      switch (request.operation) {
        case 'GetObject': case 'HeadObject': return { calls: [call('s3:GetObject', object(p.Bucket, p.Key))] };
        case 'PutObject': case 'CreateMultipartUpload': case 'UploadPart': case 'CompleteMultipartUpload':
          return { calls: [call('s3:PutObject', object(p.Bucket, p.Key))] };
        case 'AbortMultipartUpload': return { calls: [call('s3:AbortMultipartUpload', object(p.Bucket, p.Key))] };
        case 'DeleteObject': return { calls: [call('s3:DeleteObject', object(p.Bucket, p.Key))] };
        case 'DeleteObjects': return { calls: (p.Keys as string[]).map((k) => call('s3:DeleteObject', object(p.Bucket, k))) };
        case 'PutObjectTagging': return { calls: [call('s3:PutObjectTagging', object(p.Bucket, p.Key))] };
        case 'CopyObject': {
          const [sourceBucket, ...sourceKey] = String(p.CopySource).replace(/^\//, '').split('?')[0].split('/');
          return { calls: [call('s3:GetObject', object(sourceBucket, sourceKey.join('/'))), call('s3:PutObject', object(p.Bucket, p.Key))] };
        }
        case 'ListObjectsV2': case 'ListObjects':
          return { calls: [call('s3:ListBucket', `arn:${partition}:s3:::${name(p.Bucket)}`, { 's3:prefix': String(p.Prefix ?? '') })] };
        case 'HeadBucket': return { calls: [call('s3:ListBucket', `arn:${partition}:s3:::${name(p.Bucket)}`)] };
        case 'GetBucketLocation': return { calls: [call('s3:GetBucketLocation', `arn:${partition}:s3:::${name(p.Bucket)}`)] };
        default: return unmapped;
      }
    case 'kinesis': {
      const stream = p.StreamARN ? name(p.StreamARN) : `arn:${partition}:kinesis:${region}:${account}:stream/${name(p.StreamName)}`;
      return { calls: [call(`kinesis:${request.operation}`, stream)] };
    }
    case 'firehose':
      return { calls: [call(`firehose:${request.operation}`, `arn:${partition}:firehose:${region}:${account}:deliverystream/${name(p.DeliveryStreamName)}`)] };
    case 'sagemaker': {
      const arn = (kind: string, value: unknown) => `arn:${partition}:sagemaker:${region}:${account}:${kind}/${name(value).toLowerCase()}`;
      if (/^InvokeEndpoint/.test(request.operation)) {
        return { calls: [call(`sagemaker:${request.operation}`, arn('endpoint', p.EndpointName))] };
      }
      switch (request.operation) {
        case 'DescribeEndpoint': case 'DeleteEndpoint': return { calls: [call(`sagemaker:${request.operation}`, arn('endpoint', p.EndpointName))] };
        case 'DescribeEndpointConfig': case 'DeleteEndpointConfig': return { calls: [call(`sagemaker:${request.operation}`, arn('endpoint-config', p.EndpointConfigName))] };
        case 'DescribeModel': case 'DeleteModel': return { calls: [call(`sagemaker:${request.operation}`, arn('model', p.ModelName))] };
        case 'ListTags': return { calls: [call('sagemaker:ListTags', name(p.ResourceArn))] };
        default: return unmapped;
      }
    }
    case 'monitoring':
      switch (request.operation) {
        // CloudWatch metrics have no resource; policies scope them by namespace.
        case 'PutMetricData': return { calls: [call('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': String(p.Namespace) })] };
        // By name: one call per alarm ARN, so a policy scoped to the alarms is evaluated as IAM does.
        case 'DescribeAlarms': return Array.isArray(p.AlarmNames) && p.AlarmNames.length > 0
          ? { calls: (p.AlarmNames as string[]).map((alarm) => call('cloudwatch:DescribeAlarms', `arn:${partition}:cloudwatch:${region}:${account}:alarm:${name(alarm)}`)) }
          : { calls: [call('cloudwatch:DescribeAlarms', '*')] };
        default: return unmapped;
      }
    case 'states':
      switch (request.operation) {
        case 'StartExecution': case 'ListExecutions': case 'StartSyncExecution': return { calls: [call(`states:${request.operation}`, name(p.stateMachineArn))] };
        case 'DescribeExecution': case 'StopExecution': return { calls: [call(`states:${request.operation}`, name(p.executionArn))] };
        default: return unmapped;
      }
    case 'redshift-data':
      switch (request.operation) {
        case 'ExecuteStatement': case 'BatchExecuteStatement': {
          const calls: PermissionCall[] = [];
          if (p.WorkgroupName !== undefined) {
            const workgroupName = name(p.WorkgroupName);
            const workgroup = model.resourcesOfType('AWS::RedshiftServerless::Workgroup').find((r) => r.properties.WorkgroupName === workgroupName);
            const arn = workgroup?.arn ?? `arn:${partition}:redshift-serverless:${region}:${account}:workgroup/${workgroupName}`;
            calls.push(call(`redshift-data:${request.operation}`, arn));
            if (p.SecretArn === undefined) calls.push(call('redshift-serverless:GetCredentials', arn));
          } else if (p.ClusterIdentifier !== undefined) {
            calls.push(call(`redshift-data:${request.operation}`, `arn:${partition}:redshift:${region}:${account}:cluster:${name(p.ClusterIdentifier)}`));
          }
          if (p.SecretArn !== undefined) calls.push(call('secretsmanager:GetSecretValue', name(p.SecretArn)));
          return { calls };
        }
        case 'DescribeStatement': case 'GetStatementResult': case 'CancelStatement':
          return { calls: [call(`redshift-data:${request.operation}`, '*', { 'redshift-data:statement-owner-iam-userid': OWN_USER_ID })] };
        case 'ListStatements': return { calls: [call('redshift-data:ListStatements', '*')] };
        default: return unmapped;
      }
    case 'dynamodb':
      switch (request.operation) {
        case 'GetItem': case 'PutItem': case 'UpdateItem': case 'DeleteItem': case 'Query': case 'Scan':
          return { calls: [call(`dynamodb:${request.operation}`, `arn:${partition}:dynamodb:${region}:${account}:table/${name(p.TableName)}`)] };
        default: return unmapped;
      }
    case 'codepipeline':
      switch (request.operation) {
        case 'StartPipelineExecution': case 'ListPipelineExecutions': case 'GetPipeline': case 'GetPipelineExecution':
          return { calls: [call(`codepipeline:${request.operation}`, `arn:${partition}:codepipeline:${region}:${account}:${name(p.name ?? p.pipelineName)}`)] };
        default: return unmapped;
      }
    case 'secretsmanager':
      return request.operation === 'GetSecretValue' ? { calls: [call('secretsmanager:GetSecretValue', name(p.SecretId))] } : unmapped;
    default:
      return unmapped;
  }
}

/** A name or ARN of the test's emulator, in its synthesized form: whole values first, then ARN segments. */
function translate(value: string, names: Record<string, string>): string {
  if (value in names) return names[value];
  for (const [from, to] of Object.entries(names)) {
    if (value.startsWith('arn:') && value.endsWith(`/${from}`)) return `${value.slice(0, -from.length)}${to}`;
    if (value.startsWith('arn:') && value.endsWith(`:${from}`)) return `${value.slice(0, -from.length)}${to}`;
  }
  return value;
}
