import { execFile } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import * as ts from 'typescript';
import { declaredStacks, REPO_ROOT, ReadmeBlock, readmeFiles, sectionOf, typescriptBlocks } from './readme-blocks';
import type { SynthJob, SynthResult } from './synth-runner';

/**
 * Every ```ts block of the root and package READMEs, run as a user runs it: written to a
 * .ts file inside the workspace (so `@freshet/*` resolves through node_modules as from
 * npm), transpiled, and executed by `node` with CDK_OUTDIR set. It must exit cleanly,
 * synthesize the stacks it declares and leave no unacknowledged cdk-nag finding in
 * the validation report. (rosetta --strict type-checks the package READMEs' blocks in
 * each package's test task.)
 */
const NAG_PACKS = ['AwsSolutions', 'NIST.800.53.R5'];

const blocks: ReadmeBlock[] = readmeFiles().flatMap((readme) => typescriptBlocks(readme));

/** An app with a finding nobody acknowledged: the harness must see its report fail. */
const CONTROL_SOURCE = `import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';

const app = new App();
const stack = new Stack(app, 'Control', { env: { account: '123456789012', region: 'us-east-1' } });
new s3.Bucket(stack, 'Plain');
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
app.synth();
`;
const CONTROL = 'control-unacknowledged-finding';

interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: Array<{ ruleName: string; severity: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

let work: string;
const results = new Map<string, SynthResult>();

function jobName(block: ReadmeBlock): string {
  return `${block.readme.replace(/[^A-Za-z0-9]+/g, '-')}-${block.index}`;
}

function transpile(source: string, file: string): void {
  const { outputText } = ts.transpileModule(source, {
    fileName: path.basename(file),
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  writeFileSync(file, outputText);
}

function outdirOf(name: string): string {
  return path.join(work, 'out', name);
}

function stacksInAssembly(name: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(outdirOf(name), 'manifest.json'), 'utf-8')) as {
    artifacts?: Record<string, { type: string }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id]) => id)
    .sort();
}

function validationReport(name: string): ValidationReport {
  return JSON.parse(readFileSync(path.join(outdirOf(name), 'validation-report.json'), 'utf-8')) as ValidationReport;
}

/** `<rule> at <construct path>` for each finding of the nag packs the report lists as not acknowledged. */
function unacknowledgedFindings(report: ValidationReport): string[] {
  return report.pluginReports
    .filter((plugin) => NAG_PACKS.includes(plugin.pluginName))
    .flatMap((plugin) => plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} (${v.severity}) at ${c.constructPath}`)));
}

function resultOf(name: string): SynthResult {
  const result = results.get(name);
  if (!result) throw new Error(`${name} never ran: the runner stopped before it (see the beforeAll output)`);
  return result;
}

beforeAll(async () => {
  const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  // Inside the workspace: node resolves @freshet/*, aws-cdk-lib and cdk-nag from the root node_modules.
  work = mkdtempSync(path.join(cache, 'readme-examples-'));
  const jobs: SynthJob[] = [...blocks.map((b) => ({ name: jobName(b), source: b.source })), { name: CONTROL, source: CONTROL_SOURCE }].map(
    ({ name, source }) => {
      const file = path.join(work, `${name}.js`);
      writeFileSync(path.join(work, `${name}.ts`), source);
      transpile(source, file);
      return { name, file, outdir: outdirOf(name) };
    },
  );
  const runner = path.join(work, 'synth-runner.js');
  transpile(readFileSync(path.join(__dirname, 'synth-runner.ts'), 'utf-8'), runner);
  writeFileSync(path.join(work, 'jobs.json'), JSON.stringify(jobs));
  // No AWS credentials and no metadata lookups: the examples must synthesize offline.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  const resultsFile = path.join(work, 'results.json');
  try {
    await promisify(execFile)(process.execPath, [runner, path.join(work, 'jobs.json'), resultsFile], {
      cwd: work,
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 280_000,
    });
  } catch (e) {
    // Each test then names what its example did; a runner crash leaves the later ones unreported.
    console.error(`the example runner failed: ${(e as Error).message.slice(-4000)}`);
  }
  if (existsSync(resultsFile)) {
    for (const result of JSON.parse(readFileSync(resultsFile, 'utf-8')) as SynthResult[]) results.set(result.name, result);
  }
  console.log([...results.values()].map((r) => `${r.name}: ${r.seconds.toFixed(1)} s`).join('\n'));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('README examples synthesize as whole apps with the nag packs', () => {
  test('every package README shows at least one TypeScript example', () => {
    const withoutExample = readmeFiles()
      .filter((readme) => readme.startsWith('packages/'))
      .filter((readme) => !blocks.some((b) => b.readme === readme));
    expect(withoutExample).toEqual([]);
  });

  test("the root README's Install section shows a whole app", () => {
    const install = blocks.filter((b) => b.readme === 'README.md' && sectionOf(b) === 'Install');
    expect(install).toHaveLength(1);
    expect(install[0].source).toMatch(/addPlugins\(new AwsSolutionsChecks\(app\), new NIST80053R5Checks\(app\)\)/);
  });

  // rosetta type-checks the package READMEs' blocks; the root README's are type-checked here,
  // against the packages' declarations as npm installs them (resolved through node_modules).
  test("the root README's blocks type-check", () => {
    const files = blocks.filter((b) => b.readme === 'README.md').map((b) => path.join(work, `${jobName(b)}.ts`));
    expect(files.length).toBeGreaterThan(0);
    // A control the check must reject: a schema without its columns, against @freshet/core's declarations.
    const control = path.join(work, 'control-type-error.ts');
    writeFileSync(control, "import { DatasetSchema } from '@freshet/core';\nnew DatasetSchema({ name: 'x', targetColumn: 'y' });\n");
    const program = ts.createProgram([...files, control], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: [],
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    });
    const errors = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file && d.start !== undefined ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
      return where + ts.flattenDiagnosticMessageText(d.messageText, '\n');
    });
    expect(errors.filter((e) => e.startsWith('control-type-error.ts:'))).toEqual([expect.stringMatching(/columns/)]);
    expect(errors.filter((e) => !e.startsWith('control-type-error.ts:'))).toEqual([]);
  }, 300_000);

  test('the harness sees an unacknowledged finding: synth fails and the report names it', () => {
    const result = resultOf(CONTROL);
    expect(result.error).toMatch(/Validation failed/);
    expect(unacknowledgedFindings(validationReport(CONTROL))).toEqual(
      expect.arrayContaining(['AwsSolutions-S1 (error) at Control/Plain/Resource', 'NIST.800.53.R5-S3BucketVersioningEnabled (error) at Control/Plain/Resource']),
    );
  });

  test.each(blocks.map((b) => [`${b.readme} block ${b.index}`, b] as const))('%s', (_name, block) => {
    // Copy-paste ready: nothing the reader must supply.
    expect(block.source).not.toMatch(/\bdeclare\s+(const|let)\b/);
    expect(block.source).not.toMatch(/\bthis\s*[.,)]/); // `new X(this, ...)`, `this.x`: no class around it
    const stacks = declaredStacks(block.source);
    expect(stacks.length).toBeGreaterThan(0);

    const name = jobName(block);
    const result = resultOf(name);
    expect(result.plugins).toEqual(expect.arrayContaining(NAG_PACKS));
    // The findings first: a failed validation also fails synth, and they say why.
    expect(unacknowledgedFindings(validationReport(name))).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(result.exitCode).toBe(0);
    expect(stacksInAssembly(name)).toEqual(stacks);
  });
});
