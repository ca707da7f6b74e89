import { AspectPriority, Aspects, IAspect, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { NagAcknowledgements } from './nag-acknowledgement';
import { NagV2Suppressions } from './nag-v2-suppressions';

/** Options of {@link WildcardPermissions.acknowledge}. */
export interface WildcardPermissionsOptions {
  /** Why the wildcards are needed, naming the compensating control. */
  readonly reason: string;
  /**
   * The findings that may be acknowledged, as patterns where `*` matches
   * anything, e.g. `Action::kms:GenerateDataKey*` or `Resource::*\/raw/stocks/*`.
   * A wildcard finding that matches none stays unacknowledged, so a grant
   * added later is still reported.
   */
  readonly allowedFindings: string[];
}

/**
 * Acknowledges cdk-nag's `AwsSolutions-IAM5` wildcard findings on the IAM
 * policies under a scope, one finding at a time, as the rule reports them
 * (`AwsSolutions-IAM5[Action::s3:GetObject*]`, `...[Resource::<Bucket.Arn>/raw/*]`).
 *
 * The findings are computed at synthesis, after every grant has landed, and
 * only those matching `allowedFindings` are acknowledged, on the policy
 * resource itself.
 */
export class WildcardPermissions implements IAspect {
  /** Acknowledges the allowed wildcard findings of every policy under `scope`. */
  public static acknowledge(scope: IConstruct, options: WildcardPermissionsOptions): void {
    if (options.reason.trim().length < 40) {
      throw new Error(`The wildcard acknowledgement on ${scope.node.path} needs a reason of at least 40 characters that names the compensating control.`);
    }
    if (options.allowedFindings.length === 0) {
      throw new Error(`The wildcard acknowledgement on ${scope.node.path} allows no findings: list the patterns it covers.`);
    }
    // Before cdk-nag 2's checks (default priority), which read the suppressions as they visit.
    Aspects.of(scope).add(new WildcardPermissions(options), { priority: AspectPriority.MUTATING });
  }

  /**
   * Acknowledges the generated default policy of a role the construct owns:
   * its allowed wildcard findings, and NIST's inline-policy rule (the policy
   * is attached to this one role and generated from the construct's grants).
   * Call it after the grants, once the policy exists.
   */
  public static acknowledgeRolePolicy(role: iam.Role, options: WildcardPermissionsOptions): void {
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (!policy) {
      return;
    }
    WildcardPermissions.acknowledge(policy, options);
    NagAcknowledgements.add(policy, [{
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason: `The policy belongs to this role alone and is generated from the construct's grants. ${options.reason}`,
    }]);
  }

  /** The wildcard findings of a resolved policy document, named as cdk-nag's IAM5 rule names them. */
  public static findingsOf(policyDocument: any): string[] {
    const findings = new Set<string>();
    for (const statement of policyDocument?.Statement ?? []) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [].concat(statement.Action ?? [])) {
        if (String(action).includes('*')) findings.add(`Action::${action}`);
      }
      for (const resource of [].concat(statement.Resource ?? [])) {
        const flat = flattenReference(resource);
        if (flat.includes('*')) findings.add(`Resource::${flat}`);
      }
    }
    return [...findings];
  }

  private readonly patterns: RegExp[];

  private constructor(private readonly options: WildcardPermissionsOptions) {
    this.patterns = options.allowedFindings.map(
      (pattern) => new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`),
    );
  }

  /** Acknowledges the allowed findings of one policy resource. */
  public visit(node: IConstruct): void {
    if (!(node instanceof iam.CfnPolicy || node instanceof iam.CfnManagedPolicy)) return;
    // cdk-nag 2 checks during the aspect pass, before cross-stack references become imports: name them as it does now.
    const early = WildcardPermissions.findingsOf(Stack.of(node).resolve(node.policyDocument));
    NagV2Suppressions.write(node, this.allowed(early).map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: this.options.reason })));
    // Validation runs after cross-stack references became imports, so the findings are named as in the template.
    node.node.addValidation({
      validate: () => {
        const document = Stack.of(node).resolve(node.policyDocument);
        for (const finding of this.allowed(WildcardPermissions.findingsOf(document))) {
          Validations.of(node).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: this.options.reason });
        }
        return [];
      },
    });
  }

  private allowed(findings: string[]): string[] {
    return findings.filter((finding) => this.patterns.some((pattern) => pattern.test(finding)));
  }
}

/** Flattens a CloudFormation reference the way cdk-nag names it: `<Logical.Arn>`, `<Ref>`, joined strings. */
function flattenReference(node: any): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (node['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'];
    return items.map(flattenReference).join(delimiter);
  }
  if (node['Fn::Sub']) return flattenReference(node['Fn::Sub']);
  if (node['Fn::GetAtt']) {
    const [resource, attribute] = node['Fn::GetAtt'];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (node['Fn::ImportValue']) return flattenReference(node['Fn::ImportValue']);
  if (node.Ref) return `<${flattenReference(node.Ref)}>`;
  return JSON.stringify(node);
}
