import { CfnResource, IAspect } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { NagAcknowledgement } from './nag-acknowledgement';

/** One suppression as cdk-nag 2 reads it from a resource's `cdk_nag` metadata. */
interface NagV2Rule {
  readonly id: string;
  readonly reason: string;
  readonly applies_to?: string[];
}

/** A cdk-nag 3 finding id taken apart: the rule, and the granular finding in brackets if any. */
export interface NagFindingId {
  /** The rule, e.g. `AwsSolutions-IAM5`. */
  readonly ruleId: string;
  /**
   * The finding, e.g. `Action::s3:*`.
   * @default - the whole rule
   */
  readonly finding?: string;
}

/**
 * Writes acknowledgements as cdk-nag 2 reads them: `Metadata.cdk_nag.rules_to_suppress`
 * on each CloudFormation resource (what its NagSuppressions writes). cdk-nag 3
 * reads Validations acknowledgements instead; Freshet writes both, so either
 * major honours the same reasons.
 *
 * cdk-nag 3 names a granular finding `AwsSolutions-IAM5[Action::s3:*]`; cdk-nag 2
 * names the rule `AwsSolutions-IAM5` and the finding in `applies_to`.
 */
export class NagV2Suppressions implements IAspect {
  /** Adds the acknowledgements to one resource's cdk-nag 2 suppressions, merging with those already there. */
  public static write(resource: CfnResource, acknowledgements: NagAcknowledgement[]): void {
    const rules: NagV2Rule[] = [...(resource.getMetadata('cdk_nag')?.rules_to_suppress ?? [])];
    for (const ack of acknowledgements) {
      const { ruleId, finding } = NagV2Suppressions.split(ack.id);
      const same = rules.findIndex((rule) => rule.id === ruleId && rule.reason === ack.reason);
      if (same < 0) {
        rules.push(finding ? { id: ruleId, reason: ack.reason, applies_to: [finding] } : { id: ruleId, reason: ack.reason });
        continue;
      }
      const existing = rules[same];
      // A rule acknowledged whole already covers every finding of it.
      if (!existing.applies_to || !finding || existing.applies_to.includes(finding)) continue;
      rules[same] = { ...existing, applies_to: [...existing.applies_to, finding] };
    }
    resource.addMetadata('cdk_nag', { rules_to_suppress: rules });
  }

  /** `AwsSolutions-IAM5[Action::s3:*]` → the rule id and the finding. */
  public static split(id: string): NagFindingId {
    const match = /^([^[\]]+)\[(.+)\]$/.exec(id);
    return match ? { ruleId: match[1], finding: match[2] } : { ruleId: id };
  }

  constructor(private readonly acknowledgements: NagAcknowledgement[]) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node)) {
      NagV2Suppressions.write(node, this.acknowledgements);
    }
  }
}
