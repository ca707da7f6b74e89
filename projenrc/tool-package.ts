import { javascript, typescript } from 'projen';
import type { FreshetMonorepo } from './freshet-monorepo';
import { extendsBase } from './typescript-options';
import { NPM_SCOPE, TEST_DEPS, VERSIONS } from './versions';
import { installFromWorkspaceRoot, nxTargets, quietNodeEndOfLife, typecheckTests } from './workspace-member';

export interface ToolPackageOptions {
  /** Folder under tools/ and the unscoped npm name, e.g. `bench`. */
  readonly name: string;
  readonly description: string;
  readonly deps?: string[];
  readonly devDeps?: string[];
  /** Extra projen tasks, each with its command; each also becomes an Nx target. */
  readonly tasks?: Record<string, string>;
}

/** A private TypeScript workspace member under `tools/`: test helpers, benchmarks, scripts. */
export class ToolPackage extends typescript.TypeScriptProject {
  constructor(root: FreshetMonorepo, options: ToolPackageOptions) {
    super({
      parent: root,
      outdir: `tools/${options.name}`,
      name: `${NPM_SCOPE}/${options.name}`,
      description: options.description,
      defaultReleaseBranch: 'main',
      packageManager: javascript.NodePackageManager.NPM,
      typescriptVersion: VERSIONS.typescript,
      minNodeVersion: VERSIONS.minNode,
      github: false,
      release: false,
      buildWorkflow: false,
      depsUpgrade: false,
      pullRequestTemplate: false,
      sampleCode: false,
      licensed: false,
      npmignoreEnabled: false,
      deps: options.deps,
      devDeps: options.devDeps,
      tsconfig: extendsBase(['src/**/*.ts'], { rootDir: 'src', outDir: 'lib' }),
      tsconfigDev: extendsBase(['src/**/*.ts', 'test/**/*.ts']),
      jestOptions: {
        jestVersion: VERSIONS.jest,
        jestConfig: { testMatch: ['<rootDir>/test/**/*.test.ts'], testTimeout: 120_000, collectCoverage: false },
      },
    });
    this.package.addField('private', true);
    installFromWorkspaceRoot(this);
    quietNodeEndOfLife(this);
    this.addDevDeps(...TEST_DEPS);
    // The test tsconfig sits one folder deeper than the paths projen copies into it.
    this.tryFindObjectFile('test/tsconfig.json')?.addOverride('extends', ['../../../tsconfig.base.json', '../tsconfig.json']);
    // ts-jest transpiles each file alone, as in the construct packages: the test task's `tsc --noEmit` type-checks them once.
    this.tryFindObjectFile('test/tsconfig.json')?.addOverride('compilerOptions.isolatedModules', true);
    const extraTargets: Record<string, string[]> = {};
    for (const [name, exec] of Object.entries(options.tasks ?? {})) {
      this.addTask(name, { exec });
      extraTargets[name] = [name];
    }
    typecheckTests(this);
    nxTargets(this, { build: ['compile'], test: ['test'], ...extraTargets });
  }
}
