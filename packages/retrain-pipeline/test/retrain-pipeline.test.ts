import { createHash } from 'node:crypto';
import { Algorithm, AlgorithmImages, DatasetSchema, ImagePurpose, TrafficShiftingMode } from '@freshet/core';
import { GlueEtl } from '@freshet/glue-etl';
import { RedshiftWarehouse } from '@freshet/redshift-warehouse';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ApprovalMode, CategoricalEncoding, ChannelFormat, DataExtract, RunNames, TaskType, TrainingAlgorithm } from '../src';
import { definitionOf, state } from './fixtures/asl';
import { buildPipeline, endpointTarget, pollutionSchema, stocksSchema } from './fixtures/pipelines';
import { THROTTLING_ERRORS } from '../src/retrain-workflow';

const deepar = () => TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 72, predictionLength: 24, epochs: 20, seriesIdColumn: 'device_id' });
const autogluon = () => TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.minutes(30), presets: 'best_quality' });

describe('state graph', () => {
  test('runs extract, preprocess, train, transform, evaluate, gate, register, notify in order', () => {
    const def = definitionOf(buildPipeline().stack);
    const path: string[] = [];
    let name: string | undefined = def.StartAt;
    // Follow the happy path: Next, a Choice's first rule (data from the extract, a champion, passing the gate).
    while (name && path.length < 40) {
      path.push(name);
      const s = state(def, name);
      name = s.Type === 'Choice' ? s.Choices[0].Next : s.Next;
    }
    expect(path).toEqual([
      'Read input', 'Apply input defaults', 'Data given?', 'Use extracted data', 'Preprocess', 'Train',
      'Create candidate model', 'Transform test channel', 'Delete candidate model', 'Evaluate', 'Read evaluation',
      'Find champion', 'Champion exists?', 'Describe champion', 'Gate', 'Passes gate?', 'Register model', 'Notify success', 'Registered',
    ]);
    expect(state(def, 'Registered').Type).toBe('Succeed');
    expect(state(def, 'Passes gate?').Default).toBe('Notify rejection');
    expect(state(def, 'Notify rejection').Next).toBe('Rejected');
    expect(state(def, 'Rejected')).toMatchObject({ Type: 'Succeed', OutputPath: '$.gate' });
    expect(state(def, 'Champion exists?').Default).toBe('Gate');
  });

  test('every Task state retries throttling with backoff and catches everything into the failure notification, through cleanup only', () => {
    const def = definitionOf(buildPipeline({ approval: ApprovalMode.MANUAL }, (stack) => ({ deployTo: endpointTarget(stack) })).stack);
    const taskNames = Object.entries(def.States).filter(([, s]) => s.Type === 'Task').map(([n]) => n);
    expect(taskNames.length).toBeGreaterThanOrEqual(18);
    for (const name of taskNames) {
      const s = state(def, name);
      const retry = (s.Retry ?? []).find((r: any) => r.ErrorEquals.includes('SageMaker.ThrottlingException'));
      expect({ name, retry: retry && { errors: retry.ErrorEquals, backoff: retry.BackoffRate, attempts: retry.MaxAttempts } })
        .toEqual({ name, retry: { errors: THROTTLING_ERRORS, backoff: 2, attempts: 4 } });
      const catchAll = (s.Catch ?? []).find((c: any) => c.ErrorEquals.includes('States.ALL'));
      // The failure notification itself ends in the Fail state, whatever happens.
      if (name === 'Notify failure') {
        expect(catchAll?.Next).toBe('Failed');
        continue;
      }
      // Between the catch and the notification there may only be Discard states and the package's rejection, which keep $.error
      // (withdrawing a package nobody approved leads to the rejection notice instead).
      const cleanup = /^(Discard |Reject model$|Withdraw model$)/;
      const end = name === 'Withdraw model' ? 'Notify rejection' : 'Notify failure';
      for (let next = catchAll?.Next; next !== end; next = state(def, next).Next) {
        expect({ name, via: next }).toEqual({ name, via: expect.stringMatching(cleanup) });
      }
      expect({ name, resultPath: catchAll.ResultPath }).toEqual({ name, resultPath: cleanup.test(name) ? '$.cleanupError' : '$.error' });
      if (cleanup.test(name)) expect(state(def, name).Next).toBe(catchAll.Next);
      // eslint-disable-next-line @stylistic/max-len
      expect(typeof s.TimeoutSeconds === 'number' || s.Resource.includes('lambda:invoke') || s.Resource.includes('sns:publish') || s.TimeoutSeconds !== undefined).toBe(true);
    }
    expect(state(def, 'Notify failure').Next).toBe('Failed');
    expect(state(def, 'Failed')).toMatchObject({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
    // What leads through cleanup, and where.
    const catchOf = (name: string) => state(def, name).Catch.find((c: any) => c.ErrorEquals.includes('States.ALL')).Next;
    expect(['Transform test channel', 'Describe endpoint', 'Create endpoint config', 'Update endpoint'].map(catchOf))
      .toEqual(['Discard candidate model', 'Discard new model', 'Discard new model', 'Discard new config']);
    expect(state(def, 'Discard new config').Next).toBe('Discard new model');
    expect(state(def, 'Deployment rolled back').Next).toBe('Discard new config');
    // Every deployment that ends without the model serving rejects its package before the notification.
    expect(['Discard new model', 'Deployment failed', 'Deployment timed out'].map((n) => state(def, n).Next)).toEqual(['Reject model', 'Reject model', 'Reject model']);
    expect(['Create model', 'Check endpoint'].map(catchOf)).toEqual(['Reject model', 'Reject model']);
    expect(state(def, 'Reject model').Next).toBe('Notify failure');
  });

  test('normalizes the execution input with defaults and derives the run names and URIs', () => {
    const def = definitionOf(buildPipeline().stack);
    const read = state(def, 'Read input');
    expect(read.Parameters.defaults).toEqual({ dataUri: '', hyperparameters: {}, reason: 'manual', alarm: '' });
    expect(read.Parameters['hash.$']).toBe("States.Hash($$.Execution.Name, 'MD5')");
    const apply = state(def, 'Apply input defaults');
    expect(apply.Parameters['input.$']).toBe('States.JsonMerge($.defaults, $.given, false)');
    expect(apply.Parameters.run['trainingJob.$']).toBe("States.Format('ct-stocks-train-{}', $.hash)");
    expect(apply.Parameters.run['endpointConfig.$']).toBe("States.Format('ct-stocks-config-{}', $.hash)");
    expect(apply.Parameters.run['trainingUri.$']).toMatch(/^States\.Format\('s3:\/\/[a-z0-9.-]+\/training\/\{\}\/', \$\.runId\)$/);
    expect(apply.Parameters.run['evaluationKey.$']).toBe("States.Format('evaluation/{}/evaluation.json', $.runId)");
    expect(state(def, 'Data given?').Choices[0]).toMatchObject({ Variable: '$.input.dataUri', StringEquals: '' });
    expect(state(def, 'Use given data')).toMatchObject({ InputPath: '$.input.dataUri', ResultPath: '$.snapshotUri' });
    expect(state(def, 'Train').Parameters['HyperParameters.$']).toBe('States.JsonMerge($.algorithmHyperparameters, $.input.hyperparameters, false)');
  });
});

describe('names', () => {
  test('every SageMaker name fits in 63 characters with the longest prefix and an 80-character execution name', () => {
    const prefix = 'a'.repeat(RunNames.MAX_PREFIX_LENGTH);
    const def = definitionOf(buildPipeline({ namePrefix: prefix }).stack);
    const hash = createHash('md5').update('x'.repeat(80)).digest('hex');
    const run = state(def, 'Apply input defaults').Parameters.run;
    const names = Object.keys(RunNames.KINDS).map((kind) => {
      const template = /^States\.Format\('([^']+)', \$\.hash\)$/.exec(run[`${kind}.$`])![1];
      return template.replace('{}', hash);
    });
    expect(names).toHaveLength(7);
    for (const name of names) {
      expect(name).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
      expect(name.length).toBeLessThanOrEqual(RunNames.MAX_SAGEMAKER_NAME_LENGTH);
    }
    expect(new Set(names).size).toBe(7);
    expect(RunNames.longestName(prefix)).toBe(Math.max(...names.map((n) => n.length)));
  });

  test('the default prefix comes from the dataset, shortened and cleaned', () => {
    expect(RunNames.defaultPrefix('stocks')).toBe('ct-stocks');
    expect(RunNames.defaultPrefix('Air_Quality_Readings_2024')).toBe('ct-air-quality-readi');
    expect(RunNames.defaultPrefix('Air_Quality_Readings_2024').length).toBeLessThanOrEqual(20);
  });

  test.each([['Upper'], ['a'.repeat(21)], ['9starts-with-digit'], ['double--hyphen'], ['under_score']])('rejects the prefix %s', (prefix) => {
    expect(() => buildPipeline({ namePrefix: prefix })).toThrow(/namePrefix .* must be 1-20 lowercase letters/);
  });
});

describe('extract', () => {
  test('defaults to reading snapshots/<dataset>/latest/ with no extract task', () => {
    const { stack, lake } = buildPipeline();
    const def = definitionOf(stack);
    expect(def.States.Extract).toBeUndefined();
    expect(state(def, 'Data given?').Choices[0].Next).toBe('Use extracted data');
    expect(state(def, 'Use extracted data').Result).toMatch(/^s3:\/\/[a-z0-9.-]+\/snapshots\/stocks\/latest\/$/);
    expect(lake).toBeDefined();
  });

  test('a given S3 prefix is read as is', () => {
    const def = definitionOf(buildPipeline({ extract: DataExtract.s3Prefix('exports/stocks/') }).stack);
    expect(state(def, 'Use extracted data').Result).toMatch(/\/exports\/stocks\/$/);
  });

  test('GlueEtl runs the ETL job to completion with the run id, then reads the given prefix', () => {
    const { stack } = buildPipeline({}, (s, lake) => ({
      extract: DataExtract.glueEtl(new GlueEtl(s, 'Etl', { schema: pollutionSchema(), lakeBucket: lake.bucket }), 'exports/stocks/'),
    }));
    const def = definitionOf(stack);
    const extract = state(def, 'Extract');
    expect(extract.Resource).toBe('arn:aws:states:::glue:startJobRun.sync');
    expect(extract.Parameters.Arguments).toEqual({ '--run_id.$': '$.run.id' });
    expect(extract.ResultPath).toBe('$.extract');
    expect(extract.Next).toBe('Use extracted data');
    expect(state(def, 'Data given?').Choices[0].Next).toBe('Extract');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['glue:StartJobRun']) })]) },
    });
  });

  test('a Redshift snapshot: the UNLOAD fragment in a one-branch Parallel that the failure Catch covers, then that run\'s snapshot', () => {
    const { stack, pipeline } = buildPipeline({}, (s, lake) => ({
      extract: DataExtract.redshiftSnapshot(new RedshiftWarehouse(s, 'Warehouse', { schema: stocksSchema(), lakeBucket: lake.bucket })),
    }));
    const def = definitionOf(stack);
    const extract = state(def, 'Extract');
    expect(extract.Type).toBe('Parallel');
    expect(extract.ResultSelector).toEqual({ 's3Uri.$': '$[0].snapshot.s3Uri', 'statementId.$': '$[0].snapshot.statementId' });
    expect(extract.Catch[0].Next).toBe('Notify failure');
    expect(extract.Retry.length).toBeGreaterThan(0);
    expect(state(def, 'Use extracted data').InputPath).toBe('$.extract.s3Uri');
    const branch = JSON.stringify(extract.Branches[0]);
    expect(branch).toContain('UNLOAD');
    expect(branch).toContain('snapshots/stocks/');
    expect(branch).toContain('$.run.id');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(pipeline.stateMachine.role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'] })]) },
    });
    // The job role reads the warehouse's snapshot prefix.
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).toContain('/snapshots/stocks/*');
  });

  test('a Redshift snapshot of another dataset is refused', () => {
    expect(() => buildPipeline({}, (s, lake) => ({
      extract: DataExtract.redshiftSnapshot(new RedshiftWarehouse(s, 'Warehouse', { schema: pollutionSchema(), lakeBucket: lake.bucket })),
    }))).toThrow(/the warehouse holds dataset 'pollution' but the pipeline trains on 'stocks'/);
  });

  test.each([['/snapshots/'], ['s3://lake/snapshots/'], ['snapshots']])('rejects the prefix %s', (prefix) => {
    expect(() => DataExtract.s3Prefix(prefix)).toThrow(/give a lake key prefix that ends with '\/'/);
  });
});

