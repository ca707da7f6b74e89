import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { handler as gateHandler } from '@freshet/retrain-pipeline/lib/handlers/gate.lambda';
import {
  AslDefinition, collectStates, formatDenials, PermissionLedger, PermissionModel, runStateMachine, serviceSideCalls, TaskCall, TaskFake,
} from '@freshet/test-utils';
import { App } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { buildApp } from '../src/main';
import { PipelineStack } from '../src/pipeline-stack';

/**
 * Issue 14 (and issue 13, acceptance 4) on the Dev stage of the app as
 * synthesized: the workflows' recorded calls, the services' own access
 * declared by the templates, and the least-privilege negative cases, each
 * evaluated by @cloud-copilot/iam-simulate against the app's IAM.
 */

const app = buildApp(new App({ outdir: mkdtempSync(path.join(tmpdir(), 'ml-platform-iam-')) }));
const dev = (app.node.findChild('FreshetPipeline') as PipelineStack).devStage;
const model = PermissionModel.fromStack(dev.trainingStack);
const ledger = new PermissionLedger('ml-platform Dev stage');

afterAll(() => {
  console.log(ledger.summary());
});

/** The role (or other resource) a construct created, as the model knows it. */
function resourceUnder(construct: IConstruct, type: string) {
  const found = model.resources.filter((r) => r.type === type && (r.path === `${construct.node.path}/Resource` || (r.path ?? '').startsWith(`${construct.node.path}/`)));
  if (found.length !== 1) throw new Error(`${construct.node.path} holds ${found.length} ${type}.`);
  return found[0];
}

const lakeBucket = String(resourceUnder(dev.stocksIngest.createdLakeBucket!.bucket, 'AWS::S3::Bucket').ref);
const lakeKeyArn = resourceUnder(dev.stocksIngest.createdLakeBucket!.encryptionKey, 'AWS::KMS::Key').arn!;
const lakeObject = (key: string) => `arn:aws:s3:::${lakeBucket}/${key}`;

/**
 * SageMaker, S3, SNS, Lambda and the Data API answering a passing run: the
 * endpoint exists and runs a previous config, the gate (our real handler)
 * passes on a first model, the update reaches InService.
 */
function passingRun(definition: AslDefinition): Record<string, TaskFake> {
  let pendingConfig: string | undefined;
  const fakes: Record<string, TaskFake> = {};
  for (const [name, state] of collectStates(definition)) {
    if (state.Type !== 'Task') continue;
    const resource = String(state.Resource);
    fakes[name] = (p: any) => {
      if (/:lambda:.*:function:/.test(resource)) return gateHandler(p);
      const action = resource.replace(/^arn:aws:states:::(aws-sdk:)?/, '');
      switch (action) {
        case 'sagemaker:createProcessingJob.sync': return { ProcessingJobStatus: 'Completed', ProcessingJobName: p.ProcessingJobName };
        case 'sagemaker:createTrainingJob.sync':
          return { TrainingJobStatus: 'Completed', TrainingJobName: p.TrainingJobName, ModelArtifacts: { S3ModelArtifacts: `${String(p.OutputDataConfig.S3OutputPath).replace(/\/$/, '')}/${p.TrainingJobName}/output/model.tar.gz` } };
        case 'sagemaker:createTransformJob.sync': return { TransformJobStatus: 'Completed', TransformJobName: p.TransformJobName };
        case 'sagemaker:createModel': return { ModelArn: `arn:aws:sagemaker:us-east-1:${model.env.account}:model/${p.ModelName}` };
        case 'sagemaker:deleteModel': case 'sagemaker:deleteEndpointConfig': return {};
        case 's3:getObject': return { Body: JSON.stringify({ rmse: 1.2, mae: 0.9, r2: 0.95, wql: 0.1, mape: 0.1, rows: 1000 }) };
        case 'sagemaker:listModelPackages': return { ModelPackageSummaryList: [] };
        case 'sagemaker:createModelPackage': return { ModelPackageArn: `arn:aws:sagemaker:us-east-1:${model.env.account}:model-package/${String(p.ModelPackageGroupName).toLowerCase()}/1` };
        case 'sagemaker:describeModelPackage': return { ModelApprovalStatus: 'Approved', ModelPackageArn: p.ModelPackageName, CustomerMetadataProperties: {} };
        // The workflow approves the package once the endpoint serves it.
        case 'sagemaker:updateModelPackage': return { ModelPackageArn: p.ModelPackageArn };
        case 'sagemaker:createEndpointConfig': return { EndpointConfigArn: `arn:aws:sagemaker:us-east-1:${model.env.account}:endpoint-config/${p.EndpointConfigName}` };
        case 'sagemaker:updateEndpoint': case 'sagemaker:createEndpoint': pendingConfig = p.EndpointConfigName; return { EndpointArn: `arn:aws:sagemaker:us-east-1:${model.env.account}:endpoint/${p.EndpointName}` };
        case 'sagemaker:describeEndpoint': return { EndpointName: p.EndpointName, EndpointStatus: 'InService', EndpointConfigName: pendingConfig ?? 'previous-config' };
        case 'sagemaker:listEndpoints': return { Endpoints: [{ EndpointName: p.NameContains, EndpointStatus: 'InService' }] };
        case 'sns:publish': return { MessageId: 'm-1' };
        case 'redshiftdata:executeStatement': case 'redshiftdata:batchExecuteStatement': return { Id: 'statement-1' };
        case 'redshiftdata:describeStatement': return { Id: p.Id, Status: 'FINISHED' };
        default: throw new Error(`No fake for ${action} (state ${name}): add one to passingRun.`);
      }
    };
  }
  return fakes;
}

