import { CheckovSkips, NagAcknowledgements, SecureBucket, SecureKey, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { Stack, StackProps } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { cdkCliVersion } from './cdk-cli-version';
import { MlPlatformStage } from './ml-platform-stage';
import { NotifyingApprovalStep } from './notifying-approval-step';
import { PlatformConfig } from './platform-config';
import { smokeTestStep } from './smoke-test-step';

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** The pipeline account's role that runs Dev's smoke tests; Dev's smoke-test role trusts it by name. */
const SMOKE_RUNNER_ROLE_NAME = 'freshet-dev-smoke-test-runner';

/** The app's directory inside the repository, where synth writes cdk.out. */
const APP_DIR = 'apps/ml-platform';
/** Where the app's build bundles the smoke tests (esbuild), exported by the synth step. */
export const SMOKE_DIR = `${APP_DIR}/smoke-dist`;

/**
 * The CI/CD/CT pipeline: a push to the branch installs, runs every test,
 * synthesizes, updates the pipeline itself, then deploys the stages.
 */
export class PipelineStack extends Stack {
  public readonly pipeline: pipelines.CodePipeline;
  public readonly devStage: MlPlatformStage;
  public readonly prodStage: MlPlatformStage;
  /** Every CodeBuild project logs here (KMS-encrypted, one year). */
  public readonly buildLogGroup: SecureLogGroup;
  /** Notified when a promotion to Prod waits for approval. */
  public readonly approvalTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const artifacts = new SecureBucket(this, 'Artifacts');
    this.buildLogGroup = this.createBuildLogGroup();
    this.approvalTopic = this.createApprovalTopic(config.approverEmail);

    const source = pipelines.CodePipelineSource.connection(config.repository, config.branch, {
      connectionArn: config.connectionArn,
      triggerOnPush: true,
    });
    const synth = new pipelines.CodeBuildStep('Synth', {
      input: source,
      // The README's quick start: install, every test, then the app's synth.
      installCommands: ['npm ci'],
      commands: ['npm test', 'npm run synth'],
      primaryOutputDirectory: `${APP_DIR}/cdk.out`,
      buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.LARGE },
    });
    const smokeBundle = synth.addOutputDirectory(SMOKE_DIR);
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      pipelineName: 'freshet-ml-platform',
      pipelineType: codepipeline.PipelineType.V2,
      artifactBucket: artifacts.bucket,
      selfMutation: true,
      // Self-mutation installs the repository's CLI, never "latest".
      cliVersion: cdkCliVersion(),
      crossAccountKeys: true,
      enableKeyRotation: true,
      // One asset project per asset type rather than per asset.
      publishAssetsInParallel: false,
      synth,
      codeBuildDefaults: {
        buildEnvironment: { privileged: false },
        logging: { cloudWatch: { logGroup: this.buildLogGroup } },
      },
    });

    this.devStage = new MlPlatformStage(this, 'Dev', {
      env: { account: config.devAccount, region: config.devRegion },
      // Dev serves from serverless endpoints captured at the API: no idle instances, the same drift monitoring.
      settings: {
        name: 'dev',
        alarmEmail: config.devAlarmEmail,
        serverlessEndpoints: true,
        monitorEndpoints: true,
        warehouseBaseCapacityRpu: 4,
        driftJobInstanceType: 'ml.t3.medium',
        smokeTestRunner: { account: config.pipelineAccount, roleName: SMOKE_RUNNER_ROLE_NAME },
      },
    });
    const smokeTests = smokeTestStep(this, { stage: this.devStage, bundle: smokeBundle, roleName: SMOKE_RUNNER_ROLE_NAME });
    this.pipeline.addStage(this.devStage, { post: [smokeTests] });

    this.prodStage = new MlPlatformStage(this, 'Prod', {
      env: { account: config.prodAccount, region: config.prodRegion },
      // Prod monitors its endpoints too: real traffic drifts there, and its drift alarms start Prod's retraining,
      // which waits for a person to approve the model before it serves.
      settings: { name: 'prod', alarmEmail: config.prodAlarmEmail, manualModelApproval: true, endpointInstanceCount: 2, monitorEndpoints: true },
    });
    this.pipeline.addStage(this.prodStage, {
      pre: [new NotifyingApprovalStep('PromoteToProd', {
        notificationTopic: this.approvalTopic,
        comment: `Dev passed its smoke tests: approve to deploy this commit to Prod (${config.prodAccount}, ${config.prodRegion}).`,
      })],
    });

    // The pipeline's resources exist only after buildPipeline(); acknowledge them then.
    this.pipeline.buildPipeline();
    this.acknowledgePipelineFindings();
    this.acknowledgeReplicationBuckets();
    this.skipCheckovOnPipelineRoles();
  }

  /** checkov's IAM write check on the two CDK Pipelines policies whose wildcards aws-cdk-lib writes (nag-acknowledged below too). */
  private skipCheckovOnPipelineRoles(): void {
    const pipelinePolicy = this.pipeline.pipeline.role.node.tryFindChild('DefaultPolicy');
    if (pipelinePolicy) {
      CheckovSkips.add(pipelinePolicy, [{
        id: 'CKV_AWS_111',
        comment: 'aws-cdk-lib grants the pipeline role the cross-region replication keys by alias, which a policy cannot name by ARN; each key policy admits only the pipeline roles.',
      }]);
    }
    const filePolicy = this.pipeline.node.tryFindChild('Assets')?.node.tryFindChild('FileRole')?.node.tryFindChild('DefaultPolicy');
    if (filePolicy) {
      CheckovSkips.add(filePolicy, [{
        id: 'CKV_AWS_111',
        comment: 'CDK Pipelines gives its asset-publishing role codebuild:StartBuild/StopBuild on *; the role is assumed only by the pipeline\'s asset CodeBuild projects.',
      }]);
    }
  }

  /**
   * CodePipeline creates a support stack per other region (Prod's, when it differs)
   * holding a replication bucket for the artifacts of that region's actions.
   */
  private acknowledgeReplicationBuckets(): void {
    for (const support of Object.values(this.pipeline.pipeline.crossRegionSupport)) {
      const bucket = support.replicationBucket.node.defaultChild ?? support.replicationBucket;
      const reason = 'CodePipeline writes this bucket only with copies of the artifacts it passes to the actions in this region; the primary artifact bucket, '
        + 'versioned and access-logged, holds the originals. Compensating control: it is encrypted with the support stack\'s KMS key, '
        + 'blocks public access, and only the pipeline\'s roles and the target account\'s deployment roles can read it.';
      NagAcknowledgements.add(bucket, ['AwsSolutions-S1', 'NIST.800.53.R5-S3BucketLoggingEnabled', 'NIST.800.53.R5-S3BucketReplicationEnabled', 'NIST.800.53.R5-S3BucketVersioningEnabled']
        .map((id) => ({ id, reason })));
      CheckovSkips.add(bucket, ['CKV_AWS_18', 'CKV_AWS_21'].map((id) => ({ id, comment: reason })));
    }
  }

  private createBuildLogGroup(): SecureLogGroup {
    const key = new SecureKey(this, 'BuildLogsKey', { description: 'Encrypts the pipeline\'s CodeBuild logs' });
    key.grantCloudWatchLogs();
    return new SecureLogGroup(this, 'BuildLogs', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
  }

  private createApprovalTopic(email: string): sns.Topic {
    const key = new SecureKey(this, 'ApprovalTopicKey', { description: 'Encrypts the Prod approval notifications' });
    const topic = new sns.Topic(this, 'ApprovalTopic', { masterKey: key, enforceSSL: true, displayName: 'Freshet: a promotion to Prod waits for approval' });
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
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
  }
}