describe('algorithms', () => {
  test('XGBoost: the framework image, the objective from the task type, CSV channels with validation, our entry point with code and serving channels', () => {
    // eslint-disable-next-line @stylistic/max-len
    const def = definitionOf(buildPipeline({ algorithm: TrainingAlgorithm.xgboost({ taskType: TaskType.BINARY_CLASSIFICATION, hyperparameters: { num_round: '300' } }) }).stack);
    const train = state(def, 'Train');
    const image = AlgorithmImages.uriIn(Algorithm.XGBOOST, 'us-east-1', { purpose: ImagePurpose.TRAINING, tag: '3.0-5' });
    expect(train.Parameters.AlgorithmSpecification).toMatchObject({ TrainingImage: image, TrainingInputMode: 'File' });
    // The scripts zip arrives as the channel `code`; the launcher extracts it and runs xgboost_train.py.
    const [python, flag, launcher, script] = train.Parameters.AlgorithmSpecification.ContainerEntrypoint;
    expect([python, flag, script]).toEqual(['python3', '-c', 'xgboost_train.py']);
    expect(launcher).toContain("glob.glob('/opt/ml/input/data/code/*.zip')");
    expect(launcher).toContain('runpy.run_path');
    const channels = Object.fromEntries(train.Parameters.InputDataConfig.map((c: any) => [c.ChannelName, c]));
    expect(channels.code.DataSource.S3DataSource).toEqual({
      S3DataType: 'S3Prefix',
      S3Uri: state(def, 'Preprocess').Parameters.ProcessingInputs.find((i: any) => i.InputName === 'code').S3Input.S3Uri,
      S3DataDistributionType: 'FullyReplicated',
    });
    expect(channels.code.DataSource.S3DataSource.S3Uri).toMatch(/^s3:\/\/.+\.zip$/);
    expect(channels.serving.DataSource.S3DataSource['S3Uri.$']).toBe("States.Format('{}serving/', $.run.trainingUri)");
    // Every model the workflow creates or registers runs the artifact's code/inference.py.
    // With the offline code/ install (PIP_NO_BUILD_ISOLATION=0) and the text/csv default accept (issue 22).
    const env = {
      SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    };
    expect(state(def, 'Create candidate model').Parameters.PrimaryContainer).toMatchObject({ Image: image, Environment: env });
    expect(state(def, 'Register model').Parameters.InferenceSpecification.Containers).toEqual([expect.objectContaining({ Image: image, Environment: env })]);
    // eslint-disable-next-line @stylistic/max-len
    expect(state(def, 'Read input').Parameters.hyperparameters).toEqual({ num_round: '300', max_depth: '6', eta: '0.2', objective: 'binary:logistic', eval_metric: 'auc' });
    expect(train.Parameters.InputDataConfig.map((c: any) => [c.ChannelName, c.ContentType, c.DataSource.S3DataSource['S3Uri.$']])).toEqual([
      ['train', 'text/csv', "States.Format('{}train/', $.run.trainingUri)"],
      ['validation', 'text/csv', "States.Format('{}validation/', $.run.trainingUri)"],
      ['code', undefined, undefined],
      ['serving', 'application/json', "States.Format('{}serving/', $.run.trainingUri)"],
    ]);
    const args = state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;
    expect(args.slice(0, 1)).toEqual(['preprocess.py']);
    expect(args[args.indexOf('--algorithm') + 1]).toBe('xgboost');
    expect(args[args.indexOf('--task-type') + 1]).toBe('binary_classification');
    // eslint-disable-next-line @stylistic/max-len
    expect(state(def, 'Transform test channel').Parameters).toMatchObject({ BatchStrategy: 'MultiRecord', TransformInput: { ContentType: 'text/csv', SplitType: 'Line' } });
    expect(state(def, 'Gate').Parameters).toMatchObject({ 'metricName': 'auc', 'metricValue.$': '$.evaluation.metrics.auc', 'higherIsBetter': true });
  });

  test('XGBoost multiclass sets multi:softprob with num_class; regression reg:squarederror', () => {
    // eslint-disable-next-line @stylistic/max-len
    const multi = definitionOf(buildPipeline({ algorithm: TrainingAlgorithm.xgboost({ taskType: TaskType.MULTICLASS_CLASSIFICATION, numClasses: 4 }) }).stack);
    expect(state(multi, 'Read input').Parameters.hyperparameters).toMatchObject({ objective: 'multi:softprob', num_class: '4' });
    const reg = definitionOf(buildPipeline().stack);
    expect(state(reg, 'Read input').Parameters.hyperparameters).toMatchObject({ objective: 'reg:squarederror' });
    expect(() => TrainingAlgorithm.xgboost({ taskType: TaskType.MULTICLASS_CLASSIFICATION })).toThrow(/needs numClasses/);
    expect(() => TrainingAlgorithm.xgboost({ taskType: TaskType.FORECASTING })).toThrow(/use TrainingAlgorithm.deepar/);
  });

  test('AutoGluon: the training DLC with an entry point, time budget, presets and label; inference DLC with its handler', () => {
    const def = definitionOf(buildPipeline({ algorithm: autogluon() }).stack);
    const train = state(def, 'Train');
    // eslint-disable-next-line @stylistic/max-len
    expect(train.Parameters.AlgorithmSpecification.TrainingImage).toBe(AlgorithmImages.uriIn(Algorithm.AUTOGLUON, 'us-east-1', { purpose: ImagePurpose.TRAINING }));
    const entrypoint = train.Parameters.AlgorithmSpecification.ContainerEntrypoint;
    expect([entrypoint[0], entrypoint[1], entrypoint[3]]).toEqual(['python3', '-c', 'autogluon_train.py']);
    expect(entrypoint[2]).toContain("glob.glob('/opt/ml/input/data/code/*.zip')");
    // The scripts zip is its code; it packages no encoding, so it gets no serving channel.
    expect(train.Parameters.InputDataConfig.map((c: any) => c.ChannelName)).toEqual(['train', 'validation', 'code']);
    // eslint-disable-next-line @stylistic/max-len
    expect(state(def, 'Read input').Parameters.hyperparameters).toEqual({ label: 'price', problem_type: 'regression', time_limit: '1800', presets: 'best_quality' });
    const container = state(def, 'Create candidate model').Parameters.PrimaryContainer;
    expect(container.Image).toBe(AlgorithmImages.uriIn(Algorithm.AUTOGLUON, 'us-east-1', { purpose: ImagePurpose.INFERENCE }));
    expect(container.Environment).toEqual({
      SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code', PIP_NO_BUILD_ISOLATION: '0', SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    });
    // The header CSV must reach the model whole.
    expect(state(def, 'Transform test channel').Parameters).toMatchObject({ BatchStrategy: 'SingleRecord', TransformInput: { SplitType: 'None' } });
    // eslint-disable-next-line @stylistic/max-len
    expect(() => TrainingAlgorithm.autogluon({ taskType: TaskType.FORECASTING, timeLimit: Duration.hours(1) })).toThrow(/use TrainingAlgorithm.deepar/);
    expect(() => buildPipeline({ algorithm: TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.hours(3) }) }))
      .toThrow(/AutoGluon timeLimit \(3 hours\) must be shorter than training.maxRuntime \(2 hours\)/);
  });

  test('DeepAR: forecasting image, JSON lines train and test channels, freq and prediction length to preprocess, wQL gate', () => {
    const def = definitionOf(buildPipeline({ schema: pollutionSchema(), algorithm: deepar(), gate: { threshold: 0.3 } }).stack);
    const train = state(def, 'Train');
    expect(train.Parameters.AlgorithmSpecification.TrainingImage).toBe('522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1');
    // eslint-disable-next-line @stylistic/max-len
    expect(train.Parameters.InputDataConfig.map((c: any) => [c.ChannelName, c.ContentType])).toEqual([['train', 'application/jsonlines'], ['test', 'application/jsonlines']]);
    // The built-in DeepAR runs its own entry point: no code or serving channel, no inference environment.
    expect(train.Parameters.AlgorithmSpecification.ContainerEntrypoint).toBeUndefined();
    expect(state(def, 'Create candidate model').Parameters.PrimaryContainer.Environment).toBeUndefined();
    // eslint-disable-next-line @stylistic/max-len
    expect(state(def, 'Read input').Parameters.hyperparameters).toEqual({ time_freq: 'H', context_length: '72', prediction_length: '24', epochs: '20', cardinality: 'auto' });
    const args: string[] = state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;
    expect(args[args.indexOf('--freq') + 1]).toBe('H');
    expect(args[args.indexOf('--prediction-length') + 1]).toBe('24');
    expect(args[args.indexOf('--series-id-column') + 1]).toBe('device_id');
    // eslint-disable-next-line @stylistic/max-len
    expect(JSON.parse(state(def, 'Transform test channel').Parameters.Environment.DEEPAR_INFERENCE_CONFIG)).toEqual({ num_samples: 100, output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.5', '0.9'] });
    expect(state(def, 'Gate').Parameters).toMatchObject({ metricName: 'wql', higherIsBetter: false, threshold: 0.3, minImprovement: 0 });
    expect(() => TrainingAlgorithm.deepar({ frequency: 'hourly', contextLength: 1, predictionLength: 1 })).toThrow(/not a DeepAR time_freq/);
    expect(() => TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 0, predictionLength: 1 })).toThrow(/contextLength is 0/);
    expect(() => buildPipeline({ algorithm: deepar() })).toThrow(/DeepAR algorithm needs a time series/);
  });

  test('DeepAR needs the column that names each series: the seriesIdColumn, else the schema idColumn, and one the schema has', () => {
    const noSeries = TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 72, predictionLength: 24 });
    expect(() => buildPipeline({ schema: pollutionSchema(), algorithm: noSeries, gate: { threshold: 0.3 } }))
      .toThrow(/needs the column that names each series: set TrainingAlgorithm.deepar\(\{ seriesIdColumn \}\)/);
    const missing = TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 72, predictionLength: 24, seriesIdColumn: 'station' });
    expect(() => buildPipeline({ schema: pollutionSchema(), algorithm: missing, gate: { threshold: 0.3 } }))
      .toThrow(/seriesIdColumn 'station' is not a column of schema 'pollution'; use one of device_id, ozone, particullate_matter, .*, timestamp\./);
    const keyed = DatasetSchema.fromSpec({ ...pollutionSchema().toSpec(), idColumn: 'device_id' });
    const def = definitionOf(buildPipeline({ schema: keyed, algorithm: noSeries, gate: { threshold: 0.3 } }).stack);
    const args: string[] = state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;
    expect(args[args.indexOf('--series-id-column') + 1]).toBe('device_id');
  });

  test('a custom image trains on the chosen channel format with its hyperparameters', () => {
    const def = definitionOf(buildPipeline({
      // eslint-disable-next-line @stylistic/max-len
      algorithm: TrainingAlgorithm.custom({ imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:7', inputFormat: ChannelFormat.HEADER_CSV, taskType: TaskType.REGRESSION, hyperparameters: { depth: '3' } }),
    }).stack);
    expect(state(def, 'Train').Parameters.AlgorithmSpecification.TrainingImage).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/my-trainer:7');
    expect(state(def, 'Read input').Parameters.hyperparameters).toEqual({ depth: '3' });
    const args: string[] = state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;
    expect(args[args.indexOf('--algorithm') + 1]).toBe('autogluon');
    // eslint-disable-next-line @stylistic/max-len
    expect(() => TrainingAlgorithm.custom({ imageUri: 'x', inputFormat: ChannelFormat.DEEPAR_JSON_LINES, taskType: TaskType.REGRESSION })).toThrow(/DEEPAR_JSON_LINES channels go with TaskType.FORECASTING/);
  });

  test('a custom forecaster on DeepAR channels tells preprocess how to cut the series, and must say it', () => {
    const forecast = { frequency: 'H', predictionLength: 24, seriesIdColumn: 'device_id' };
    const custom = (extra: object) => TrainingAlgorithm.custom({ imageUri: 'x', inputFormat: ChannelFormat.DEEPAR_JSON_LINES, taskType: TaskType.FORECASTING, ...extra });
    const def = definitionOf(buildPipeline({ schema: pollutionSchema(), algorithm: custom({ forecast }), gate: { threshold: 0.3 } }).stack);
    const args: string[] = state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;
    expect(['--algorithm', '--freq', '--prediction-length', '--series-id-column'].map((flag) => args[args.indexOf(flag) + 1])).toEqual(['deepar', 'H', '24', 'device_id']);
    expect(() => custom({})).toThrow(/forecast \(frequency, predictionLength, seriesIdColumn\) goes with DEEPAR_JSON_LINES channels/);
    expect(() => custom({ forecast: { ...forecast, predictionLength: 0 } })).toThrow(/TrainingAlgorithm.custom\(\): predictionLength is 0/);
    expect(() => TrainingAlgorithm.custom({ imageUri: 'x', inputFormat: ChannelFormat.HEADER_CSV, taskType: TaskType.REGRESSION, forecast }))
      .toThrow(/goes with DEEPAR_JSON_LINES channels and only with them/);
  });
});

