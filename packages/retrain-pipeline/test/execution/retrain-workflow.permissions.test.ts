import { FakeServiceError, formatDenials, PermissionLedger, PermissionModel, runStateMachine } from '@freshet/test-utils';
import { Stack } from 'aws-cdk-lib';
import { ApprovalMode } from '../../src';
import { DeploymentOutcome, FakeAws, FakeAwsOptions } from './fixtures/fake-aws';
import { pollutionPipeline, stocksPipeline, stocksServerlessPipeline, stocksXgboostPipeline, SynthesizedPipeline } from './fixtures/pipelines';

/**
 * Issue 14: every Task call the execution scenarios make, recorded by the
 * ASL runner, mapped to IAM and evaluated against the state machine's role
 * (and the roles it passes) exactly as synthesized.
 */

const CHAMPION = { arn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/7', metricName: 'rmse', metricValue: 3.5 };
const GOOD = { rmse: 3.2, mae: 2.1, r2: 0.93, rows: 23037 };

interface Subject {
  readonly pipeline: SynthesizedPipeline;
  readonly model: PermissionModel;
  readonly role: string;
}

function subject(pipeline: SynthesizedPipeline): Subject {
  const model = PermissionModel.fromStack(Stack.of(pipeline.pipeline));
  return { pipeline, model, role: pipeline.pipeline.stateMachine.role.node.path };
}

const ledger = new PermissionLedger('retrain-pipeline (workflow executions)');
let stocks: Subject;
let pollution: Subject;
let pollutionManual: Subject;
let stocksManual: Subject;
let stocksServerless: Subject;

beforeAll(() => {
  stocksServerless = subject(stocksServerlessPipeline());
  stocks = subject(stocksPipeline());
  stocksManual = subject(stocksPipeline(false, ApprovalMode.MANUAL));
  pollution = subject(pollutionPipeline());
  pollutionManual = subject(pollutionPipeline(ApprovalMode.MANUAL));
});

afterAll(() => {
  console.log(ledger.summary());
  if (process.env.FRESHET_PERMISSIONS_VERBOSE) console.log(ledger.pairs().join('\n'));
});

async function runAndEvaluate(s: Subject, options: FakeAwsOptions, executionName = 'nightly-2026-11-23', input: unknown = {}) {
  const aws = new FakeAws(options);
  const run = await runStateMachine(s.pipeline.definition, { input, executionName, taskResponses: aws.taskResponses(s.pipeline.definition) });
  // The fixture's endpoint model role is a bare role of the test (the app's is ModelEndpoint's, proven in
  // apps/ml-platform): the service-side calls proven here are those of the roles the pipeline creates.
  const pipelinePath = s.pipeline.pipeline.node.path;
  const decisions = await ledger.evaluateRun(s.model, run, s.role, { serviceRoles: (role) => (role.path ?? '').startsWith(`${pipelinePath}/`) });
  return { run, decisions };
}

const STOCKS_SCENARIOS: [string, FakeAwsOptions][] = [
  ['passing run deployed with guardrails', { evaluation: GOOD, champion: CHAMPION }],
  ['rejected by the gate', { evaluation: { ...GOOD, rmse: 7.5 } }],
  ['rolled back by the guardrails', { evaluation: GOOD, deployment: DeploymentOutcome.ROLLS_BACK }],
  ['endpoint ends Failed', { evaluation: GOOD, deployment: DeploymentOutcome.FAILS }],
  ['UpdateEndpoint fails', { evaluation: GOOD, failures: { 'sagemaker:updateEndpoint': new FakeServiceError('SageMaker.ValidationException', 'bad config') } }],
  ['training fails', { evaluation: GOOD, failures: { 'sagemaker:createTrainingJob.sync': new FakeServiceError('States.TaskFailed', 'AlgorithmError') } }],
];

/** The package status updates (approve once serving, reject otherwise) each scenario must make, by state. */
const PACKAGE_UPDATES: Record<string, string[]> = {
  'passing run deployed with guardrails': ['state "Approve model"'],
  'rolled back by the guardrails': ['state "Reject model"'],
  'endpoint ends Failed': ['state "Reject model"'],
  'UpdateEndpoint fails': ['state "Reject model"'],
};

describe('every call of the stocks workflow is allowed by the policies it synthesizes', () => {
  test.each(STOCKS_SCENARIOS)('%s', async (name, options) => {
    const { run, decisions } = await runAndEvaluate(stocks, { currentEndpointConfig: 'ct-stocks-config-previous', ...options });
    expect(run.calls.length).toBeGreaterThan(0);
    expect(decisions.length).toBeGreaterThanOrEqual(run.calls.length);
    // The model package status updates are among the calls evaluated.
    const updates = decisions.filter((d) => d.call.action === 'sagemaker:UpdateModelPackage').map((d) => d.call.source);
    expect(updates).toEqual(PACKAGE_UPDATES[name] ?? []);
    expect(formatDenials(decisions)).toBe('');
  });
});

describe('every call of the stocks workflow with manual approval is allowed', () => {
  test.each([
    ['approved by a reviewer, then rolled back (Reject model)', { approvalStatuses: ['Approved'], deployment: DeploymentOutcome.ROLLS_BACK }, ['state "Reject model"']],
    ['approved by a reviewer and deployed', { approvalStatuses: ['PendingManualApproval', 'Approved'] }, []],
    ['not approved in time (Withdraw model)', { approvalStatuses: ['PendingManualApproval'] }, ['state "Withdraw model"']],
  ] as [string, Partial<FakeAwsOptions>, string[]][])('%s', async (_name, options, expected) => {
    const { decisions } = await runAndEvaluate(stocksManual, { evaluation: GOOD, champion: CHAMPION, currentEndpointConfig: 'ct-stocks-config-previous', ...options });
    expect(decisions.filter((d) => d.call.action === 'sagemaker:UpdateModelPackage').map((d) => d.call.source)).toEqual(expected);
    expect(formatDenials(decisions)).toBe('');
  });
});

describe('every call of the workflow deploying to a serverless endpoint (ModelEndpoint\'s own target and model role) is allowed', () => {
  test.each([
    ['first model: creates the serverless endpoint', { endpointExists: false }, ['state "Approve model"']],
    ['update', { endpointExists: true, currentEndpointConfig: 'ct-stocks-config-previous', champion: CHAMPION }, ['state "Approve model"']],
    ['failed update, kept on the previous config', { endpointExists: true, currentEndpointConfig: 'ct-stocks-config-previous', deployment: DeploymentOutcome.FAILS_KEEPS_PREVIOUS }, ['state "Reject model"']],
  ] as [string, Partial<FakeAwsOptions>, string[]][])('%s', async (_name, options, expected) => {
    const aws = new FakeAws({ evaluation: GOOD, ...options });
    const run = await runStateMachine(stocksServerless.pipeline.definition, { executionName: 'nightly-2026-11-23', taskResponses: aws.taskResponses(stocksServerless.pipeline.definition) });
    // Here the model role is ModelEndpoint's: its service-side calls (reading the artifact) are proven too.
    const decisions = await ledger.evaluateRun(stocksServerless.model, run, stocksServerless.role);
    const actions = new Set(decisions.map((d) => d.call.action));
    for (const action of ['sagemaker:CreateEndpointConfig', 'sagemaker:CreateModel', 'iam:PassRole']) expect(actions).toContain(action);
    expect(decisions.filter((d) => d.call.action === 'sagemaker:UpdateModelPackage').map((d) => d.call.source)).toEqual(expected);
    expect(formatDenials(decisions)).toBe('');
  });
});

describe('every call of the XGBoost workflow training on 3 instances is allowed', () => {
  test('a passing run: sharded channels, one training job of 3 instances', async () => {
    const distributed = subject(stocksXgboostPipeline(3));
    const { run, decisions } = await runAndEvaluate(distributed, { evaluation: GOOD });
    const train = run.calls.find((c) => c.state === 'Train')!.parameters;
    expect(train.ResourceConfig.InstanceCount).toBe(3);
    expect(train.InputDataConfig.filter((c: any) => c.DataSource.S3DataSource.S3DataDistributionType === 'ShardedByS3Key').map((c: any) => c.ChannelName))
      .toEqual(['train', 'validation']);
    const actions = new Set(decisions.map((d) => d.call.action));
    for (const action of ['sagemaker:CreateProcessingJob', 'sagemaker:CreateTrainingJob', 'iam:PassRole']) expect(actions).toContain(action);
    expect(formatDenials(decisions)).toBe('');
  });
});

describe('every call of the pollution workflow is allowed', () => {
  test('automatic approval', async () => {
    const { decisions } = await runAndEvaluate(pollution, { evaluation: { wql: 0.12, mape: 0.18 } });
    expect(formatDenials(decisions)).toBe('');
  });

  test('manual approval, not given in time: the package is withdrawn', async () => {
    const { decisions } = await runAndEvaluate(pollutionManual, { evaluation: { wql: 0.12, mape: 0.18 }, approvalStatuses: ['PendingManualApproval'] });
    expect(decisions.filter((d) => d.call.action === 'sagemaker:UpdateModelPackage').map((d) => d.call.source)).toEqual(['state "Withdraw model"']);
    expect(formatDenials(decisions)).toBe('');
  });

  test('manual approval, polled until approved', async () => {
    const { decisions } = await runAndEvaluate(pollutionManual, { evaluation: { wql: 0.12, mape: 0.18 }, approvalStatuses: ['PendingManualApproval', 'Approved'] });
    expect(formatDenials(decisions)).toBe('');
  });
});

test('a grant removed from the synthesized policy fails the run\'s proof with the call, the role and the reason', async () => {
  // The stocks templates, with the statement that allows sagemaker:CreateTrainingJob cut from the state machine's policy.
  const templates = stocks.model.stacks.map(({ name, template }) => ({ name, template: JSON.parse(JSON.stringify(template)) }));
  const role = stocks.model.role(stocks.role);
  const policy = stocks.model.resources.find((r) => r.type === 'AWS::IAM::Policy' && (r.properties.Roles ?? []).includes(role.ref))!;
  const document = templates.find((t) => t.name === policy.stack)!.template.Resources![policy.logicalId].Properties!.PolicyDocument;
  const before = document.Statement.length;
  document.Statement = document.Statement.filter((st: any) => ![st.Action].flat().includes('sagemaker:CreateTrainingJob'));
  expect(document.Statement.length).toBe(before - 1);
  const broken = PermissionModel.fromTemplates(templates, stocks.model.env);

  const aws = new FakeAws({ evaluation: GOOD, currentEndpointConfig: 'ct-stocks-config-previous' });
  const run = await runStateMachine(stocks.pipeline.definition, { executionName: 'nightly-2026-11-23', taskResponses: aws.taskResponses(stocks.pipeline.definition) });
  const pipelinePath = stocks.pipeline.pipeline.node.path;
  const decisions = await new PermissionLedger('fixture with a removed grant')
    .evaluateRun(broken, run, role.arn!, { serviceRoles: (r) => stocks.model.role(r.arn!).path!.startsWith(`${pipelinePath}/`) });
  const trainingJob = `arn:aws:sagemaker:us-east-1:123456789012:training-job/${run.calls.find((c) => c.state === 'Train')!.parameters.TrainingJobName}`;
  const message = formatDenials(decisions);
  // The first denial, in full: the call, the role, and why (no statement of the policy, named, allows it).
  expect(message.split('\n').slice(0, 3)).toEqual([
    `DENIED sagemaker:CreateTrainingJob on ${trainingJob} (from state "Train")`,
    `  role:   ${role.arn}`,
    `  reason: no statement of the identity policies allows it (identity policies: ${policy.logicalId})`,
  ]);
  // Only the training job's calls (the removed statement's) are denied; every other call of the run is still allowed.
  const denied = decisions.filter((d) => !d.allowed);
  expect(denied.length).toBeGreaterThan(0);
  expect(new Set(denied.map((d) => d.call.resource))).toEqual(new Set([trainingJob]));
});

test('every integration the workflows use maps to IAM', () => {
  expect([...new Set(ledger.unmapped)]).toEqual([]);
});
