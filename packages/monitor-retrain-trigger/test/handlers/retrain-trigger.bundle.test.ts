import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { alarmEvent, TriggerHarness } from './trigger-harness';

/** What Lambda runs: the esbuild bundle the build writes (the SDK is external, as the Node.js 24 runtime provides it). */
const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'handlers', 'retrain-trigger.lambda', 'index.js');

let harness: TriggerHarness;

beforeAll(async () => {
  harness = await TriggerHarness.start();
});

afterAll(async () => {
  await harness?.stop();
});

beforeEach(async () => {
  await harness.reset();
});

/** Runs the bundle's handler once in a plain Node process with only the function's environment. */
async function runBundle(event: object): Promise<{ result: any; stdout: string[] }> {
  const script = `require(${JSON.stringify(BUNDLE)}).handler(JSON.parse(process.argv[1])).then((r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'));`;
  const env = harness.environment('state-machine');
  const { stdout } = await promisify(execFile)(process.execPath, ['--no-warnings', '-e', script, JSON.stringify(event)], {
    encoding: 'utf8',
    env: Object.fromEntries(Object.entries(env).filter(([name]) => name === 'PATH' || /^(AWS_|STORM_|TARGET_|STATE_MACHINE_|PIPELINE_|COOLDOWN_|DAILY_)/.test(name))),
  });
  const lines = stdout.trim().split('\n');
  const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice('RESULT '.length));
  return { result, stdout: lines.filter((l) => !l.startsWith('RESULT ')) };
}

test('the shipped bundle starts one run and writes its decision as a bare EMF line', async () => {
  const first = await runBundle(alarmEvent());
  expect(first.result).toMatchObject({ started: true });
  // A line Lambda's console would prefix (timestamp, request id) would not be read as EMF.
  expect(first.stdout).toHaveLength(1);
  expect(JSON.parse(first.stdout[0])).toMatchObject({ _aws: { CloudWatchMetrics: [{ Namespace: 'Freshet/RetrainTrigger' }] }, TriggerStarted: 1 });

  // A second process (a new container) reads the same claim from the table: the run has ended, the cooldown holds.
  await harness.finishRuns();
  const second = await runBundle(alarmEvent());
  expect(second.result).toMatchObject({ started: false, reason: 'cooldown' });
  expect(JSON.parse(second.stdout[0])).toMatchObject({ TriggerSkipped: 1, Reason: 'cooldown' });
  expect(await harness.executions()).toHaveLength(1);
});
