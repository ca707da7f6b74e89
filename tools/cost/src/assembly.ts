import * as fs from 'fs';
import * as path from 'path';

/** One resource of a synthesized template, with where it sits in the app. */
export interface AssemblyResource {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, any>;
  /** The construct path from aws:cdk:path metadata (the logical id when the metadata is off). */
  readonly path: string;
  readonly stack: AssemblyStack;
}

/** One stack of a cloud assembly (nested stage assemblies included). */
export interface AssemblyStack {
  /** The artifact id in manifest.json, e.g. `FreshetPipelineDevData413C9E05`. */
  readonly artifactId: string;
  /** The deployed stack name, e.g. `Dev-Data`. */
  readonly stackName: string;
  /** The construct path of the stack, e.g. `FreshetPipeline/Dev/Data`. */
  readonly displayName: string;
  /** The folder of the (nested) assembly: stacks of one stage share it and may reference each other. */
  readonly assemblyDir: string;
  /** The account the stack deploys to (`environment` in the manifest); undefined when environment-agnostic. */
  readonly account?: string;
  readonly resources: AssemblyResource[];
}

interface Manifest {
  readonly artifacts?: Record<string, {
    readonly type: string;
    readonly displayName?: string;
    /** `aws://<account>/<region>`, with `unknown-account` for environment-agnostic stacks. */
    readonly environment?: string;
    readonly properties?: { readonly templateFile?: string; readonly stackName?: string; readonly directoryName?: string };
  }>;
}

/** Reads every stack of the cloud assembly in `dir`, descending into stage assemblies. */
export function readAssembly(dir: string): AssemblyStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`${dir} is not a cloud assembly (no manifest.json): synthesize the app first, e.g. npx nx run @freshet/ml-platform:synth.`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const stacks: AssemblyStack[] = [];
  for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...readAssembly(path.join(dir, artifact.properties.directoryName)));
    } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const { stackName, templateFile } = artifact.properties;
      const account = /^aws:\/\/(\d{12})\//.exec(artifact.environment ?? '')?.[1];
      stacks.push(readStack(dir, artifactId, artifact.displayName ?? artifactId, stackName ?? artifactId, templateFile, account));
    }
  }
  return stacks;
}

/** One template as a stack of its own (tests, and templates outside an assembly). */
export function stackFromTemplate(template: { Resources?: Record<string, any> }, name = 'Stack', assemblyDir = name, account?: string): AssemblyStack {
  return build(name, name, name, assemblyDir, template, account);
}

function readStack(dir: string, artifactId: string, displayName: string, stackName: string, templateFile: string, account?: string): AssemblyStack {
  const template = JSON.parse(fs.readFileSync(path.join(dir, templateFile), 'utf8'));
  return build(artifactId, stackName, displayName, dir, template, account);
}

function build(
  artifactId: string, stackName: string, displayName: string, assemblyDir: string, template: { Resources?: Record<string, any> }, account?: string,
): AssemblyStack {
  const resources: AssemblyResource[] = [];
  const stack: AssemblyStack = { artifactId, stackName, displayName, assemblyDir, account, resources };
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    resources.push({
      logicalId,
      type: String(resource.Type),
      properties: resource.Properties ?? {},
      path: resource.Metadata?.['aws:cdk:path'] ?? logicalId,
      stack,
    });
  }
  return stack;
}

/**
 * The construct a resource belongs to: the first path segment below its stack
 * (`FreshetPipeline/Dev/Data/StocksIngest/Stream/Resource` -> `StocksIngest`).
 */
export function constructOf(resource: AssemblyResource): string {
  const prefix = `${resource.stack.displayName}/`;
  const rest = resource.path.startsWith(prefix) ? resource.path.slice(prefix.length) : resource.path;
  return rest.split('/')[0];
}

/** Keeps the stacks one name selects: the stack name, the artifact id or the construct path. */
export function selectStack(stacks: AssemblyStack[], name: string): AssemblyStack[] {
  const chosen = stacks.filter((s) => s.stackName === name || s.artifactId === name || s.displayName === name);
  if (chosen.length === 0) {
    throw new Error(`No stack '${name}' in the assembly; its stacks are ${stacks.map((s) => `${s.displayName} (${s.stackName})`).join(', ')}.`);
  }
  return chosen;
}
