import { WorkflowNames } from '@freshet/core';

/**
 * How the workflow names what it creates in SageMaker.
 *
 * SageMaker names are at most 63 characters of `[a-zA-Z0-9-]`, while an
 * execution name has up to 80 characters and may hold `_`. So each name is
 * `<namePrefix>-<kind>-<md5 of the execution name>`: the prefix (at most 20
 * characters, validated at synth) is fixed, the kind at most 6, the hash 32
 * hex digits, so every name fits (at most 20 + 1 + 6 + 1 + 32 = 60) and is
 * unique per execution. The lake keys use the execution name itself
 * (`training/<execution name>/`), which S3 accepts as is.
 */
export class RunNames {
  /** The longest name prefix. */
  public static readonly MAX_PREFIX_LENGTH = 20;
  /** SageMaker's longest job, model and endpoint config name. */
  public static readonly MAX_SAGEMAKER_NAME_LENGTH = 63;
  /** The hex digits of the MD5 hash that makes each name unique. */
  public static readonly HASH_LENGTH = 32;

  /** The kinds of names, each a short infix. */
  public static readonly KINDS: Record<string, string> = {
    preprocessJob: 'prep',
    trainingJob: 'train',
    candidateModel: 'cand',
    transformJob: 'xform',
    evaluationJob: 'eval',
    model: 'model',
    endpointConfig: 'config',
  };

  /** The default prefix for a dataset: `ct-<dataset>`, hyphens for other characters, shortened. */
  public static defaultPrefix(datasetName: string): string {
    // Shared with ModelEndpoint, whose teardown deletes the workflow's configs and models by this prefix.
    return WorkflowNames.defaultPrefix(datasetName);
  }

  /** Throws with what to change when the prefix cannot name SageMaker resources. */
  public static validatePrefix(prefix: string): void {
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(prefix) || prefix.length > RunNames.MAX_PREFIX_LENGTH) {
      throw new Error(
        `namePrefix '${prefix}' must be 1-${RunNames.MAX_PREFIX_LENGTH} lowercase letters, digits and single hyphens, starting with a letter ` +
          '(SageMaker names are at most 63 characters, and IAM matches their lowercase ARNs).',
      );
    }
  }

  /** The longest name the prefix produces. */
  public static longestName(prefix: string): number {
    return Math.max(...Object.values(RunNames.KINDS).map((kind) => `${prefix}-${kind}-`.length + RunNames.HASH_LENGTH));
  }

  /** The `States.Format` template of one name, its `{}` the hash. */
  public static template(prefix: string, kind: string): string {
    return `${prefix}-${RunNames.KINDS[kind]}-{}`;
  }

  /** The wildcard pattern of a kind's names, for IAM and for telling the workflow's endpoint configs apart. */
  public static pattern(prefix: string, kind: string): string {
    return `${prefix}-${RunNames.KINDS[kind]}-*`;
  }

  private constructor() {}
}
