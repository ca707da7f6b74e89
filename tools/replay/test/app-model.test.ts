import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { alarmArn, chooseLoop, main, matchesPattern, readApp, stateMachineArn } from '../src';
import { DEV_APP, editedCopy, PYTHON, synthConsumerApp } from './helpers';

let consumer: string;
beforeAll(() => {
  consumer = synthConsumerApp();
}, 240_000);

test('the Dev stage: two loops, every setting read from the templates', () => {
  const app = readApp(DEV_APP, 'Dev');
  expect(app.loops.map((l) => [l.monitorId, l.flavour])).toEqual([['StocksMonitor', 'autogluon'], ['PollutionMonitor', 'deepar']]);
  const stocks = app.loops[0];
  expect(stocks).toMatchObject({ windowHours: 24, cooldownSeconds: 21_600, dailyCap: 3, targetKind: 'state-machine' });
  expect(stocks.driftSchedule.expression).toBe('cron(5 * * * ? *)');
  expect(stocks.retrainSchedules.map((s) => s.expression)).toEqual(['cron(0 3 ? * SUN *)']);
  // The trigger's retry rule, and every rule that invokes the trigger or the start guard.
  expect(stocks.triggerSchedules.map((s) => [s.expression, s.via])).toEqual([['rate(15 minutes)', 'events-rule']]);
  expect(stocks.eventRules.map((r) => [r.logicalId.replace(/[0-9A-F]{8}$/, ''), r.target === stocks.trigger.logicalId ? 'trigger' : 'start guard', r.transformsInput]).sort())
    .toEqual([
      ['StocksMonitorTriggerAlarmRule', 'trigger', false],
      ['StocksMonitorTriggerRunEndRule', 'trigger', false],
      ['StocksRetrainRetrainOnDeployment', 'start guard', true],
      ['StocksRetrainRunEndRule', 'start guard', false],
    ]);
  const settings = (a: typeof stocks.watchedAlarms[0]) => [
    a.metricName, a.statistic, a.periodSeconds, a.evaluationPeriods, a.datapointsToAlarm, a.threshold, a.comparison, a.treatMissingData,
  ];
  expect(stocks.watchedAlarms.map(settings))
    .toEqual([
      ['MaxFeatureDrift', 'Maximum', 3600, 3, 2, 0.2, 'GreaterThanThreshold', 'notBreaching'],
      ['PredictionDrift', 'Maximum', 3600, 3, 2, 0.2, 'GreaterThanThreshold', 'notBreaching'],
      ['ModelQuality', 'Average', 3600, 3, 2, 5, 'GreaterThanThreshold', 'notBreaching'],
    ]);
  expect(stocks.jobArguments[0]).toBe('drift_job.py');
  for (const fn of [stocks.trigger, stocks.planner, stocks.publisher, stocks.startGuard!]) {
    expect(fs.existsSync(path.join(fn.bundleDir, 'index.js'))).toBe(true);
  }
  // The rule's pattern, resolved, matches an ALARM state change of a watched alarm and nothing else.
  const event = (id: string, value: string) => ({ 'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', 'resources': [alarmArn(id)], 'detail': { state: { value } } });
  expect(matchesPattern(stocks.rulePattern, event(stocks.watchedAlarms[0].logicalId, 'ALARM'))).toBe(true);
  expect(matchesPattern(stocks.rulePattern, event(stocks.watchedAlarms[0].logicalId, 'OK'))).toBe(false);
  expect(matchesPattern(stocks.rulePattern, event('StocksMonitorAlarmsMonitorFailures34C29564', 'ALARM'))).toBe(false);
  // Both run-end rules (one names the state machine by Ref, the other through the Training stack's export) match
  // an execution of the retrain state machine that ended, and neither matches one still running or another machine's.
  const ended = (machine: string, status: string) => ({ 'source': 'aws.states', 'detail-type': 'Step Functions Execution Status Change', 'detail': { stateMachineArn: stateMachineArn(machine), status } });
  const runEnd = stocks.eventRules.filter((r) => r.logicalId.includes('RunEndRule'));
  expect(runEnd).toHaveLength(2);
  for (const rule of runEnd) {
    expect(matchesPattern(rule.pattern, ended(stocks.retrainStateMachine!.logicalId, 'FAILED'))).toBe(true);
    expect(matchesPattern(rule.pattern, ended(stocks.retrainStateMachine!.logicalId, 'RUNNING'))).toBe(false);
    expect(matchesPattern(rule.pattern, ended(app.loops[1].retrainStateMachine!.logicalId, 'SUCCEEDED'))).toBe(false);
  }
});

test('a threshold changed in the app changes what the replay reads', () => {
  const edited = editedCopy(DEV_APP, (template) => {
    for (const resource of Object.values<any>(template.Resources ?? {})) {
      if (resource.Type === 'AWS::CloudWatch::Alarm' && resource.Properties.MetricName === 'MaxFeatureDrift') {
        resource.Properties.Threshold = 0.35;
        resource.Properties.DatapointsToAlarm = 3;
        resource.Properties.TreatMissingData = 'breaching';
      }
    }
  });
  const alarm = readApp(edited, 'Dev').loops[0].watchedAlarms[0];
  expect([alarm.threshold, alarm.datapointsToAlarm, alarm.treatMissingData]).toEqual([0.35, 3, 'breaching']);
});

