import { awscdk, DependencyType, javascript, TextFile } from 'projen';
import { AUTHOR, NPM_SCOPE, PYPI_PREFIX, JSII_DEPS, TEST_DEPS, VERSIONS } from './versions';
import type { FreshetMonorepo } from './freshet-monorepo';
import { installFromWorkspaceRoot, nxTargets, quietNodeEndOfLife, typecheckTests } from './workspace-member';

export interface ConstructPackageOptions {
  /** Folder under packages/ and the unscoped npm name, e.g. `streaming-ingest`. */
  readonly name: string;
  readonly description: string;
  /** Freshet packages whose types this one uses: peer dependencies, as jsii requires. */
  readonly freshetDeps?: ConstructPackage[];
  /** Dependencies of Lambda handler code only: esbuild bundles or externalises them. */
  readonly lambdaDeps?: string[];
  /** Extra development dependencies: test tools, and handler libraries esbuild bundles. */
  readonly devDeps?: string[];
  /**
   * Handlers on a latency path, bundled with the AWS SDK code they call
   * (tree-shaken ES modules, minified) instead of loading the runtime's copy.
   * Keyed by entrypoint under src/ without `.ts`, e.g. `handlers/predict-proxy.lambda`;
   * the value maps modules to replacement files (esbuild aliases) for SDK
   * code the handler never calls.
   */
  readonly selfContainedHandlers?: Record<string, Record<string, string>>;
}

/**
 * A publishable jsii construct library under `packages/<name>`: npm `@freshet/<name>`,
 * PyPI `freshet.<name>`, jest and eslint, a generated API.md, README examples
 * compiled by jsii-rosetta, and `*.lambda.ts` handlers bundled by esbuild.
 */
export class ConstructPackage extends awscdk.AwsCdkConstructLibrary {
  public readonly shortName: string;

  constructor(root: FreshetMonorepo, options: ConstructPackageOptions) {
    const moduleName = options.name.replace(/-/g, '_');
    const freshetDeps = (options.freshetDeps ?? []).map((dep) => `${dep.package.packageName}@^0.0.0`);
    super({
      ...AUTHOR,
      parent: root,
      outdir: `packages/${options.name}`,
      name: `${NPM_SCOPE}/${options.name}`,
      description: options.description,
      defaultReleaseBranch: 'main',
      packageManager: javascript.NodePackageManager.NPM,
      cdkVersion: VERSIONS.cdk,
      constructsVersion: VERSIONS.constructs,
      jsiiVersion: VERSIONS.jsii,
      typescriptVersion: VERSIONS.typescript,
      minNodeVersion: VERSIONS.minNode,
      stability: 'experimental',
      license: 'Apache-2.0',
      copyrightOwner: 'Freshet',
      publishToPypi: {
        distName: `${PYPI_PREFIX}.${options.name}`,
        module: `${PYPI_PREFIX}.${moduleName}`,
      },
      // cdk-nag: the packs a consumer applies; both majors honour the acknowledgements.
      peerDeps: [...freshetDeps, `cdk-nag@${VERSIONS.cdkNagPeer}`],
      // Peers are pinned for development explicitly (aws-cdk-lib at VERSIONS.cdk, not its peer minimum).
      peerDependencyOptions: { pinnedDevDependency: false },
      devDeps: [
        // A dependency named with its own version keeps it (an SDK client whose releases lag the others).
        ...(options.lambdaDeps ?? []).map((d) => (d.lastIndexOf('@') > 0 ? d : `${d}@${VERSIONS.awsSdk}`)),
        ...(options.devDeps ?? []),
        `esbuild@${VERSIONS.esbuild}`,
        `cdk-nag@${VERSIONS.cdkNag}`,
      ],
      lambdaOptions: {
        runtime: awscdk.LambdaRuntime.NODEJS_24_X,
        awsSdkConnectionReuse: false,
        // Minified, and no source map: none of these functions enables source maps (only the
        // self-contained proxy does, and it ships its own), so a map would only add upload bytes.
        bundlingOptions: { sourcemap: false },
      },
      github: false,
      release: false,
      buildWorkflow: false,
      depsUpgrade: false,
      pullRequestTemplate: false,
      sampleCode: false,
      docgen: true,
      jestOptions: {
        jestVersion: VERSIONS.jest,
        jestConfig: {
          testMatch: ['<rootDir>/test/**/*.test.ts'],
          testTimeout: 60_000,
          collectCoverage: false,
        },
      },
    });
    this.shortName = options.name;

    // The root installs the whole workspace from one lockfile.
    installFromWorkspaceRoot(this);
    quietNodeEndOfLife(this);
    // After super(): projen adds these unversioned while constructing.
    this.addDevDeps(...TEST_DEPS, ...JSII_DEPS, `${NPM_SCOPE}/test-utils@0.0.0`);

    // Develop against VERSIONS.cdk, accept anything from the tested minimum.
    this.deps.removeDependency('aws-cdk-lib', DependencyType.PEER);
    this.deps.addDependency(`aws-cdk-lib@^${VERSIONS.cdkPeerMinimum}`, DependencyType.PEER);
    this.addDevDeps(`aws-cdk-lib@${VERSIONS.cdk}`, `constructs@${VERSIONS.constructs}`, ...(options.freshetDeps ?? []).map((dep) => `${dep.package.packageName}@0.0.0`));

    // Packaging for every language is slow and only the binding check needs it.
    this.packageTask.reset();
    // Nx build = bundle handlers, compile with jsii, write API.md; tests and
    // packaging are separate targets.
    nxTargets(this, {
      'build': ['pre-compile', 'compile', 'post-compile'],
      'test': ['test'],
      'package-all': ['package-all'],
    });

    // jsii-docgen cannot see dependency assemblies that npm workspaces hoist.
    this.tasks.tryFind('docgen')?.reset('node ../../tools/scripts/docgen.js');

    // Runtimes stay pinned (lambdaOptions.runtime): each function acknowledges AwsSolutions-L1 when a newer aws-cdk-lib offers a newer Node.js.
    if (options.freshetDeps?.some((dep) => dep.shortName === 'core')) acknowledgePinnedRuntime(this);
    minifyBundles(this, Object.keys(options.selfContainedHandlers ?? {}));
    for (const [entry, aliases] of Object.entries(options.selfContainedHandlers ?? {})) {
      bundleSelfContained(this, entry, aliases);
    }

    // Handler code is bundled by esbuild, so its libraries are development dependencies.
    this.eslint?.allowDevDeps('src/handlers/**');

    typecheckTests(this);
    // README examples must compile: rosetta type-checks every TypeScript block. They are whole
    // apps that may import sibling packages: `--directory .` resolves those through the workspace.
    this.testTask.exec('jsii-rosetta extract --strict --compile --directory . .jsii');
    this.gitignore.exclude('.jsii.tabl.json', '/test-reports/');
    // Test configuration of the job scripts stays in the repository, out of the tarball.
    this.npmignore?.exclude('/scripts/**/__pycache__/', '/scripts/**/tests/', '/scripts/**/conftest.py', '/scripts/**/pytest.ini', '*.pyc');
    // README example fixtures are for rosetta's compile check only.
    this.npmignore?.exclude('/rosetta/', '/.jsii.tabl.json');
  }
}