describe('jobs', () => {
  test('preprocess runs the packaged scripts with the schema, split and features, writing the run prefixes', () => {
    // eslint-disable-next-line @stylistic/max-len
    const def = definitionOf(buildPipeline({ split: { trainRatio: 0.8, validationRatio: 0.1, testRatio: 0.1, seed: 7 }, features: { categorical: { sector: CategoricalEncoding.ONE_HOT } } }).stack);
    const p = state(def, 'Preprocess');
    expect(p.Resource).toBe('arn:aws:states:::sagemaker:createProcessingJob.sync');
    expect(p.Parameters.AppSpecification.ImageUri).toBe(AlgorithmImages.processingUriIn('us-east-1'));
    expect(p.Parameters.AppSpecification.ContainerEntrypoint[2]).toContain('zipfile');
    const args: string[] = p.Parameters.AppSpecification.ContainerArguments;
    const arg = (name: string) => args[args.indexOf(name) + 1];
    expect(JSON.parse(arg('--schema'))).toMatchObject({ name: 'stocks', targetColumn: 'price' });
    expect([arg('--train-ratio'), arg('--validation-ratio'), arg('--test-ratio'), arg('--seed')]).toEqual(['0.8', '0.1', '0.1', '7']);
    expect(JSON.parse(arg('--features'))).toEqual({ categorical: { sector: 'one_hot' } });
    const inputs = Object.fromEntries(p.Parameters.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input]));
    expect(inputs.code.S3Uri).toMatch(/^s3:\/\/.+\.zip$/);
    expect(inputs.snapshot).toMatchObject({ 'S3Uri.$': '$.snapshotUri', 'LocalPath': '/opt/ml/processing/input/snapshot' });
    expect(p.Parameters.ProcessingOutputConfig.Outputs.map((o: any) => [o.OutputName, o.S3Output['S3Uri.$'], o.S3Output.LocalPath])).toEqual([
      ['training', '$.run.trainingUri', '/opt/ml/processing/output/training'],
      ['baseline', '$.run.baselineUri', '/opt/ml/processing/output/baseline'],
      ['rejected', '$.run.rejectedUri', '/opt/ml/processing/output/rejected'],
    ]);
    expect(p.Parameters.ProcessingOutputConfig.KmsKeyId).toMatch(/^arn:aws:kms:/);
    expect(p.ResultSelector).toEqual({ 'jobName.$': '$.ProcessingJobName', 'status.$': '$.ProcessingJobStatus' });
  });

  test('evaluate scores the transform output of the test channel and the gate reads evaluation.json', () => {
    const def = definitionOf(buildPipeline().stack);
    const e = state(def, 'Evaluate');
    expect(e.Parameters.AppSpecification.ContainerArguments[0]).toBe('evaluate.py');
    const inputs = Object.fromEntries(e.Parameters.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input['S3Uri.$']]));
    expect(inputs).toMatchObject({ test: "States.Format('{}test/', $.run.trainingUri)", predictions: '$.run.predictionsUri' });
    expect(state(def, 'Transform test channel').Parameters.TransformOutput['S3OutputPath.$']).toBe('$.run.predictionsUri');
    const read = state(def, 'Read evaluation');
    expect(read.Resource).toBe('arn:aws:states:::aws-sdk:s3:getObject');
    expect(read.Parameters['Key.$']).toBe('$.run.evaluationKey');
    expect(read.ResultSelector).toEqual({ 'metrics.$': 'States.StringToJson($.Body)' });
  });

  test('spot training checkpoints per run and waits at most maxWait', () => {
    // eslint-disable-next-line @stylistic/max-len
    const def = definitionOf(buildPipeline({ training: { maxRuntime: Duration.hours(1), spot: { maxWait: Duration.hours(3) }, instanceType: 'ml.c5.2xlarge', instanceCount: 2, volumeSizeGb: 50 } }).stack);
    const p = state(def, 'Train').Parameters;
    expect(p.EnableManagedSpotTraining).toBe(true);
    expect(p.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600, MaxWaitTimeInSeconds: 10800 });
    expect(p.CheckpointConfig).toEqual({ 'S3Uri.$': '$.run.checkpointsUri' });
    expect(p.ResourceConfig).toMatchObject({ InstanceType: 'ml.c5.2xlarge', InstanceCount: 2, VolumeSizeInGB: 50 });
    const onDemand = state(definitionOf(buildPipeline().stack), 'Train').Parameters;
    expect(onDemand.EnableManagedSpotTraining).toBeUndefined();
    expect(onDemand.CheckpointConfig).toBeUndefined();
  });
});

