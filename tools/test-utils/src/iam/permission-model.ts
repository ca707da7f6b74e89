import { getDenialReasons, getGrantReasons, runSimulation, Simulation, RunSimulationResults, RequestAnalysis } from '@cloud-copilot/iam-simulate';
import { CfnResource, Stack, Stage, Token } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { assemblyTemplates, NamedTemplate, resolveTemplates, StackTemplate, stageTemplates, TEST_ENVIRONMENT, TestEnvironment } from './app-templates';
import { impliedCalls } from './implied-calls';
import { OWN_USER_ID, PermissionCall, PermissionDecision } from './permission-call';
import { ResourcePolicies } from './resource-policies';
import { AslDefinition, roleUniqueId, synthesizedDefinition } from '../asl/synthesized-definition';

/** A resource of one of the templates, with its deploy-time references resolved. */
export interface ModelResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** The `aws:cdk:path` metadata, when the template has it. */
  readonly path?: string;
  /** What `Ref` gives (as the harness fakes it). */
  readonly ref: unknown;
  /** What `Fn::GetAtt <id>.Arn` gives, for types that have an ARN. */
  readonly arn?: string;
  /** The resource's properties, every intrinsic resolved (undefined when they cannot be). */
  readonly properties: Record<string, any>;
}

/** A named identity policy document. */
export interface NamedPolicy {
  readonly name: string;
  readonly document: any;
}

/**
 * The IAM of a synthesized app: the roles, their identity policies and the
 * resource policies of every template, resolved for a fixed test account and
 * region, and a decision on each call evaluated by `@cloud-copilot/iam-simulate`.
 */
export class PermissionModel {
  /** Every template of the app (nested stage assemblies included) that holds the stack. */
  public static fromStack(scope: Stack | Stage, env?: TestEnvironment): PermissionModel {
    const templates = stageTemplates(scope);
    return new PermissionModel(templates, env ?? environmentOf(scope), constructPaths(scope));
  }

  /** Every template of a cloud assembly directory (e.g. `apps/ml-platform/cdk.out`) or object. */
  public static fromAssembly(assembly: cxapi.CloudAssembly | string, env: TestEnvironment = TEST_ENVIRONMENT): PermissionModel {
    return new PermissionModel(assemblyTemplates(assembly), env);
  }

  /** Templates given by name and content. */
  public static fromTemplates(templates: NamedTemplate[], env: TestEnvironment = TEST_ENVIRONMENT): PermissionModel {
    return new PermissionModel(templates, env);
  }

  public readonly stacks: StackTemplate[];
  public readonly resources: ModelResource[];
  private readonly resourcePolicies: ResourcePolicies;
  private readonly decided = new Map<string, Promise<Omit<PermissionDecision, 'call'>>>();

