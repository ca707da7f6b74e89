import { Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { MlPlatformStage } from './ml-platform-stage';

/** Options of {@link smokeTestStep}. */
export interface SmokeTestStepOptions {
  /** The stage under test; it must have a smoke-test role. */
  readonly stage: MlPlatformStage;
  /** The bundled smoke tests (`smoke.js` and the sample CSV), exported by the synth step. */
  readonly bundle: pipelines.IFileSetProducer;
  /** The name of the CodeBuild role, which the stage's smoke-test role trusts. */
  readonly roleName: string;
}

/**
 * The post-deployment smoke tests of a stage: a CodeBuild step that assumes the
 * stage's smoke-test role (so it may call exactly what the tests need) and runs
 * the bundled `smoke.js` with the stage's stack outputs.
 */
export function smokeTestStep(scope: Construct, options: SmokeTestStepOptions): pipelines.CodeBuildStep {
  const { stage } = options;
  const outputs = stage.outputs;
  if (!stage.smokeTestRole || !outputs.smokeTestRoleArn) {
    throw new Error(`Stage '${stage.stageName}' has no smoke-test role: give its settings a smokeTestRunner.`);
  }
  const role = new iam.Role(scope, `${stage.stageName}SmokeTestRunner`, {
    roleName: options.roleName,
    assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
    description: `Runs the ${stage.stageName} smoke tests: may only assume the stage's smoke-test role`,
  });
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'AssumeSmokeTestRole',
    actions: ['sts:AssumeRole'],
    resources: [`arn:${Stack.of(scope).partition}:iam::${stage.account}:role/${stage.smokeTestRole.roleName}`],
  }));
  return new pipelines.CodeBuildStep(`${stage.stageName}SmokeTests`, {
    input: options.bundle,
    role,
    buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
    envFromCfnOutputs: {
      SMOKE_ROLE_ARN: outputs.smokeTestRoleArn,
      STOCKS_API_URL: outputs.stocksApiUrl,
      POLLUTION_API_URL: outputs.pollutionApiUrl,
      LANDING_BUCKET: outputs.landingBucketName,
      UPLOAD_PREFIX: outputs.uploadPrefix,
      STOCKS_STREAM: outputs.stocksStreamName,
    },
    env: {
      SMOKE_REGION: stage.region!,
      ALARM_NAME_PREFIXES: stage.smokeAlarmPrefixes().join(','),
      STOCKS_TARGET_COLUMN: stage.stocksIngest.schema.targetColumn!,
    },
    // The SDK's ini provider assumes the role from CodeBuild's container credentials.
    commands: [
      'aws configure set profile.smoke.role_arn "$SMOKE_ROLE_ARN"',
      'aws configure set profile.smoke.credential_source EcsContainer',
      'AWS_PROFILE=smoke node smoke.js',
    ],
  });
}