describe('training on several instances', () => {
  const distribution = (def: any) => Object.fromEntries(state(def, 'Train').Parameters.InputDataConfig
    .map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3DataDistributionType]));
  const preprocessArgs = (def: any): string[] => state(def, 'Preprocess').Parameters.AppSpecification.ContainerArguments;

  test('XGBoost on 3 instances: train and validation sharded by key, preprocess writes 3 parts of each', () => {
    const def = definitionOf(buildPipeline({ training: { instanceCount: 3 } }).stack);
    expect(state(def, 'Train').Parameters.ResourceConfig.InstanceCount).toBe(3);
    expect(distribution(def)).toEqual({ train: 'ShardedByS3Key', validation: 'ShardedByS3Key', code: 'FullyReplicated', serving: 'FullyReplicated' });
    const args = preprocessArgs(def);
    expect(args[args.indexOf('--channel-parts') + 1]).toBe('3');
  });

  test('one instance keeps every channel whole and one file per channel', () => {
    const def = definitionOf(buildPipeline().stack);
    expect(distribution(def)).toEqual({ train: 'FullyReplicated', validation: 'FullyReplicated', code: 'FullyReplicated', serving: 'FullyReplicated' });
    expect(preprocessArgs(def)).not.toContain('--channel-parts');
  });

  test('DeepAR, which supports several machines itself, gets its channels whole', () => {
    const props = { schema: pollutionSchema(), algorithm: deepar(), gate: { threshold: 0.3 }, training: { instanceCount: 2 } };
    const def = definitionOf(buildPipeline(props).stack);
    expect(state(def, 'Train').Parameters.ResourceConfig.InstanceCount).toBe(2);
    expect(distribution(def)).toEqual({ train: 'FullyReplicated', test: 'FullyReplicated' });
    expect(preprocessArgs(def)).not.toContain('--channel-parts');
  });

  test('AutoGluon on several instances is refused at synth, saying what to set instead', () => {
    expect(() => buildPipeline({ algorithm: autogluon(), training: { instanceCount: 2 } }))
      .toThrow(/training.instanceCount is 2, but TrainingAlgorithm.autogluon\(\) trains on one instance.*set training.instanceCount to 1 and a larger training.instanceType/);
    expect(() => buildPipeline({ algorithm: autogluon(), training: { instanceCount: 2 } })).toThrow(/or use TrainingAlgorithm.xgboost\(\), which trains distributed/);
  });
});

