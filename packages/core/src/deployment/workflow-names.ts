/**
 * The names a retraining workflow gives what it creates in SageMaker, shared by
 * RetrainPipeline (which creates them) and ModelEndpoint (whose teardown
 * deletes the endpoint config and models the workflow left on its endpoint).
 */
export class WorkflowNames {
  /** The longest name prefix. */
  public static readonly MAX_PREFIX_LENGTH = 20;

  /** The default prefix for a dataset: `ct-<dataset>`, hyphens for other characters, shortened. */
  public static defaultPrefix(datasetName: string): string {
    const cleaned = `ct-${datasetName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, WorkflowNames.MAX_PREFIX_LENGTH);
    return cleaned.replace(/-+$/, '');
  }

  /** The prefix of the workflow's endpoint config names: `<prefix>-config-`. */
  public static endpointConfigPrefix(prefix: string): string {
    return `${prefix}-config-`;
  }

  /** The prefix of the workflow's endpoint model names: `<prefix>-model-`. */
  public static modelPrefix(prefix: string): string {
    return `${prefix}-model-`;
  }

  private constructor() {}
}
