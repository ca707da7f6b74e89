/**
 * The drift state machine, synthesized and executed in the ASL engine, for a window on one instance
 * (today's states and parameters) and a window the planner split across 3 instances (the counting job
 * over sharded capture, the summing job, the publisher reading the summed report).
 */
import { FakeServiceError, runStateMachine, synthesizedDefinition } from '@freshet/test-utils';
import { Template } from 'aws-cdk-lib/assertions';
import { buildLightMonitor, ENDPOINT } from './fixtures/monitors';
import { JOB_PATHS } from '../src/handlers/drift-planner/plan-window';

const REPORT = `s3://lake/reports/drift/${ENDPOINT}/2026-12-02T00-00-00Z/`;
const BASE_ARGS = ['drift_job.py', '--algorithm', 'xgboost', '--endpoint-name', ENDPOINT, '--window-start', '2026-12-01T00:00:00.000Z', '--window-end', '2026-12-02T00:00:00.000Z',
  '--baseline-dir', JOB_PATHS.baseline, '--report-dir', JOB_PATHS.report];
const input = (name: string, uri: string, localPath: string, type: string, distribution = 'FullyReplicated') =>
  ({ InputName: name, S3Input: { S3Uri: uri, LocalPath: localPath, S3DataType: type, S3InputMode: 'File', S3DataDistributionType: distribution } });
const common = [input('code', 's3://assets/code.zip', JOB_PATHS.code, 'S3Prefix'), input('shared', 's3://assets/shared.zip', JOB_PATHS.shared, 'S3Prefix')];
const baseline = input('baseline', 's3://lake/baselines/run-7/', JOB_PATHS.baseline, 'S3Prefix');
const capture = (distribution: string) => input('capture', `${REPORT}manifests/capture.manifest`, JOB_PATHS.capture, 'ManifestFile', distribution);

/** Plans as the planner returns them (plan-window.ts; drift-planner.test.ts proves their shape against the emulators). */
const single = {
  status: 'ready',
  endpointName: ENDPOINT,
  window: '2026-12-02T00-00-00Z',
  reportUri: REPORT,
  windowEnd: '2026-12-02T00:00:00.000Z',
  instanceCount: 1,
  jobName: 'dm-stocks-drift-0123456789abcdef0123456789abcdef',
  processingInputs: [...common, capture('FullyReplicated'), baseline],
  containerArguments: [...BASE_ARGS, '--capture-dir', JOB_PATHS.capture, '--production-variants', 'AllTraffic'],
};
const sharded = {
  ...single,
  instanceCount: 3,
  processingInputs: [...common, capture('ShardedByS3Key'), baseline],
  containerArguments: [...BASE_ARGS, '--capture-dir', JOB_PATHS.capture, '--counts-output', JOB_PATHS.counts],
  countsUri: `${REPORT}counts/`,
  sumJobName: 'dm-stocks-drift-0123456789abcdef0123456789abcdef-sum',
  sumInputs: [...common, baseline, input('counts', `${REPORT}counts/`, JOB_PATHS.counts, 'S3Prefix')],
  sumArguments: [...BASE_ARGS, '--counts-input', JOB_PATHS.counts],
};

function definitionOf(props: Parameters<typeof buildLightMonitor>[0] = {}): any {
  const { stack } = buildLightMonitor(props);
  return synthesizedDefinition(Template.fromStack(stack).toJSON(), (id) => id.startsWith('MonitorDriftStateMachine'));
}

/** Each processing job "completes"; the publisher answers what report it read. */
const fakes = (plan: object) => ({
  'Plan window': plan,
  'Run drift job': (p: any) => ({ ProcessingJobName: p.ProcessingJobName, ProcessingJobStatus: 'Completed' }),
  'Count drift in shards': (p: any) => ({ ProcessingJobName: p.ProcessingJobName, ProcessingJobStatus: 'Completed' }),
  'Sum shard counts': (p: any) => ({ ProcessingJobName: p.ProcessingJobName, ProcessingJobStatus: 'Completed' }),
  'Publish metrics': (p: any) => ({ published: 3, reportUri: p.reportUri }),
});

