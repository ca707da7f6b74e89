import { NagAcknowledgements, SecureBucket, WildcardPermissions } from '@freshet/core';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { MlPlatformStage } from './ml-platform-stage';
import { PlatformConfig } from './platform-config';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** The app's directory inside the repository, where synth writes cdk.out. */
const APP_DIR = 'apps/ml-platform';

/**
 * The CI/CD/CT pipeline: a push to the branch installs, runs every test,
 * synthesizes, updates the pipeline itself, then deploys the stages.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly devStage: MlPlatformStage;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const artifacts = new SecureBucket(this, 'Artifacts');

    const source = pipelines.CodePipelineSource.connection(config.repository, config.branch, {
      connectionArn: config.connectionArn,
      triggerOnPush: true,
    });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'freshet-ml-platform',
      artifactBucket: artifacts.bucket,
      selfMutation: true,
      crossAccountKeys: true,
      enableKeyRotation: true,
      synth: new pipelines.CodeBuildStep('Synth', {
        input: source,
        // The README's quick start: install, every test, then the app's synth.
        installCommands: ['npm ci'],
        commands: ['npm test', 'npm run synth'],
        primaryOutputDirectory: `${APP_DIR}/cdk.out`,
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.LARGE },
      }),
      codeBuildDefaults: {
        buildEnvironment: { privileged: false },
      },
    });

    this.devStage = new MlPlatformStage(this, 'Dev', { env: { account: config.devAccount, region: config.devRegion } });
    this.pipeline.addStage(this.devStage);

    // The pipeline's resources exist only after buildPipeline(); acknowledge them then.
    this.pipeline.buildPipeline();
    this.acknowledgePipelineFindings();
  }

  private acknowledgePipelineFindings(): void {
    const control = 'Compensating control: the artifact bucket and key are this pipeline\'s alone, and each role is assumed only by its own CodePipeline action or CodeBuild project.';
    for (const role of this.node.findAll().filter((c): c is iam.Role => c instanceof iam.Role)) {
      WildcardPermissions.acknowledgeRolePolicy(role, {
        reason: `CDK Pipelines grants its roles the artifact bucket objects, KMS grant verbs, their log groups and report groups, and the CDK bootstrap roles. ${control}`,
        allowedFindings: [
          'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
          'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*',
          'Resource::<*Artifacts*.Arn>/*',
          'Resource::arn:<AWS::Partition>:logs:*',
          'Resource::arn:<AWS::Partition>:codebuild:*',
          'Resource::arn:*:iam::*:role/*',
          'Resource::*',
        ],
      });
    }
    for (const project of this.node.findAll().filter((c) => c instanceof codebuild.CfnProject)) {
      NagAcknowledgements.add(project, [{
        id: 'AwsSolutions-CB4',
        reason: 'CDK Pipelines encrypts every build artifact with the pipeline\'s customer-managed artifact key. '
          + 'Compensating control: the project outputs only to that encrypted artifact bucket.',
      }]);
    }
  }
}