test('refuses DeepAR: it cannot run outside SageMaker', () => {
  expect(() => chooseLoop(readApp(DEV_APP, 'Dev'), 'pollution', PYTHON)).toThrow(/built-in DeepAR .* runs only inside SageMaker's container/);
});

test('refuses AutoGluon when the Python cannot import it, and says how to install it', () => {
  // The shared venv has no autogluon (see the README): the message names the package and the flag.
  expect(() => chooseLoop(readApp(DEV_APP, 'Dev'), 'stocks', PYTHON)).toThrow(/cannot import autogluon.tabular\. Install it .*pip install "autogluon.tabular\[all\]==1.1.1".* --python/);
});

test('asks for a dataset when a stage has several monitors, and names them', () => {
  expect(() => chooseLoop(readApp(DEV_APP, 'Dev'), undefined, PYTHON)).toThrow(/2 monitors \(StocksMonitor, PollutionMonitor\): choose one with --dataset/);
  expect(() => readApp(DEV_APP, 'Staging')).toThrow(/No stage 'Staging'.*Dev/);
});

test('the consumer app (unstaged, XGBoost) is read and accepted', () => {
  const app = readApp(consumer);
  const loop = chooseLoop(app, undefined, PYTHON);
  expect(loop).toMatchObject({ flavour: 'xgboost', targetKind: 'state-machine' });
  expect(loop.watchedAlarms.length).toBeGreaterThan(0);
});

test('refuses an app without a monitor', () => {
  const noMonitor = editedCopy(consumer, (template) => {
    for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
      if (resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment?.Variables?.TARGET_KIND) delete template.Resources[id];
    }
  });
  expect(() => chooseLoop(readApp(noMonitor), undefined, PYTHON)).toThrow(/has no MonitorRetrainTrigger .*there is no loop to replay/);
});

test('the CLI exits 2 with the reason on a refusal or a bad scenario, before running anything', async () => {
  const out: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-cli-'));
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{\n  "days": 0,\n  "traffic": {"requestsPerHour": 1}\n}');
  const dataPath = path.join(dir, 'data-path.json');
  fs.writeFileSync(dataPath, JSON.stringify({ days: 3, traffic: { requestsPerHour: 1 }, injections: [{ kind: 'traffic-drop', fromDay: 1, requestsPerDay: 10 }] }));
  // A scenario that trains (the data path) on a DeepAR loop: refused for the algorithm.
  expect(await main(['--app', DEV_APP, '--stage', 'Dev', '--dataset', 'pollution', '--scenario', dataPath, '--out', dir], (t) => out.push(t))).toBe(2);
  expect(out.join('')).toMatch(/DeepAR/);
  out.length = 0;
  expect(await main(['--app', consumer, '--scenario', bad, '--python', PYTHON, '--out', dir], (t) => out.push(t))).toBe(2);
  expect(out.join('')).toMatch(/bad.json:2: days must be between 1 and 366, not 0/);
  expect(fs.existsSync(path.join(dir, 'timeline.json'))).toBe(false);
});

test('the consumer app (unstaged): the trigger rehearsal runs and its trigger starts a run after the drift alarm', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-consumer-run-'));
  const out: string[] = [];
  // The repository's rehearsal with the consumer's own quiet levels (its model-quality alarm is on RMSE above 0.5).
  const scenario = path.join(dir, 'consumer.json');
  const rehearsal = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'scenarios', 'trigger-rehearsal.json'), 'utf8'));
  fs.writeFileSync(scenario, JSON.stringify({ ...rehearsal, baselineLevels: { MaxFeatureDrift: 0.05, PredictionDrift: 0.04, ModelQuality: 0.3 } }));
  expect(await main(['--app', consumer, '--scenario', scenario, '--out', dir], (t) => out.push(t))).toBe(0);
  const { timeline, summary } = JSON.parse(fs.readFileSync(path.join(dir, 'timeline.json'), 'utf8'));
  expect(summary.falseAlarms).toBe(0);
  const alarm = timeline.find((e: any) => e.kind === 'alarm' && e.state === 'ALARM');
  expect(alarm.metric).toBe('MaxFeatureDrift');
  // Within the alarm's evaluation periods of the onset (day 10), read from the consumer's template (3 of 4 × 2 h).
  const spec = readApp(consumer).loops[0].watchedAlarms.find((a) => a.metricName === 'MaxFeatureDrift')!;
  const onset = Date.parse('2026-01-15T00:00:00Z');
  expect(Date.parse(alarm.time)).toBeGreaterThan(onset);
  expect(Date.parse(alarm.time) - onset).toBeLessThanOrEqual(spec.evaluationPeriods * spec.periodSeconds * 1000);
  expect(timeline.find((e: any) => e.kind === 'trigger')).toMatchObject({ time: alarm.time, started: true });
});
