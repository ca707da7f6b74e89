import * as fs from 'node:fs';
import { Stack, Stage } from 'aws-cdk-lib';

/** A CloudFormation template as written to cdk.out. */
export interface CfnTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, any> }>;
  readonly Parameters?: Record<string, { readonly Type: string; readonly Default?: unknown }>;
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  readonly Conditions?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A parsed Amazon States Language definition (JSONPath flavour). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly Comment?: string;
  readonly TimeoutSeconds?: number;
  readonly [key: string]: unknown;
}

/** One state of an ASL definition; fields as the States Language names them. */
export interface AslState {
  readonly Type: string;
  readonly [key: string]: any;
}

/** Where the fake values of deploy-time references come from. */
export interface ResolveOptions {
  /** @default '123456789012' */
  readonly account?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'TestStack' */
  readonly stackName?: string;
  /** Values of template parameters (e.g. SSM-backed ones); otherwise each parameter's Default, else its name. */
  readonly parameters?: Record<string, unknown>;
  /** Values of `Fn::ImportValue` by export name; an import without one fails the resolution. */
  readonly imports?: Record<string, unknown>;
}

/** Picks the state machine: its logical id, or a predicate over logical id and resource. */
export type StateMachineSelector = string | ((logicalId: string, resource: { Type: string; Properties?: Record<string, any> }) => boolean);

/**
 * Synthesizes the app that holds `stack` (into the app's outdir, a temp
 * folder unless the app names one) and returns the stack's template read back
 * from the cloud assembly: the file `cdk deploy` would upload, not an
 * in-memory rendering of it.
 */
export function templateFromAssembly(stack: Stack): CfnTemplate {
  const stage = Stage.of(stack);
  if (!stage) throw new Error(`Stack ${stack.node.path} is not inside an App or Stage: create it with testStack() or new Stack(new App(), ...).`);
  const assembly = stage.synth({ force: true });
  const artifact = assembly.getStackArtifact(stack.artifactId);
  return JSON.parse(fs.readFileSync(artifact.templateFullPath, 'utf-8')) as CfnTemplate;
}

/** The logical ids of every AWS::StepFunctions::StateMachine in a template, sorted. */
export function stateMachineLogicalIds(template: CfnTemplate): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId]) => logicalId)
    .sort();
}

/**
 * The definition of one state machine in a synthesized template, with every
 * CloudFormation intrinsic resolved to a concrete value, parsed as ASL.
 *
 * Deploy-time values become deterministic fakes (see {@link fakeReference}),
 * so a test can assert on the exact ARN or name a task receives.
 * `DefinitionString` (string or `Fn::Join`/`Fn::Sub`), `Definition` (object)
 * and `DefinitionSubstitutions` are supported.
 */
export function synthesizedDefinition(template: CfnTemplate, selector: StateMachineSelector, options: ResolveOptions = {}): AslDefinition {
  const logicalId = selectStateMachine(template, selector);
  const properties = template.Resources![logicalId].Properties ?? {};
  const resolver = new TemplateResolver(template, options);
  let text: string;
  if (properties.DefinitionString !== undefined) {
    text = resolver.resolve(properties.DefinitionString);
  } else if (properties.Definition !== undefined) {
    text = JSON.stringify(resolver.resolve(properties.Definition));
  } else {
    throw new Error(`State machine ${logicalId} has neither DefinitionString nor Definition (DefinitionS3Location is not supported).`);
  }
  if (typeof text !== 'string') throw new Error(`DefinitionString of ${logicalId} did not resolve to a string.`);
  const substitutions = properties.DefinitionSubstitutions as Record<string, unknown> | undefined;
  for (const key of Object.keys(substitutions ?? {}).sort()) {
    const value = resolver.resolve(substitutions![key]);
    text = text.split('${' + key + '}').join(typeof value === 'string' ? value : JSON.stringify(value));
  }
  return JSON.parse(text) as AslDefinition;
}

