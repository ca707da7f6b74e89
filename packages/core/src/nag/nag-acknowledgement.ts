import { AspectPriority, Aspects, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { NagV2Suppressions } from './nag-v2-suppressions';

/** One acknowledged cdk-nag finding. */
export interface NagAcknowledgement {
  /** The rule id, optionally with a finding, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** Why the finding is acceptable, naming the compensating control. */
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag findings on one construct, the narrowest scope that
 * holds them. A reason must say why and name the compensating control.
 *
 * Both cdk-nag majors honour them: cdk-nag 3 through Validations, cdk-nag 2
 * through the metadata suppressions on each resource under the scope (written
 * by an aspect that runs before cdk-nag 2's own checks).
 */
export class NagAcknowledgements {
  /** The shortest reason accepted: enough to name a control. */
  public static readonly MIN_REASON_LENGTH = 40;

  /** Acknowledges each finding on `scope` only. */
  public static add(scope: IConstruct, acknowledgements: NagAcknowledgement[]): void {
    for (const ack of acknowledgements) {
      if (!ack.reason || ack.reason.trim().length < NagAcknowledgements.MIN_REASON_LENGTH) {
        throw new Error(
          `The acknowledgement of ${ack.id} on ${scope.node.path} needs a reason of at least ${NagAcknowledgements.MIN_REASON_LENGTH} characters that names the compensating control.`,
        );
      }
      Validations.of(scope).acknowledge({ id: ack.id, reason: ack.reason });
    }
    Aspects.of(scope).add(new NagV2Suppressions(acknowledgements), { priority: AspectPriority.MUTATING });
  }

  private constructor() {}
}
