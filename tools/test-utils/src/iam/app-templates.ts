import * as fs from 'node:fs';
import { Stack, Stage } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CfnTemplate, ResolveOptions, TemplateResolver } from '../asl/synthesized-definition';

/** The fixed account, region and partition every template of the harness is resolved for. */
export interface TestEnvironment {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

export const TEST_ENVIRONMENT: TestEnvironment = { account: '123456789012', region: 'us-east-1', partition: 'aws' };

/** One stack's template, as written to cdk.out, with the resolver of its intrinsics. */
export interface StackTemplate {
  /** The artifact id (the template's file name without `.template.json`). */
  readonly name: string;
  readonly template: CfnTemplate;
  readonly resolver: TemplateResolver;
  /** The options the resolver runs with (environment, stack name, the app's exports): for `synthesizedDefinition`. */
  readonly options: ResolveOptions;
}

/** A template given by hand: its name and content, and the account and region its stack deploys to. */
export interface NamedTemplate {
  readonly name: string;
  readonly template: CfnTemplate;
  /** @default the harness's test environment */
  readonly env?: Partial<TestEnvironment>;
}

/**
 * The templates of a cloud assembly, nested stage assemblies included, read
 * from the files `cdk deploy` would upload.
 */
export function assemblyTemplates(assembly: cxapi.CloudAssembly | string, recursive = true): NamedTemplate[] {
  const cloud = typeof assembly === 'string' ? new cxapi.CloudAssembly(assembly) : assembly;
  return (recursive ? cloud.stacksRecursively : cloud.stacks).map((stack) => ({
    name: stack.id,
    template: JSON.parse(fs.readFileSync(stack.templateFullPath, 'utf-8')) as CfnTemplate,
    env: {
      account: /^\d{12}$/.test(stack.environment.account) ? stack.environment.account : undefined,
      region: /^[a-z]{2}(-[a-z]+)+-\d$/.test(stack.environment.region) ? stack.environment.region : undefined,
    },
  }));
}

/**
 * Synthesizes the app and returns the templates of the stage that holds the
 * scope: one environment of the app (cross-stack references never cross a stage).
 */
export function stageTemplates(scope: Stack | Stage): NamedTemplate[] {
  const stage = Stage.isStage(scope) ? scope : Stage.of(scope);
  if (!stage) throw new Error(`${scope.node.path} is not inside an App or Stage.`);
  const chain: Stage[] = [stage];
  while (Stage.of(chain[0])) chain.unshift(Stage.of(chain[0])!);
  let assembly = chain[0].synth({ force: true });
  for (const nested of chain.slice(1)) assembly = assembly.getNestedAssembly(nested.artifactId);
  return assemblyTemplates(assembly, false);
}

/**
 * Builds a resolver per template. Cross-stack references (CDK's exports and
 * `Fn::ImportValue`) resolve to the exporting stack's value: the exports
 * are resolved in rounds, so an export that itself imports resolves too.
 */
export function resolveTemplates(templates: NamedTemplate[], env: TestEnvironment = TEST_ENVIRONMENT): StackTemplate[] {
  const imports: Record<string, unknown> = {};
  const envs = new Map(templates.map((t) => [t.name, t.env ?? {}]));
  const options = (name: string): ResolveOptions => {
    const own = envs.get(name) ?? {};
    return { ...env, account: own.account ?? env.account, region: own.region ?? env.region, stackName: name, imports };
  };
  for (let round = 0; round < 4; round++) {
    let added = 0;
    for (const { name, template } of templates) {
      const resolver = new TemplateResolver(template, options(name));
      for (const output of Object.values((template.Outputs ?? {}) as Record<string, any>)) {
        const exportName = output.Export?.Name;
        if (exportName === undefined) continue;
        try {
          const key = String(resolver.resolve(exportName));
          if (key in imports) continue;
          imports[key] = resolver.resolve(output.Value);
          added++;
        } catch {
          // An export that imports one not resolved yet: the next round gets it.
        }
      }
    }
    if (added === 0) break;
  }
  return templates.map(({ name, template }) => ({ name, template, options: options(name), resolver: new TemplateResolver(template, options(name)) }));
}
