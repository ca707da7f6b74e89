import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startMotoServer } from '@freshet/test-utils';
import { RehearsalResult, rehearseTrigger, TimelineEntry } from './trigger-rehearsal';
import { AppModel, LoopModel, stateMachineArn } from '../app/app-model';
import { RefusalError } from '../app/capabilities';
import { SageMakerEmulator } from '../emulators/sagemaker';
import { DriftMonitor, DriftWindow } from '../monitor/drift-monitor';
import { StageResolver } from '../monitor/stage-resolver';
import { createRetrainRunner } from '../runs/retrain-runner';
import { RetrainRunOutcome, ServingModel } from '../runs/types';
import { Injection, onsetOf, Scenario } from '../scenario/scenario';
import { ApiCaptureDelivery, apiCaptureRouteOf } from '../serving/api-capture-delivery';
import { SageMakerCaptureWriter } from '../serving/capture-writer';
import { EndpointRuntime } from '../serving/endpoint-runtime';
import { PredictApi, predictProxyOf } from '../serving/predict-api';
import { History, readHistory, SchemaSpec } from '../traffic/history';
import { ArrivingLabels } from '../traffic/labelled-store';
import { TrafficGenerator } from '../traffic/traffic';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface DataPathOptions {
  /** The history CSV (DESIGN.md's dataset contract, a header then records). */
  readonly data: string;
  /** Python of the jobs and XGBoost models (the shared .venv). */
  readonly python: string;
  /** Python with autogluon.tabular (AutoGluon training and serving). @default python */
  readonly autogluonPython?: string;
  /** Rows of the history the first model trains on (labelled before day 0); traffic draws from the rest. @default 20,000 */
  readonly seedRows?: number;
  /** Where jobs, models and drift windows are laid out. @default a temp folder */
  readonly workDir?: string;
}

/** One day's model error on the labelled traffic served that day. */
export interface DailyError {
  readonly day: number;
  readonly date: string;
  /** The gate's metric for the task (rmse for regression). */
  readonly metric: string;
  readonly value: number;
  readonly records: number;
  /** The models that answered that day's requests. */
  readonly models: string[];
}

/** What the data path adds to a rehearsal's result. */
export interface DataPathResult extends RehearsalResult {
  readonly windows: DriftWindow[];
  readonly dailyErrors: DailyError[];
  readonly servingChanges: { time: number; model: string; reason: string }[];
  readonly outcomes: { run: string; start: number; outcome: RetrainRunOutcome }[];
  readonly firstModel: { start: number; outcome: RetrainRunOutcome };
  readonly traffic: { requests: number; records: number; rejected: number; captured: number };
  readonly wallMs: { firstModel: number; total: number };
}

/**
 * The whole loop, from the synthesized app: the trigger rehearsal (alarms, rules, trigger, start guard, schedules,
 * the simulated clock) with the data path in place of its stand-ins. Each hour the scenario's traffic goes through
 * the built predict proxy to the endpoint runtime (the serving model's own inference code) and is captured; labels
 * land after the delay (the warehouse the run's extract reads; ground truth in the lake); the drift monitor runs on
 * its schedule and its publisher's metrics are what the alarms evaluate; a start by the trigger or the guard runs the
 * real retrain workflow (RetrainRunner), whose duration decides the execution's end and whose deployment changes what
 * serves. The first model: the retrain workflow run once before day 0 on the history's first `seedRows` rows.
 */
