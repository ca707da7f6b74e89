import { CfnOutput, StageProps } from 'aws-cdk-lib';

/** Who runs the post-deployment smoke tests: a role of the pipeline account, by name. */
export interface SmokeTestRunner {
  /** The pipeline account. */
  readonly account: string;
  /** The smoke-test CodeBuild project's role name, which may assume the stage's smoke-test role. */
  readonly roleName: string;
}

/** Where one stage differs from another. */
export interface StageSettings {
  /** The lower-case stage name (`dev`, `prod`): it names the alarms (`freshet-<name>-...`) and the smoke-test role. */
  readonly name: string;
  /** The address subscribed to the stage's alarm topic (Prod: the on-call address). */
  readonly alarmEmail: string;
  /**
   * Whether a person approves each retrained model before it deploys.
   * @default false - models that pass the gate deploy
   */
  readonly manualModelApproval?: boolean;
  /**
   * Instances behind each endpoint (real-time endpoints).
   * @default 1
   */
  readonly endpointInstanceCount?: number;
  /**
   * The stocks warehouse's Redshift Serverless base capacity: each COPY and snapshot
   * wakes it at this many RPUs for at least a minute. 4 serves warehouses under 32 TB.
   * @default 8 - room for up to 128 TB
   */
  readonly warehouseBaseCapacityRpu?: number;
  /**
   * The drift job's processing instance. The job streams (about 140 MiB at 8.64 million
   * records), so a 4 GiB ml.t3.medium serves the seeds' windows at less than half an
   * ml.m5.large's hourly price; model quality keeps predictions in memory, so a bigger
   * load with ground truth wants the 8 GiB default.
   * @default 'ml.m5.large'
   */
  readonly driftJobInstanceType?: string;
  /**
   * Whether the endpoints are serverless, captured at the prediction API: no idle instance to
   * pay for, but no network isolation, VPC, A/B variants or deployment guardrails, and cold starts
   * (model-endpoint README: Serverless endpoints). Otherwise real-time ml.m5.large instances with
   * network isolation and guardrails, captured by SageMaker.
   * @default false
   */
  readonly serverlessEndpoints?: boolean;
  /**
   * Whether the stage watches both endpoints for drift (a Monitoring stack of
   * MonitorRetrainTrigger), so a drift or model-quality alarm retrains the model.
   * @default false
   */
  readonly monitorEndpoints?: boolean;
  /**
   * The pipeline role that may assume the stage's smoke-test role.
   * @default - no smoke-test role
   */
  readonly smokeTestRunner?: SmokeTestRunner;
}

/** Properties of {@link MlPlatformStage}. */
export interface MlPlatformStageProps extends StageProps {
  readonly settings: StageSettings;
}

/** The stack outputs of a stage that the post-deployment smoke tests read (`envFromCfnOutputs`). */
export interface StageOutputs {
  readonly stocksApiUrl: CfnOutput;
  readonly pollutionApiUrl: CfnOutput;
  readonly landingBucketName: CfnOutput;
  readonly uploadPrefix: CfnOutput;
  readonly stocksStreamName: CfnOutput;
  readonly smokeTestRoleArn?: CfnOutput;
}
