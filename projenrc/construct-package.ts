import { awscdk, DependencyType, javascript } from 'projen';
import { AUTHOR, NPM_SCOPE, PYPI_PREFIX, JSII_DEPS, TEST_DEPS, VERSIONS } from './versions';
import type { FreshetMonorepo } from './freshet-monorepo';
import { installFromWorkspaceRoot, nxTargets, quietNodeEndOfLife } from './workspace-member';

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
      peerDeps: freshetDeps,
      // Peers are pinned for development explicitly (aws-cdk-lib at VERSIONS.cdk, not its peer minimum).
      peerDependencyOptions: { pinnedDevDependency: false },
      devDeps: [
        ...(options.lambdaDeps ?? []).map((d) => `${d}@${VERSIONS.awsSdk}`),
        ...(options.devDeps ?? []),
        `esbuild@${VERSIONS.esbuild}`,
        `cdk-nag@${VERSIONS.cdkNag}`,
      ],
      lambdaOptions: {
        runtime: awscdk.LambdaRuntime.NODEJS_24_X,
        awsSdkConnectionReuse: false,
        bundlingOptions: { sourcemap: true },
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

    // Handler code is bundled by esbuild, so its libraries are development dependencies.
    this.eslint?.allowDevDeps('src/handlers/**');

    // README examples must compile: rosetta type-checks every TypeScript block.
    this.testTask.exec('jsii-rosetta extract --strict --compile .jsii');
    this.gitignore.exclude('.jsii.tabl.json', '/test-reports/');
    this.npmignore?.exclude('/scripts/**/__pycache__/', '/scripts/**/tests/', '*.pyc');
  }
}