export async function replayDataPath(app: AppModel, loop: LoopModel, scenario: Scenario, options: DataPathOptions): Promise<DataPathResult> {
  const wallStart = Date.now();
  const schema = JSON.parse(loop.jobArguments[loop.jobArguments.indexOf('--schema') + 1]) as SchemaSpec;
  const history = readHistory(options.data, schema);
  const seedRows = Math.min(options.seedRows ?? 20_000, Math.floor(history.rows.length / 2));
  const start = Date.parse(`${scenario.start}T00:00:00Z`);
  const work = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'freshet-replay-'));
  const resolver = new StageResolver(app.stacks);
  const plannerEnv = resolver.environment(loop.planner.logicalId, loop.planner.environment);
  const lake = plannerEnv.LAKE_BUCKET;
  const groundTruthPrefix = plannerEnv.GROUND_TRUTH_PREFIX || undefined;
  const qualityMetric = argument(loop.qualityArguments, '--quality-metric') ?? 'rmse';

  let now = start - DAY;
  const moto = await startMotoServer();
  const sagemaker = new SageMakerEmulator(() => now);
  await sagemaker.start();
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'replay', secretAccessKey: 'replay' } });
  const capture = new SageMakerCaptureWriter(s3, scenario.seed);
  const runtime = new EndpointRuntime({
    source: sagemaker,
    capture,
    clock: () => now,
    python: (algorithm) => (algorithm === 'autogluon' ? options.autogluonPython ?? options.python : options.python),
  });
  await runtime.start();
  const saved: Record<string, string | undefined> = {};
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'replay',
    AWS_SECRET_ACCESS_KEY: 'replay',
    AWS_MAX_ATTEMPTS: '3',
    AWS_ENDPOINT_URL_S3: moto.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker.endpoint,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtime.endpoint,
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let monitor: DriftMonitor | undefined;
  try {
    for (const bucket of new Set([lake, plannerEnv.CAPTURE_BUCKET])) {
      await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((e) => {
        if (!/BucketAlready/.test(String(e?.name))) throw e;
      });
    }
    const labels = new ArrivingLabels(history.header, history.rows.slice(0, seedRows));
    const runner = await createRetrainRunner(app, loop, {
      sagemaker, s3Endpoint: moto.endpoint, labelled: labels, python: options.python, autogluonPython: options.autogluonPython, workDir: path.join(work, 'runs'), clock: () => now,
    });
    const executionArn = (name: string) => `${stateMachineArn(loop.retrainStateMachine!.logicalId).replace(':stateMachine:', ':execution:')}:${name}`;

    // The first model: the retrain workflow once, a day before day 0, on the history's first rows (the first-model path).
    const firstStart = start - DAY;
    const firstWall = Date.now();
    const first = await runner.run({ executionName: 'first-model', executionArn: executionArn('first-model'), input: { reason: 'first model' }, startTime: firstStart });
    const firstModelWall = Date.now() - firstWall;
    if (first.status !== 'SUCCEEDED' || !first.deployed) {
      throw new RefusalError(`The first model's run (the retrain workflow before day 0 on ${seedRows} rows of ${options.data}) ended ${first.status}: ${first.error ?? ''} ${first.cause ?? ''}`.trim());
    }
    const servingChanges: DataPathResult['servingChanges'] = [{ time: first.deployed.deployedAt, model: first.deployed.modelName, reason: 'the first model (retrain workflow before day 0)' }];
    now = start;

    const proxy = predictProxyOf(app, loop.endpointName);
    // Capture at the API: the proxy's capture lines, through the app's subscription filter and Firehose stream.
    const apiRoute = apiCaptureRouteOf(app, resolver, proxy);
    const apiCapture = apiRoute ? new ApiCaptureDelivery(s3, apiRoute) : undefined;
    if (apiRoute && !new Set([lake, plannerEnv.CAPTURE_BUCKET]).has(apiRoute.bucket)) {
      await s3.send(new CreateBucketCommand({ Bucket: apiRoute.bucket }));
    }
    const api = new PredictApi(proxy, apiCapture ? (lines) => apiCapture.deliver(lines) : undefined);
    monitor = new DriftMonitor({ loop, resolver, s3, python: options.python, workDir: path.join(work, 'monitor') });
    const traffic = new TrafficGenerator(history, scenario, { seedRows });
    const windows: DriftWindow[] = [];
    const outcomes: DataPathResult['outcomes'] = [];
    const errors = new Map<number, { sum: number; abs: number; n: number; models: Set<string> }>();
    const counts = { requests: 0, records: 0, rejected: 0, captured: 0 };
    const used = new Map<Injection, number>();
    const captureStops = scenario.injections.find((i) => i.kind === 'capture-stops');
    let lastServing = first.deployed.modelName;

    const result = await rehearseTrigger(app, loop, scenario, {
      ticks: (from, to) => {
        const out: number[] = [];
        for (let t = from; t < to; t += HOUR) out.push(t);
        return out;
      },
      onTick: async (t, context) => {
        now = t;
        if (t % HOUR === 0) {
          capture.stopped = captureStops !== undefined && t >= onsetOf(scenario, captureStops);
          if (apiCapture) apiCapture.stopped = capture.stopped;
          for (const [i, batch] of traffic.batchesInHour(t).entries()) {
            context.at(batch.time, 'traffic', async () => {
              now = batch.time;
              const requestId = `req-${new Date(batch.time).toISOString().replace(/[^0-9]/g, '').slice(0, 12)}-${i}`;
              const answer = await api.send(batch, requestId);
              counts.requests++;
              counts.records += batch.records.length;
              if (answer.statusCode !== 200 || !answer.predictions) {
                counts.rejected += batch.records.length;
                context.record({ kind: 'traffic', status: answer.statusCode, error: answer.error, records: batch.records.length, reason: answer.message ?? 'the API refused the request' });
                return;
              }
              const served = runtime.served[runtime.served.length - 1];
              const model = served?.inferenceId === requestId ? served.modelName : 'unknown';
              const arrival = batch.time + scenario.groundTruthDelayHours * HOUR;
              batch.records.forEach((r, k) => {
                labels.add(arrival, r.row);
                const e = errors.get(Math.floor((batch.time - start) / DAY)) ?? { sum: 0, abs: 0, n: 0, models: new Set<string>() };
                const diff = Number(answer.predictions![k]) - Number(r.label);
                e.sum += diff * diff;
                e.abs += Math.abs(diff);
                e.n++;
                e.models.add(model);
                errors.set(Math.floor((batch.time - start) / DAY), e);
              });
              if (groundTruthPrefix && arrival < result_end(scenario, start)) {
                context.at(arrival, 'ground truth', async () => {
                  const iso = new Date(arrival).toISOString();
                  const key = `${groundTruthPrefix}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/${requestId}.jsonl`;
                  const line = { groundTruthData: { data: batch.records.map((r) => r.label).join(','), encoding: 'CSV' }, eventMetadata: { eventId: requestId }, eventVersion: '0' };
                  await s3.send(new PutObjectCommand({ Bucket: lake, Key: key, Body: `${JSON.stringify(line)}\n` }));
                });
              }
            });
          }
        }
        if (context.driftTick) {
          const window = await monitor!.runWindow(t);
          windows.push(window);
          const drifted = Object.entries(window.features ?? {}).filter(([, f]) => f.status && f.status !== 'ok').map(([k, f]) => `${k}: ${f.status}`);
          context.record({
            kind: 'drift-window',
            status: window.status,
            plan: window.planStatus,
            report: window.reportStatus,
            sampleSize: window.sampleSize,
            maxPsi: Math.max(0, ...Object.values(window.features ?? {}).map((f) => f.psi ?? 0)),
            findings: drifted,
            reason: window.error ?? window.message,
          });
        }
      },
      runRetrain: async (execution, startTime) => {
        now = startTime;
        const take = (kind: Injection['kind']) => {
          const injection = scenario.injections.find((i) => i.kind === kind && startTime >= onsetOf(scenario, i)
            && (used.get(i) ?? 0) < ((i as { runs?: number }).runs ?? Infinity));
          if (injection) used.set(injection, (used.get(injection) ?? 0) + 1);
          return injection !== undefined;
        };
        const failTraining = take('training-fails');
        const rollBackDeployment = !failTraining && take('deployment-rolls-back');
        const outcome = await runner.run({
          executionName: execution.name,
          executionArn: execution.executionArn,
          input: JSON.parse(execution.input),
          startTime,
          failTraining,
          rollBackDeployment,
        });
        now = startTime;
        outcomes.push({ run: execution.name, start: startTime, outcome });
        return {
          status: outcome.status,
          durationMs: outcome.durationMs,
          entry: {
            reason: outcome.status === 'SUCCEEDED'
              ? outcome.deployed ? `deployed ${outcome.deployed.modelName}` : outcome.rolledBack ? 'the deployment rolled back' : `not deployed (${outcome.gate?.reason ?? 'the gate did not pass'})`
              : `${outcome.error ?? 'failed'}: ${String(outcome.cause ?? '').slice(0, 300)}`,
            gate: outcome.gate,
            deployed: outcome.deployed?.modelName,
            rolledBack: outcome.rolledBack ?? false,
            failTraining,
            rollBackDeployment,
            wallMs: (outcome as { wallMs?: number }).wallMs,
          },
        };
      },
      afterRun: async () => {
        const serving = sagemaker.servingModels(loop.endpointName).find((m: ServingModel) => m.role === 'production');
        if (serving && serving.modelName !== lastServing) {
          servingChanges.push({ time: serving.deployedAt, model: serving.modelName, reason: 'a retrain run deployed it' });
          lastServing = serving.modelName;
        }
      },
    });
    const timeline: TimelineEntry[] = [...result.timeline];
    for (const change of servingChanges.slice(1)) {
      timeline.push({ time: new Date(change.time).toISOString(), kind: 'model-serving', model: change.model, reason: change.reason });
    }
    timeline.sort((a, b) => a.time.localeCompare(b.time));
    const dailyErrors: DailyError[] = [...errors.entries()].sort((a, b) => a[0] - b[0]).map(([day, e]) => ({
      day,
      date: new Date(start + day * DAY).toISOString().slice(0, 10),
      metric: qualityMetric,
      value: qualityMetric === 'mae' ? e.abs / e.n : Math.sqrt(e.sum / e.n),
      records: e.n,
      models: [...e.models],
    }));
    counts.captured = capture.written + (apiCapture?.written ?? 0);
    return {
      ...result,
      timeline,
      windows,
      dailyErrors,
      servingChanges,
      outcomes,
      firstModel: { start: firstStart, outcome: first },
      traffic: counts,
      wallMs: { firstModel: firstModelWall, total: Date.now() - wallStart },
    };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await monitor?.stop();
    await runtime.stop();
    await sagemaker.stop();
    s3.destroy();
    await moto.stop();
  }
}

function result_end(scenario: Scenario, start: number): number {
  return start + scenario.days * DAY;
}

function argument(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export type { History };