  private constructor(templates: NamedTemplate[], public readonly env: TestEnvironment, paths: Map<string, string> = new Map()) {
    this.stacks = resolveTemplates(templates, env);
    this.resources = this.stacks.flatMap((stack) => Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => {
      const tryResolve = (value: unknown) => {
        try {
          return stack.resolver.resolve(value);
        } catch {
          return undefined;
        }
      };
      const arn = tryResolve({ 'Fn::GetAtt': [logicalId, 'Arn'] });
      return {
        stack: stack.name,
        logicalId,
        type: resource.Type,
        path: (resource as any).Metadata?.['aws:cdk:path'] ?? paths.get(`${stack.name}/${logicalId}`),
        ref: tryResolve({ Ref: logicalId }),
        arn: typeof arn === 'string' && arn.startsWith('arn:') ? arn : undefined,
        properties: tryResolve(resource.Properties ?? {}) ?? {},
      };
    }));
    this.resourcePolicies = new ResourcePolicies(this);
  }

  /**
   * The definition of a state machine of the app (by construct path or
   * logical id), resolved as the harness resolves every template, so the
   * ARNs its tasks call are the ones the policies name.
   */
  public stateMachineDefinition(pathOrLogicalId: string): AslDefinition {
    const machines = this.resourcesOfType('AWS::StepFunctions::StateMachine')
      .filter((r) => r.logicalId === pathOrLogicalId || r.path === pathOrLogicalId || r.path === `${pathOrLogicalId}/Resource`);
    if (machines.length !== 1) throw new Error(`"${pathOrLogicalId}" matches ${machines.length} state machines of the app.`);
    const stack = this.stacks.find((s) => s.name === machines[0].stack)!;
    return synthesizedDefinition(stack.template, machines[0].logicalId, stack.options);
  }

  /** The resources of a type, optionally only those under a construct path. */
  public resourcesOfType(type: string, underPath?: string): ModelResource[] {
    return this.resources.filter((r) => r.type === type && (underPath === undefined || (r.path ?? '').startsWith(underPath + '/')));
  }

  /** The resource whose ARN (or, for buckets, queues and names, whose Ref) is the given value. */
  public resourceByArnOrRef(value: string, type?: string): ModelResource | undefined {
    return this.resources.find((r) => (type === undefined || r.type === type) && (r.arn === value || r.ref === value));
  }

  /**
   * The role a principal names: its ARN, its logical id, or a construct path
   * (the role's own, its `/Resource`, a Lambda function's or state machine's
   * (their execution role), or a construct holding exactly one role).
   */
  public role(principal: string): ModelResource {
    const roles = this.resourcesOfType('AWS::IAM::Role');
    let found: ModelResource[];
    if (principal.startsWith('arn:')) {
      found = roles.filter((r) => r.arn === principal);
    } else if (principal.includes('/')) {
      found = roles.filter((r) => r.path === principal || r.path === `${principal}/Resource`);
      // A function or state machine stands for its execution role.
      const runner = this.resources.find((r) => (r.type === 'AWS::Lambda::Function' || r.type === 'AWS::StepFunctions::StateMachine')
        && (r.path === principal || r.path === `${principal}/Resource`));
      if (found.length === 0 && runner) found = roles.filter((r) => r.arn === (runner.properties.Role ?? runner.properties.RoleArn));
      if (found.length === 0) found = roles.filter((r) => (r.path ?? '').startsWith(`${principal}/`));
    } else {
      found = roles.filter((r) => r.logicalId === principal);
    }
    if (found.length !== 1) {
      const known = roles.map((r) => r.path ?? r.logicalId).join('\n  ');
      throw new Error(`Principal "${principal}" matches ${found.length} roles of the app; give a role ARN, logical id or construct path. Roles:\n  ${known}`);
    }
    return found[0];
  }

  /** Whether a value is the ARN of a role of the templates. */
  public hasRole(arn: unknown): arn is string {
    return typeof arn === 'string' && this.resources.some((r) => r.type === 'AWS::IAM::Role' && r.arn === arn);
  }

  /** The identity policies of a role: inline, managed (customer ones in the templates) and the AWS::IAM::Policy resources attached to it. */
  public identityPolicies(role: ModelResource): { policies: NamedPolicy[]; unknownManagedPolicies: string[] } {
    const policies: NamedPolicy[] = [];
    const unknownManagedPolicies: string[] = [];
    for (const inline of role.properties.Policies ?? []) {
      policies.push({ name: `${role.logicalId}:${inline.PolicyName}`, document: inline.PolicyDocument });
    }
    for (const arn of role.properties.ManagedPolicyArns ?? []) {
      const managed = this.resources.find((r) => r.type === 'AWS::IAM::ManagedPolicy' && r.ref === arn);
      if (managed) policies.push({ name: managed.path ?? managed.logicalId, document: managed.properties.PolicyDocument });
      else unknownManagedPolicies.push(String(arn));
    }
    for (const attached of this.resources) {
      if (attached.type !== 'AWS::IAM::Policy' && attached.type !== 'AWS::IAM::ManagedPolicy') continue;
      const roles: unknown[] = attached.properties.Roles ?? [];
      if (!roles.includes(role.ref) || policies.some((p) => p.document === attached.properties.PolicyDocument)) continue;
      policies.push({ name: attached.path ?? attached.logicalId, document: attached.properties.PolicyDocument });
    }
    return { policies, unknownManagedPolicies };
  }

  /** Evaluates calls in order; each decision carries the calls the service makes on the caller's behalf. */
  public async evaluateAll(calls: PermissionCall[]): Promise<PermissionDecision[]> {
    const decisions: PermissionDecision[] = [];
    for (const call of calls) decisions.push(await this.evaluate(call));
    return decisions;
  }

  /** Evaluates one call, and the KMS (or other) calls a service makes on its behalf. */
  public async evaluate(call: PermissionCall): Promise<PermissionDecision> {
    const decision = await this.evaluateOne(call);
    const implied: PermissionDecision[] = [];
    for (const sub of impliedCalls(this, call)) implied.push(await this.evaluateOne(sub));
    return { ...decision, implied };
  }

  /** Decides a call, once per distinct (principal, action, resource, context): scenarios repeat many calls. */
  private async evaluateOne(call: PermissionCall): Promise<PermissionDecision> {
    const key = JSON.stringify([call.principal, call.action, call.resource, call.context ?? {}]);
    if (!this.decided.has(key)) this.decided.set(key, this.simulate(call));
    return { ...(await this.decided.get(key)!), call };
  }

  private async simulate(call: PermissionCall): Promise<PermissionDecision> {
    const servicePrincipal = /\.amazonaws\.com(\.cn)?$/.test(call.principal);
    let principalArn: string;
    let requestPrincipal: string;
    let identity: NamedPolicy[] = [];
    let unknownManaged: string[] = [];
    const context: Record<string, string | string[]> = { 'aws:SecureTransport': 'true', 'aws:RequestedRegion': this.env.region };
    if (servicePrincipal) {
      principalArn = call.principal;
      requestPrincipal = call.principal;
    } else {
      const role = this.role(call.principal);
      principalArn = role.arn!;
      // Services and functions call with a session of the role, not as the role itself.
      const roleAccount = principalArn.split(':')[4];
      requestPrincipal = `arn:${this.env.partition}:sts::${roleAccount}:assumed-role/${String(role.ref)}/freshet-harness`;
      Object.assign(context, {
        'aws:PrincipalArn': principalArn,
        'aws:PrincipalAccount': roleAccount,
        'aws:PrincipalType': 'AssumedRole',
        'aws:userid': userId(role),
      });
      ({ policies: identity, unknownManagedPolicies: unknownManaged } = this.identityPolicies(role));
    }
    for (const [key, value] of Object.entries(call.context ?? {})) {
      context[key] = value === OWN_USER_ID ? String(context['aws:userid'] ?? 'anonymous') : value;
    }
    const resourcePolicy = this.resourcePolicies.forResource(call.resource, call.action);
    // A resource of another account that the templates do not hold (an AWS-owned ECR repository of the
    // algorithm images): its policy is unknown, so only the caller's side is evaluated, as for a same-account call.
    let account = resourceAccount(call.resource, this.env.account);
    if (account !== this.env.account && !resourcePolicy) account = this.env.account;
    const simulation: Simulation = {
      request: {
        principal: requestPrincipal,
        action: call.action,
        resource: { resource: call.resource, accountId: account },
        contextVariables: context,
      },
      identityPolicies: identity.map((p) => ({ name: p.name, policy: withEncryptionContextShim(p.document) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resourcePolicy ? withEncryptionContextShim(resourcePolicy.document) : undefined,
    };
    simulation.request.contextVariables = withEncryptionContextShim(simulation.request.contextVariables);
    const response = await runSimulation(simulation, {});
    return this.decision(call, principalArn, response, identity, resourcePolicy?.name, unknownManaged);
  }

  private decision(
    call: PermissionCall, principalArn: string, response: RunSimulationResults, identity: NamedPolicy[],
    resourcePolicyName: string | undefined, unknownManaged: string[],
  ): PermissionDecision {
    if (response.resultType === 'error') {
      return { call, principalArn, allowed: false, result: 'Error', reason: `the simulator rejected the request: ${response.errors.message} ${JSON.stringify(response.errors)}`, implied: [] };
    }
    const analyses: RequestAnalysis[] = response.resultType === 'single' ? [response.result.analysis] : response.results.map((r) => r.analysis);
    const result = response.overallResult;
    const name = (policyType: string, identifier?: string) =>
      policyType === 'resource' ? `resource policy ${resourcePolicyName ?? '(none)'}` : `${policyType} policy ${identifier ?? ''}`.trim();
    let reason: string;
    if (result === 'Allowed') {
      const grants = analyses.flatMap((a) => getGrantReasons(a));
      reason = 'allowed by ' + (grants.map((g) => `${name(g.policyType, (g as any).policyIdentifier)} statement ${g.statementId ?? '#' + g.statementIndex}`).join('; ') || 'the account (same-account default)');
    } else {
      const denials = analyses.flatMap((a) => getDenialReasons(a));
      const parts = denials.map((d) => d.denialType === 'Explicit'
        ? `explicit Deny in ${name(d.policyType, d.policyIdentifier)} statement ${d.statementId ?? '#' + d.statementIndex}`
        : `no statement of the ${d.policyType} ${d.policyType === 'resource' ? `policy ${resourcePolicyName ?? '(none)'}` : 'policies'} allows it`);
      reason = parts.join('; ') || result;
      reason += ` (identity policies: ${identity.map((p) => p.name).join(', ') || 'none'})`;
      if (unknownManaged.length > 0) reason += `; AWS managed policies not evaluated: ${unknownManaged.join(', ')}`;
    }
    return { call, principalArn, allowed: result === 'Allowed', result, reason, implied: [] };
  }
}

/** The stack's (or stage's) own account and region when they are concrete, else the test environment. */
function environmentOf(scope: Stack | Stage): TestEnvironment {
  const account = Stack.isStack(scope) ? scope.account : scope.account;
  const region = Stack.isStack(scope) ? scope.region : scope.region;
  return {
    account: account && !Token.isUnresolved(account) ? account : TEST_ENVIRONMENT.account,
    region: region && !Token.isUnresolved(region) ? region : TEST_ENVIRONMENT.region,
    partition: TEST_ENVIRONMENT.partition,
  };
}

/**
 * The construct path of every CloudFormation resource of the app, by
 * `<artifact id>/<logical id>`: apps synthesized outside the CLI carry no
 * `aws:cdk:path` metadata, so the paths come from the construct tree.
 */
function constructPaths(scope: Stack | Stage): Map<string, string> {
  let root: IConstruct = scope;
  while (root.node.scope) root = root.node.scope;
  const paths = new Map<string, string>();
  for (const construct of root.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const stack = Stack.of(construct);
    paths.set(`${stack.artifactId}/${stack.resolve(construct.logicalId)}`, construct.node.path);
  }
  return paths;
}

/** The stand-in of `kms:EncryptionContext:<key>` (see {@link withEncryptionContextShim}). */
const ENCRYPTION_CONTEXT_SHIM = 'aws:RequestTag/freshet-kms-encryption-context/';

/**
 * @cloud-copilot/iam-simulate 0.1.173 matches variable condition keys only
 * after a `/` (`aws:ResourceTag/${TagKey}`), so it drops
 * `kms:EncryptionContext:${EncryptionContextKey}` from the request and every
 * condition on it fails as missing (a false denial of, e.g., Firehose's
 * `kms:EncryptionContext:aws:s3:arn` grant). The harness renames that key,
 * the same way in the policies and in the request, to a global key with a `/`
 * variable the simulator keeps (a string key, like the original): the
 * evaluation is unchanged otherwise. Remove once the library matches it.
 */
function withEncryptionContextShim<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withEncryptionContextShim) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => {
    const match = /^kms:EncryptionContext:(.+)$/i.exec(key);
    return [match ? `${ENCRYPTION_CONTEXT_SHIM}${match[1]}` : key, withEncryptionContextShim(inner)];
  })) as T;
}

/** A role session's `aws:userid`: the role's unique id (a fake derived from the logical id) and the session name. */
function userId(role: ModelResource): string {
  return `${roleUniqueId(role.logicalId)}:freshet-harness`;
}

/** The account that owns a resource: the ARN's account field, or the test account (S3, IAM and `*`). */
function resourceAccount(arn: string, account: string): string {
  const field = arn.split(':')[4];
  return field && /^\d{12}$/.test(field) ? field : account;
}
