import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { CFN_LINT_DEFAULT_IGNORES, cfnLint, formatCfnLint, formatFindings, nagFindings } from '@freshet/test-utils';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp } from '../src/main';
import { PipelineStack } from '../src/pipeline-stack';
import { DEFAULT_CONFIG_FILE, loadPlatformConfig } from '../src/platform-config';

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
  const app = buildApp(newApp());
  const assembly = app.synth();
  const pipelineStack = app.node.findChild('FreshetPipeline') as PipelineStack;
  const pipelineTemplate = Template.fromStack(pipelineStack);
  const dataTemplate = Template.fromStack(pipelineStack.devStage.dataStack);

  const devStacks = pipelineStack.devStage.node.children.filter((c): c is Stack => Stack.isStack(c));

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

  test('the Dev serving stack: a stocks endpoint (AutoGluon) and a pollution endpoint (DeepAR), each behind its API, capturing to the lake', () => {
    const serving = Template.fromStack(pipelineStack.devStage.servingStack);
    serving.resourceCountIs('AWS::SageMaker::Endpoint', 2);
    serving.resourceCountIs('AWS::ApiGateway::RestApi', 2);
    const images = Object.values(serving.findResources('AWS::SageMaker::Model')).map((m: any) => m.Properties.PrimaryContainer.Image);
    expect(images.sort()).toEqual([expect.stringContaining('/forecasting-deepar:'), expect.stringContaining('/autogluon-inference:')]);
    const captures = Object.values(serving.findResources('AWS::SageMaker::EndpointConfig')).map((c: any) => JSON.stringify(c.Properties.DataCaptureConfig));
    for (const capture of captures) expect(capture).toContain('Fn::ImportValue');
  });

  test('the Dev warehouse stack: Redshift Serverless with the stocks table, loading the curated prefix hourly', () => {
    const warehouse = Template.fromStack(pipelineStack.devStage.warehouseStack);
    warehouse.resourceCountIs('AWS::RedshiftServerless::Workgroup', 1);
    warehouse.hasResourceProperties('AWS::RedshiftServerless::Workgroup', { PubliclyAccessible: false, EnhancedVpcRouting: true });
    expect(pipelineStack.devStage.stocksWarehouse.curatedPrefix).toBe(pipelineStack.devStage.stocksEtl.curatedPrefix);
    expect(JSON.stringify(warehouse.findResources('AWS::Events::Rule'))).toContain('cron(45 * * * ? *)');
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

  test('a self-mutating pipeline whose source is the CodeConnections connection from the config file', () => {
    const config = JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    const pipelines = pipelineTemplate.findResources('AWS::CodePipeline::Pipeline');
    const stages = Object.values(pipelines)[0].Properties.Stages as { Name: string; Actions: any[] }[];
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev']);
    expect(stages[0].Actions[0].ActionTypeId).toMatchObject({ Provider: 'CodeStarSourceConnection' });
    expect(stages[0].Actions[0].Configuration).toMatchObject({
      ConnectionArn: config.connectionArn,
      FullRepositoryId: config.repository,
      BranchName: config.branch,
    });
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
    expect(devStacks.length).toBeGreaterThanOrEqual(2);
    for (const stack of devStacks) expect(formatFindings(nagFindings(stack, ['Error', 'Warning']))).toBe('');
  });

  test('cfn-lint passes on every synthesized template', () => {
    const templates = templatesOf(assembly.directory);
    expect(templates.length).toBe(1 + devStacks.length);
    // E3703 rejects the Fn::Join role ARNs CDK Pipelines writes into CloudFormation actions; CloudFormation accepts them.
    expect(formatCfnLint(cfnLint(templates, [...CFN_LINT_DEFAULT_IGNORES, 'E3703']))).toBe('');
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

  test('a bad or missing value says what to set', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), 'bad.json');
    writeFileSync(file, JSON.stringify({
      connectionArn: 'arn:aws:s3:::nope', repository: 'no-slash', branch: 'main', pipelineAccount: '123', pipelineRegion: 'us-east-1', devRegion: 'us-east-1',
    }));
    expect(() => loadPlatformConfig(newApp(), file)).toThrow([
      'Invalid ml-platform config:',
      `- 'devAccount' is missing: set it in ${file} or pass -c freshet:devAccount=...`,
      "- 'connectionArn' must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>), got 'arn:aws:s3:::nope'.",
      "- 'repository' must be 'owner/name', got 'no-slash'.",
      "- 'pipelineAccount' must be a 12-digit AWS account id, got '123'.",
    ].join('\n'));
  });
});