function selectStateMachine(template: CfnTemplate, selector: StateMachineSelector): string {
  const ids = stateMachineLogicalIds(template);
  const matches = typeof selector === 'string'
    ? ids.filter((id) => id === selector)
    : ids.filter((id) => selector(id, template.Resources![id]));
  if (matches.length !== 1) {
    throw new Error(`Expected exactly one state machine to match, found ${matches.length} (state machines in the template: ${ids.join(', ') || 'none'}).`);
  }
  return matches[0];
}

/**
 * The fake value a `Ref` or `Fn::GetAtt` of a resource resolves to.
 * Deterministic: a function of the logical id, the resource type and the
 * account/region/partition, so tests can compute the expected value.
 *
 * - `Ref`: SNS topic, SQS queue URL-less types and other ARN-returning refs give
 *   the ARN below; S3 buckets give the lowercased logical id; IAM roles,
 *   Lambda functions, log groups, SageMaker resources and other name-returning
 *   refs give the logical id; KMS keys give `key-<logicalId>`.
 * - `Fn::GetAtt X.Arn`: `arn:<partition>:<service>:<region>:<account>:<type>/<logicalId>`,
 *   with the real shapes for IAM (`:iam::<account>:role/<id>`), S3
 *   (`:s3:::<bucket>`), Lambda (`:function:<id>`), SNS (`:<id>`), KMS
 *   (`:key/key-<id>`), Step Functions (`:stateMachine:<id>`) and log groups
 *   (`:log-group:<id>:*`) and alarms (`:alarm:<id>`).
 * - `Fn::GetAtt X.Name`/`.TopicName`/`.QueueName`/…Name: the logical id
 *   (buckets: lowercased); any other attribute: `<logicalId>.<attribute>`.
 */
export function fakeReference(logicalId: string, type: string, attribute: string | undefined, options: ResolveOptions = {}): string {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'us-east-1';
  const partition = options.partition ?? 'aws';
  const bucketName = logicalId.toLowerCase();
  const arn = (): string => {
    switch (type) {
      case 'AWS::IAM::Role': return `arn:${partition}:iam::${account}:role/${logicalId}`;
      case 'AWS::IAM::ManagedPolicy': return `arn:${partition}:iam::${account}:policy/${logicalId}`;
      case 'AWS::S3::Bucket': return `arn:${partition}:s3:::${bucketName}`;
      case 'AWS::Lambda::Function': return `arn:${partition}:lambda:${region}:${account}:function:${logicalId}`;
      case 'AWS::SNS::Topic': return `arn:${partition}:sns:${region}:${account}:${logicalId}`;
      case 'AWS::SQS::Queue': return `arn:${partition}:sqs:${region}:${account}:${logicalId}`;
      case 'AWS::KMS::Key': return `arn:${partition}:kms:${region}:${account}:key/key-${logicalId}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:${partition}:states:${region}:${account}:stateMachine:${logicalId}`;
      case 'AWS::Logs::LogGroup': return `arn:${partition}:logs:${region}:${account}:log-group:${logicalId}:*`;
      case 'AWS::KinesisFirehose::DeliveryStream': return `arn:${partition}:firehose:${region}:${account}:deliverystream/${logicalId}`;
      case 'AWS::IoT::TopicRule': return `arn:${partition}:iot:${region}:${account}:rule/${logicalId}`;
      case 'AWS::Scheduler::Schedule': return `arn:${partition}:scheduler:${region}:${account}:schedule/default/${logicalId}`;
      case 'AWS::SecretsManager::Secret': return `arn:${partition}:secretsmanager:${region}:${account}:secret:${logicalId}`;
      case 'AWS::CloudWatch::Alarm': return `arn:${partition}:cloudwatch:${region}:${account}:alarm:${logicalId}`;
      default: {
        const [, service = 'unknown', resourceType = 'resource'] = type.split('::');
        // The ARN's service prefix where it differs from the CloudFormation namespace.
        const prefix = ARN_SERVICES[service] ?? service.toLowerCase();
        return `arn:${partition}:${prefix}:${region}:${account}:${kebab(resourceType)}/${logicalId}`;
      }
    }
  };
  if (attribute === undefined) {
    switch (type) {
      case 'AWS::SNS::Topic':
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::IAM::ManagedPolicy':
        return arn();
      case 'AWS::SQS::Queue': return `https://sqs.${region}.amazonaws.com/${account}/${logicalId}`;
      case 'AWS::S3::Bucket': return bucketName;
      case 'AWS::KMS::Key': return `key-${logicalId}`;
      case 'AWS::SecretsManager::Secret': return arn();
      default: return logicalId;
    }
  }
  if (/^(Custom::|AWS::CloudFormation::CustomResource$)/.test(type) && /secret\w*arn$/i.test(attribute)) {
    // A custom resource that returns a secret's ARN (e.g. a namespace's managed admin secret): a Secrets Manager ARN.
    return `arn:${partition}:secretsmanager:${region}:${account}:secret:${logicalId}-${attribute.replace(/[^A-Za-z0-9]/g, '')}`;
  }
  if (attribute === 'Arn' || attribute.endsWith('Arn')) return arn();
  if (type === 'AWS::S3::Bucket' && attribute === 'DomainName') return `${bucketName}.s3.amazonaws.com`;
  if (type === 'AWS::S3::Bucket' && attribute === 'RegionalDomainName') return `${bucketName}.s3.${region}.amazonaws.com`;
  if (attribute === 'KeyId') return `key-${logicalId}`;
  if (type === 'AWS::IAM::Role' && attribute === 'RoleId') return roleUniqueId(logicalId);
  if (attribute.endsWith('Name')) return type === 'AWS::S3::Bucket' ? bucketName : logicalId;
  return `${logicalId}.${attribute}`;
}

