import { Algorithm, AlgorithmImages } from '@freshet/core';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { grantObjectRead } from './object-read-grant';

/** What the model reads and writes, which decides how the proxy converts requests. */
export enum PayloadFormat {
  /** CSV rows of the features without the label in, one number (or several) a row out: SageMaker XGBoost. */
  XGBOOST_CSV = 'xgboost-csv',
  /** CSV with a header row of the features in, CSV with a header out: AutoGluon. */
  AUTOGLUON_CSV = 'autogluon-csv',
  /** DeepAR's `{ instances, configuration }` JSON in, `{ predictions }` JSON out; the request passes through unchanged. */
  DEEPAR_JSON = 'deepar-json',
}

/** Where a model artifact lies. */
export interface ModelArtifact {
  /** The bucket that holds `model.tar.gz`, e.g. the lake bucket. */
  readonly bucket: s3.IBucket;
  /** The object key, e.g. `models/run-1/output/model.tar.gz`. */
  readonly key: string;
}

/** Where the retraining workflow writes the artifacts it deploys (`<prefix><run>/<job>/output/model.tar.gz`). */
export interface TrainedModelsLocation {
  /** The bucket training writes to: RetrainPipeline's lake bucket. */
  readonly bucket: s3.IBucket;
  /**
   * The key prefix of every artifact, ending in `/`.
   * @default 'models/'
   */
  readonly prefix?: string;
}

/** Options of {@link ModelSource.fromArtifact}. */
export interface ArtifactModelOptions {
  /** The inference image URI. */
  readonly image: string;
  /** The model artifact. */
  readonly artifact: ModelArtifact;
  /** What the model reads and writes. */
  readonly payloadFormat: PayloadFormat;
  /**
   * Environment variables of the container.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** Options of {@link ModelSource.fromAlgorithm}. */
export interface AlgorithmModelOptions {
  /**
   * The image tag.
   * @default - the tag {@link AlgorithmImages.defaultTag} names (XGBoost: 3.0-5, the framework container RetrainPipeline trains and serves in)
   */
  readonly imageTag?: string;
  /**
   * Environment variables of the container, added to (and overriding) the preset's.
   * @default - XGBoost and AutoGluon: SAGEMAKER_PROGRAM=inference.py and SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code (the model's own code/); DeepAR: none
   */
  readonly environment?: Record<string, string>;
}

/** Options of {@link ModelSource.fromModelPackage}. */
export interface ModelPackageOptions {
  /** What the model reads and writes. */
  readonly payloadFormat: PayloadFormat;
  /**
   * The bucket that holds the package's model artifact, so the endpoint's role may read it.
   * @default - the execution role is given no S3 read: pass an `executionRole` that can read the artifact
   */
  readonly artifactBucket?: s3.IBucket;
}

/** What a model source gives the endpoint. */
export interface ModelSourceConfig {
  /**
   * The primary container of the CfnModel.
   * @default - none: the first model comes from the retraining workflow, and CloudFormation creates no model
   */
  readonly container?: sagemaker.CfnModel.ContainerDefinitionProperty;
}

/**
 * The first model an endpoint serves: a registered model package, an artifact
 * with an image, an algorithm preset whose image Freshet resolves per region,
 * or none yet (`fromFirstTraining`): the first passing retraining run creates
 * the endpoint. RetrainPipeline deploys every later model.
 */
export class ModelSource {
  /**
   * No model yet: the first model comes from the first passing run of the
   * RetrainPipeline that deploys to this endpoint, which creates the endpoint
   * (no seed model to upload). CloudFormation creates no model, endpoint
   * config or endpoint; the stack owns the endpoint name and deletes the
   * endpoint on teardown. Until then POST /predict answers 503.
   *
   * The algorithm decides the payload format; the execution role reads the
   * artifacts under the location's prefix.
   */
  public static fromFirstTraining(algorithm: Algorithm, trainedModels: TrainedModelsLocation): ModelSource {
    const prefix = trainedModels.prefix ?? 'models/';
    return new ModelSource(payloadFormatOf(algorithm), `${algorithm} trained by the retraining workflow`, (scope, role) => {
      grantObjectRead(scope, role, trainedModels.bucket, `${prefix}*`);
      return {};
    }, trainedModels);
  }


