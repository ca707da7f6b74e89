import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

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
  }

  private constructor() {}
}