/** A role's fake unique id (`AROA…`), derived from its logical id: the first part of its sessions' `aws:userid`. */
export function roleUniqueId(logicalId: string): string {
  return `AROA${logicalId.toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 17)}`;
}

const ARN_SERVICES: Record<string, string> = { RedshiftServerless: 'redshift-serverless', StepFunctions: 'states', KinesisFirehose: 'firehose' };

function kebab(text: string): string {
  return text.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Resolves CloudFormation intrinsics in a template fragment to concrete fakes (see {@link fakeReference}). */
export class TemplateResolver {
  private readonly conditionCache = new Map<string, boolean>();

  constructor(private readonly template: CfnTemplate, private readonly options: ResolveOptions) {}

  resolve(value: any): any {
    if (Array.isArray(value)) {
      return value.map((v) => this.resolve(v)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::') || keys[0] === 'Condition')) {
      return this.intrinsic(keys[0], value[keys[0]]);
    }
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolve(value[key]);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, arg: any): any {
    switch (name) {
      case 'Ref': return this.ref(arg);
      case 'Fn::GetAtt': {
        const [logicalId, ...attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return this.getAtt(logicalId, attribute.join('.'));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg;
        return (this.resolve(parts) as unknown[]).map((p) => this.scalar(p, 'Fn::Join')).join(separator);
      }
      case 'Fn::Sub': return this.sub(arg);
      case 'Fn::Select': {
        const [index, list] = arg;
        const items = this.resolve(list) as unknown[];
        return items[Number(this.resolve(index))];
      }
      case 'Fn::Split': {
        const [separator, source] = arg;
        return String(this.scalar(this.resolve(source), 'Fn::Split')).split(separator);
      }
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => this.resolve(a));
        const found = this.template.Mappings?.[map as string]?.[top as string]?.[second as string];
        if (found === undefined) throw new Error(`Fn::FindInMap: no ${map}.${top}.${second} in the template's Mappings.`);
        return found;
      }
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = arg;
        return this.resolve(this.condition(condition) ? whenTrue : whenFalse);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as unknown[]).map((x) => this.resolve(x));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not': return !this.truthy(arg[0]);
      case 'Fn::And': return (arg as unknown[]).every((c) => this.truthy(c));
      case 'Fn::Or': return (arg as unknown[]).some((c) => this.truthy(c));
      case 'Condition': return this.condition(arg);
      case 'Fn::Base64': return Buffer.from(String(this.resolve(arg))).toString('base64');
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.region}${z}`);
      case 'Fn::ImportValue': {
        const exportName = String(this.resolve(arg));
        if (!this.options.imports || !(exportName in this.options.imports)) {
          throw new Error(`Fn::ImportValue ${exportName}: give its value in options.imports.`);
        }
        return this.options.imports[exportName];
      }
      default:
        throw new Error(`Unsupported intrinsic ${name} in the state machine definition.`);
    }
  }

  private get region(): string { return this.options.region ?? 'us-east-1'; }

  private truthy(condition: unknown): boolean {
    const value = this.resolve(condition);
    if (typeof value !== 'boolean') throw new Error(`A condition resolved to ${JSON.stringify(value)}, not a boolean.`);
    return value;
  }

  private condition(name: string): boolean {
    if (!this.conditionCache.has(name)) {
      const definition = this.template.Conditions?.[name];
      if (definition === undefined) throw new Error(`Condition ${name} is not in the template.`);
      this.conditionCache.set(name, this.truthy(definition));
    }
    return this.conditionCache.get(name)!;
  }

  private scalar(value: unknown, where: string): string | number | boolean {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    throw new Error(`${where}: a part resolved to ${JSON.stringify(value)}, not a scalar.`);
  }

  private ref(name: string): unknown {
    const pseudo = this.pseudo(name);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (this.options.parameters && name in this.options.parameters) return this.options.parameters[name];
      return parameter.Default ?? name;
    }
    const resource = this.template.Resources?.[name];
    if (!resource) throw new Error(`Ref ${name}: no such parameter or resource in the template.`);
    return fakeReference(name, resource.Type, undefined, this.options);
  }

  private getAtt(logicalId: string, attribute: string): string {
    const resource = this.template.Resources?.[logicalId];
    if (!resource) throw new Error(`Fn::GetAtt ${logicalId}.${attribute}: no such resource in the template.`);
    return fakeReference(logicalId, resource.Type, attribute, this.options);
  }

  private pseudo(name: string): unknown {
    switch (name) {
      case 'AWS::Region': return this.region;
      case 'AWS::AccountId': return this.options.account ?? '123456789012';
      case 'AWS::Partition': return this.options.partition ?? 'aws';
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.options.stackName ?? 'TestStack';
      case 'AWS::StackId':
        return `arn:${this.options.partition ?? 'aws'}:cloudformation:${this.region}:${this.options.account ?? '123456789012'}:stack/${this.options.stackName ?? 'TestStack'}/00000000-0000-0000-0000-000000000000`;
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::NotificationARNs': return [];
      default: return undefined;
    }
  }

  private sub(arg: any): string {
    const [text, variables] = Array.isArray(arg) ? arg : [arg, {}];
    const resolvedVariables: Record<string, unknown> = {};
    for (const key of Object.keys(variables ?? {})) resolvedVariables[key] = this.resolve(variables[key]);
    return String(text).replace(/\$\{(!?)([^}]*)\}/g, (whole: string, literal: string, expression: string) => {
      if (literal) return '${' + expression + '}';
      if (expression in resolvedVariables) return String(this.scalar(resolvedVariables[expression], 'Fn::Sub'));
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return this.getAtt(expression.slice(0, dot), expression.slice(dot + 1));
      }
      const value = this.ref(expression);
      if (value === NO_VALUE) throw new Error(`Fn::Sub: ${whole} cannot be AWS::NoValue.`);
      return String(this.scalar(value, 'Fn::Sub'));
    });
  }
}

/** Marks AWS::NoValue, which removes the property or list item that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');