describe('gate, register and approval', () => {
  test('finds the newest Approved champion and registers with the metric and evaluation.json', () => {
    const def = definitionOf(buildPipeline().stack);
    expect(state(def, 'Find champion').Parameters).toEqual({
      ModelPackageGroupName: 'stocks-models', ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1,
    });
    expect(state(def, 'Gate').Parameters).toEqual({
      // eslint-disable-next-line @stylistic/max-len
      'metricName': 'rmse', 'metricValue.$': '$.evaluation.metrics.rmse', 'higherIsBetter': false, 'threshold': 5, 'minImprovement': 0.05, 'search.$': '$.gate',
    });
    const reg = state(def, 'Register model').Parameters;
    expect(reg.ModelApprovalStatus).toBe('Approved');
    // eslint-disable-next-line @stylistic/max-len
    expect(reg.CustomerMetadataProperties).toMatchObject({ 'gateMetricName': 'rmse', 'gateMetricValue.$': "States.Format('{}', $.evaluation.metrics.rmse)" });
    expect(reg.ModelMetrics.ModelQuality.Statistics['S3Uri.$']).toMatch(/^States\.Format\('s3:\/\/[^/]+\/\{\}', \$\.run\.evaluationKey\)$/);
    expect(reg['ClientToken.$']).toBe('$.run.token');
    Template.fromStack(buildPipeline().stack).hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'stocks-models' });
  });

  test('manual approval registers PendingManualApproval and polls, bounded by the approval timeout', () => {
    // eslint-disable-next-line @stylistic/max-len
    const def = definitionOf(buildPipeline({ approval: ApprovalMode.MANUAL, approvalTimeout: Duration.hours(1), timeouts: { pollInterval: Duration.minutes(5) } }).stack);
    expect(state(def, 'Register model').Parameters.ModelApprovalStatus).toBe('PendingManualApproval');
    // First the approvers are told, saying what started the run (an alarm, by name, or not).
    expect(state(def, 'Register model').Next).toBe('Started by an alarm?');
    expect(state(def, 'Started by alarm').Next).toBe('Notify approval needed');
    expect(state(def, 'Started otherwise').Next).toBe('Notify approval needed');
    expect(state(def, 'Notify approval needed').Next).toBe('Wait for approval');
    expect(state(def, 'Wait for approval')).toMatchObject({ Type: 'Wait', Seconds: 300, Next: 'Check approval' });
    const decided = state(def, 'Approval decided?');
    expect(decided.Choices.map((c: any) => [c.StringEquals, c.Next])).toEqual([['Approved', 'Notify success'], ['Rejected', 'Approval rejected']]);
    expect(decided.Default).toBe('Count approval poll');
    expect(state(def, 'Approval overdue?').Choices[0]).toMatchObject({ NumericGreaterThanEquals: 12, Next: 'Approval timed out' });
    expect(state(def, 'Approval rejected').Next).toBe('Notify rejection');
  });

  test('gate metric validation', () => {
    // eslint-disable-next-line @stylistic/max-len
    expect(() => buildPipeline({ gate: { threshold: 1, primaryMetric: 'auc' } })).toThrow(/gate.primaryMetric 'auc' is not a regression metric of evaluate.py; use one of rmse, mae, r2/);
    const def = definitionOf(buildPipeline({ gate: { threshold: 0.9, primaryMetric: 'r2' } }).stack);
    expect(state(def, 'Gate').Parameters).toMatchObject({ metricName: 'r2', higherIsBetter: true });
    expect(() => buildPipeline({ gate: { threshold: 1, minImprovement: -1 } })).toThrow(/minImprovement \(-1\) a number of at least 0/);
  });
});

