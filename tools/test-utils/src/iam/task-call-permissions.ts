import { OWN_USER_ID, PermissionCall } from './permission-call';
import type { PermissionModel } from './permission-model';
import { s3ReadCalls, s3WriteCalls } from './s3-uris';
import type { TaskCall } from '../asl/run-state-machine';

/** The IAM calls one recorded Task call makes, or why it could not be mapped. */
export interface MappedTaskCall {
  /** What the state machine's role does. */
  readonly calls: PermissionCall[];
  /** What the service then does with the role the call passed (a job's role reading its S3 inputs, ...). */
  readonly serviceCalls: PermissionCall[];
  /** Set when the integration is not one the harness knows: `<resource> (state <name>)`. */
  readonly unmapped?: string;
}

/** The IAM prefix of an SDK client name where they differ (`aws-sdk:redshiftdata:...`). */
const SDK_SERVICES: Record<string, string> = { redshiftdata: 'redshift-data', sfn: 'states', eventbridge: 'events', cloudwatchlogs: 'logs' };

/** The rule Step Functions manages to learn that a `.sync` SageMaker job ended. */
const SYNC_RULES: Record<string, string> = {
  createTrainingJob: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
  createProcessingJob: 'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
  createTransformJob: 'StepFunctionsGetEventsForSageMakerTransformJobsRule',
};

/**
 * Maps a Task call recorded by `runStateMachine` to the IAM calls Step
 * Functions makes with the state machine's role, and to the calls the service
 * makes with the role passed to it:
 *
 * - optimized integrations (`arn:aws:states:::sagemaker:createTrainingJob.sync`,
 *   `sns:publish`, `lambda:invoke`, `glue:startJobRun.sync`) and a Lambda ARN as Resource;
 * - `.sync` adds the polling (Describe*, Stop*) and the managed EventBridge rule
 *   (events:PutTargets, PutRule, DescribeRule) for SageMaker, GetJobRun(s) and BatchStopJobRun for Glue;
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<operation>`) → `<service>:<Operation>`
 *   on the resource the parameters name, for the operations Freshet uses;
 * - a passed role (`RoleArn`, `ExecutionRoleArn`) → iam:PassRole to SageMaker, and the job's own S3/KMS access.
 *
 * `run` is the whole execution's calls: a transform job's and an endpoint config's model role, and the endpoint a
 * config deploys to, are found in the calls around it.
 */
