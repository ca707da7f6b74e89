import * as fs from 'fs';
import * as path from 'path';
import type { javascript } from 'projen';

/**
 * A workspace member never installs on its own: the root's `npm install`
 * installs every workspace from one lockfile. Emptying the member's install
 * tasks stops projen from creating nested node_modules and lockfiles.
 */
export function installFromWorkspaceRoot(project: javascript.NodeProject): void {
  project.package.installTask.reset();
  project.package.installCiTask.reset();
}

/**
 * Declares the member's Nx targets explicitly, each as a sequence of projen
 * tasks, instead of letting Nx infer one target per package.json script. projen's
 * own `build` also tests and packages; Nx wants those as separate, cacheable steps.
 */
export function nxTargets(project: javascript.NodeProject, targets: Record<string, string[]>): void {
  project.package.addField('nx', {
    includedScripts: [],
    targets: Object.fromEntries(
      Object.entries(targets).map(([target, tasks]) => [
        target,
        {
          executor: 'nx:run-commands',
          options: {
            cwd: '{projectRoot}',
            parallel: false,
            commands: tasks.map((task) => `npx projen ${task}`),
          },
        },
      ]),
    ),
  });
}

/**
 * The machines run Node 20, past its end of life; jsii and the CDK CLI print a
 * banner on every call. The Lambda runtimes are pinned to Node 22 separately.
 */
export function quietNodeEndOfLife(project: javascript.NodeProject): void {
  project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
  project.tasks.addEnvironment('JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION', '20');
  project.tasks.addEnvironment('NX_DAEMON', 'false');
}

/**
 * ts-jest transpiles each test file on its own (isolatedModules) and reports
 * no type errors, so the test task type-checks the tests first, as one program.
 * Members without test files have nothing to check.
 */
export function typecheckTests(project: javascript.NodeProject): void {
  const testDir = path.join(project.outdir, 'test');
  const hasTests = fs.existsSync(testDir)
    && fs.readdirSync(testDir, { recursive: true }).some((file) => String(file).endsWith('.test.ts'));
  if (hasTests) project.testTask.prependExec('tsc --noEmit -p test/tsconfig.json');
}
