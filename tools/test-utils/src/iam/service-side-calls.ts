import type { PermissionCall } from './permission-call';
import type { ModelResource, PermissionModel } from './permission-model';
import { s3ReadCalls, s3WriteCalls } from './s3-uris';

/**
 * The calls AWS services make with the roles the templates hand them,
 * declared from the synthesized resources themselves (not typed by hand):
 *
 * - Firehose (`AWS::KinesisFirehose::DeliveryStream`): reads its source stream, writes `Prefix` and
 *   `ErrorOutputPrefix` in the bucket, reads the Glue table of a format conversion, writes its log stream;
 * - IoT rules (`AWS::IoT::TopicRule`): each Kinesis/Firehose/S3 action and the error action with its role;
 * - EventBridge Scheduler (`AWS::Scheduler::Schedule`): assumes the role, invokes the target, sends to the DLQ;
 * - EventBridge rules (`AWS::Events::Rule`): with a role, assumes it and starts the target; without,
 *   the target's resource policy must let `events.amazonaws.com` in (Lambda, SNS, SQS);
 * - SageMaker models (`AWS::SageMaker::Model`): the execution role reads `ModelDataUrl`;
 *   endpoint configs (`AWS::SageMaker::EndpointConfig`): the model's role writes data capture;
 * - CloudWatch Logs subscription filters (`AWS::Logs::SubscriptionFilter`) to Firehose: the role puts the matching log events into the stream;
 * - Glue jobs (`AWS::Glue::Job`): the role reads the script and extra files, and the lake prefixes named
 *   by the job's `--*_prefix` arguments (read `--raw_prefix`, write the others), and the catalog tables.
 *
 * Placeholders in prefixes (`!{timestamp:yyyy}`, `${newuuid()}`) become a sample value.
 */
export function serviceSideCalls(model: PermissionModel): PermissionCall[] {
  const calls: PermissionCall[] = [];
  for (const resource of model.resources) {
    const source = `${resource.type} ${resource.path ?? resource.logicalId}`;
    const p = resource.properties;
    switch (resource.type) {
      case 'AWS::KinesisFirehose::DeliveryStream': calls.push(...firehoseCalls(model, p, source)); break;
      case 'AWS::Logs::SubscriptionFilter':
        if (p.RoleArn && model.hasRole(p.RoleArn) && /:firehose:/.test(String(p.DestinationArn))) {
          for (const action of ['firehose:PutRecord', 'firehose:PutRecordBatch']) calls.push({ principal: p.RoleArn, action, resource: String(p.DestinationArn), source });
        }
        break;
      case 'AWS::IoT::TopicRule': {
        const payload = p.TopicRulePayload ?? {};
        const actions = [...(payload.Actions ?? []), ...(payload.ErrorAction ? [payload.ErrorAction] : [])];
        for (const action of actions) calls.push(...iotActionCalls(model, action, source));
        break;
      }
      case 'AWS::Scheduler::Schedule': calls.push(...targetCalls(model, 'scheduler.amazonaws.com', p.Target, source, resource)); break;
      case 'AWS::Events::Rule':
        for (const target of p.Targets ?? []) calls.push(...targetCalls(model, 'events.amazonaws.com', target, source, resource));
        break;
      case 'AWS::SageMaker::Model': {
        for (const container of [p.PrimaryContainer, ...(p.Containers ?? [])]) {
          if (container?.ModelDataUrl && model.hasRole(p.ExecutionRoleArn)) {
            calls.push(...s3ReadCalls(p.ExecutionRoleArn, container.ModelDataUrl, source, model.env.partition));
          }
        }
        break;
      }
      case 'AWS::SageMaker::EndpointConfig': {
        const capture = p.DataCaptureConfig;
        const variantModel = model.resources.find((r) => r.type === 'AWS::SageMaker::Model' && r.ref === p.ProductionVariants?.[0]?.ModelName);
        const role = variantModel?.properties.ExecutionRoleArn;
        if (capture?.EnableCapture !== false && capture?.DestinationS3Uri && model.hasRole(role)) {
          // SageMaker writes <destination>/<endpoint>/<variant>/<yyyy>/<mm>/<dd>/<hh>/<file>.jsonl.
          const endpoint = model.resources.find((r) => r.type === 'AWS::SageMaker::Endpoint' && r.properties.EndpointConfigName === resource.ref);
          const key = `${String(capture.DestinationS3Uri).replace(/\/$/, '')}/${endpoint?.properties.EndpointName ?? 'endpoint'}/${p.ProductionVariants[0].VariantName}/2026/01/01/00/capture.jsonl`;
          calls.push(...s3WriteCalls(role, key, `${source} (data capture)`, model.env.partition));
        }
        break;
      }
      case 'AWS::Glue::Job': calls.push(...glueJobCalls(model, p, source)); break;
      default: break;
    }
  }
  return calls;
}