async function runWorkflow(stateMachine: IConstruct): Promise<{ calls: TaskCall[] }> {
  const definition = model.stateMachineDefinition(stateMachine.node.path);
  const run = await runStateMachine(definition, { executionName: 'nightly-2026-11-23', taskResponses: passingRun(definition) });
  expect(run.status).toBe('SUCCEEDED');
  return run;
}

describe('the workflows and the services, as the Dev stage synthesizes them', () => {
  let stocksRun: { calls: TaskCall[] };
  beforeAll(async () => {
    stocksRun = await runWorkflow(dev.stocksRetrain.stateMachine);
  });

  test.each([
    ['stocks', () => dev.stocksRetrain],
    ['pollution', () => dev.pollutionRetrain],
  ])('every call of a passing %s retraining run is allowed, and those of the roles it passes', async (name, pipeline) => {
    const run = name === 'stocks' ? stocksRun : await runWorkflow(pipeline().stateMachine);
    const decisions = await ledger.evaluateRun(model, run, pipeline().stateMachine.role.node.path);
    expect(decisions.length).toBeGreaterThan(run.calls.length);
    // The package approval after a deployment is among the calls proven.
    if (name === 'stocks') expect(decisions.filter((d) => d.call.action === 'sagemaker:UpdateModelPackage').map((d) => d.call.source)).toEqual(['state "Approve model"']);
    expect(formatDenials(decisions)).toBe('');
    expect(ledger.unmapped).toEqual([]);
  });

  test('the warehouse COPY machine, run on its schedule, may do what it does, and so may the role its COPY names', async () => {
    const run = await runWorkflow(dev.stocksWarehouse.copyStateMachine!);
    const decisions = await ledger.evaluateRun(model, run, dev.stocksWarehouse.copyStateMachine!.role.node.path);
    expect(decisions.some((d) => d.call.action === 's3:GetObject' && d.call.resource.startsWith(lakeObject(dev.stocksWarehouse.curatedPrefix)))).toBe(true);
    expect(formatDenials(decisions)).toBe('');
  });

  test('Firehose, IoT rules, schedules, rules, models, data capture and Glue jobs may do what their resources declare', async () => {
    const calls = serviceSideCalls(model);
    // Each kind of service-side access is found in the templates.
    const sources = new Set(calls.map((c) => String(c.source).split(' ')[0]));
    for (const type of ['AWS::KinesisFirehose::DeliveryStream', 'AWS::IoT::TopicRule', 'AWS::Scheduler::Schedule', 'AWS::Events::Rule', 'AWS::Glue::Job']) {
      expect(sources).toContain(type);
    }
    const decisions = await ledger.evaluate(model, calls);
    expect(formatDenials(decisions)).toBe('');
  });

  test('issue 13, acceptance 4: the endpoint model role reads the model the workflow deploys and the lake key, and nothing outside models/', async () => {
    const createModel = stocksRun.calls.find((c) => c.state === 'Create model');
    expect(createModel).toBeDefined();
    const modelDataUrl: string = createModel!.parameters.PrimaryContainer.ModelDataUrl;
    expect(modelDataUrl).toMatch(new RegExp(`^s3://${lakeBucket}/models/nightly-2026-11-23/`));
    const role = createModel!.parameters.ExecutionRoleArn;
    expect(role).toBe(model.role(dev.stocksEndpoint.executionRole.node.path).arn);
    const artifact = lakeObject(modelDataUrl.replace(`s3://${lakeBucket}/`, ''));
    const read = await model.evaluate({ principal: role, action: 's3:GetObject', resource: artifact });
    expect(read.reason).toMatch(/^allowed/);
    expect(read.implied.map((d) => [d.call.action, d.call.resource, d.allowed])).toEqual([['kms:Decrypt', lakeKeyArn, true]]);
    for (const outside of ['curated/stocks/part-0.parquet', 'training/nightly-2026-11-23/train/part-0.csv', 'raw/stocks/year=2026/x.jsonl.gz']) {
      expect((await model.evaluate({ principal: role, action: 's3:GetObject', resource: lakeObject(outside) })).allowed).toBe(false);
    }
    // Every CreateModel of every workflow in the app isolates the container from the network, but the model a
    // Dev workflow deploys: Dev's endpoints are serverless, where SageMaker refuses isolation (the batch candidate keeps it).
    expect(dev.stocksEndpoint.compute.isServerless && dev.pollutionEndpoint.compute.isServerless).toBe(true);
    for (const machine of model.resourcesOfType('AWS::StepFunctions::StateMachine')) {
      const definition = model.stateMachineDefinition(machine.logicalId);
      for (const [name, state] of collectStates(definition)) {
        if (!/sagemaker:createModel$/.test(String(state.Resource))) continue;
        const expected = name === 'Create model' ? undefined : true;
        expect({ name, isolated: state.Parameters?.EnableNetworkIsolation }).toEqual({ name, isolated: expected });
      }
    }
  });
});

