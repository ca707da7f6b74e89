import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Algorithm, ImagePurpose } from './algorithm';

/** Options of {@link AlgorithmImages.uriFor} and {@link AlgorithmImages.uriIn}. */
export interface AlgorithmImageOptions {
  /**
   * Which image: training or inference (they differ for AutoGluon only).
   * @default ImagePurpose.INFERENCE
   */
  readonly purpose?: ImagePurpose;
  /**
   * The image tag.
   * @default - the tag {@link AlgorithmImages.defaultTag} names
   */
  readonly tag?: string;
}

const REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1',
  'eu-north-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1', 'sa-east-1'];

/** The registry of SageMaker's first-party images (built-in XGBoost and the scikit-learn framework share it). */
const FIRST_PARTY_REGISTRY: Record<string, string> = {
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
  'ca-central-1': '341280168497',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'eu-central-1': '492215442770',
  'eu-north-1': '662702820516',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-south-1': '720646828776',
  'sa-east-1': '737474898029',
};

/** The registry of the built-in forecasting algorithms. */
const FORECASTING_REGISTRY: Record<string, string> = {
  'us-east-1': '522234722520',
  'us-east-2': '566113047672',
  'us-west-1': '632365934929',
  'us-west-2': '156387875391',
  'ca-central-1': '469771592824',
  'eu-west-1': '224300973850',
  'eu-west-2': '644912444149',
  'eu-west-3': '749696950732',
  'eu-central-1': '495149712605',
  'eu-north-1': '669576153137',
  'ap-northeast-1': '633353088612',
  'ap-northeast-2': '204372634319',
  'ap-southeast-1': '475088953585',
  'ap-southeast-2': '514117268639',
  'ap-south-1': '991648021394',
  'sa-east-1': '855470959533',
};

/** The Deep Learning Containers share one registry account across these regions. */
const DLC_REGISTRY: Record<string, string> = Object.fromEntries(REGIONS.map((region) => [region, '763104351884']));

interface ImageSpec {
  readonly registryName: string;
  readonly repository: string;
  readonly defaultTag: string;
  readonly accounts: Record<string, string>;
}

// 3.0-5: the framework container generation (Python 3.10, pandas 2) that Freshet's XGBoost
// training and serving scripts run on; 1.7-1 has Python 3.8 and pandas 1.
const xgboost: ImageSpec = { registryName: 'FirstParty', repository: 'sagemaker-xgboost', defaultTag: '3.0-5', accounts: FIRST_PARTY_REGISTRY };
const deepar: ImageSpec = { registryName: 'Forecasting', repository: 'forecasting-deepar', defaultTag: '1', accounts: FORECASTING_REGISTRY };

const IMAGES: Record<Algorithm, Record<ImagePurpose, ImageSpec>> = {
  [Algorithm.XGBOOST]: { [ImagePurpose.TRAINING]: xgboost, [ImagePurpose.INFERENCE]: xgboost },
  [Algorithm.DEEPAR]: { [ImagePurpose.TRAINING]: deepar, [ImagePurpose.INFERENCE]: deepar },
  [Algorithm.AUTOGLUON]: {
    [ImagePurpose.TRAINING]: { registryName: 'Dlc', repository: 'autogluon-training', defaultTag: '1.1.1-cpu-py311-ubuntu20.04', accounts: DLC_REGISTRY },
    [ImagePurpose.INFERENCE]: { registryName: 'Dlc', repository: 'autogluon-inference', defaultTag: '1.1.1-cpu-py311-ubuntu22.04', accounts: DLC_REGISTRY },
  },
};

/** Where model.tar.gz unpacks in the inference container, plus the folder of the model's own inference code. */
const MODEL_CODE_DIR = '/opt/ml/model/code';

/** The scikit-learn framework image the processing scripts run in (Python 3.10, scikit-learn 1.4.2, pandas, numpy). */
const PROCESSING: ImageSpec = { registryName: 'FirstParty', repository: 'sagemaker-scikit-learn', defaultTag: '1.4-2-cpu-py3', accounts: FIRST_PARTY_REGISTRY };

/**
 * Image URIs of the algorithm presets and of the processing image, per region.
 * A stack in a known region gets a literal URI (and an unsupported region fails
 * at synth); a region-agnostic stack gets a CloudFormation mapping looked up at deploy.
 */
