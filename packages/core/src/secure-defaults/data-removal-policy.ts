import { Annotations, RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The removal policy guard for data stores (buckets, streams, keys, tables,
 * log groups). They are retained unless the user asks for DESTROY *and* the
 * app's context allows it, so a prop copied from a sandbox can never delete
 * production data.
 */
export class DataRemovalPolicy {
  /** The context key a team sets to `true` to let data stores be destroyed with their stack. */
  public static readonly ALLOW_DESTROY_CONTEXT = '@freshet/core:allowDataDestroy';

  /**
   * Resolves the removal policy of a data store.
   *
   * @param scope the construct that owns the store, for context and warnings
   * @param requested the policy the user asked for; undefined means RETAIN
   */
  public static of(scope: IConstruct, requested?: RemovalPolicy): RemovalPolicy {
    if (requested !== RemovalPolicy.DESTROY) {
      return RemovalPolicy.RETAIN;
    }
    const allowed = scope.node.tryGetContext(DataRemovalPolicy.ALLOW_DESTROY_CONTEXT);
    if (allowed === true || allowed === 'true') {
      return RemovalPolicy.DESTROY;
    }
    Annotations.of(scope).addWarningV2(
      '@freshet/core:removalPolicyRetained',
      `removalPolicy DESTROY was ignored and the data is RETAINED: set the context '${DataRemovalPolicy.ALLOW_DESTROY_CONTEXT}' ` +
        "to true (cdk.json or '-c') to allow destroying data stores.",
    );
    return RemovalPolicy.RETAIN;
  }

  /** Whether the resolved policy lets the store be emptied and deleted. */
  public static isDestroy(scope: IConstruct, requested?: RemovalPolicy): boolean {
    return DataRemovalPolicy.of(scope, requested) === RemovalPolicy.DESTROY;
  }

  private constructor() {}
}
