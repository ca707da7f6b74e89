import { createHash } from 'node:crypto';
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { AslDefinition, FakeServiceError, runStateMachine, synthesizedDefinition, templateFromAssembly } from '../../src/asl';
import { testStack } from '../../src/nag';

/**
 * A small workflow with every construct the harness must handle:
 * Choice, Task with ResultSelector/Retry/Catch, Wait, Map, Pass, Fail.
 */
function smallWorkflow(): { definition: AslDefinition; topicArn: string; bucketName: string } {
  const stack = testStack();
  const topic = new sns.Topic(stack, 'Results');
  const bucket = new s3.Bucket(stack, 'Lake');
  const failed = new sfn.Fail(stack, 'Failed', { error: 'RunFailed', causePath: '$.error.Cause' });
  const notifyFailure = new tasks.SnsPublish(stack, 'NotifyFailure', {
    topic,
    message: sfn.TaskInput.fromJsonPathAt('$.error.Error'),
    resultPath: sfn.JsonPath.DISCARD,
  }).next(failed);
  const readMetrics = new tasks.CallAwsService(stack, 'ReadMetrics', {
    service: 's3',
    action: 'getObject',
    parameters: { Bucket: bucket.bucketName, Key: sfn.JsonPath.format('evaluation/{}/evaluation.json', sfn.JsonPath.executionName) },
    iamResources: [bucket.arnForObjects('evaluation/*')],
    resultSelector: { metrics: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt('$.Body')) },
    resultPath: '$.evaluation',
  });
  readMetrics.addRetry({ errors: ['S3.SlowDownException'], maxAttempts: 2, interval: Duration.minutes(10) });
  readMetrics.addCatch(notifyFailure, { errors: ['S3.NoSuchKeyException'], resultPath: '$.error' });
  readMetrics.addCatch(new sfn.Pass(stack, 'OtherError', { resultPath: sfn.JsonPath.DISCARD }).next(notifyFailure), { resultPath: '$.error' });
  const publishEach = new sfn.Map(stack, 'PublishEach', {
    itemsPath: '$.evaluation.metrics.names',
    itemSelector: { name: sfn.JsonPath.stringAt('$$.Map.Item.Value'), run: sfn.JsonPath.executionName },
    resultPath: sfn.JsonPath.DISCARD,
  }).itemProcessor(new tasks.SnsPublish(stack, 'PublishMetric', { topic, message: sfn.TaskInput.fromJsonPathAt('$.name') }));
  const definitionChain = new sfn.Choice(stack, 'ShouldRun')
    .when(sfn.Condition.booleanEquals('$.skip', true), new sfn.Succeed(stack, 'Skipped'))
    .otherwise(new sfn.Wait(stack, 'WaitAnHour', { time: sfn.WaitTime.duration(Duration.hours(1)) })
      .next(readMetrics)
      .next(publishEach)
      .next(new sfn.Succeed(stack, 'Done')));
  const machine = new sfn.StateMachine(stack, 'Workflow', { definitionBody: sfn.DefinitionBody.fromChainable(definitionChain) });
  const template = templateFromAssembly(stack);
  const definition = synthesizedDefinition(template, stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine));
  return {
    definition,
    topicArn: `arn:aws:sns:us-east-1:123456789012:${stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic)}`,
    bucketName: stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket).toLowerCase(),
  };
}

const workflow = smallWorkflow();
const metricsBody = (names: string[]) => ({ Body: JSON.stringify({ names }) });

