import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MotoServer, PermissionLedger, PermissionModel, startMotoServer } from '@freshet/test-utils';
import { PYTHON, synthConsumerApp } from './helpers';
import { sensorsStore } from './runs-fixtures';
import { AppModel, LoopModel, readApp, stateMachineArn } from '../src/app/app-model';
import { chooseLoop } from '../src/app/capabilities';
import { SageMakerEmulator } from '../src/emulators/sagemaker';
import { createRetrainRunner } from '../src/runs/retrain-runner';
import { RetrainRunner, RetrainRunOutcome } from '../src/runs/types';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');

/**
 * The consumer test's app (unstaged, XGBoost, the warehouse UNLOAD extract, an endpoint created by the
 * first training): its retrain state machine from cdk.out, run end to end by the replay's executor.
 * The runs build on each other, in order: first model, rejected candidate, gated candidate, rollback, failure.
 */
describe('the retrain run executor on the consumer app (XGBoost)', () => {
  let app: AppModel;
  let loop: LoopModel;
  let moto: MotoServer;
  let sagemaker: SageMakerEmulator;
  let runner: RetrainRunner;
  let workDir: string;
  let runs = 0;
  let cdkOut: string;
  const outcomes: Record<string, RetrainRunOutcome> = {};
  const all: RetrainRunOutcome[] = [];
  const run = async (startTime: number, extra: { input?: unknown; failTraining?: boolean; rollBackDeployment?: boolean } = {}) => {
    const name = `run-${++runs}`;
    const outcome = await runner.run({
      executionName: name,
      executionArn: `${stateMachineArn(loop.retrainStateMachine!.logicalId).replace(':stateMachine:', ':execution:')}:${name}`,
      input: extra.input ?? { reason: 'drift' },
      startTime,
      failTraining: extra.failTraining,
      rollBackDeployment: extra.rollBackDeployment,
    });
    all.push(outcome);
    return outcome;
  };

  beforeAll(async () => {
    cdkOut = synthConsumerApp();
    app = readApp(cdkOut);
    loop = chooseLoop(app, undefined, PYTHON);
    moto = await startMotoServer();
    // The app's own account and region (its stack's environment), so the emulator's ARNs are those its policies name.
    sagemaker = new SageMakerEmulator(() => T0, { account: '210987654321', region: 'eu-central-1' });
    await sagemaker.start();
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'runs-xgboost-'));
    // A reading every 2 minutes from T0: 720 labelled by T0 + 24 h.
    runner = await createRetrainRunner(app, loop, {
      sagemaker, s3Endpoint: moto.endpoint, labelled: sensorsStore(T0, 120_000, 1500), python: PYTHON, workDir, clock: () => T0,
    });
  }, 300_000);

  afterAll(async () => {
    await sagemaker?.stop();
    await moto?.stop();
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  test('1. the first training (no champion) creates the endpoint, which serves the model with its code/inference.py', async () => {
    const start = T0 + 24 * HOUR;
    const outcome = await run(start);
    outcomes.first = outcome;
    expect({ status: outcome.status, error: outcome.error, cause: outcome.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    expect(outcome.visited).toEqual(expect.arrayContaining(['Extract', 'Preprocess', 'Train', 'Transform test channel', 'Evaluate', 'Gate',
      'Register model', 'No endpoint yet', 'Create endpoint', 'Check endpoint', 'Approve model', 'Deployed']));
    expect(outcome.gate).toMatchObject({ passed: true, reason: expect.stringMatching(/there is no approved champion/) });
    expect(outcome.gate!.candidate).toBeLessThan(0.5);
    const deployed = outcome.deployed!;
    expect(deployed).toMatchObject({ endpointName: loop.endpointName, role: 'production', algorithm: 'xgboost' });
    expect(fs.existsSync(path.join(deployed.modelDir, 'code', 'inference.py'))).toBe(true);
    expect(fs.existsSync(path.join(deployed.modelDir, 'xgboost-model'))).toBe(true);
    expect(deployed.environment.SAGEMAKER_PROGRAM).toBe('inference.py');
    expect(sagemaker.servingModels(loop.endpointName).map((m) => m.modelName)).toEqual([deployed.modelName]);
    expect(sagemaker.modelPackage(deployed.modelPackageArn!)).toMatchObject({ status: 'Approved' });
    // The deployment took effect after the simulated update, within the run.
    expect(deployed.deployedAt).toBeGreaterThan(start);
    expect(deployed.deployedAt).toBeLessThanOrEqual(start + outcome.durationMs);
    // The run's simulated duration is the sum of its steps and polls (deterministic estimates, README).
    expect(outcome.durationMs).toBeGreaterThanOrEqual(outcome.steps!.reduce((n, s) => n + s.durationMs, 0));
    expect(outcome.notifications!.map((n) => JSON.parse(n.message).outcome)).toEqual(['deployed']);
  }, 600_000);

  test('2. a worse candidate (one boosting round) is gated against the first model and rejected; the first keeps serving', async () => {
    const outcome = await run(T0 + 24 * HOUR, { input: { reason: 'drift', hyperparameters: { num_round: '1' } } });
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.visited).toEqual(expect.arrayContaining(['Describe champion', 'Gate', 'Notify rejection', 'Rejected']));
    expect(outcome.visited).not.toContain('Register model');
    expect(outcome.gate).toMatchObject({ passed: false, champion: outcomes.first.gate!.candidate });
    expect(outcome.gate!.candidate).toBeGreaterThan(outcomes.first.gate!.candidate!);
    expect(outcome.deployed).toBeUndefined();
    expect(sagemaker.servingModels(loop.endpointName).map((m) => m.modelName)).toEqual([outcomes.first.deployed!.modelName]);
  }, 600_000);

  test('3. a candidate on a day more of data is gated against the serving model, and deploys exactly when it passes', async () => {
    const outcome = await run(T0 + 48 * HOUR);
    outcomes.third = outcome;
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.gate!.champion).toBe(outcomes.first.gate!.candidate);
    const serving = sagemaker.servingModels(loop.endpointName)[0];
    if (outcome.gate!.passed) {
      expect(outcome.visited).toEqual(expect.arrayContaining(['Describe endpoint', 'Update endpoint', 'Approve model', 'Delete superseded config', 'Deployed']));
      expect(serving.modelName).toBe(outcome.deployed!.modelName);
    } else {
      expect(outcome.visited).toContain('Rejected');
      expect(serving.modelName).toBe(outcomes.first.deployed!.modelName);
    }
  }, 600_000);

  test('4. an ordered rollback leaves the previous model serving, and its package Rejected so the gate never compares against it', async () => {
    const before = sagemaker.servingModels(loop.endpointName)[0];
    const championMetric = outcomes.third.gate!.passed ? outcomes.third.gate!.candidate : outcomes.first.gate!.candidate;
    // The same data as the champion's: an equal candidate passes a gate with minImprovement 0 (the consumer's).
    const outcome = await run(outcomes.third.gate!.passed ? T0 + 48 * HOUR : T0 + 24 * HOUR, { rollBackDeployment: true });
    expect(outcome.gate).toMatchObject({ passed: true, champion: championMetric });
    // A serverless endpoint (the consumer app's) has no alarm rollback: its failed update leaves it on the previous
    // config, which the workflow reports as DeploymentFailed; a real-time endpoint's guardrails roll back.
    const config = sagemaker.call('DescribeEndpoint', { EndpointName: loop.endpointName }).EndpointConfigName;
    const serverless = sagemaker.call('DescribeEndpointConfig', { EndpointConfigName: config }).ProductionVariants
      .some((v: { ServerlessConfig?: unknown }) => v.ServerlessConfig !== undefined);
    const error = serverless ? 'DeploymentFailed' : 'DeploymentRolledBack';
    expect(outcome).toMatchObject({ status: 'FAILED', error, rolledBack: true });
    expect(outcome.cause).toContain(serverless ? `${loop.endpointName} stayed on ${config}` : `${loop.endpointName} rolled back to`);
    expect(outcome.visited).toEqual(expect.arrayContaining(['Update endpoint', 'Deployment rolled back', 'Discard new config', 'Discard new model', 'Reject model', 'Notify failure', 'Failed']));
    const after = sagemaker.servingModels(loop.endpointName)[0];
    expect(after.modelName).toBe(before.modelName);
    // The rolled-back run's package: the newest of the group, Rejected, the reason in its ApprovalDescription.
    const packages = sagemaker.call('ListModelPackages', { ModelPackageGroupName: groupName(), SortOrder: 'Descending' }).ModelPackageSummaryList;
    const rejected = sagemaker.modelPackage(packages[0].ModelPackageArn)!;
    expect(rejected.status).toBe('Rejected');
    expect(rejected.approvalDescription).toContain(`ended with ${error}`);
    // The next run's champion is the model that serves, not the rolled-back one.
    const next = await run(T0 + 24 * HOUR, { input: { reason: 'drift', hyperparameters: { num_round: '1' } } });
    expect(next.gate!.champion).toBe(championMetric);
    expect(sagemaker.call('ListModelPackages', { ModelPackageGroupName: groupName(), ModelApprovalStatus: 'Approved', SortOrder: 'Descending', MaxResults: 1 })
      .ModelPackageSummaryList[0].ModelPackageArn).toBe(after.modelPackageArn);
  }, 900_000);

  test('5. a training failure ends FAILED with the cause, notified; the serving model is untouched', async () => {
    const before = sagemaker.servingModels(loop.endpointName)[0].modelName;
    const outcome = await run(T0 + 24 * HOUR, { failTraining: true });
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.TaskFailed' });
    expect(JSON.parse(outcome.cause!)).toMatchObject({ TrainingJobStatus: 'Failed', FailureReason: expect.stringMatching(/training-fails/) });
    expect(outcome.visited).toEqual(expect.arrayContaining(['Train', 'Notify failure', 'Failed']));
    expect(outcome.visited).not.toContain('Gate');
    expect(outcome.notifications!.map((n) => JSON.parse(n.message).outcome)).toEqual(['failed']);
    expect(sagemaker.servingModels(loop.endpointName)[0].modelName).toBe(before);
  }, 600_000);

  test('6. every call the runs made is allowed by the synthesized IAM of the state machine\'s role (and the roles it passes)', async () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
    const model = PermissionModel.fromAssembly(cdkOut, { account: '210987654321', region: 'eu-central-1', partition: 'aws' });
    const ledger = new PermissionLedger('replay retrain runs (consumer app)');
    const role = loop.retrainStateMachine!.properties.RoleArn['Fn::GetAtt'][0];
    for (const outcome of all) await ledger.evaluateRun(model, { calls: outcome.calls! }, role);
    process.stderr.write(`${ledger.summary()}\n`);
    // Reported, never asserted on: each run's simulated duration and wall time on this machine.
    process.stderr.write(all.map((o, i) => `run-${i + 1} ${o.status}${o.gate ? ` gate ${o.gate.passed}` : ''}: simulated ${(o.durationMs / 60_000).toFixed(1)} min, `
      + `wall ${(o.wallMs! / 1000).toFixed(1)} s`).join('\n') + '\n');
    expect(ledger.denials()).toBe('');
    expect([...new Set(ledger.unmapped)]).toEqual([]);
    // The runs reached the deployment's calls, the rollback's and the rejection's.
    expect(ledger.pairs()).toEqual(expect.arrayContaining([
      expect.stringMatching(/ sagemaker:CreateTrainingJob$/), expect.stringMatching(/ sagemaker:UpdateEndpoint$/),
      expect.stringMatching(/ sagemaker:UpdateModelPackage$/), expect.stringMatching(/ redshift-data:ExecuteStatement$/),
    ]));
  }, 300_000);

  function groupName(): string {
    return sagemaker.calls.find((c) => c.operation === 'CreateModelPackage')!.request.ModelPackageGroupName;
  }
});
