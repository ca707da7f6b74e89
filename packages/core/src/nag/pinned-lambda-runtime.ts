import { CfnResource } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagAcknowledgements } from './nag-acknowledgement';

/**
 * Freshet's Lambda functions run on one pinned Node.js runtime: the major the
 * test command runs their handlers on (tools/scripts/node-runtime.sh reads it
 * from the generated `*-function.ts` classes). An aws-cdk-lib newer than that
 * pin offers a newer Node.js runtime, and cdk-nag's `AwsSolutions-L1` (which
 * compares against every runtime the consumer's aws-cdk-lib knows) reports the
 * function. This acknowledges exactly that finding, on the function's own
 * `AWS::Lambda::Function` resource, and only when a newer Node.js runtime
 * exists, so the reason stays true: it names the pinned and the newer runtime.
 */
export class PinnedLambdaRuntime {
  /** The compensating control, as the acknowledgement states it. */
  public static readonly COMPENSATING_CONTROL =
    "the handlers' tests run on this Node.js major in Freshet's test command, and a Freshet release moves the runtime once they pass on a newer major";

  /**
   * Acknowledges `AwsSolutions-L1` on the function's resource when the
   * consumer's aws-cdk-lib offers a Node.js runtime newer than the function's.
   * Called by every generated Freshet function class.
   */
  public static acknowledge(fn: lambda.Function): void {
    const resource = fn.node.defaultChild;
    if (!resource || !CfnResource.isCfnResource(resource)) {
      throw new Error(`${fn.node.path} has no AWS::Lambda::Function resource to acknowledge the pinned runtime on.`);
    }
    const newest = PinnedLambdaRuntime.newerNodeRuntime(fn.runtime);
    if (!newest) return;
    NagAcknowledgements.add(resource, [{
      id: 'AwsSolutions-L1',
      reason: `Pinned to ${fn.runtime.name} while this aws-cdk-lib offers ${newest}: ${PinnedLambdaRuntime.COMPENSATING_CONTROL}.`,
    }]);
  }

  /**
   * The newest Node.js runtime aws-cdk-lib knows (`Runtime.ALL`, as cdk-nag
   * reads it) when it is a newer major than `runtime`.
   * @returns the runtime's name, e.g. `nodejs26.x`, or undefined when `runtime` is the newest
   */
  public static newerNodeRuntime(runtime: lambda.Runtime): string | undefined {
    const pinned = PinnedLambdaRuntime.nodeMajor(runtime.name);
    if (pinned === undefined) return undefined;
    let newest: { name: string; major: number } | undefined;
    for (const known of lambda.Runtime.ALL) {
      const major = PinnedLambdaRuntime.nodeMajor(known.name);
      if (major !== undefined && major > pinned && (!newest || major > newest.major)) newest = { name: known.name, major };
    }
    return newest?.name;
  }

  private static nodeMajor(name: string): number | undefined {
    const match = /^nodejs(\d+)\.x$/.exec(name);
    return match ? Number(match[1]) : undefined;
  }

  private constructor() {}
}