export function taskCallPermissions(model: PermissionModel, call: TaskCall, principal: string, run: readonly TaskCall[] = [call]): MappedTaskCall {
  const source = `state "${call.state}"`;
  const { region, account, partition } = model.env;
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${region}:${account}:${resource}`;
  const p = call.parameters ?? {};
  const calls: PermissionCall[] = [];
  const serviceCalls: PermissionCall[] = [];
  const add = (action: string, resource: string, context?: Record<string, string>) => calls.push({ principal, action, resource, context, source });
  const passRole = (roleArn: unknown) => {
    if (typeof roleArn === 'string') add('iam:PassRole', roleArn, { 'iam:PassedToService': 'sagemaker.amazonaws.com' });
  };
  const unmapped = (): MappedTaskCall => ({ calls: [], serviceCalls: [], unmapped: `${call.resource} (state ${call.state})` });

  if (/^arn:[^:]+:lambda:/.test(call.resource)) {
    add('lambda:InvokeFunction', call.resource);
    return { calls, serviceCalls };
  }
  const match = /^arn:[^:]+:states:::(aws-sdk:)?([a-z0-9-]+):([A-Za-z0-9]+)(\.sync|\.waitForTaskToken)?(:\d+)?$/.exec(call.resource);
  if (!match) return unmapped();
  const [, sdk, rawService, operation, pattern] = match;
  const service = sdk ? SDK_SERVICES[rawService] ?? rawService : rawService;
  const action = `${service}:${operation[0].toUpperCase()}${operation.slice(1)}`;
  const sm = (type: string, name: unknown) => arn('sagemaker', `${type}/${String(name).toLowerCase()}`);
  const sagemakerArnOrName = (type: string, value: unknown) => (String(value).startsWith('arn:') ? String(value) : sm(type, value));

  switch (`${service}:${operation}`) {
    case 'sagemaker:createTrainingJob':
    case 'sagemaker:createProcessingJob':
    case 'sagemaker:createTransformJob': {
      const kind = operation.replace(/^create/, '');
      const name = p[`${kind}Name`];
      const jobArn = sm(kebab(kind), name);
      add(action, jobArn);
      if (p.Tags) add('sagemaker:AddTags', jobArn);
      passRole(p.RoleArn);
      if (pattern === '.sync') {
        add(`sagemaker:Describe${kind}`, jobArn);
        add(`sagemaker:Stop${kind}`, jobArn);
        const rule = arn('events', `rule/${SYNC_RULES[operation]}`);
        for (const eventsAction of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) add(eventsAction, rule);
      }
      serviceCalls.push(...jobDataCalls(model, operation, p, run, `${kind} job of ${source}`));
      break;
    }
    case 'sagemaker:createModel':
      add(action, sm('model', p.ModelName));
      passRole(p.ExecutionRoleArn);
      for (const container of [p.PrimaryContainer, ...(p.Containers ?? [])]) {
        if (container?.ModelDataUrl && model.hasRole(p.ExecutionRoleArn)) {
          serviceCalls.push(...s3ReadCalls(p.ExecutionRoleArn, container.ModelDataUrl, `model ${p.ModelName} of ${source} loading its artifact`, partition));
        }
      }
      break;
    case 'sagemaker:deleteModel':
    case 'sagemaker:describeModel':
      add(action, sm('model', p.ModelName));
      break;
    case 'sagemaker:createEndpointConfig': {
      add(action, sm('endpoint-config', p.EndpointConfigName));
      // Data capture: the endpoint's model role writes under <destination>/<endpoint>/<variant>/.
      const capture = p.DataCaptureConfig;
      const variant = p.ProductionVariants?.[0];
      const modelCall = run.find((c) => /sagemaker:createModel$/.test(c.resource) && c.parameters?.ModelName === variant?.ModelName);
      const deploy = run.find((c) => /sagemaker:(updateEndpoint|createEndpoint)$/.test(c.resource) && c.parameters?.EndpointConfigName === p.EndpointConfigName);
      const role = modelCall?.parameters?.ExecutionRoleArn;
      if (capture?.EnableCapture !== false && capture?.DestinationS3Uri && model.hasRole(role)) {
        const endpoint = deploy?.parameters?.EndpointName ?? 'endpoint';
        serviceCalls.push(...s3WriteCalls(role, `${String(capture.DestinationS3Uri).replace(/\/$/, '')}/${endpoint}/${variant.VariantName}/2026/01/01/00/capture.jsonl`, `data capture of ${source}`, partition));
      }
      break;
    }
    case 'sagemaker:deleteEndpointConfig':
    case 'sagemaker:describeEndpointConfig':
      add(action, sm('endpoint-config', p.EndpointConfigName));
      break;
    case 'sagemaker:describeEndpoint':
      add(action, sm('endpoint', p.EndpointName));
      break;
    case 'sagemaker:updateEndpoint':
      // UpdateEndpoint authorizes on the endpoint and on the config it moves to.
      add(action, sm('endpoint', p.EndpointName));
      add(action, sm('endpoint-config', p.EndpointConfigName));
      break;
    case 'sagemaker:listModelPackages':
    case 'sagemaker:listEndpoints':
      add(action, '*');
      break;
    case 'sagemaker:createEndpoint':
      // CreateEndpoint authorizes on the endpoint and on the config it starts with.
      add(action, sm('endpoint', p.EndpointName));
      add(action, sm('endpoint-config', p.EndpointConfigName));
      break;
    case 'sagemaker:describeModelPackage':
      add(action, sagemakerArnOrName('model-package', p.ModelPackageName));
      break;
    case 'sagemaker:createModelPackage':
      add(action, typeof call.response?.ModelPackageArn === 'string'
        ? call.response.ModelPackageArn
        : sm('model-package', `${p.ModelPackageGroupName}/1`));
      break;
    case 'sagemaker:updateModelPackage':
      add(action, sagemakerArnOrName('model-package', p.ModelPackageArn));
      break;
    case 's3:getObject':
    case 's3:putObject':
    case 's3:headObject':
    case 's3:deleteObject':
      add(`s3:${operation === 'headObject' ? 'GetObject' : action.split(':')[1]}`, `arn:${partition}:s3:::${p.Bucket}/${p.Key}`);
      break;
    case 's3:listObjectsV2':
      add('s3:ListBucket', `arn:${partition}:s3:::${p.Bucket}`, p.Prefix !== undefined ? { 's3:prefix': String(p.Prefix) } : undefined);
      break;
    case 'sns:publish':
      add(action, String(p.TopicArn));
      break;
    case 'lambda:invoke': {
      const fn = String(p.FunctionName);
      add('lambda:InvokeFunction', fn.startsWith('arn:') ? fn : arn('lambda', `function:${fn}`));
      break;
    }
    case 'glue:startJobRun': {
      const jobArn = arn('glue', `job/${p.JobName}`);
      add(action, jobArn);
      if (pattern === '.sync') for (const poll of ['glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun']) add(poll, jobArn);
      break;
    }
    case 'states:startExecution':
      add(action, String(p.StateMachineArn));
      break;
    case 'redshift-data:executeStatement':
    case 'redshift-data:batchExecuteStatement':
      calls.push(...dataApiExecuteCalls(model, action, p, principal, source));
      serviceCalls.push(...copyUnloadCalls(model, p, source));
      break;
    case 'redshift-data:describeStatement':
    case 'redshift-data:cancelStatement':
    case 'redshift-data:getStatementResult':
      // The statement the machine ran itself: its owner is the caller (the owner condition's key).
      add(action, '*', { 'redshift-data:statement-owner-iam-userid': OWN_USER_ID });
      break;
    default:
      return unmapped();
  }
  return { calls, serviceCalls };
}

/** ExecuteStatement on the workgroup or cluster, with the credentials the Data API fetches for the caller. */
function dataApiExecuteCalls(model: PermissionModel, action: string, p: any, principal: string, source: string): PermissionCall[] {
  const { region, account, partition } = model.env;
  const calls: PermissionCall[] = [];
  if (p.WorkgroupName !== undefined) {
    const workgroup = model.resources.find((r) => r.type === 'AWS::RedshiftServerless::Workgroup' && r.properties.WorkgroupName === p.WorkgroupName);
    const workgroupArn = workgroup?.arn ?? `arn:${partition}:redshift-serverless:${region}:${account}:workgroup/${p.WorkgroupName}`;
    calls.push({ principal, action, resource: workgroupArn, source });
    if (p.SecretArn === undefined) calls.push({ principal, action: 'redshift-serverless:GetCredentials', resource: workgroupArn, source });
  } else if (p.ClusterIdentifier !== undefined) {
    const clusterArn = `arn:${partition}:redshift:${region}:${account}:cluster:${p.ClusterIdentifier}`;
    calls.push({ principal, action, resource: clusterArn, source });
    if (p.SecretArn === undefined && p.DbUser !== undefined) {
      calls.push({ principal, action: 'redshift:GetClusterCredentials', resource: `arn:${partition}:redshift:${region}:${account}:dbuser:${p.ClusterIdentifier}/${p.DbUser}`, source });
    }
  }
  if (p.SecretArn !== undefined) calls.push({ principal, action: 'secretsmanager:GetSecretValue', resource: String(p.SecretArn), source });
  return calls;
}

/**
 * What Redshift does with the role a COPY or UNLOAD names (`IAM_ROLE '<arn>'`,
 * or `IAM_ROLE default`: the namespace's default role): read the COPY source
 * prefix, write the UNLOAD target prefix.
 */
function copyUnloadCalls(model: PermissionModel, p: any, source: string): PermissionCall[] {
  const partition = model.env.partition;
  const calls: PermissionCall[] = [];
  const sqls: string[] = [p.Sql, ...(p.Sqls ?? [])].filter((q): q is string => typeof q === 'string');
  for (const sql of sqls) {
    const roleMatch = /IAM_ROLE\s+(?:'([^']+)'|(default))/i.exec(sql);
    if (!roleMatch) continue;
    let role = roleMatch[1];
    if (roleMatch[2]) {
      const namespaces = model.resourcesOfType('AWS::RedshiftServerless::Namespace');
      role = namespaces.length === 1 ? namespaces[0].properties.DefaultIamRoleArn : undefined;
    }
    if (!model.hasRole(role)) continue;
    const copy = /^\s*COPY\b[\s\S]*?\bFROM\s+'(s3:\/\/[^']+)'/i.exec(sql);
    if (copy) calls.push(...s3ReadCalls(role, copy[1].replace(/\/?$/, '/'), `COPY of ${source}`, partition));
    const unload = /^\s*UNLOAD\b[\s\S]*?\bTO\s+'(s3:\/\/[^']+)'/i.exec(sql);
    if (unload) calls.push(...s3WriteCalls(role, unload[1], `UNLOAD of ${source}`, partition));
  }
  return calls;
}

/**
 * What a SageMaker job does with its role: a training or processing job
 * reads its S3 inputs and writes its outputs with the role it was passed; a
 * transform job reads and writes with its model's execution role (found in
 * the run's CreateModel call).
 */
function jobDataCalls(model: PermissionModel, operation: string, p: any, run: readonly TaskCall[], source: string): PermissionCall[] {
  const partition = model.env.partition;
  const calls: PermissionCall[] = [];
  const read = (role: string, uri: unknown) => { if (typeof uri === 'string' && uri.startsWith('s3://')) calls.push(...s3ReadCalls(role, uri, source, partition)); };
  const write = (role: string, uri: unknown) => { if (typeof uri === 'string' && uri.startsWith('s3://')) calls.push(...s3WriteCalls(role, uri, source, partition)); };
  if (operation === 'createTrainingJob' && model.hasRole(p.RoleArn)) {
    for (const channel of p.InputDataConfig ?? []) read(p.RoleArn, channel.DataSource?.S3DataSource?.S3Uri);
    write(p.RoleArn, p.OutputDataConfig?.S3OutputPath);
    calls.push(...containerCalls(model, p.RoleArn, p.AlgorithmSpecification?.TrainingImage, `TrainingJobs:log-stream:${p.TrainingJobName}/algo-1`, source));
  }
  if (operation === 'createProcessingJob' && model.hasRole(p.RoleArn)) {
    for (const input of p.ProcessingInputs ?? []) read(p.RoleArn, input.S3Input?.S3Uri);
    for (const output of p.ProcessingOutputConfig?.Outputs ?? []) write(p.RoleArn, output.S3Output?.S3Uri);
    calls.push(...containerCalls(model, p.RoleArn, p.AppSpecification?.ImageUri, `ProcessingJobs:log-stream:${p.ProcessingJobName}/algo-1`, source));
  }
  if (operation === 'createTransformJob') {
    const createModel = [...run].reverse().find((c) => /sagemaker:createModel$/.test(c.resource) && c.parameters?.ModelName === p.ModelName);
    const role = createModel?.parameters?.ExecutionRoleArn;
    if (model.hasRole(role)) {
      read(role, p.TransformInput?.DataSource?.S3DataSource?.S3Uri);
      write(role, p.TransformOutput?.S3OutputPath);
      const image = createModel?.parameters?.PrimaryContainer?.Image;
      calls.push(...containerCalls(model, role, image, `TransformJobs:log-stream:${p.TransformJobName}/i-0`, source));
    }
  }
  return calls;
}

/**
 * What a job's container needs from its role: pull its image from ECR
 * (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`) and write its
 * log stream under /aws/sagemaker/<kind>.
 */
function containerCalls(model: PermissionModel, role: string, image: unknown, logStream: string, source: string): PermissionCall[] {
  const { region, account, partition } = model.env;
  const calls: PermissionCall[] = [];
  const ecr = typeof image === 'string' ? /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image) : null;
  if (ecr) {
    const repository = `arn:${partition}:ecr:${ecr[2]}:${ecr[1]}:repository/${ecr[3]}`;
    calls.push({ principal: role, action: 'ecr:GetAuthorizationToken', resource: '*', source });
    for (const action of ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']) calls.push({ principal: role, action, resource: repository, source });
  }
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
    calls.push({ principal: role, action, resource: `arn:${partition}:logs:${region}:${account}:log-group:/aws/sagemaker/${logStream}`, source });
  }
  return calls;
}

function kebab(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