export class AlgorithmImages {
  /** The regions where Freshet knows the images of an algorithm. */
  public static supportedRegions(algorithm: Algorithm): string[] {
    return Object.keys(IMAGES[algorithm][ImagePurpose.TRAINING].accounts).sort();
  }

  /** The default image tag of an algorithm. */
  public static defaultTag(algorithm: Algorithm, purpose: ImagePurpose = ImagePurpose.INFERENCE): string {
    return IMAGES[algorithm][purpose].defaultTag;
  }

  /** The image URI of an algorithm in a known region, e.g. `683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5`. */
  public static uriIn(algorithm: Algorithm, region: string, options: AlgorithmImageOptions = {}): string {
    const purpose = options.purpose ?? ImagePurpose.INFERENCE;
    return literalUri(IMAGES[algorithm][purpose], region, options.tag, `${algorithm} ${purpose}`);
  }

  /** The image URI for the stack of `scope`, resolved at synth when the region is known. */
  public static uriFor(scope: Construct, algorithm: Algorithm, options: AlgorithmImageOptions = {}): string {
    return scopedUri(scope, IMAGES[algorithm][options.purpose ?? ImagePurpose.INFERENCE], options.tag, `${algorithm}`);
  }

  /**
   * The inference container environment that serves a model Freshet trained with a preset:
   * XGBoost and AutoGluon models carry their inference code in `code/` of model.tar.gz
   * (`code/inference.py`), which the framework containers load as the user module;
   * DeepAR needs none.
   *
   * - `SAGEMAKER_PROGRAM`, `SAGEMAKER_SUBMIT_DIRECTORY`: the user module and where it lies.
   * - `PIP_NO_BUILD_ISOLATION=0`: the container installs `code/` with `pip install .`; with build
   *   isolation pip downloads setuptools (and wheel) first, which a network-isolated endpoint cannot,
   *   so serving would depend on the image's pip and wheel. pip reads its `--no-*` switches from the
   *   environment inverted: `0` turns build isolation OFF, and the image's own setuptools builds.
   * - `SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv`: the answer's type for a caller that sends no
   *   `Accept` or `*\/*` (the container's default, application/json, is not what the model writes).
   */
  public static servingEnvironment(algorithm: Algorithm): Record<string, string> {
    return algorithm === Algorithm.DEEPAR ? {} : {
      SAGEMAKER_PROGRAM: 'inference.py',
      SAGEMAKER_SUBMIT_DIRECTORY: MODEL_CODE_DIR,
      PIP_NO_BUILD_ISOLATION: '0',
      SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT: 'text/csv',
    };
  }

  /** The SageMaker scikit-learn processing image URI in a known region. */
  public static processingUriIn(region: string, tag?: string): string {
    return literalUri(PROCESSING, region, tag, 'scikit-learn processing');
  }

  /** The SageMaker scikit-learn processing image URI for the stack of `scope`. */
  public static processingUriFor(scope: Construct, tag?: string): string {
    return scopedUri(scope, PROCESSING, tag, 'scikit-learn processing');
  }

  private constructor() {}
}

function literalUri(spec: ImageSpec, region: string, tag: string | undefined, what: string): string {
  const account = spec.accounts[region];
  if (!account) {
    throw new Error(
      `No ${what} image is known for region ${region}: deploy to one of ${Object.keys(spec.accounts).sort().join(', ')}, ` +
        'or give the image URI for your region yourself (a custom image, or ModelSource.fromArtifact).',
    );
  }
  return `${account}.dkr.ecr.${region}.amazonaws.com/${spec.repository}:${tag ?? spec.defaultTag}`;
}

function scopedUri(scope: Construct, spec: ImageSpec, tag: string | undefined, what: string): string {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    return literalUri(spec, stack.region, tag, what);
  }
  // One mapping per registry and stack, shared by every image from that registry.
  const id = `FreshetImageRegistry${spec.registryName}`;
  const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined) ?? new CfnMapping(stack, id, {
    mapping: Object.fromEntries(Object.entries(spec.accounts).map(([region, account]) => [region, { account }])),
  });
  return `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${spec.repository}:${tag ?? spec.defaultTag}`;
}