  /** A model package from the SageMaker Model Registry, e.g. `arn:aws:sagemaker:...:model-package/stocks/3`. */
  public static fromModelPackage(modelPackageArn: string, options: ModelPackageOptions): ModelSource {
    return new ModelSource(options.payloadFormat, modelPackageArn, (scope, role) => {
      if (options.artifactBucket) grantObjectRead(scope, role, options.artifactBucket, '*');
      return { container: { modelPackageName: modelPackageArn } };
    });
  }

  /** A model artifact served by an image you name. */
  public static fromArtifact(options: ArtifactModelOptions): ModelSource {
    return new ModelSource(options.payloadFormat, `${options.image} ${s3Uri(options.artifact)}`, (scope, role) => {
      grantObjectRead(scope, role, options.artifact.bucket, options.artifact.key);
      return { container: { image: options.image, modelDataUrl: s3Uri(options.artifact), environment: options.environment } };
    });
  }

  /**
   * A model artifact trained by a preset algorithm; its inference image is resolved for the stack's region.
   *
   * For `Algorithm.XGBOOST` and `Algorithm.AUTOGLUON` the artifact must be one RetrainPipeline
   * trained (its `model.tar.gz` carries `code/inference.py`, and for XGBoost the run's encoding,
   * which turn the raw records the API sends into the training features); a bare XGBoost model
   * trained elsewhere would receive unencoded rows. The container is set up as RetrainPipeline's
   * (the core default image tag, SAGEMAKER_PROGRAM and SAGEMAKER_SUBMIT_DIRECTORY), so the seed
   * and the retrained models answer the same requests the same way.
   */
  public static fromAlgorithm(algorithm: Algorithm, artifact: ModelArtifact, options: AlgorithmModelOptions = {}): ModelSource {
    return new ModelSource(payloadFormatOf(algorithm), `${algorithm} ${s3Uri(artifact)}`, (scope, role) => {
      grantObjectRead(scope, role, artifact.bucket, artifact.key);
      // The same container setup as RetrainPipeline's, so a seed model and retrained ones behave alike.
      const merged = { ...AlgorithmImages.servingEnvironment(algorithm), ...options.environment };
      const environment = Object.keys(merged).length > 0 ? merged : undefined;
      return {
        container: {
          image: AlgorithmImages.uriFor(scope, algorithm, { tag: options.imageTag }),
          modelDataUrl: s3Uri(artifact),
          environment,
        },
      };
    });
  }

  /** What the model reads and writes. */
  public readonly payloadFormat: PayloadFormat;
  /** What the model is, for the proxy's `modelVersion`: the package ARN, or the image and artifact. */
  public readonly description: string;
  /** Where the workflow writes the artifacts, with `fromFirstTraining` (whose endpoint the workflow creates). */
  public readonly trainedModels?: TrainedModelsLocation;

  private constructor(
    payloadFormat: PayloadFormat,
    description: string,
    private readonly binder: (scope: Construct, role: iam.IRole) => ModelSourceConfig,
    trainedModels?: TrainedModelsLocation,
  ) {
    this.payloadFormat = payloadFormat;
    this.description = description;
    this.trainedModels = trainedModels;
  }

  /** Whether the first model comes from the retraining workflow (`fromFirstTraining`). */
  public get awaitsFirstTraining(): boolean {
    return this.trainedModels !== undefined;
  }

  /** Grants the execution role what the model needs and returns its container. */
  public bind(scope: Construct, role: iam.IRole): ModelSourceConfig {
    return this.binder(scope, role);
  }
}

function payloadFormatOf(algorithm: Algorithm): PayloadFormat {
  return algorithm === Algorithm.DEEPAR ? PayloadFormat.DEEPAR_JSON
    : algorithm === Algorithm.AUTOGLUON ? PayloadFormat.AUTOGLUON_CSV : PayloadFormat.XGBOOST_CSV;
}

function s3Uri(artifact: ModelArtifact): string {
  return `s3://${artifact.bucket.bucketName}/${artifact.key}`;
}
