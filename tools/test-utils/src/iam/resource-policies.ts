import type { ModelResource, PermissionModel } from './permission-model';

/** A resource policy document and the resource it came from. */
export interface ResourcePolicy {
  readonly name: string;
  readonly document: any;
}

/**
 * Finds the resource policy that applies to a resource ARN in the templates:
 * S3 bucket policies, KMS key policies, SQS queue and SNS topic policies,
 * Lambda permissions (turned into the policy Lambda keeps), role trust
 * policies (for `sts:AssumeRole`) and Secrets Manager resource policies.
 */
export class ResourcePolicies {
  constructor(private readonly model: PermissionModel) {}

  public forResource(arn: string, action: string): ResourcePolicy | undefined {
    const [, , service = ''] = arn.split(':');
    switch (service) {
      case 's3': return this.bucketPolicy(arn);
      case 'kms': return this.keyPolicy(arn);
      case 'sqs': return this.attachedPolicy('AWS::SQS::QueuePolicy', 'Queues', (q) => q === arn || String(q).split('/').pop() === arn.split(':').pop());
      case 'sns': return this.attachedPolicy('AWS::SNS::TopicPolicy', 'Topics', (t) => t === arn);
      case 'lambda': return this.lambdaPolicy(arn);
      case 'iam': return action.toLowerCase().startsWith('sts:') ? this.trustPolicy(arn) : undefined;
      case 'secretsmanager': return this.secretPolicy(arn);
      default: return undefined;
    }
  }

  private bucketPolicy(arn: string): ResourcePolicy | undefined {
    const bucket = arn.replace(/^arn:[^:]+:s3:::/, '').split('/')[0];
    return this.attachedPolicy('AWS::S3::BucketPolicy', 'Bucket', (b) => b === bucket);
  }

  private keyPolicy(arn: string): ResourcePolicy | undefined {
    const key = this.model.resources.find((r) => r.type === 'AWS::KMS::Key' && r.arn === arn);
    if (!key) return undefined;
    return { name: `${key.path ?? key.logicalId} (key policy)`, document: key.properties.KeyPolicy };
  }

  private trustPolicy(arn: string): ResourcePolicy | undefined {
    const role = this.model.resources.find((r) => r.type === 'AWS::IAM::Role' && r.arn === arn);
    if (!role) return undefined;
    return { name: `${role.path ?? role.logicalId} (trust policy)`, document: role.properties.AssumeRolePolicyDocument };
  }

  private secretPolicy(arn: string): ResourcePolicy | undefined {
    return this.attachedPolicy('AWS::SecretsManager::ResourcePolicy', 'SecretId', (s) => s === arn, 'ResourcePolicy');
  }

  /** The policy resources of a type whose target property names the resource, merged into one document. */
  private attachedPolicy(type: string, targetProperty: string, matches: (target: unknown) => boolean, documentProperty = 'PolicyDocument'): ResourcePolicy | undefined {
    const attached = this.model.resources.filter((r) => {
      if (r.type !== type) return false;
      const targets = r.properties[targetProperty];
      return (Array.isArray(targets) ? targets : [targets]).some(matches);
    });
    if (attached.length === 0) return undefined;
    return {
      name: attached.map((r) => r.path ?? r.logicalId).join(' + '),
      document: { Version: '2012-10-17', Statement: attached.flatMap((r) => statementsOf(r.properties[documentProperty])) },
    };
  }

  /** The policy Lambda builds from the function's AWS::Lambda::Permission resources. */
  private lambdaPolicy(arn: string): ResourcePolicy | undefined {
    const functionArn = arn.split(':').slice(0, 7).join(':');
    const fn = this.model.resources.find((r) => r.type === 'AWS::Lambda::Function' && r.arn === functionArn);
    const names = new Set([functionArn, arn, fn?.ref].filter((n) => n !== undefined));
    const permissions = this.model.resources.filter((r) => r.type === 'AWS::Lambda::Permission' && names.has(r.properties.FunctionName));
    if (permissions.length === 0) return undefined;
    return {
      name: permissions.map((p) => p.path ?? p.logicalId).join(' + '),
      document: { Version: '2012-10-17', Statement: permissions.map((p) => permissionStatement(p, arn)) },
    };
  }
}

function statementsOf(document: any): any[] {
  const statements = document?.Statement ?? [];
  return Array.isArray(statements) ? statements : [statements];
}

function permissionStatement(permission: ModelResource, resource: string): any {
  const p = permission.properties;
  const principal = String(p.Principal);
  const condition: Record<string, Record<string, string>> = {};
  if (p.SourceArn !== undefined) condition.ArnLike = { 'aws:SourceArn': p.SourceArn };
  if (p.SourceAccount !== undefined) condition.StringEquals = { 'aws:SourceAccount': p.SourceAccount };
  if (p.PrincipalOrgID !== undefined) condition.StringEquals = { ...(condition.StringEquals ?? {}), 'aws:PrincipalOrgID': p.PrincipalOrgID };
  return {
    Sid: permission.logicalId,
    Effect: 'Allow',
    Principal: principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
    Action: p.Action,
    Resource: resource,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}