describe('runStateMachine', () => {
  test('records the resolved parameters of each task, in order, and applies ResultSelector and Map', async () => {
    const run = await runStateMachine(workflow.definition, {
      input: { skip: false },
      executionName: 'run-42',
      taskResponses: {
        ReadMetrics: metricsBody(['rmse', 'mae']),
        PublishMetric: (parameters) => ({ MessageId: `id-${parameters.Message}` }),
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls[0]).toEqual({
      state: 'ReadMetrics',
      resource: 'arn:aws:states:::aws-sdk:s3:getObject',
      parameters: { Bucket: workflow.bucketName, Key: 'evaluation/run-42/evaluation.json' },
      response: metricsBody(['rmse', 'mae']),
    });
    // Map iterations may run concurrently: compare them as a set.
    expect(run.calls.slice(1).map((c) => JSON.stringify(c)).sort()).toEqual([
      { state: 'PublishMetric', resource: 'arn:aws:states:::sns:publish', parameters: { TopicArn: workflow.topicArn, Message: 'mae' }, response: { MessageId: 'id-mae' } },
      { state: 'PublishMetric', resource: 'arn:aws:states:::sns:publish', parameters: { TopicArn: workflow.topicArn, Message: 'rmse' }, response: { MessageId: 'id-rmse' } },
    ].map((c) => JSON.stringify(c)));
    expect(run.output).toEqual({ skip: false, evaluation: { metrics: { names: ['rmse', 'mae'] } } });
    // The Wait of an hour was skipped: the run finished within Jest's timeout.
    expect(run.visited.filter((s) => s !== 'PublishMetric')).toEqual(['ShouldRun', 'WaitAnHour', 'ReadMetrics', 'PublishEach', 'Done']);
  });

  test('a Choice can end the run before any task', async () => {
    const run = await runStateMachine(workflow.definition, { input: { skip: true } });
    expect(run).toEqual({ status: 'SUCCEEDED', output: { skip: true }, calls: [], visited: ['ShouldRun', 'Skipped'] });
  });

  test('a faked error name picks the matching Catch, and the run ends in the Fail state with its cause', async () => {
    const run = await runStateMachine(workflow.definition, {
      input: { skip: false },
      taskResponses: {
        ReadMetrics: () => { throw new FakeServiceError('S3.NoSuchKeyException', 'The specified key does not exist.'); },
        NotifyFailure: { MessageId: 'm-1' },
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RunFailed');
    expect(run.cause).toBe('The specified key does not exist.');
    expect(run.visited).toEqual(['ShouldRun', 'WaitAnHour', 'ReadMetrics', 'NotifyFailure', 'Failed']);
    expect(run.calls.map((c) => [c.state, c.parameters.Message])).toEqual([['ReadMetrics', undefined], ['NotifyFailure', 'S3.NoSuchKeyException']]);
  });

  test('another error name falls through to the States.ALL catcher', async () => {
    const run = await runStateMachine(workflow.definition, {
      input: { skip: false },
      taskResponses: {
        ReadMetrics: () => { throw new FakeServiceError('States.TaskFailed'); },
        NotifyFailure: {},
      },
    });
    expect(run.visited).toEqual(['ShouldRun', 'WaitAnHour', 'ReadMetrics', 'OtherError', 'NotifyFailure', 'Failed']);
  });

  test('Retry re-runs the task with the same parameters, without waiting its interval', async () => {
    const run = await runStateMachine(workflow.definition, {
      input: { skip: false },
      taskResponses: {
        ReadMetrics: (_parameters, call) => {
          if (call.previousCalls < 2) throw new FakeServiceError('S3.SlowDownException', 'Please reduce your request rate.');
          return metricsBody([]);
        },
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.calls.map((c) => c.state)).toEqual(['ReadMetrics', 'ReadMetrics', 'ReadMetrics']);
    expect(new Set(run.calls.map((c) => JSON.stringify(c.parameters))).size).toBe(1);
  });

  test('retries run out after MaxAttempts and the error is caught', async () => {
    const run = await runStateMachine(workflow.definition, {
      input: { skip: false },
      taskResponses: {
        ReadMetrics: () => { throw new FakeServiceError('S3.SlowDownException'); },
        NotifyFailure: {},
      },
    });
    expect(run.calls.map((c) => c.state)).toEqual(['ReadMetrics', 'ReadMetrics', 'ReadMetrics', 'NotifyFailure']);
    expect(run.status).toBe('FAILED');
  });

  test('a task without a fake fails the harness call, naming the state, even behind a Catch', async () => {
    await expect(runStateMachine(workflow.definition, { input: { skip: false } }))
      .rejects.toThrow('Task states ran without a fake: ReadMetrics, NotifyFailure. Add them to taskResponses.');
  });

  test('a fake that throws anything but FakeServiceError is reported as a test bug, not a service failure', async () => {
    await expect(runStateMachine(workflow.definition, {
      input: { skip: false },
      taskResponses: { ReadMetrics: () => { throw new TypeError('typo in the fake'); }, NotifyFailure: {} },
    })).rejects.toThrow(/a bug in the test, not a service failure[\s\S]*ReadMetrics: TypeError: typo in the fake/);
  });

  test('the Context Object carries the execution name and ids', async () => {
    const definition: AslDefinition = {
      StartAt: 'Context',
      States: { Context: { Type: 'Pass', Parameters: { 'name.$': '$$.Execution.Name', 'id.$': '$$.Execution.Id', 'machine.$': '$$.StateMachine.Name' }, End: true } },
    };
    const run = await runStateMachine(definition, { executionName: 'nightly-7' });
    expect(run.output).toEqual({
      name: 'nightly-7',
      id: 'arn:aws:states:us-east-1:123456789012:execution:TestStateMachine:nightly-7',
      machine: 'TestStateMachine',
    });
  });

  test('States.Hash matches Step Functions (node:crypto) for long inputs too, where the engine alone is wrong', async () => {
    const definition: AslDefinition = {
      StartAt: 'Hash',
      States: { Hash: { Type: 'Pass', Parameters: { 'md5.$': "States.Hash($$.Execution.Name, 'MD5')", 'sha256.$': "States.Hash($$.Execution.Name, 'SHA-256')" }, End: true } },
    };
    for (const name of ['short', 'x'.repeat(55), 'y'.repeat(56), `drift_${'z'.repeat(74)}`]) {
      const run = await runStateMachine(definition, { executionName: name });
      expect(run.output).toEqual({ md5: createHash('md5').update(name).digest('hex'), sha256: createHash('sha256').update(name).digest('hex') });
    }
  });

  test('the definition runs byte for byte: multi-line strings, which the engine\'s validator alone rejects, reach the task', async () => {
    const script = 'import sys\nprint(sys.argv)';
    const definition: AslDefinition = {
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync', Parameters: { AppSpecification: { ContainerEntrypoint: ['python3', '-c', script] } }, End: true } },
    };
    const run = await runStateMachine(definition, { taskResponses: { Run: {} } });
    expect(run.calls[0].parameters.AppSpecification.ContainerEntrypoint[2]).toBe(script);
  });
});