describe('least privilege: what must be denied is denied', () => {
  const ingestRole = () => dev.stocksIngest.csvUploadSource!.ingestFunction.role!.node.path;

  test('the ingest Lambda cannot read curated/ or models/, though it writes its own prefixes', async () => {
    for (const key of ['curated/stocks/part-0.parquet', 'models/nightly/model.tar.gz']) {
      const decision = await model.evaluate({ principal: ingestRole(), action: 's3:GetObject', resource: lakeObject(key) });
      expect(decision).toMatchObject({ allowed: false });
    }
  });

  test('each proxy may invoke its own endpoint only', async () => {
    const endpoint = (e: typeof dev.stocksEndpoint) => `arn:aws:sagemaker:${model.env.region}:${model.env.account}:endpoint/${e.endpointName.toLowerCase()}`;
    const stocksProxy = dev.stocksEndpoint.api.proxyRole.node.path;
    expect((await model.evaluate({ principal: stocksProxy, action: 'sagemaker:InvokeEndpoint', resource: endpoint(dev.stocksEndpoint) })).allowed).toBe(true);
    expect((await model.evaluate({ principal: stocksProxy, action: 'sagemaker:InvokeEndpoint', resource: endpoint(dev.pollutionEndpoint) })).allowed).toBe(false);
    const pollutionProxy = dev.pollutionEndpoint.api.proxyRole.node.path;
    expect((await model.evaluate({ principal: pollutionProxy, action: 'sagemaker:InvokeEndpoint', resource: endpoint(dev.stocksEndpoint) })).allowed).toBe(false);
  });

  test('the Glue job role cannot write models/', async () => {
    for (const etl of [dev.stocksEtl, dev.pollutionEtl]) {
      expect((await model.evaluate({ principal: etl.jobRole.node.path, action: 's3:PutObject', resource: lakeObject('models/run/model.tar.gz') })).allowed).toBe(false);
    }
  });

  test('no role outside the retraining workflows can pass the SageMaker execution roles', async () => {
    const pipelines = [dev.stocksRetrain, dev.pollutionRetrain];
    const passable = [
      ...pipelines.map((p) => model.role(p.executionRole.node.path).arn!),
      ...[dev.stocksEndpoint, dev.pollutionEndpoint].map((e) => model.role(e.executionRole.node.path).arn!),
    ];
    const workflowRoles = new Set(pipelines.map((p) => model.role(p.stateMachine.role.node.path).arn));
    const others = model.resourcesOfType('AWS::IAM::Role').filter((r) => !workflowRoles.has(r.arn));
    expect(others.length).toBeGreaterThan(10);
    const allowed: string[] = [];
    for (const role of others) {
      for (const target of passable) {
        const decision = await model.evaluate({ principal: role.arn!, action: 'iam:PassRole', resource: target, context: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
        if (decision.allowed) allowed.push(`${role.path} -> ${target}`);
      }
    }
    expect(allowed).toEqual([]);
  });
});
