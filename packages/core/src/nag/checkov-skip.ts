import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One checkov check skipped on one resource. */
export interface CheckovSkip {
  /** The check id, e.g. `CKV_AWS_116`. */
  readonly id: string;
  /** Why the check does not apply or what compensates, as checkov prints it. */
  readonly comment: string;
}

/**
 * Skips checkov checks on one CloudFormation resource, the way checkov reads
 * them: `Metadata.checkov.skip: [{ id, comment }]` on that resource only.
 * A comment must say why and name the compensating control, as nag
 * acknowledgements do.
 */
export class CheckovSkips {
  /** The shortest comment accepted: enough to name a control. */
  public static readonly MIN_COMMENT_LENGTH = 40;

  /**
   * Skips the checks on `scope`'s own CloudFormation resource (the construct
   * itself, or its default child, e.g. a Function's `Resource`).
   */
  public static add(scope: IConstruct, skips: CheckovSkip[]): void {
    const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
    if (!resource || !CfnResource.isCfnResource(resource)) {
      throw new Error(`${scope.node.path} has no CloudFormation resource of its own: skip checkov checks on the construct that owns one.`);
    }
    for (const skip of skips) {
      if (!/^CKV2?_AWS_\d+$/.test(skip.id)) throw new Error(`"${skip.id}" is not a checkov AWS check id (CKV_AWS_<n> or CKV2_AWS_<n>).`);
      if (!skip.comment || skip.comment.trim().length < CheckovSkips.MIN_COMMENT_LENGTH) {
        throw new Error(`The checkov skip of ${skip.id} on ${scope.node.path} needs a comment of at least ${CheckovSkips.MIN_COMMENT_LENGTH} characters that names the compensating control.`);
      }
    }
    const existing: CheckovSkip[] = (resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined)?.skip ?? [];
    const merged = [...existing.filter((e) => !skips.some((s) => s.id === e.id)), ...skips.map((s) => ({ id: s.id, comment: s.comment }))];
    resource.addMetadata('checkov', { skip: merged });
  }

  private constructor() {}
}
