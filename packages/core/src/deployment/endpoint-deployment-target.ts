import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DeploymentGuardrailSettings } from './traffic-shifting';

/** One variant of the endpoint configs a retraining workflow creates. */
export interface EndpointVariantTarget {
  /** The variant name, kept by every endpoint config (deployment guardrails require it). */
  readonly variantName: string;
  /** The variant's traffic weight, relative to the others'. */
  readonly initialWeight: number;
  /**
   * The instance type (real-time endpoints).
   * @default - serverless
   */
  readonly instanceType?: string;
  /**
   * The instance count (real-time endpoints).
   * @default - serverless
   */
  readonly initialInstanceCount?: number;
  /**
   * Memory in MB (serverless endpoints).
   * @default - real-time
   */
  readonly serverlessMemorySizeInMb?: number;
  /**
   * Max concurrent invocations (serverless endpoints).
   * @default - real-time
   */
  readonly serverlessMaxConcurrency?: number;
  /**
   * Provisioned concurrency (serverless endpoints).
   * @default - none
   */
  readonly serverlessProvisionedConcurrency?: number;
  /**
   * The model this variant keeps across retraining (the other side of an A/B
   * test, or a shadow). Leave it out for the variant each retrain replaces.
   * @default - the variant gets the newly trained model
   */
  readonly keepModelName?: string;
}

/** Data capture of the endpoint configs a retraining workflow creates. */
export interface EndpointDataCaptureTarget {
  /** Where captured requests and responses go; SageMaker appends `<endpoint>/<variant>/yyyy/mm/dd/hh/`, e.g. `s3://lake/capture`. */
  readonly destinationS3Uri: string;
  /** The share of requests captured, 0–100. */
  readonly samplingPercent: number;
  /** The key captured data is encrypted with. */
  readonly kmsKey: kms.IKey;
  /**
   * Content types captured as CSV text rather than base64.
   * @default - none
   */
  readonly csvContentTypes?: string[];
  /**
   * Content types captured as JSON text rather than base64.
   * @default - none
   */
  readonly jsonContentTypes?: string[];
}

/**
 * Everything a retraining workflow needs to roll a new model out to an
 * existing endpoint: ModelEndpoint's `deploymentTarget()` returns it, and
 * RetrainPipeline's `deployTo` takes it. The endpoint name never changes; each
 * retrain creates a new model and endpoint config and updates the endpoint.
 */
export interface EndpointDeploymentTarget {
  /** The endpoint's (stable) name. */
  readonly endpointName: string;
  /** The endpoint's ARN. */
  readonly endpointArn: string;
  /** The production variant whose model each retrain replaces. */
  readonly retrainedVariantName: string;
  /** Every production variant of each new endpoint config, in order. */
  readonly productionVariants: EndpointVariantTarget[];
  /**
   * Shadow variants of each new endpoint config.
   * @default - none
   */
  readonly shadowVariants?: EndpointVariantTarget[];
  /** The role new models run as (the workflow may pass only this role). */
  readonly modelExecutionRole: iam.IRole;
  /**
   * The key of new endpoint configs (their KmsKeyId).
   * @default - none: serverless endpoints and instance types with local NVMe storage refuse a key
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Data capture of new endpoint configs.
   * @default - no data capture
   */
  readonly dataCapture?: EndpointDataCaptureTarget;
  /**
   * Capture at the prediction API (ModelEndpoint's CaptureSource.API): the same
   * records and layout as SageMaker's, written by the API's proxy. The workflow
   * sets nothing for it; monitors read it when there is no `dataCapture`.
   * @default - no capture at the API
   */
  readonly apiCapture?: EndpointDataCaptureTarget;
  /**
   * The guardrails every update uses (real-time endpoints only).
   * @default - all at once, with no rollback alarms
   */
  readonly guardrails?: DeploymentGuardrailSettings;
  /**
   * Whether the endpoint is serverless (each variant carries its
   * `serverlessMemorySizeInMb` and `serverlessMaxConcurrency`). SageMaker
   * refuses network isolation, a VPC, data capture, a KMS key and more than
   * one variant on serverless endpoints, and updates them all at once with no
   * alarm rollback: the workflow's models then run without isolation or VPC,
   * and its UpdateEndpoint calls carry no DeploymentConfig.
   * @default false - real-time instances
   */
  readonly serverless?: boolean;
  /**
   * Whether the models the workflow creates for the endpoint run with network
   * isolation (SageMaker refuses it on serverless endpoints).
   * @default - true for real-time endpoints, false for serverless ones
   */
  readonly networkIsolation?: boolean;
  /**
   * Whether the workflow creates the endpoint when it does not exist yet: the
   * first model comes from the first passing run (ModelEndpoint with
   * `ModelSource.fromFirstTraining`), and the endpoint's stack deletes it on teardown.
   * @default false - the endpoint exists (CloudFormation created it with a first model)
   */
  readonly createsEndpoint?: boolean;
  /**
   * The workflow name prefix the endpoint's teardown deletes endpoint configs
   * and models by (`<prefix>-config-*`, `<prefix>-model-*`); a workflow with
   * another prefix is refused at synth.
   * @default - any prefix
   */
  readonly workflowNamePrefix?: string;
}

/**
 * Every reason a deployment target cannot work, each saying what to change
 * (a serverless endpoint with guardrails, a key, data capture, isolation, or
 * more than one variant).
 */
export function deploymentTargetProblems(target: EndpointDeploymentTarget): string[] {
  const problems: string[] = [];
  const variants = [...target.productionVariants, ...(target.shadowVariants ?? [])];
  const serverlessVariants = variants.filter((v) => v.serverlessMemorySizeInMb !== undefined);
  if (!target.serverless) {
    if (serverlessVariants.length > 0) {
      problems.push(`variants ${serverlessVariants.map((v) => v.variantName).join(', ')} are serverless but serverless is not set: set serverless: true, or give them an instanceType.`);
    }
    return problems;
  }
  const where = `${target.endpointName} is serverless`;
  if (serverlessVariants.length !== variants.length) {
    problems.push(`${where}, but a variant has no serverlessMemorySizeInMb: give every variant serverlessMemorySizeInMb and serverlessMaxConcurrency.`);
  }
  if (variants.length !== 1) {
    problems.push(`${where}, and serverless endpoints serve one production variant and no shadow: keep one variant, or use a real-time endpoint.`);
  }
  if (target.guardrails) {
    problems.push(`${where}, and SageMaker updates serverless endpoints all at once with no alarm rollback: remove guardrails, or use a real-time endpoint.`);
  }
  if (target.dataCapture) {
    problems.push(`${where}, and serverless endpoints cannot capture data: remove dataCapture (capture at the prediction API instead), or use a real-time endpoint.`);
  }
  if (target.encryptionKey) {
    problems.push(`${where}, and SageMaker refuses a KmsKeyId on serverless endpoint configs: remove encryptionKey.`);
  }
  if (target.networkIsolation === true) {
    problems.push(`${where}, and serverless endpoints cannot run network-isolated models: remove networkIsolation, or use a real-time endpoint.`);
  }
  return problems;
}