function sample(text: string): string {
  return text.replace(/!\{[^}]*\}/g, '2026').replace(/\$\{[^}]*\}/g, 'sample');
}

function bucketOf(arnOrName: unknown): string {
  return String(arnOrName).replace(/^arn:[^:]+:s3:::/, '');
}

function firehoseCalls(model: PermissionModel, p: any, source: string): PermissionCall[] {
  const calls: PermissionCall[] = [];
  const destination = p.ExtendedS3DestinationConfiguration ?? p.S3DestinationConfiguration;
  const kinesisSource = p.KinesisStreamSourceConfiguration;
  if (kinesisSource && model.hasRole(kinesisSource.RoleARN)) {
    for (const action of ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards']) {
      calls.push({ principal: kinesisSource.RoleARN, action, resource: kinesisSource.KinesisStreamARN, source });
    }
  }
  if (destination && model.hasRole(destination.RoleARN)) {
    const bucket = bucketOf(destination.BucketARN);
    calls.push(...s3WriteCalls(destination.RoleARN, `s3://${bucket}/${sample(destination.Prefix ?? '')}`, source, model.env.partition));
    if (destination.ErrorOutputPrefix) calls.push(...s3WriteCalls(destination.RoleARN, `s3://${bucket}/${sample(destination.ErrorOutputPrefix)}`, `${source} (error output)`, model.env.partition));
    const schema = destination.DataFormatConversionConfiguration?.SchemaConfiguration;
    if (schema && destination.DataFormatConversionConfiguration.Enabled !== false) {
      const role = schema.RoleARN ?? destination.RoleARN;
      const { region, account, partition } = model.env;
      const catalog = schema.CatalogId ?? account;
      for (const [action, resource] of [
        ['glue:GetTable', `arn:${partition}:glue:${region}:${catalog}:table/${schema.DatabaseName}/${schema.TableName}`],
        ['glue:GetTableVersions', `arn:${partition}:glue:${region}:${catalog}:table/${schema.DatabaseName}/${schema.TableName}`],
        ['glue:GetTable', `arn:${partition}:glue:${region}:${catalog}:database/${schema.DatabaseName}`],
        ['glue:GetTable', `arn:${partition}:glue:${region}:${catalog}:catalog`],
      ]) calls.push({ principal: role, action, resource, source: `${source} (Parquet conversion)` });
    }
    const logging = destination.CloudWatchLoggingOptions;
    if (logging?.Enabled) {
      const { region, account, partition } = model.env;
      calls.push({ principal: destination.RoleARN, action: 'logs:PutLogEvents', resource: `arn:${partition}:logs:${region}:${account}:log-group:${logging.LogGroupName}:log-stream:${logging.LogStreamName}`, source });
    }
  }
  return calls;
}

function iotActionCalls(model: PermissionModel, action: any, source: string): PermissionCall[] {
  const { region, account, partition } = model.env;
  if (action.Kinesis && model.hasRole(action.Kinesis.RoleArn)) {
    return [{ principal: action.Kinesis.RoleArn, action: 'kinesis:PutRecord', resource: `arn:${partition}:kinesis:${region}:${account}:stream/${action.Kinesis.StreamName}`, source }];
  }
  if (action.Firehose && model.hasRole(action.Firehose.RoleArn)) {
    const name = action.Firehose.DeliveryStreamName;
    return ['firehose:PutRecord', 'firehose:PutRecordBatch'].map((a) => ({ principal: action.Firehose.RoleArn, action: a, resource: `arn:${partition}:firehose:${region}:${account}:deliverystream/${name}`, source }));
  }
  if (action.S3 && model.hasRole(action.S3.RoleArn)) {
    return s3WriteCalls(action.S3.RoleArn, `s3://${action.S3.BucketName}/${sample(action.S3.Key)}`, `${source} (S3 action)`, partition);
  }
  if (action.CloudwatchLogs && model.hasRole(action.CloudwatchLogs.RoleArn)) {
    return ['logs:CreateLogStream', 'logs:PutLogEvents'].map((a) => ({
      principal: action.CloudwatchLogs.RoleArn, action: a, resource: `arn:${partition}:logs:${region}:${account}:log-group:${action.CloudwatchLogs.LogGroupName}:log-stream:sample`, source,
    }));
  }
  return [];
}