describe('the drift state machine with jobResources.maxInstanceCount 20', () => {
  const definition = definitionOf({ jobResources: { maxInstanceCount: 20 } });

  test('a plan of 1 instance runs today\'s states with today\'s job parameters', async () => {
    const run = await runStateMachine(definition, { input: { scheduledTime: '2026-12-02T00:05:00Z' }, taskResponses: fakes(single) });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(['Plan window', 'Window ready?', 'Run drift job', 'Publish metrics', 'Published']);
    const job = run.calls.find((c) => c.state === 'Run drift job')!.parameters;
    expect(job.ProcessingResources.ClusterConfig).toMatchObject({ InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30 });
    expect(job.ProcessingInputs).toEqual(single.processingInputs);
    expect(job.AppSpecification.ContainerArguments).toEqual(single.containerArguments);
    expect(job.ProcessingOutputConfig.Outputs).toEqual([{ OutputName: 'report', S3Output: { S3Uri: REPORT, LocalPath: JOB_PATHS.report, S3UploadMode: 'EndOfJob' } }]);
  });

  test('a plan of 3 instances counts on 3 instances over sharded capture, sums on one, and publishes the summed report', async () => {
    const run = await runStateMachine(definition, { input: { scheduledTime: '2026-12-02T00:05:00Z' }, taskResponses: fakes(sharded) });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.visited).toEqual(['Plan window', 'Window ready?', 'Count drift in shards', 'Sum shard counts', 'Publish metrics', 'Published']);

    const count = run.calls.find((c) => c.state === 'Count drift in shards')!.parameters;
    expect(count.ProcessingJobName).toBe(sharded.jobName);
    expect(count.ProcessingResources.ClusterConfig).toMatchObject({ InstanceCount: 3, InstanceType: 'ml.m5.large' });
    expect(count.ProcessingInputs.find((i: any) => i.InputName === 'capture').S3Input.S3DataDistributionType).toBe('ShardedByS3Key');
    expect(count.AppSpecification.ContainerArguments.slice(-2)).toEqual(['--counts-output', JOB_PATHS.counts]);
    // Every instance's counts-<host>.json lands in the same folder, the summing job's input.
    expect(count.ProcessingOutputConfig.Outputs).toEqual([{ OutputName: 'counts', S3Output: { S3Uri: `${REPORT}counts/`, LocalPath: JOB_PATHS.counts, S3UploadMode: 'EndOfJob' } }]);
    expect(count.NetworkConfig).toEqual({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });

    const sum = run.calls.find((c) => c.state === 'Sum shard counts')!.parameters;
    expect(sum.ProcessingJobName).toBe(sharded.sumJobName);
    expect(sum.ProcessingResources.ClusterConfig.InstanceCount).toBe(1);
    expect(sum.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.S3Uri])).toEqual([
      ['code', 's3://assets/code.zip'], ['shared', 's3://assets/shared.zip'], ['baseline', 's3://lake/baselines/run-7/'], ['counts', `${REPORT}counts/`],
    ]);
    expect(sum.AppSpecification.ContainerArguments.slice(-2)).toEqual(['--counts-input', JOB_PATHS.counts]);
    expect(sum.ProcessingOutputConfig.Outputs).toEqual([{ OutputName: 'report', S3Output: { S3Uri: REPORT, LocalPath: JOB_PATHS.report, S3UploadMode: 'EndOfJob' } }]);
    // The image, role, launcher and key are the single-instance job's.
    for (const key of ['RoleArn', 'AppSpecification.ImageUri', 'AppSpecification.ContainerEntrypoint', 'ProcessingOutputConfig.KmsKeyId', 'StoppingCondition']) {
      const at = (p: any) => key.split('.').reduce((o, k) => o?.[k], p);
      expect([at(count), at(sum)]).toEqual([at(count), at(count)]);
      expect(at(count)).toBeDefined();
    }

    const publish = run.calls.find((c) => c.state === 'Publish metrics')!.parameters;
    expect(publish.reportUri).toBe(sum.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri);
    expect(run.output.job).toEqual({ jobName: sharded.sumJobName, status: 'Completed' });
  });

  test('a failed counting job fails the run before the summing job starts', async () => {
    const run = await runStateMachine(definition, {
      input: { scheduledTime: '2026-12-02T00:05:00Z' },
      taskResponses: { ...fakes(sharded), 'Count drift in shards': () => { throw new FakeServiceError('States.TaskFailed', 'AlgorithmError: a shard failed'); } },
    });
    expect(run.status).toBe('FAILED');
    expect(run.visited).not.toContain('Sum shard counts');
    expect(run.visited).not.toContain('Publish metrics');
  });
});

test('with the default cap of 1 the definition is the single-instance one: no sharded states, one choice', () => {
  const definition = definitionOf();
  expect(Object.keys(definition.States)).not.toContain('Count drift in shards');
  expect(Object.keys(definition.States)).not.toContain('Sum shard counts');
  expect(definition.States['Window ready?'].Choices).toEqual([{ Variable: '$.plan.status', StringEquals: 'ready', Next: 'Run drift job' }]);
});

describe('jobResources.maxInstanceCount is checked at synth', () => {
  test.each([[0], [21], [2.5]])('%p is refused with what to give', (count) => {
    expect(() => buildLightMonitor({ jobResources: { maxInstanceCount: count } })).toThrow(/jobResources\.maxInstanceCount is .*; give a whole number of instances from 1 \(never sharded\) to 20\./);
  });

  test('bytesPerInstance below 1 MB is refused', () => {
    expect(() => buildLightMonitor({ jobResources: { maxInstanceCount: 4, bytesPerInstance: 10 } })).toThrow(/jobResources\.bytesPerInstance is 10; give whole bytes, at least 1,000,000/);
  });
});