/**
 * Makes every generated `src/handlers/*-function.ts` class call core's
 * PinnedLambdaRuntime.acknowledge(this) after super(): the one place that keeps
 * the pinned runtime nag-clean on a newer aws-cdk-lib (projen's generator has
 * no hook for it, so its lines are edited, failing loudly if their shape changes).
 */
function acknowledgePinnedRuntime(project: ConstructPackage): void {
  for (const file of project.files) {
    if (!(file instanceof TextFile) || !/^src\/handlers\/[^/]+-function\.ts$/.test(file.path)) continue;
    const lines = (file as unknown as { lines: string[] }).lines;
    const importAt = lines.indexOf("import * as lambda from 'aws-cdk-lib/aws-lambda';");
    const superEnd = lines.indexOf('    });');
    if (importAt < 0 || superEnd < 0 || !lines.some((line) => line.includes("new lambda.Runtime('nodejs"))) {
      throw new Error(`${project.shortName}: ${file.path} no longer has the shape projen generated; update acknowledgePinnedRuntime in projenrc/construct-package.ts.`);
    }
    lines.splice(superEnd + 1, 0, '    PinnedLambdaRuntime.acknowledge(this);');
    lines.splice(importAt, 0, `import { PinnedLambdaRuntime } from '${NPM_SCOPE}/core';`);
  }
}

/**
 * Minifies every handler bundle projen's esbuild tasks write (its bundling
 * options have no minify switch): smaller assets upload and load faster.
 */
function minifyBundles(project: ConstructPackage, except: string[]): void {
  for (const task of project.tasks.all) {
    const entry = task.name.replace(/^bundle:/, '').replace(/:watch$/, '');
    if (!task.name.startsWith('bundle:') || except.includes(entry)) continue;
    const args = task.steps.length === 1 ? task.steps[0].execArgs : undefined;
    if (!args || args[0] !== 'esbuild' || args.includes('--minify')) continue;
    const watch = args[args.length - 1] === '--watch';
    task.reset();
    task.execArgs(watch ? [...args.slice(0, -1), '--minify', '--watch'] : [...args, '--minify']);
  }
}

/**
 * Replaces projen's bundle task for one handler: the SDK stays in the bundle,
 * resolved through its ES module builds so unused commands and protocols are
 * dropped, and the result is minified (the source map keeps stack traces readable).
 */
function bundleSelfContained(project: ConstructPackage, entry: string, aliases: Record<string, string>): void {
  const taskName = `bundle:${entry}`;
  const task = project.tasks.tryFind(taskName);
  if (!task) throw new Error(`selfContainedHandlers: no bundle task '${taskName}'; expected src/${entry}.ts.`);
  const args = [
    'esbuild', '--bundle', `src/${entry}.ts`, '--target=node24', '--platform=node',
    `--outfile=assets/${entry}/index.js`, '--tsconfig=test/tsconfig.json',
    '--main-fields=module,main', '--minify', '--sourcemap',
    ...Object.entries(aliases).map(([module, file]) => `--alias:${module}=${file}`),
  ];
  task.reset();
  task.execArgs(args);
  const watch = project.tasks.tryFind(`${taskName}:watch`);
  watch?.reset();
  watch?.execArgs([...args, '--watch']);
}