describe('deploy', () => {
  // eslint-disable-next-line @stylistic/max-len
  test('creates the model and config from the target, updates with canary guardrails and rollback alarms, polls, deletes only its own superseded configs', () => {
    const def = definitionOf(buildPipeline({}, (stack) => ({ deployTo: endpointTarget(stack) })).stack);
    expect(state(def, 'Register model').Next).toBe('Create model');
    const model = state(def, 'Create model').Parameters;
    expect(model['ModelName.$']).toBe('$.run.model');
    expect(model.ExecutionRoleArn).toMatch(/:role\/EndpointModelRole/);
    const config = state(def, 'Create endpoint config').Parameters;
    expect(config.ProductionVariants).toEqual([
      // eslint-disable-next-line @stylistic/max-len
      { 'VariantName': 'champion', 'ModelName.$': '$.run.model', 'InitialVariantWeight': 9, 'InstanceType': 'ml.m5.large', 'InitialInstanceCount': 2 },
      // eslint-disable-next-line @stylistic/max-len
      { VariantName: 'challenger', ModelName: 'stocks-challenger-model', InitialVariantWeight: 1, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 },
    ]);
    expect(config.KmsKeyId).toMatch(/^arn:aws:kms:/);
    const update = state(def, 'Update endpoint').Parameters;
    // eslint-disable-next-line @stylistic/max-len
    expect(update).toMatchObject({ 'EndpointName': 'stocks-endpoint', 'EndpointConfigName.$': '$.run.endpointConfig', 'RetainAllVariantProperties': false });
    expect(update.DeploymentConfig).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
        TerminationWaitInSeconds: 600,
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'stocks-5xx' }, { AlarmName: 'stocks-latency' }] },
    });
    expect(state(def, 'Describe endpoint').ResultSelector).toEqual({ 'previousConfigName.$': '$.EndpointConfigName' });
    const updated = state(def, 'Endpoint updated?');
    expect(updated.Choices.map((c: any) => c.Next)).toEqual(['Approve model', 'Deployment rolled back', 'Deployment failed']);
    expect(state(def, 'Approve model').Next).toBe('Superseded config ours?');
    expect(updated.Choices[0].And).toEqual([
      { Variable: '$.endpointStatus.status', StringEquals: 'InService' },
      { Variable: '$.endpointStatus.configName', StringEqualsPath: '$.run.endpointConfig' },
    ]);
    // Only InService on another config is a finished rollback; RollingBack falls to the default and is polled again.
    expect(updated.Choices[1]).toEqual({ Variable: '$.endpointStatus.status', StringEquals: 'InService', Next: 'Deployment rolled back' });
    expect(updated.Default).toBe('Count endpoint poll');
    // eslint-disable-next-line @stylistic/max-len
    expect(state(def, 'Superseded config ours?').Choices[0]).toEqual({ Variable: '$.endpoint.previousConfigName', StringMatches: 'ct-stocks-config-*', Next: 'Delete superseded config' });
    expect(state(def, 'Superseded config ours?').Default).toBe('Notify success');
    expect(state(def, 'Deployment rolled back').Next).toBe('Discard new config');
    expect(state(def, 'Notify success').Next).toBe('Deployed');
    expect(state(def, 'Deployment overdue?').Choices[0]).toMatchObject({ NumericGreaterThanEquals: 120, Next: 'Deployment timed out' });
  });

  test('linear guardrails shift in steps', () => {
    const def = definitionOf(buildPipeline({}, (stack) => ({
      // eslint-disable-next-line @stylistic/max-len
      deployTo: endpointTarget(stack, { guardrails: { mode: TrafficShiftingMode.LINEAR, canarySizePercent: 0, linearStepPercent: 25, waitIntervalSeconds: 120, bakeTimeSeconds: 300, rollbackAlarmNames: [] } }),
    })).stack);
    expect(state(def, 'Update endpoint').Parameters.DeploymentConfig).toEqual({
      // eslint-disable-next-line @stylistic/max-len
      BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'LINEAR', WaitIntervalInSeconds: 120, LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 25 } }, TerminationWaitInSeconds: 300 },
    });
  });

  test('without guardrails the update uses SageMaker defaults; without a target nothing touches an endpoint', () => {
    const noGuardrails = definitionOf(buildPipeline({}, (stack) => ({ deployTo: endpointTarget(stack, { guardrails: undefined }) })).stack);
    expect(state(noGuardrails, 'Update endpoint').Parameters.DeploymentConfig).toBeUndefined();
    const none = definitionOf(buildPipeline().stack);
    const resources = Object.values(none.States).map((s) => s.Resource).filter(Boolean);
    expect(resources.some((r) => /Endpoint/i.test(r))).toBe(false);
    expect(none.States['Create model']).toBeUndefined();
    expect(state(none, 'Register model').Next).toBe('Notify success');
  });

  test('variants other than the retrained one must keep their model', () => {
    expect(() => buildPipeline({}, (stack) => ({
      // eslint-disable-next-line @stylistic/max-len
      deployTo: endpointTarget(stack, { productionVariants: [{ variantName: 'champion', initialWeight: 1 }, { variantName: 'b', initialWeight: 1 }] }),
    }))).toThrow(/deployTo variants b need keepModelName/);
    // eslint-disable-next-line @stylistic/max-len
    expect(() => buildPipeline({}, (stack) => ({ deployTo: endpointTarget(stack, { retrainedVariantName: 'nope' }) }))).toThrow(/retrainedVariantName 'nope' must name exactly one production variant/);
  });
});

