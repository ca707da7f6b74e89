import { testStack } from '@freshet/test-utils';
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cpactions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RetrainTarget, RetrainTrigger, RetrainTriggerProps } from '../../src/trigger';

/** An alarm on a drift metric, as MonitorRetrainTrigger creates them. */
export function driftAlarm(stack: Stack, id: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Freshet/ModelMonitor', metricName: id, dimensionsMap: { Endpoint: 'stocks' }, period: Duration.hours(1) }),
    threshold: 0.2,
    evaluationPeriods: 1,
  });
}

/** The retraining state machine stand-in. */
export function retrainStateMachine(stack: Stack): sfn.StateMachine {
  return new sfn.StateMachine(stack, 'Retrain', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Train')) });
}

/** A V2 pipeline with a source and an approval stage. */
export function retrainPipeline(stack: Stack, props: Partial<codepipeline.PipelineProps> = {}): codepipeline.Pipeline {
  const source = new codepipeline.Artifact('Source');
  const bucket = new s3.Bucket(stack, 'SourceBucket', { versioned: true });
  return new codepipeline.Pipeline(stack, 'Pipeline', {
    pipelineName: 'retrain-pollution',
    pipelineType: codepipeline.PipelineType.V2,
    ...props,
    stages: [
      { stageName: 'Source', actions: [new cpactions.S3SourceAction({ actionName: 'Source', bucket, bucketKey: 'training.zip', output: source })] },
      { stageName: 'Retrain', actions: [new cpactions.ManualApprovalAction({ actionName: 'Retrain' })] },
    ],
  });
}

/** A trigger on a state machine with two alarms, the second added after construction. */
export function stateMachineTrigger(props: Partial<RetrainTriggerProps> = {}) {
  const stack = testStack();
  const stateMachine = retrainStateMachine(stack);
  const first = driftAlarm(stack, 'MaxFeatureDrift');
  const second = driftAlarm(stack, 'PredictionDrift');
  const trigger = new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.stateMachine(stateMachine), alarms: [first], ...props });
  trigger.addAlarm(second);
  return { stack, stateMachine, trigger, alarms: [first, second] };
}

/** A trigger on a CodePipeline V2 of the same app. */
export function pipelineTrigger(pipelineProps: Partial<codepipeline.PipelineProps> = {}) {
  const stack = testStack();
  const pipeline = retrainPipeline(stack, pipelineProps);
  const alarm = driftAlarm(stack, 'MaxFeatureDrift');
  const trigger = new RetrainTrigger(stack, 'Trigger', { target: RetrainTarget.codePipeline(pipeline), alarms: [alarm] });
  return { stack, pipeline, trigger, alarm };
}
