import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { applyNagV2Packs, formatFindings, nagFindings, nagV2Errors } from '@freshet/test-utils';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { ROOT_PACKAGE_JSON, cdkCliVersion } from '../src/cdk-cli-version';
import { buildApp } from '../src/main';
import { PipelineStack } from '../src/pipeline-stack';
import { DEFAULT_CONFIG_FILE, loadPlatformConfig } from '../src/platform-config';

const CONFIG = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8')) as Record<string, string>;

/** The pipeline's stages, by name, with their actions. */
function pipelineStages(template: Template): { Name: string; Actions: any[] }[] {
  return Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
}

/** Every resource of a type across templates. */
function resourcesIn(templates: string[], type: string): { file: string; id: string; resource: any }[] {
  return templates.flatMap((file) => {
    const resources = JSON.parse(readFileSync(file, 'utf8')).Resources ?? {};
    return Object.entries(resources).filter(([, r]: [string, any]) => r.Type === type).map(([id, resource]) => ({ file, id, resource }));
  });
}

function newApp(context: Record<string, string> = {}): App {
  return new App({ outdir: mkdtempSync(path.join(tmpdir(), 'ml-platform-')), context });
}

function templatesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return templatesOf(full);
    return entry.name.endsWith('.template.json') ? [full] : [];
  });
}