describe('IAM', () => {
  function policies(template: Template): any[] {
    return Object.values(template.findResources('AWS::IAM::Policy')).map((p: any) => p.Properties);
  }

  test('no policy grants a wildcard action', () => {
    const { stack } = buildPipeline({ approval: ApprovalMode.MANUAL }, (s) => ({ deployTo: endpointTarget(s) }));
    const actions = policies(Template.fromStack(stack)).flatMap((p) => p.PolicyDocument.Statement.flatMap((st: any) => [].concat(st.Action)));
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('PassRole is limited to the job role and the endpoint model role, passed to SageMaker only', () => {
    const { stack } = buildPipeline({}, (s) => ({ deployTo: endpointTarget(s) }));
    // eslint-disable-next-line @stylistic/max-len
    const statements = policies(Template.fromStack(stack)).flatMap((p) => p.PolicyDocument.Statement).filter((st: any) => ([] as string[]).concat(st.Action).includes('iam:PassRole'));
    expect(statements).toHaveLength(1);
    expect(statements[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    expect(JSON.stringify(statements[0].Resource)).toContain('ExecutionRole');
    expect(JSON.stringify(statements[0].Resource)).toContain('EndpointModelRole');
  });

  test('SageMaker actions are scoped to the workflow prefix, the group and the endpoint', () => {
    const { stack } = buildPipeline({}, (s) => ({ deployTo: endpointTarget(s) }));
    const statements = policies(Template.fromStack(stack)).flatMap((p) => p.PolicyDocument.Statement)
      .filter((st: any) => [].concat(st.Action).some((a: string) => a.startsWith('sagemaker:')));
    for (const st of statements) {
      const resources = [].concat(st.Resource).map((r) => JSON.stringify(r));
      for (const r of resources) {
        // eslint-disable-next-line @stylistic/max-len
        const ok = r.includes('ct-stocks-') || r.includes('stocks-models') || r.includes('endpoint/stocks-endpoint') || (r === '"*"' && [].concat(st.Action).every((a: string) => a === 'sagemaker:listModelPackages'));
        expect({ action: st.Action, resource: r, ok }).toEqual({ action: st.Action, resource: r, ok: true });
      }
    }
    const sync = policies(Template.fromStack(stack)).flatMap((p) => p.PolicyDocument.Statement).find((st: any) => st.Sid === 'SyncJobEventRules');
    expect(JSON.stringify(sync.Resource)).toContain('StepFunctionsGetEventsForSageMakerTrainingJobsRule');
    expect(JSON.stringify(sync.Resource)).toContain('StepFunctionsGetEventsForSageMakerProcessingJobsRule');
    expect(JSON.stringify(sync.Resource)).toContain('StepFunctionsGetEventsForSageMakerTransformJobsRule');
  });
});

describe('state machine, schedule and guard', () => {
  test('a Standard state machine with X-Ray, logging ALL to an encrypted log group, and an execution timeout', () => {
    const { stack } = buildPipeline({ timeouts: { execution: Duration.hours(6) } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    expect(definitionOf(stack).TimeoutSeconds).toBe(6 * 3600);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue() });
  });

  test('the schedule runs daily by default through the guard, encrypted, with a dead-letter queue', () => {
    const { stack, pipeline } = buildPipeline();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      State: 'ENABLED',
      KmsKeyArn: Match.anyValue(),
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [stack.getLogicalId(pipeline.startGuardFunction.node.defaultChild as any), 'Arn'] },
        DeadLetterConfig: { Arn: Match.anyValue() },
        Input: JSON.stringify({ reason: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' }),
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Starts a stocks retraining run'),
      ReservedConcurrentExecutions: 1,
      Environment: { Variables: { STATE_MACHINE_ARN: Match.anyValue() } },
      TracingConfig: { Mode: 'Active' },
      Runtime: Match.stringLikeRegexp('nodejs2[2-9]'),
    });
  });

  test('the schedule is configurable and can be off; bad expressions fail', () => {
    const template = Template.fromStack(buildPipeline({ schedule: 'cron(0 3 * * ? *)', scheduleEnabled: false }).stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 3 * * ? *)', State: 'DISABLED' });
    expect(() => buildPipeline({ schedule: 'every day' })).toThrow(/schedule 'every day' is not an EventBridge Scheduler expression/);
  });

  test('grantStartExecution, a created encrypted TLS-only topic, or the given one', () => {
    const { stack, pipeline } = buildPipeline();
    const role = new iam.Role(stack, 'Trigger', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    pipeline.grantStartExecution(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution' })] },
    });
    const given = buildPipeline({}, (s) => ({ notificationTopic: new sns.Topic(s, 'Given', { enforceSSL: true }) }));
    // The given topic and the alarms' own topic (no alarmTopic given); no notifications topic is created.
    expect(Object.keys(Template.fromStack(given.stack).findResources('AWS::SNS::Topic')).filter((id) => !id.includes('AlarmTopic'))).toEqual([expect.stringMatching(/^Given/)]);
    expect(given.pipeline.notificationTopic.node.id).toBe('Given');
  });

  test('alarms on failed and timed-out executions with overridable thresholds, and a dashboard', () => {
    const { stack } = buildPipeline({ alarms: { failedExecutions: { threshold: 2 } } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsFailed', Threshold: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionsTimedOut', Threshold: 0 });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('retraining after a deployment', () => {
  test('a rule on the stacks\' CloudFormation completion events invokes the start guard with the event time', () => {
    const { stack, pipeline } = buildPipeline();
    const other = new Stack(stack.node.root as App, 'Dev-Data', { env: { account: stack.account, region: stack.region } });
    const rule = pipeline.startOnDeploymentOf('RetrainOnDeployment', [stack, other]);
    const template = Template.fromStack(stack);
    const props = template.toJSON().Resources[stack.getLogicalId(rule.node.defaultChild as events.CfnRule)].Properties;
    expect(props.EventPattern.source).toEqual(['aws.cloudformation']);
    expect(props.EventPattern['detail-type']).toEqual(['CloudFormation Stack Status Change']);
    expect(props.EventPattern.detail['status-details']).toEqual({ status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] });
    const prefixes = JSON.stringify(stack.resolve(props.EventPattern.detail['stack-id']));
    expect(prefixes).toContain(`:stack/${stack.stackName}/`);
    expect(prefixes).toContain(':stack/Dev-Data/');
    expect(props.Targets).toHaveLength(1);
    expect(props.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(pipeline.startGuardFunction.node.defaultChild as lambda.CfnFunction), 'Arn'] });
    // EventBridge puts the time in as a JSON string where the template has <time>.
    expect(JSON.parse(props.Targets[0].InputTransformer.InputTemplate.replace('<time>', '"2026-11-23T10:00:00Z"')))
      .toEqual({ reason: 'deployment', scheduledTime: '2026-11-23T10:00:00Z' });
    expect(props.Targets[0].InputTransformer.InputPathsMap).toEqual({ time: '$.time' });
    expect(props.Targets[0].DeadLetterConfig).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Permission', { Principal: 'events.amazonaws.com', Action: 'lambda:InvokeFunction' });
  });

  test('refuses no stacks, or a stack in another region', () => {
    const { stack, pipeline } = buildPipeline();
    expect(() => pipeline.startOnDeploymentOf('None', [])).toThrow(/give at least one stack/);
    const away = new Stack(stack.node.root as App, 'Away', { env: { account: stack.account, region: 'eu-west-1' } });
    expect(() => pipeline.startOnDeploymentOf('Away', [away])).toThrow(/is in another account or region/);
  });
});

describe('validation', () => {
  test.each<[string, any, RegExp]>([
    // eslint-disable-next-line @stylistic/max-len
    ['spot maxWait below maxRuntime', { training: { maxRuntime: Duration.hours(2), spot: { maxWait: Duration.hours(1) } } }, /spot.maxWait \(1 hour\) is shorter than training.maxRuntime \(2 hours\)/],
    ['split not adding to 1', { split: { trainRatio: 0.8, validationRatio: 0.2, testRatio: 0.2 } }, /add up to 1/],
    // eslint-disable-next-line @stylistic/max-len
    ['a feature column the schema lacks', { features: { exclude: ['volume'] } }, /features names column 'volume', which schema 'stocks' does not have/],
    ['time parts without an event time', { features: { timeParts: ['hour'] } }, /features.timeParts needs an event time/],
    ['approvalTimeout in automatic mode', { approvalTimeout: Duration.hours(1) }, /approvalTimeout applies to ApprovalMode.MANUAL only/],
    ['an invalid group name', { modelPackageGroupName: 'bad_name' }, /modelPackageGroupName 'bad_name' must be 1-63 letters/],
    ['zero instances', { training: { instanceCount: 0 } }, /training.instanceCount is 0/],
  ])('rejects %s', (_what, props, message) => {
    expect(() => buildPipeline(props)).toThrow(message);
  });
});

describe('network isolation and VPC', () => {
  const firstModelTarget = (stack: Stack) => endpointTarget(stack, {
    createsEndpoint: true,
    workflowNamePrefix: 'ct-stocks',
    productionVariants: [{ variantName: 'champion', initialWeight: 1, instanceType: 'ml.m5.large', initialInstanceCount: 2 }],
  });
  const importedVpc = (stack: Stack) => ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0a1b2c3d', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-0a', 'subnet-0b'],
  });
  const byResource = (def: any, suffix: string) => Object.entries(def.States as Record<string, any>).filter(([, st]) => String(st.Resource ?? '').endsWith(suffix));

  test.each<[string, (stack: Stack) => any]>([
    ['without an endpoint', () => ({})],
    ['deploying to a CloudFormation endpoint', (stack) => ({ deployTo: endpointTarget(stack) })],
    ['creating its endpoint with the first model', (stack) => ({ deployTo: firstModelTarget(stack) })],
  ])('%s: every CreateModel, the training job and both processing jobs of the synthesized definition set network isolation', (_name, extra) => {
    const def = definitionOf(buildPipeline({}, extra).stack);
    const createModels = byResource(def, ':sagemaker:createModel');
    expect(createModels.length).toBeGreaterThanOrEqual(1);
    for (const [name, st] of createModels) expect({ name, isolation: st.Parameters.EnableNetworkIsolation }).toEqual({ name, isolation: true });
    const training = byResource(def, ':sagemaker:createTrainingJob.sync');
    expect(training.map(([, st]) => st.Parameters.EnableNetworkIsolation)).toEqual([true]);
    const processing = byResource(def, ':sagemaker:createProcessingJob.sync');
    expect(processing.map(([n, st]) => [n, st.Parameters.NetworkConfig])).toEqual([
      ['Preprocess', { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true }],
      ['Evaluate', { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: true }],
    ]);
    // The transform job runs the candidate model, so it inherits its isolation.
    expect(byResource(def, ':sagemaker:createTransformJob.sync').map(([, st]) => st.Parameters['ModelName.$'])).toEqual(['$.run.candidateModel']);
  });

  test('a VPC: every job and model gets its subnets and a new security group open only to itself; both passed roles may manage ENIs in that VPC only', () => {
    const { stack, pipeline } = buildPipeline({}, (s) => ({ vpc: importedVpc(s), deployTo: endpointTarget(s) }));
    const template = Template.fromStack(stack);
    const def = definitionOf(stack);
    const groupId = stack.getLogicalId(pipeline.securityGroups![0].node.defaultChild as ec2.CfnSecurityGroup);
    const vpcConfig = { SecurityGroupIds: [expect.stringContaining(groupId)], Subnets: ['subnet-0a', 'subnet-0b'] };
    for (const [name, st] of [...byResource(def, ':sagemaker:createModel'), ...byResource(def, ':sagemaker:createTrainingJob.sync')]) {
      expect({ name, vpc: st.Parameters.VpcConfig }).toEqual({ name, vpc: vpcConfig });
    }
    for (const [name, st] of byResource(def, ':sagemaker:createProcessingJob.sync')) {
      const network = st.Parameters.NetworkConfig;
      expect({ name, vpc: network.VpcConfig, isolation: network.EnableNetworkIsolation }).toEqual({ name, vpc: vpcConfig, isolation: true });
    }
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0a1b2c3d', SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }] });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: '-1', GroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': [groupId, 'GroupId'] },
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { CidrIp: Match.anyValue() }, 0);
    const eni = {
      Sid: 'ManageInterfacesInVpc',
      Action: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      Resource: '*',
      Condition: { ArnEquals: { 'ec2:Vpc': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1:123456789012:vpc/vpc-0a1b2c3d']] } } },
    };
    const policyOf = (roleId: string) => Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId)).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    expect(policyOf(stack.getLogicalId(pipeline.executionRole.node.defaultChild as iam.CfnRole))).toContainEqual(expect.objectContaining(eni));
    const modelRoleId = stack.getLogicalId(stack.node.findChild('EndpointModelRole').node.defaultChild as iam.CfnRole);
    expect(policyOf(modelRoleId)).toContainEqual(expect.objectContaining(eni));
  });

  test('given subnets and security groups are used as they are, and no group is created', () => {
    const { stack, pipeline } = buildPipeline({}, (s) => ({
      vpc: importedVpc(s),
      vpcSubnets: { subnets: [ec2.Subnet.fromSubnetId(s, 'Only', 'subnet-0b')] },
      securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(s, 'Jobs', 'sg-0123')],
    }));
    const def = definitionOf(stack);
    expect(state(def, 'Train').Parameters.VpcConfig).toEqual({ SecurityGroupIds: ['sg-0123'], Subnets: ['subnet-0b'] });
    expect(state(def, 'Create candidate model').Parameters.VpcConfig).toEqual({ SecurityGroupIds: ['sg-0123'], Subnets: ['subnet-0b'] });
    expect(pipeline.securityGroups!.map((g) => g.securityGroupId)).toEqual(['sg-0123']);
    Template.fromStack(stack).resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  test('without a VPC there is no VpcConfig, no security group and no ENI permission', () => {
    const { stack } = buildPipeline({}, (s) => ({ deployTo: endpointTarget(s) }));
    const def = definitionOf(stack);
    for (const [, st] of Object.entries(def.States as Record<string, any>)) expect(JSON.stringify(st.Parameters ?? {})).not.toContain('VpcConfig');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ec2:CreateNetworkInterface');
  });
});

