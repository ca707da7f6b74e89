import * as fs from 'node:fs';
import * as path from 'node:path';
import { AssemblyStack } from '@freshet/cost';
import { CfnTemplate, TemplateResolver } from '@freshet/test-utils';

/** A stack's template as synthesized (the manifest names its file). */
export function templateOf(stack: AssemblyStack): CfnTemplate {
  const manifest = JSON.parse(fs.readFileSync(path.join(stack.assemblyDir, 'manifest.json'), 'utf8'));
  const file = manifest.artifacts?.[stack.artifactId]?.properties?.templateFile ?? `${stack.artifactId}.template.json`;
  return JSON.parse(fs.readFileSync(path.join(stack.assemblyDir, file), 'utf8'));
}

/**
 * Resolves a stage's references the way the rest of the replay does (test-utils' fakeReference: a bucket is its
 * lowercased logical id, a function ARN names its logical id, ...), across stacks through their exports.
 */
export class StageResolver {
  readonly imports: Record<string, unknown> = {};

  constructor(private readonly stacks: AssemblyStack[]) {
    for (const stack of stacks) {
      const template = templateOf(stack);
      const resolver = new TemplateResolver(template, { stackName: stack.stackName });
      for (const output of Object.values((template.Outputs ?? {}) as Record<string, any>)) {
        if (!output?.Export?.Name) continue;
        try {
          this.imports[String(resolver.resolve(output.Export.Name))] = resolver.resolve(output.Value);
        } catch {
          // An export nothing the replay reads imports may hold what the resolver does not model.
        }
      }
    }
  }

  /** The stack holding a resource. */
  stackOf(logicalId: string): AssemblyStack {
    const stack = this.stacks.find((s) => s.resources.some((r) => r.logicalId === logicalId));
    if (!stack) throw new Error(`${logicalId} is in none of the stage's stacks.`);
    return stack;
  }

  /** A function's environment with every reference resolved to a string. */
  environment(logicalId: string, environment: Record<string, unknown>): Record<string, string> {
    const stack = this.stackOf(logicalId);
    const resolver = new TemplateResolver(templateOf(stack), { stackName: stack.stackName, imports: this.imports });
    return Object.fromEntries(Object.entries(environment).map(([k, v]) => {
      const value = resolver.resolve(v);
      return [k, typeof value === 'string' ? value : JSON.stringify(value)];
    }));
  }
}
