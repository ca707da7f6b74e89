import { formatDenials, PermissionLedger, PermissionModel, runStateMachine, synthesizedDefinition } from '@freshet/test-utils';
import { Template } from 'aws-cdk-lib/assertions';
import { buildLightMonitor } from './fixtures/monitors';
import { JOB_PATHS } from '../src/handlers/drift-planner/plan-window';

/**
 * The sharded drift run's calls, executed in the ASL engine and evaluated by the IAM harness against the
 * synthesized policies: the state machine creating, polling and stopping the 3-instance counting job and the
 * summing job and passing them the job role; the job role reading the sharded capture, writing the shards'
 * counts, reading them back and writing the report.
 */
const ledger = new PermissionLedger('monitor-retrain-trigger (sharded drift run)');
const { stack, monitor } = buildLightMonitor({ jobResources: { maxInstanceCount: 20 } });
const drift = monitor.driftMonitor;
const model = PermissionModel.fromStack(stack);
const definition = synthesizedDefinition(Template.fromStack(stack).toJSON(), (id) => id.startsWith('MonitorDriftStateMachine'));
const planner = model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.path === `${drift.plannerFunction.node.path}/Resource`)!;
const env = planner.properties.Environment.Variables as Record<string, string>;
const lake = model.resourcesOfType('AWS::S3::Bucket').find((r) => r.path?.endsWith('/Lake/Bucket/Resource'))!.arn!.replace(/^arn:aws:s3:::/, '');

afterAll(() => console.log(ledger.summary()));

test('the counting job on 3 instances and the summing job: every call of the state machine and the job role is allowed', async () => {
  const report = `s3://${lake}/${env.REPORT_PREFIX}2026-12-02T00-00-00Z/`;
  const input = (name: string, uri: string, localPath: string, type: string, distribution = 'FullyReplicated') =>
    ({ InputName: name, S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: type, S3InputMode: 'File', S3DataDistributionType: distribution } });
  const common = [input('code', env.CODE_URI, JOB_PATHS.code, 'S3Prefix'), input('shared', env.SHARED_CODE_URI, JOB_PATHS.shared, 'S3Prefix')];
  const baseline = input('baseline', `s3://${lake}/baselines/run-7/`, JOB_PATHS.baseline, 'S3Prefix');
  const jobName = `${env.JOB_NAME_PREFIX}-drift-0123456789abcdef0123456789abcdef`;
  const plan = {
    status: 'ready',
    reportUri: report,
    windowEnd: '2026-12-02T00:00:00.000Z',
    instanceCount: 3,
    jobName,
    processingInputs: [...common, input('capture', `${report}manifests/capture.manifest`, JOB_PATHS.capture, 'ManifestFile', 'ShardedByS3Key'), baseline],
    containerArguments: ['drift_job.py', '--counts-output', JOB_PATHS.counts],
    countsUri: `${report}counts/`,
    sumJobName: `${jobName}-sum`,
    sumInputs: [...common, baseline, input('counts', `${report}counts/`, JOB_PATHS.counts, 'S3Prefix')],
    sumArguments: ['drift_job.py', '--counts-input', JOB_PATHS.counts],
  };
  const completed = (p: any) => ({ ProcessingJobName: p.ProcessingJobName, ProcessingJobStatus: 'Completed' });
  const run = await runStateMachine(definition, {
    input: { scheduledTime: '2026-12-02T00:05:00Z' },
    taskResponses: { 'Plan window': plan, 'Count drift in shards': completed, 'Sum shard counts': completed, 'Publish metrics': { published: 1 } },
  });
  expect(run.visited).toEqual(['Plan window', 'Window ready?', 'Count drift in shards', 'Sum shard counts', 'Publish metrics', 'Published']);

  const decisions = await ledger.evaluateRun(model, run, drift.stateMachine.role.node.path, { serviceRoles: (role) => (role.path ?? '').startsWith(`${drift.jobRole.node.path}/`) });
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
  const actions = new Set(decisions.map((d) => `${d.call.action} ${d.call.resource}`));
  // Both jobs by name, the role passed, the counts written by the shards and read by the summing job.
  for (const expected of [
    new RegExp(`^sagemaker:CreateProcessingJob .*processing-job/${jobName}$`),
    new RegExp(`^sagemaker:CreateProcessingJob .*processing-job/${jobName}-sum$`),
    /^iam:PassRole /,
    new RegExp(`^s3:PutObject arn:aws:s3:::${lake}/.*/counts/`),
    new RegExp(`^s3:GetObject arn:aws:s3:::${lake}/.*/counts/`),
    new RegExp(`^s3:PutObject arn:aws:s3:::${lake}/.*2026-12-02T00-00-00Z/part`),
  ]) {
    expect([...actions].some((a) => expected.test(a)) ? expected.source : [...actions]).toBe(expected.source);
  }

  // Least privilege holds for the sharded run too: another prefix's jobs and writes outside the report folder are denied.
  const denied = await model.evaluateAll([
    { principal: drift.stateMachine.role.node.path, action: 'sagemaker:CreateProcessingJob', resource: 'arn:aws:sagemaker:us-east-1:123456789012:processing-job/other-drift-x', source: 'negative' },
    { principal: drift.jobRole.node.path, action: 's3:PutObject', resource: `arn:aws:s3:::${lake}/baselines/run-7/counts-algo-1.json`, source: 'negative' },
  ]);
  expect(denied.filter((d) => d.allowed).map((d) => `${d.call.action} ${d.call.resource}`)).toEqual([]);
});
