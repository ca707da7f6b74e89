import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The algorithms whose inference images Freshet resolves per region. */
export enum Algorithm {
  /** SageMaker's built-in XGBoost: CSV rows without the label in, one number a row out. */
  XGBOOST = 'xgboost',
  /** The AWS AutoGluon deep learning container: CSV with a header in and out. */
  AUTOGLUON = 'autogluon',
  /** SageMaker's built-in DeepAR forecasting: JSON instances and configuration in and out. */
  DEEPAR = 'deepar',
}

interface ImageSpec {
  readonly repository: string;
  readonly defaultTag: string;
  /** The ECR registry account per region. */
  readonly accounts: Record<string, string>;
}

/** The built-in algorithms' registry (XGBoost, DeepAR) and the Deep Learning Containers registry (AutoGluon). */
const IMAGES: Record<Algorithm, ImageSpec> = {
  [Algorithm.XGBOOST]: {
    repository: 'sagemaker-xgboost',
    defaultTag: '1.7-1',
    accounts: {
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
    },
  },
  [Algorithm.DEEPAR]: {
    repository: 'forecasting-deepar',
    defaultTag: '1',
    accounts: {
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
    },
  },
  [Algorithm.AUTOGLUON]: {
    repository: 'autogluon-inference',
    defaultTag: '1.1.1-cpu-py311-ubuntu22.04',
    // The Deep Learning Containers share one registry account across these regions.
    accounts: Object.fromEntries(
      ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'eu-north-1',
        'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-south-1', 'sa-east-1'].map((r) => [r, '763104351884']),
    ),
  },
};

/**
 * Inference image URIs of the algorithm presets, per region. A stack in a
 * known region gets a literal URI (and an unsupported region fails at synth);
 * a region-agnostic stack gets a CloudFormation mapping looked up at deploy.
 */
export class AlgorithmImages {
  /** The regions where Freshet knows the image of an algorithm. */
  public static supportedRegions(algorithm: Algorithm): string[] {
    return Object.keys(IMAGES[algorithm].accounts).sort();
  }

  /** The default image tag of an algorithm. */
  public static defaultTag(algorithm: Algorithm): string {
    return IMAGES[algorithm].defaultTag;
  }

  /** The image URI of an algorithm in a known region, e.g. `683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`. */
  public static uriIn(algorithm: Algorithm, region: string, tag?: string): string {
    const spec = IMAGES[algorithm];
    const account = spec.accounts[region];
    if (!account) {
      throw new Error(
        `No ${algorithm} inference image is known for region ${region}: deploy to one of ${AlgorithmImages.supportedRegions(algorithm).join(', ')}, ` +
          'or use ModelSource.fromArtifact with the image URI for your region.',
      );
    }
    return `${account}.dkr.ecr.${region}.amazonaws.com/${spec.repository}:${tag ?? spec.defaultTag}`;
  }

  /** The image URI for the stack of `scope`, resolved at synth when the region is known. */
  public static uriFor(scope: Construct, algorithm: Algorithm, tag?: string): string {
    const stack = Stack.of(scope);
    if (!Token.isUnresolved(stack.region)) {
      return AlgorithmImages.uriIn(algorithm, stack.region, tag);
    }
    const id = `FreshetImageRegistry${algorithm}`;
    const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined) ?? new CfnMapping(stack, id, {
      mapping: Object.fromEntries(Object.entries(IMAGES[algorithm].accounts).map(([region, account]) => [region, { account }])),
    });
    return `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${IMAGES[algorithm].repository}:${tag ?? IMAGES[algorithm].defaultTag}`;
  }

  private constructor() {}
}