/** A Scheduler or EventBridge target: the service assumes the role (or, without one, the target's policy must admit it). */
function targetCalls(model: PermissionModel, service: string, target: any, source: string, rule: ModelResource): PermissionCall[] {
  if (!target?.Arn) return [];
  const calls: PermissionCall[] = [];
  const sourceArn = rule.arn ?? String(rule.ref);
  const sourceContext = { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': model.env.account };
  const invoke = targetAction(String(target.Arn), target.Input);
  if (target.RoleArn && model.hasRole(target.RoleArn)) {
    calls.push({ principal: service, action: 'sts:AssumeRole', resource: target.RoleArn, context: sourceContext, source });
    if (invoke) calls.push({ principal: target.RoleArn, action: invoke.action, resource: invoke.resource, source });
    if (target.DeadLetterConfig?.Arn) calls.push({ principal: target.RoleArn, action: 'sqs:SendMessage', resource: target.DeadLetterConfig.Arn, source: `${source} (dead-letter queue)` });
  } else if (invoke) {
    // No role: the service calls as itself, allowed (or not) by the target's resource policy.
    calls.push({ principal: service, action: invoke.action, resource: invoke.resource, context: sourceContext, source });
    if (target.DeadLetterConfig?.Arn) calls.push({ principal: service, action: 'sqs:SendMessage', resource: target.DeadLetterConfig.Arn, context: sourceContext, source: `${source} (dead-letter queue)` });
  }
  return calls;
}

function targetAction(arn: string, input: unknown): { action: string; resource: string } | undefined {
  const service = arn.split(':')[2];
  switch (service) {
    case 'lambda': return { action: 'lambda:InvokeFunction', resource: arn };
    case 'states': return { action: 'states:StartExecution', resource: arn };
    case 'sns': return { action: 'sns:Publish', resource: arn };
    case 'sqs': return { action: 'sqs:SendMessage', resource: arn };
    case 'scheduler': {
      // Universal targets: arn:aws:scheduler:::aws-sdk:<service>:<operation>, parameters in Input.
      const match = /aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)$/.exec(arn);
      if (!match) return undefined;
      const parameters = typeof input === 'string' ? JSON.parse(input) : {};
      const resource = parameters.StateMachineArn ?? parameters.FunctionName ?? '*';
      return { action: `${match[1]}:${match[2][0].toUpperCase()}${match[2].slice(1)}`, resource };
    }
    default: return undefined;
  }
}

function glueJobCalls(model: PermissionModel, p: any, source: string): PermissionCall[] {
  const role = String(p.Role ?? '');
  const roleArn = model.hasRole(role) ? role : model.resourcesOfType('AWS::IAM::Role').find((r) => r.ref === role)?.arn;
  if (!roleArn) return [];
  const { region, account, partition } = model.env;
  const args: Record<string, string> = p.DefaultArguments ?? {};
  const calls: PermissionCall[] = [];
  if (p.Command?.ScriptLocation) calls.push(...s3ReadCalls(roleArn, p.Command.ScriptLocation, `${source} (script)`, partition));
  for (const files of [args['--extra-py-files'], args['--extra-files']]) {
    for (const file of (files ?? '').split(',').filter((f) => f.startsWith('s3://'))) calls.push(...s3ReadCalls(roleArn, file, `${source} (extra files)`, partition));
  }
  const bucket = args['--lake_bucket'];
  if (bucket) {
    for (const [name, prefix] of Object.entries(args)) {
      if (!name.endsWith('_prefix')) continue;
      const uri = `s3://${bucket}/${prefix.replace(/\/?$/, '/')}`;
      calls.push(...(name === '--raw_prefix' ? s3ReadCalls(roleArn, uri, `${source} (${name})`, partition) : s3WriteCalls(roleArn, uri, `${source} (${name})`, partition)));
    }
  }
  if (args['--database'] && args['--curated_table']) {
    const table = `arn:${partition}:glue:${region}:${account}:table/${args['--database']}/${args['--curated_table']}`;
    for (const action of ['glue:GetTable', 'glue:GetPartitions', 'glue:BatchCreatePartition', 'glue:UpdateTable']) {
      calls.push({ principal: roleArn, action, resource: table, source: `${source} (catalog)` });
    }
  }
  return calls;
}