describe('the ml-platform app', () => {
  // cdk-nag 2's packs ride along as its users apply them (Aspects on the app, before the stacks exist),
  // so one synthesis serves both majors' checks.
  const app = newApp();
  applyNagV2Packs(app);
  buildApp(app);
  const assembly = app.synth();
  const pipelineStack = app.node.findChild('FreshetPipeline') as PipelineStack;
  const pipelineTemplate = Template.fromStack(pipelineStack);
  const dataTemplate = Template.fromStack(pipelineStack.devStage.dataStack);

  const devStacks = pipelineStack.devStage.node.children.filter((c): c is Stack => Stack.isStack(c));
  const prodStacks = pipelineStack.prodStage.node.children.filter((c): c is Stack => Stack.isStack(c));
  // CodePipeline's support stack for Prod's region (it replicates the artifacts there).
  const supportStacks = app.node.children.filter((c): c is Stack => Stack.isStack(c) && c !== pipelineStack);
  const templates = templatesOf(assembly.directory);

  test('the Dev data stack: stocks (CSV + IoT) and pollution (IoT) ingest into one lake, each curated by its Glue job', () => {
    dataTemplate.resourceCountIs('AWS::Kinesis::Stream', 2);
    dataTemplate.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 2);
    dataTemplate.hasResourceProperties('AWS::IoT::TopicRule', { TopicRulePayload: Match.objectLike({ Sql: "SELECT * FROM 'freshet/stocks/+'" }) });
    dataTemplate.hasResourceProperties('AWS::IoT::TopicRule', { TopicRulePayload: Match.objectLike({ Sql: "SELECT * FROM 'freshet/pollution/+'" }) });
    dataTemplate.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SCHEMA: Match.stringLikeRegexp('"name":"stocks"') }) } });
    // Pollution reuses the stocks ingest's lake bucket.
    const lakeBuckets = Object.values(dataTemplate.findResources('AWS::S3::Bucket')).filter((b) => JSON.stringify(b).includes('raw/'));
    expect(lakeBuckets).toHaveLength(1);
    const jobs = Object.values(dataTemplate.findResources('AWS::Glue::Job')).map((j: any) => j.Properties.DefaultArguments);
    expect(jobs.map((a) => a['--dataset']).sort()).toEqual(['pollution', 'stocks']);
    const lakeRef = pipelineStack.devStage.dataStack.resolve(pipelineStack.devStage.stocksIngest.lakeBucket.bucketName);
    for (const args of jobs) expect(args['--lake_bucket']).toEqual(lakeRef);
    expect(jobs.find((a) => a['--dataset'] === 'pollution')['--derived_columns']).toContain('"derivation":"hour"');
  });

  test('the Dev serving stack: two APIs and no seed model; each serverless endpoint comes from its first retraining run, which serves AutoGluon or DeepAR, captured at the API into the lake', () => {
    const stage = pipelineStack.devStage;
    const serving = Template.fromStack(stage.servingStack);
    serving.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    // CloudFormation creates no model, config or endpoint: nothing to upload before the first deployment.
    for (const type of ['AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Model']) serving.resourceCountIs(type, 0);
    // The stack still owns each endpoint's name, and deletes the endpoint on teardown.
    const teardowns = Object.values(serving.findResources('Custom::EndpointTeardown')).map((r: any) => r.Properties.EndpointName).sort();
    expect(teardowns).toEqual([stage.pollutionEndpoint.endpointName, stage.stocksEndpoint.endpointName].sort());
    const training = Template.fromStack(stage.trainingStack);
    const definitions = Object.values(training.findResources('AWS::StepFunctions::StateMachine')).map((m: any) => JSON.stringify(m.Properties.DefinitionString));
    expect(definitions.find((d) => d.includes(stage.stocksEndpoint.endpointName))).toContain('/autogluon-inference:');
    expect(definitions.find((d) => d.includes(stage.pollutionEndpoint.endpointName))).toContain('/forecasting-deepar:');
    // Serverless endpoint configs: memory and concurrency, no instances, and no SageMaker capture (it has none).
    for (const definition of definitions) {
      expect(definition).toMatch(/ServerlessConfig.*MemorySizeInMB.*4096/);
      expect(definition).not.toContain('DataCaptureConfig');
      expect(definition).not.toContain('InitialInstanceCount');
    }
    // Each proxy captures at the API: its log subscription feeds a Firehose stream writing capture/<endpoint>/<variant>/yyyy/mm/dd/hh/ in the lake.
    const lakeArn = stage.servingStack.resolve(stage.stocksIngest.lakeBucket.bucketArn);
    const streams = Object.values(serving.findResources('AWS::KinesisFirehose::DeliveryStream')).map((s: any) => s.Properties.ExtendedS3DestinationConfiguration);
    expect(streams.map((s) => s.Prefix.split('/!{')[0]).sort()).toEqual([`capture/${stage.pollutionEndpoint.endpointName}`, `capture/${stage.stocksEndpoint.endpointName}`].sort());
    for (const s of streams) expect(JSON.stringify(s.BucketARN)).toContain(JSON.stringify(lakeArn).slice(1, 40));
    serving.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    for (const endpoint of [stage.stocksEndpoint, stage.pollutionEndpoint]) {
      expect(endpoint.deploymentTarget().dataCapture).toBeUndefined();
      expect(endpoint.deploymentTarget().apiCapture).toBeDefined();
    }
  });

  test('Prod keeps real-time instances with isolation and guardrails, captured by SageMaker into the lake', () => {
    const stage = pipelineStack.prodStage;
    const training = Template.fromStack(stage.trainingStack);
    const definitions = Object.values(training.findResources('AWS::StepFunctions::StateMachine')).map((m: any) => JSON.stringify(m.Properties.DefinitionString));
    const lake = JSON.stringify(stage.trainingStack.resolve(stage.stocksIngest.lakeBucket.bucketName));
    for (const definition of definitions) {
      expect(definition).toMatch(/DataCaptureConfig.*DestinationS3Uri/);
      expect(definition).toContain(lake);
      expect(definition).toContain('/capture');
      expect(definition).toContain('ml.m5.large');
      expect(definition).toContain('EnableNetworkIsolation');
      expect(definition).toContain('DeploymentConfig');
    }
    Template.fromStack(stage.servingStack).resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
  });

  test('the Dev warehouse stack: Redshift Serverless with the stocks table, loading the curated prefix hourly', () => {
    const warehouse = Template.fromStack(pipelineStack.devStage.warehouseStack);
    warehouse.resourceCountIs('AWS::RedshiftServerless::Workgroup', 1);
    warehouse.hasResourceProperties('AWS::RedshiftServerless::Workgroup', { PubliclyAccessible: false, EnhancedVpcRouting: true });
    expect(pipelineStack.devStage.stocksWarehouse.curatedPrefix).toBe(pipelineStack.devStage.stocksEtl.curatedPrefix);
    expect(JSON.stringify(warehouse.findResources('AWS::Events::Rule'))).toContain('cron(45 2 * * ? *)');
  });

  test.each(['dev', 'prod'])('%s monitors both endpoints: a drift schedule, drift alarms and an alarm rule per endpoint, each starting its own stage\'s workflow', (name) => {
    const stage = name === 'dev' ? pipelineStack.devStage : pipelineStack.prodStage;
    const monitoring = Template.fromStack(stage.monitoringStack!);
    // A drift schedule per endpoint.
    const schedules = Object.values(monitoring.findResources('AWS::Scheduler::Schedule'));
    expect(schedules).toHaveLength(2);
    expect(schedules.every((s: any) => s.Properties.State === 'ENABLED' && /^cron\(/.test(s.Properties.ScheduleExpression))).toBe(true);
    const functions = Object.values(monitoring.findResources('AWS::Lambda::Function')).map((f: any) => f.Properties.Environment?.Variables ?? {});
    const planners = functions.filter((v) => v.CAPTURE_PREFIX);
    // Dev's from the API's capture, Prod's from SageMaker's: the same prefix in the lake either way.
    for (const planner of planners) expect(planner.CAPTURE_PREFIX).toBe(`capture/${planner.ENDPOINT_NAME}/`);
    expect(planners.map((v) => [v.ENDPOINT_NAME, v.JOB_NAME_PREFIX, JSON.parse(v.QUALITY_ARGUMENTS)]).sort()).toEqual([
      [stage.pollutionEndpoint.endpointName, 'dm-pollution', ['--quality-metric', 'wql', '--quality-threshold', '0.3']],
      [stage.stocksEndpoint.endpointName, 'dm-stocks', ['--quality-metric', 'rmse', '--quality-threshold', '5']],
    ].sort());
    const algorithm = (v: any) => JSON.parse(v.JOB_ARGUMENTS)[JSON.parse(v.JOB_ARGUMENTS).indexOf('--algorithm') + 1];
    expect(planners.map(algorithm).sort()).toEqual(['autogluon', 'deepar']);
    // Drift alarms on each endpoint's metrics, named for the stage, notifying the stage's topic.
    const alarms = Object.values(monitoring.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties);
    for (const endpoint of [stage.stocksEndpoint, stage.pollutionEndpoint]) {
      const drift = alarms.filter((a) => a.Namespace === 'Freshet/ModelMonitor' && JSON.stringify(a.Dimensions).includes(endpoint.endpointName));
      expect(drift.map((a) => a.MetricName).sort()).toEqual(expect.arrayContaining(['MaxFeatureDrift', 'ModelQuality', 'PredictionDrift']));
      expect(drift.every((a) => String(a.AlarmName).startsWith(`freshet-${name}-`) && a.AlarmActions.length > 0)).toBe(true);
    }
    // An alarm rule per endpoint: CloudWatch alarm state changes into ALARM, naming that monitor's retrain alarms.
    const rules = Object.values(monitoring.findResources('AWS::Events::Rule'))
      .map((r: any) => r.Properties).filter((r) => r.EventPattern?.['detail-type']?.includes('CloudWatch Alarm State Change'));
    expect(rules).toHaveLength(2);
    for (const [monitor, retrain] of [[stage.stocksMonitor!, stage.stocksRetrain], [stage.pollutionMonitor!, stage.pollutionRetrain]] as const) {
      const target = functions.find((v) => v.TARGET_KIND === 'state-machine' && JSON.stringify(v.STATE_MACHINE_ARN).includes(
        stage.trainingStack.getLogicalId(retrain.stateMachine.node.defaultChild as CfnResource)));
      expect(target).toBeDefined();
      expect(monitor.retrainAlarms.map((a) => a.node.id)).toEqual(['MaxFeatureDrift', 'PredictionDrift', 'ModelQuality']);
      const watched = monitor.retrainAlarms.map((a) => stage.monitoringStack!.getLogicalId(a.node.defaultChild as CfnResource));
      const rule = rules.find((r) => watched.every((id) => JSON.stringify(r.EventPattern.resources).includes(id)));
      expect(rule).toBeDefined();
    }
  });

  test('each retraining workflow runs weekly (Sundays after the COPY); drift alarms retrain in between', () => {
    for (const stage of [pipelineStack.devStage, pipelineStack.prodStage]) {
      const schedules = Object.values(Template.fromStack(stage.trainingStack).findResources('AWS::Scheduler::Schedule')).map((s: any) => s.Properties.ScheduleExpression);
      expect(schedules.sort()).toEqual(['cron(0 3 ? * SUN *)', 'cron(0 3 ? * SUN *)']);
    }
  });

  test('Prod\'s drift alarms start Prod\'s retraining, which waits for a person to approve the model', () => {
    const stage = pipelineStack.prodStage;
    const training = Template.fromStack(stage.trainingStack);
    const definitions = Object.values(training.findResources('AWS::StepFunctions::StateMachine')).map((m: any) => JSON.stringify(m.Properties.DefinitionString));
    expect(definitions).toHaveLength(2);
    expect(definitions.every((d) => d.includes('PendingManualApproval') && d.includes('Check approval'))).toBe(true);
    // Each Prod trigger names a Prod workflow, never a Dev one.
    const triggers = Object.values(Template.fromStack(stage.monitoringStack!).findResources('AWS::Lambda::Function'))
      .map((f: any) => f.Properties.Environment?.Variables ?? {}).filter((v) => v.TARGET_KIND === 'state-machine');
    expect(triggers).toHaveLength(2);
    for (const v of triggers) {
      const arn = JSON.stringify(v.STATE_MACHINE_ARN);
      const workflowIds = [stage.stocksRetrain, stage.pollutionRetrain]
        .map((r) => stage.trainingStack.getLogicalId(r.stateMachine.node.defaultChild as CfnResource));
      expect(workflowIds.some((id) => arn.includes(id))).toBe(true);
      expect(arn).toContain('Prod');
      expect(arn).not.toContain('Dev');
    }
  });

  test('the Dev training stack: each RetrainPipeline deploys into its own endpoint; stocks trains AutoGluon on a warehouse snapshot, pollution DeepAR', () => {
    const stage = pipelineStack.devStage;
    const training = Template.fromStack(stage.trainingStack);
    const definitions = Object.values(training.findResources('AWS::StepFunctions::StateMachine'))
      .map((m: any) => JSON.stringify(m.Properties.DefinitionString));
    expect(definitions).toHaveLength(2);
    const stocks = definitions.find((d) => d.includes(stage.stocksEndpoint.endpointName))!;
    const pollution = definitions.find((d) => d.includes(stage.pollutionEndpoint.endpointName))!;
    expect(stocks).toContain('autogluon-training');
    expect(stocks).toContain('UNLOAD');
    expect(stocks).not.toContain(stage.pollutionEndpoint.endpointName);
    expect(pollution).toContain('forecasting-deepar');
    expect(pollution).toContain('raw/pollution/');
    // Each device's readings form one series: preprocess is told which column names it.
    expect(pollution).toMatch(/--series-id-column[\\"]+,[\\"]+device_id/);
    for (const definition of [stocks, pollution]) expect(definition).toContain('sagemaker:updateEndpoint');
    training.resourceCountIs('AWS::Scheduler::Schedule', 2);
    // A deployment of the stacks that shape the data or the training starts a run (through the start guard).
    const deploymentRules = Object.values(training.findResources('AWS::Events::Rule'))
      .map((r: any) => JSON.stringify(r.Properties.EventPattern))
      .filter((p) => p.includes('CloudFormation Stack Status Change'));
    expect(deploymentRules).toHaveLength(2);
    for (const name of [stage.dataStack.stackName, stage.trainingStack.stackName]) {
      for (const rule of deploymentRules) expect(rule).toContain(`:stack/${name}/`);
    }
    expect(deploymentRules.filter((r) => r.includes(`:stack/${stage.warehouseStack.stackName}/`))).toHaveLength(1);
  });

  test('a self-mutating V2 pipeline whose source is the CodeConnections connection from the config file', () => {
    const stages = pipelineStages(pipelineTemplate);
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Prod']);
    expect(stages[0].Actions[0].ActionTypeId).toMatchObject({ Provider: 'CodeStarSourceConnection' });
    expect(stages[0].Actions[0].Configuration).toMatchObject({
      ConnectionArn: CONFIG.connectionArn,
      FullRepositoryId: CONFIG.repository,
      BranchName: CONFIG.branch,
    });
    pipelineTemplate.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    // publishAssetsInParallel: false: one project publishes every file asset.
    expect(stages.find((s) => s.Name === 'Assets')!.Actions.map((a) => a.Name)).toEqual(['FileAssets']);
  });

  test('self-mutation installs exactly the CDK CLI the repository pins as its devDependency', () => {
    const pinned = JSON.parse(readFileSync(ROOT_PACKAGE_JSON, 'utf8')).devDependencies['aws-cdk'];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(cdkCliVersion()).toBe(pinned);
    const selfMutation = Object.entries(pipelineTemplate.findResources('AWS::CodeBuild::Project')).find(([id]) => id.includes('SelfMutation'))![1];
    const spec = JSON.parse(selfMutation.Properties.Source.BuildSpec);
    expect(spec.phases.install.commands).toEqual([`npm install -g aws-cdk@${pinned}`]);
  });

  test('a CLI version that is not pinned exactly fails synth saying where to pin it', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'root-')), 'package.json');
    writeFileSync(file, JSON.stringify({ devDependencies: { 'aws-cdk': '^2' } }));
    expect(() => cdkCliVersion(file)).toThrow(`${file} must pin devDependencies['aws-cdk'] to an exact version (set VERSIONS.cdkCli in projenrc/versions.ts and run npx projen), got '^2'.`);
  });

  test('every CodeBuild project logs to one KMS-encrypted log group with a retention', () => {
    const projects = Object.values(pipelineTemplate.findResources('AWS::CodeBuild::Project'));
    expect(projects.length).toBe(4);
    const groups = pipelineTemplate.findResources('AWS::Logs::LogGroup');
    const [groupId] = Object.entries(groups).find(([id]) => id.startsWith('BuildLogs'))!;
    for (const project of projects) expect(project.Properties.LogsConfig).toEqual({ CloudWatchLogs: { GroupName: { Ref: groupId }, Status: 'ENABLED' } });
    expect(groups[groupId].Properties.RetentionInDays).toBe(365);
    expect(groups[groupId].Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BuildLogsKey/), 'Arn'] });
  });

  test('Dev deploys, then its smoke tests run with the stack outputs, assuming the stage\'s smoke-test role', () => {
    const dev = pipelineStages(pipelineTemplate).find((s) => s.Name === 'Dev')!;
    const smoke = dev.Actions.find((a) => a.Name === 'DevSmokeTests')!;
    const lastDeploy = Math.max(...dev.Actions.filter((a) => a.Name.endsWith('.Deploy')).map((a) => a.RunOrder));
    expect(smoke.RunOrder).toBeGreaterThan(lastDeploy);
    const env = Object.fromEntries(JSON.parse(smoke.Configuration.EnvironmentVariables).map((v: any) => [v.name, v.value]));
    const serving = pipelineStack.devStage.servingStack.artifactId;
    const data = pipelineStack.devStage.dataStack.artifactId;
    expect(env).toEqual({
      SMOKE_ROLE_ARN: `#{${serving}.SmokeTestRoleArn}`,
      STOCKS_API_URL: `#{${serving}.StocksApiUrl}`,
      POLLUTION_API_URL: `#{${serving}.PollutionApiUrl}`,
      LANDING_BUCKET: `#{${data}.LandingBucketName}`,
      UPLOAD_PREFIX: `#{${data}.UploadPrefix}`,
      STOCKS_STREAM: `#{${data}.StocksStreamName}`,
    });
    // The smoke input is the synth step's second output: the bundled smoke.js.
    const synthSpec = JSON.parse(Object.entries(pipelineTemplate.findResources('AWS::CodeBuild::Project')).find(([id]) => id.includes('Synth'))![1].Properties.Source.BuildSpec);
    expect(JSON.stringify(synthSpec.artifacts['secondary-artifacts'])).toContain('apps/ml-platform/smoke-dist');
    const project = Object.entries(pipelineTemplate.findResources('AWS::CodeBuild::Project')).find(([id]) => id.includes('SmokeTests'))![1];
    expect(JSON.parse(project.Properties.Source.BuildSpec).phases.build.commands.at(-1)).toBe('AWS_PROFILE=smoke node smoke.js');
    const vars = Object.fromEntries(project.Properties.Environment.EnvironmentVariables.map((v: any) => [v.Name, v.Value]));
    expect(vars.ALARM_NAME_PREFIXES.split(',')).toEqual(pipelineStack.devStage.smokeAlarmPrefixes());
    // The runner's only grant beyond its build plumbing: assuming Dev's smoke-test role.
    const runnerPolicy = Object.entries(pipelineTemplate.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('DevSmokeTestRunner'))![1];
    const extra = runnerPolicy.Properties.PolicyDocument.Statement.filter((st: any) => ![].concat(st.Action).every((a: string) => /^(logs|codebuild|s3|kms):/.test(a)));
    expect(extra).toEqual([{
      Sid: 'AssumeSmokeTestRole',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CONFIG.devAccount}:role/freshet-dev-smoke-tests`]] },
    }]);
  });

  test('the smoke-test role may invoke exactly the two predict APIs, put under uploads/smoke-tests/, read the stream and the named alarms', () => {
    const serving = Template.fromStack(pipelineStack.devStage.servingStack);
    const [roleId, role] = Object.entries(serving.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('SmokeTestRole'))!;
    expect(role.Properties.RoleName).toBe('freshet-dev-smoke-tests');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CONFIG.pipelineAccount}:root`]] } },
      Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CONFIG.pipelineAccount}:role/freshet-dev-smoke-test-runner`]] } } },
    })]);
    const policy = Object.values(serving.findResources('AWS::IAM::Policy')).find((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))!;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    expect(statements.map((st) => st.Action)).toEqual([
      'execute-api:Invoke', 's3:PutObject', 'kms:GenerateDataKey', ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'], 'kms:Decrypt', 'cloudwatch:DescribeAlarms',
    ]);
    const invoke = JSON.stringify(statements[0].Resource);
    for (const endpoint of [pipelineStack.devStage.stocksEndpoint, pipelineStack.devStage.pollutionEndpoint]) {
      expect(invoke).toContain(JSON.stringify(pipelineStack.devStage.servingStack.resolve(endpoint.api.restApi.restApiId)));
    }
    expect(statements[0].Resource).toHaveLength(2);
    expect(invoke.match(/\/POST\/predict/g)).toHaveLength(2);
    expect(JSON.stringify(statements[1].Resource)).toContain('/uploads/smoke-tests/*');
    expect(statements[5].Resource).toHaveLength(6);
  });

  test('a notifying manual approval, then Prod in its configured account and region', () => {
    const prod = pipelineStages(pipelineTemplate).find((s) => s.Name === 'Prod')!;
    const approval = prod.Actions[0];
    expect(approval).toMatchObject({ Name: 'PromoteToProd', RunOrder: 1, ActionTypeId: { Category: 'Approval', Provider: 'Manual' } });
    const [topicId, topic] = Object.entries(pipelineTemplate.findResources('AWS::SNS::Topic')).find(([id]) => id.startsWith('ApprovalTopic'))!;
    expect(approval.Configuration.NotificationArn).toEqual({ Ref: topicId });
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApprovalTopicKey/), 'Arn'] });
    pipelineTemplate.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: CONFIG.approverEmail, TopicArn: { Ref: topicId } });
    // The approval's action role may publish to the encrypted topic: the publish, and the key use it needs.
    const approvalRole = Object.entries(pipelineTemplate.findResources('AWS::IAM::Policy')).find(([id]) => id.includes('PromoteToProd'))![1];
    expect(approvalRole.Properties.PolicyDocument.Statement).toEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: topicId } },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Effect: 'Allow', Resource: topic.Properties.KmsMasterKeyId },
    ]);
    // Every deployment action of Prod comes after the approval, in Prod's region and account:
    // a change set and its execution for each of Prod's five stacks (Monitoring included).
    const deploys = prod.Actions.slice(1);
    expect(deploys.length).toBe(10);
    for (const action of deploys) {
      expect(action.RunOrder).toBeGreaterThan(1);
      expect(action.Region).toBe(CONFIG.prodRegion);
      expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${CONFIG.prodAccount}:role/`);
    }
    expect(prodStacks.map((s) => [s.account, s.region])).toEqual(prodStacks.map(() => [CONFIG.prodAccount, CONFIG.prodRegion]));
    // Cross-account keys: Prod's actions read the artifacts CodePipeline replicates to Prod's region, under a key Prod's deploy role may use.
    const support = Template.fromStack(supportStacks[0]);
    expect([supportStacks[0].account, supportStacks[0].region]).toEqual([CONFIG.pipelineAccount, CONFIG.prodRegion]);
    const prodDeployRole = `:iam::${CONFIG.prodAccount}:role/cdk-hnb659fds-deploy-role-${CONFIG.prodAccount}-${CONFIG.prodRegion}`;
    const keyStatements = (Object.values(support.findResources('AWS::KMS::Key'))[0] as any).Properties.KeyPolicy.Statement;
    expect(keyStatements.filter((st: any) => JSON.stringify(st.Principal).includes(prodDeployRole)).map((st: any) => st.Action)).toEqual([['kms:Decrypt', 'kms:DescribeKey']]);
  });

  test('Prod differs where production needs it: manual model approval, two instances per endpoint, alarms to the on-call address', () => {
    const definitions = (stage: typeof pipelineStack.devStage) => Object.values(Template.fromStack(stage.trainingStack).findResources('AWS::StepFunctions::StateMachine'))
      .map((m: any) => JSON.stringify(m.Properties.DefinitionString));
    // Prod waits for a person to approve each model; Dev's workflow approves a model itself once it serves.
    for (const d of definitions(pipelineStack.prodStage)) expect(d).toContain('Check approval');
    for (const d of definitions(pipelineStack.devStage)) {
      expect(d).not.toContain('Check approval');
      expect(d).toContain('Approve model');
    }
    // The workflow creates each endpoint config, with the endpoint's instance count.
    const instances = (stage: typeof pipelineStack.devStage) => definitions(stage).flatMap((d) => [...d.matchAll(/InitialInstanceCount\\+":(\d+)/g)].map((m) => Number(m[1])));
    expect(new Set(instances(pipelineStack.prodStage))).toEqual(new Set([2]));
    // Dev's endpoints are serverless: no instances at all.
    expect(new Set(instances(pipelineStack.devStage))).toEqual(new Set());
    Template.fromStack(pipelineStack.prodStage.dataStack).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: CONFIG.prodAlarmEmail });
    Template.fromStack(pipelineStack.devStage.dataStack).hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: CONFIG.devAlarmEmail });
    expect(pipelineStack.prodStage.smokeTestRole).toBeUndefined();
  });

  test('every CloudWatch alarm in every template notifies its stage\'s topic', () => {
    const alarms = resourcesIn(templates, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(40);
    const silent = alarms.filter(({ resource }) => (resource.Properties.AlarmActions ?? []).length === 0).map(({ file, id }) => `${path.basename(file)} ${id}`);
    expect(silent).toEqual([]);
    // Each construct's alarms go to the stage topic of the Data stack, by name prefix.
    for (const stage of [pipelineStack.devStage, pipelineStack.prodStage]) {
      for (const stack of [stage.dataStack, stage.servingStack, stage.trainingStack, stage.warehouseStack]) {
        for (const alarm of Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))) {
          expect(alarm.Properties.AlarmName).toMatch(new RegExp(`^${stage.alarmNamePrefix}-`));
          expect(JSON.stringify(alarm.Properties.AlarmActions)).toMatch(/AlarmTopic/);
        }
      }
    }
  });

  test('one dashboard per dataset in each stage, in the Monitoring stack, with a section from each construct of the dataset', () => {
    const dashboards = resourcesIn(templates, 'AWS::CloudWatch::Dashboard');
    // Two datasets in each of two stages: no construct draws a dashboard of its own.
    expect(dashboards.map(({ resource }) => resource.Properties.DashboardName).sort()).toEqual(
      ['freshet-dev-pollution', 'freshet-dev-stocks', 'freshet-prod-pollution', 'freshet-prod-stocks']);
    for (const stage of [pipelineStack.devStage, pipelineStack.prodStage]) {
      const template = Template.fromStack(stage.monitoringStack!);
      const body = (name: string) => JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))
        .find((d) => d.Properties.DashboardName === `${stage.alarmNamePrefix}-${name}`)!.Properties.DashboardBody);
      // Each construct's title (its section), from ingest to the monitor.
      expect(body('stocks')).toMatch(/# Freshet ingest: stocks.*# stocks warehouse.*# stocks model endpoint.*# stocks retraining.*drift and retraining/);
      expect(body('pollution')).toMatch(/# Freshet ingest: pollution.*# pollution model endpoint.*# pollution retraining.*drift and retraining/);
      expect(body('pollution')).not.toMatch(/stocks/);
    }
  });

  test('Dev\'s drift jobs run on ml.t3.medium, Prod\'s on the default ml.m5.large', () => {
    const instance = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))
      .map((m) => JSON.stringify(m.Properties.DefinitionString)).filter((d) => d.includes('createProcessingJob'))
      .map((d) => /InstanceType\\":\\"(ml\.[a-z0-9.]+)/.exec(d)?.[1]);
    expect(instance(pipelineStack.devStage.monitoringStack!)).toEqual(['ml.t3.medium', 'ml.t3.medium']);
    expect(instance(pipelineStack.prodStage.monitoringStack!)).toEqual(['ml.m5.large', 'ml.m5.large']);
  });

  test('Dev\'s warehouse wakes at 4 RPU (its data stays far under 32 TB), Prod\'s at the default 8 (room to 128 TB)', () => {
    const base = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::RedshiftServerless::Workgroup'))[0].Properties.BaseCapacity;
    expect(base(pipelineStack.devStage.warehouseStack)).toBe(4);
    expect(base(pipelineStack.prodStage.warehouseStack)).toBe(8);
  });

  test('the synth step installs, runs every test, then synthesizes the app', () => {
    const projects = pipelineTemplate.findResources('AWS::CodeBuild::Project');
    const buildSpecs = Object.values(projects).map((p) => JSON.stringify(p.Properties.Source.BuildSpec));
    const synth = buildSpecs.find((spec) => spec.includes('npm run synth'));
    expect(synth).toBeDefined();
    expect(synth!.indexOf('npm ci')).toBeLessThan(synth!.indexOf('npm test'));
    expect(synth!.indexOf('npm test')).toBeLessThan(synth!.indexOf('npm run synth'));
    expect(synth).toContain('apps/ml-platform/cdk.out');
  });

  test('no unacknowledged AwsSolutions or NIST 800-53 R5 finding anywhere in the app', () => {
    expect(formatFindings(nagFindings(pipelineStack, ['Error', 'Warning']))).toBe('');
    // Data, Warehouse, Serving, Training and Monitoring in both stages.
    expect(devStacks.length).toBe(5);
    expect(prodStacks.length).toBe(5);
    expect(supportStacks.length).toBe(1);
    for (const stack of [...devStacks, ...prodStacks, ...supportStacks]) expect(formatFindings(nagFindings(stack, ['Error', 'Warning']))).toBe('');
  });

  test('a team on cdk-nag 2 gets no error either: every acknowledgement is also a cdk-nag 2 suppression', () => {
    const stacks = [pipelineStack, ...devStacks, ...prodStacks, ...supportStacks];
    expect(formatFindings(stacks.flatMap((stack) => nagV2Errors(stack, true)))).toBe('');
  });

  test('one template per stack: the pipeline, both stages and the support stack', () => {
    // cfn-lint reads these from cdk.out in the test command's "cfn-lint cdk.out" step (the same app, synthesized by the CLI).
    expect(templates.length).toBe(1 + devStacks.length + prodStacks.length + supportStacks.length);
  });
});