describe('first model: the workflow creates the endpoint', () => {
  test('the state machine may list endpoints, create and delete only the target endpoint, and nothing else new', () => {
    const { stack, pipeline } = buildPipeline({}, (s) => ({ deployTo: endpointTarget(s, { createsEndpoint: true, workflowNamePrefix: 'ct-stocks', productionVariants: [{ variantName: 'champion', initialWeight: 1, instanceType: 'ml.m5.large', initialInstanceCount: 1 }] }) }));
    const roleId = stack.getLogicalId(pipeline.stateMachine.role.node.defaultChild as iam.CfnRole);
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId)).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const endpointArn = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/stocks-endpoint';
    const configArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:us-east-1:123456789012:endpoint-config/ct-stocks-config-*']] };
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sagemaker:listEndpoints', Resource: '*' }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sagemaker:createEndpoint', Resource: [endpointArn, configArn] }));
    expect(statements).toContainEqual(expect.objectContaining({ Action: 'sagemaker:deleteEndpoint', Resource: endpointArn }));
    const def = definitionOf(stack);
    expect(state(def, 'Create or update?').Choices[0]).toMatchObject({ Variable: '$.endpoint.previousConfigName', StringEquals: '', Next: 'Create endpoint' });
    expect(state(def, 'Create or update?').Default).toBe('Update endpoint');
  });

  test('the new tasks retry throttling and lead, through cleanup only, to the failure notification', () => {
    const def = definitionOf(buildPipeline({}, (s) => ({ deployTo: endpointTarget(s, { createsEndpoint: true, workflowNamePrefix: 'ct-stocks', productionVariants: [{ variantName: 'champion', initialWeight: 1, instanceType: 'ml.m5.large', initialInstanceCount: 1 }] }) })).stack);
    const onError = (name: string) => {
      const path: string[] = [];
      const st = state(def, name);
      let next = (st.Catch ?? []).find((c: any) => c.ErrorEquals.includes('States.ALL'))?.Next;
      while (next && next !== 'Notify failure') {
        path.push(next);
        next = state(def, next).Next;
      }
      return { retries: (st.Retry ?? [])[0]?.ErrorEquals, path, reaches: next };
    };
    expect(onError('Find endpoint')).toEqual({ retries: THROTTLING_ERRORS, path: ['Discard new model', 'Reject model'], reaches: 'Notify failure' });
    expect(onError('Create endpoint')).toEqual({ retries: THROTTLING_ERRORS, path: ['Discard new config', 'Discard new model', 'Reject model'], reaches: 'Notify failure' });
    expect(state(def, 'First deployment failed').Next).toBe('Discard new endpoint');
    expect(state(def, 'Discard new endpoint')).toMatchObject({ Resource: 'arn:aws:states:::aws-sdk:sagemaker:deleteEndpoint', Next: 'Discard new config' });
  });

  test('without createsEndpoint the workflow never creates or deletes an endpoint', () => {
    const def = definitionOf(buildPipeline({}, (s) => ({ deployTo: endpointTarget(s) })).stack);
    const resources = Object.values(def.States as Record<string, any>).map((st) => String(st.Resource ?? ''));
    expect(resources.filter((r) => /:sagemaker:(createEndpoint|deleteEndpoint|listEndpoints)$/.test(r))).toEqual([]);
    expect(state(def, 'Create model').Next).toBe('Describe endpoint');
  });

  test('an endpoint whose teardown expects another workflow prefix is refused with what to change', () => {
    expect(() => buildPipeline({ namePrefix: 'ct-shares' }, (s) => ({ deployTo: endpointTarget(s, { createsEndpoint: true, workflowNamePrefix: 'ct-stocks' }) })))
      .toThrow("deployTo's endpoint tears down the workflow names 'ct-stocks-*', but this pipeline's namePrefix is 'ct-shares': "
        + "set the ModelEndpoint's workflowNamePrefix to 'ct-shares', or this pipeline's namePrefix to 'ct-stocks'.");
  });
});
