import { SecureBucket, TrafficShiftingMode } from '@freshet/core';
import { stocksSchema } from '@freshet/examples';
import { RetrainPipeline, TaskType, TrainingAlgorithm } from '@freshet/retrain-pipeline';
import { AslDefinition, synthesizedDefinition, templateFromAssembly } from '@freshet/test-utils';
import { App, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * The RetrainPipeline the README pictures: the README's stocks example (AutoGluon
 * regression on price, RMSE at most 5 and 0.05 better than the champion)
 * with `deployTo` set to an endpoint with canary guardrails, so the picture
 * shows the deployment steps too. Synthesized into a temporary cloud
 * assembly; returns the state machine definition read back from it.
 */
export function referenceDefinition(): AslDefinition {
  const app = new App();
  const stack = new Stack(app, 'RetrainPipelineReference', { env: { account: '123456789012', region: 'us-east-1' } });
  const schema = stocksSchema();
  const lake = new SecureBucket(stack, 'Lake');
  const pipeline = new RetrainPipeline(stack, 'StocksRetrain', {
    schema,
    lakeBucket: lake.bucket,
    algorithm: TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.minutes(30) }),
    gate: { threshold: 5, minImprovement: 0.05 },
    deployTo: {
      endpointName: 'stocks-endpoint',
      endpointArn: stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: 'stocks-endpoint' }),
      retrainedVariantName: 'primary',
      productionVariants: [{ variantName: 'primary', initialWeight: 1, instanceType: 'ml.m5.large', initialInstanceCount: 2 }],
      modelExecutionRole: new iam.Role(stack, 'ModelRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') }),
      encryptionKey: new kms.Key(stack, 'EndpointKey', { enableKeyRotation: true }),
      guardrails: {
        mode: TrafficShiftingMode.CANARY,
        canarySizePercent: 10,
        linearStepPercent: 10,
        waitIntervalSeconds: 300,
        bakeTimeSeconds: 600,
        rollbackAlarmNames: ['stocks-endpoint-5xx'],
      },
    },
  });
  const template = templateFromAssembly(stack);
  const machine = pipeline.stateMachine.node.findAll().find((c) => CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::StepFunctions::StateMachine');
  if (!machine) throw new Error('The RetrainPipeline has no AWS::StepFunctions::StateMachine.');
  return synthesizedDefinition(template, stack.getLogicalId(machine as CfnResource));
}