describe('the nag packs guard synth', () => {
  test('an unacknowledged finding fails synth', () => {
    const app = buildApp(newApp());
    new s3.Bucket(new Stack(app, 'Careless'), 'Plain');
    expect(() => app.synth()).toThrow(/ERROR The S3 Bucket has server access logs disabled. \(AwsSolutions\)\s+Careless\/Plain\/Resource/);
  });
});

describe('platform config', () => {
  test('context overrides the config file', () => {
    const app = newApp({ 'freshet:branch': 'release', 'freshet:repository': 'acme/ml' });
    expect(loadPlatformConfig(app)).toMatchObject({ branch: 'release', repository: 'acme/ml' });
  });

  /** The config file with some keys replaced (undefined removes one). */
  function configWith(overrides: Record<string, string | undefined>): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'config.json');
    const config: Record<string, string | undefined> = { ...CONFIG, ...overrides };
    writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined))));
    return file;
  }

  test('a bad or missing value says what to set', () => {
    const file = configWith({ connectionArn: 'arn:aws:s3:::nope', repository: 'no-slash', pipelineAccount: '123', devAccount: undefined });
    expect(() => loadPlatformConfig(newApp(), file)).toThrow([
      'Invalid ml-platform config:',
      `- 'devAccount' is missing: set it in ${file} or pass -c freshet:devAccount=...`,
      "- 'connectionArn' must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>), got 'arn:aws:s3:::nope'.",
      "- 'repository' must be 'owner/name', got 'no-slash'.",
      "- 'pipelineAccount' must be a 12-digit AWS account id, got '123'.",
    ].join('\n'));
  });

  test('the Prod, alarm and approval keys are required and checked, each with what to set', () => {
    const newKeys = ['devAlarmEmail', 'prodAccount', 'prodRegion', 'prodAlarmEmail', 'approverEmail'];
    const missing = configWith(Object.fromEntries(newKeys.map((key) => [key, undefined])));
    expect(() => loadPlatformConfig(newApp(), missing)).toThrow([
      'Invalid ml-platform config:',
      ...newKeys.map((key) => `- '${key}' is missing: set it in ${missing} or pass -c freshet:${key}=...`),
    ].join('\n'));
    const bad = configWith({ prodAccount: '2222', prodRegion: 'Europe', devAlarmEmail: 'dev-team', prodAlarmEmail: 'on call@example.com', approverEmail: 'approvers@' });
    expect(() => loadPlatformConfig(newApp(), bad)).toThrow([
      'Invalid ml-platform config:',
      "- 'prodAccount' must be a 12-digit AWS account id, got '2222'.",
      "- 'prodRegion' must be an AWS region like 'us-east-1', got 'Europe'.",
      "- 'devAlarmEmail' must be an email address, got 'dev-team'.",
      "- 'prodAlarmEmail' must be an email address, got 'on call@example.com'.",
      "- 'approverEmail' must be an email address, got 'approvers@'.",
    ].join('\n'));
  });

  test('Dev may have an account of its own: the smoke tests assume its role across accounts', () => {
    const app = newApp({ 'freshet:devAccount': '333333333333' });
    const config = loadPlatformConfig(app);
    const stack = new PipelineStack(app, 'FreshetPipeline', { config, env: { account: config.pipelineAccount, region: config.pipelineRegion } });
    const runner = Object.entries(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('DevSmokeTestRunner'))![1];
    expect(JSON.stringify(runner.Properties.PolicyDocument)).toContain(':iam::333333333333:role/freshet-dev-smoke-tests');
    const role = Object.entries(Template.fromStack(stack.devStage.servingStack).findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('SmokeTestRole'))![1];
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain(`:iam::${config.pipelineAccount}:role/freshet-dev-smoke-test-runner`);
    expect(stack.devStage.account).toBe('333333333333');
  });

  test('Prod is not Dev', () => {
    const prodIsDev = configWith({ prodAccount: CONFIG.devAccount, prodRegion: CONFIG.devRegion });
    expect(() => loadPlatformConfig(newApp(), prodIsDev)).toThrow(
      `'prodAccount' and 'prodRegion' (${CONFIG.devAccount}, ${CONFIG.devRegion}) are Dev's: give Prod its own account (or at least its own region).`,
    );
    // Context overrides fix a file, key by key.
    expect(loadPlatformConfig(newApp({ 'freshet:prodAccount': '444444444444' }), prodIsDev).prodAccount).toBe('444444444444');
  });
});
