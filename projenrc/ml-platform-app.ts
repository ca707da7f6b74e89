import { awscdk, javascript } from 'projen';
import type { ConstructPackage } from './construct-package';
import type { FreshetMonorepo } from './freshet-monorepo';
import { extendsBase } from './typescript-options';
import { NPM_SCOPE, TEST_DEPS, VERSIONS } from './versions';
import { installFromWorkspaceRoot, nxTargets, quietNodeEndOfLife } from './workspace-member';

export interface MlPlatformAppOptions {
  /** The construct packages the app composes into its stages. */
  readonly freshetDeps: ConstructPackage[];
}

/**
 * `apps/ml-platform`: the CDK Pipelines app that composes every construct into
 * stages. It synthesizes from compiled JavaScript so synth never type-checks twice.
 */
export class MlPlatformApp extends awscdk.AwsCdkTypeScriptApp {
  constructor(root: FreshetMonorepo, options: MlPlatformAppOptions) {
    super({
      parent: root,
      outdir: 'apps/ml-platform',
      name: `${NPM_SCOPE}/ml-platform`,
      description: 'The Freshet CI/CD/CT app: a self-mutating pipeline that tests, deploys and retrains.',
      defaultReleaseBranch: 'main',
      packageManager: javascript.NodePackageManager.NPM,
      cdkVersion: VERSIONS.cdk,
      cdkCliVersion: VERSIONS.cdkCli,
      constructsVersion: VERSIONS.constructs,
      typescriptVersion: VERSIONS.typescript,
      minNodeVersion: VERSIONS.minNode,
      app: 'node lib/main.js',
      requireApproval: awscdk.ApprovalLevel.NEVER,
      github: false,
      release: false,
      buildWorkflow: false,
      depsUpgrade: false,
      pullRequestTemplate: false,
      sampleCode: false,
      licensed: false,
      deps: [...options.freshetDeps.map((dep) => `${dep.package.packageName}@^0.0.0`), `cdk-nag@${VERSIONS.cdkNag}`],
      tsconfig: extendsBase(['src/**/*.ts'], { rootDir: 'src', outDir: 'lib' }),
      tsconfigDev: extendsBase(['src/**/*.ts', 'test/**/*.ts']),
      jestOptions: {
        jestVersion: VERSIONS.jest,
        jestConfig: { testMatch: ['<rootDir>/test/**/*.test.ts'], testTimeout: 120_000, collectCoverage: false },
      },
    });
    installFromWorkspaceRoot(this);
    quietNodeEndOfLife(this);
    // After super(): projen adds these unversioned while constructing.
    this.addDevDeps(...TEST_DEPS, `${NPM_SCOPE}/test-utils@0.0.0`);

    nxTargets(this, {
      build: ['compile'],
      test: ['test'],
      synth: ['synth:silent'],
    });
    // `cdk synth` without the CLI's own update checks, notices or telemetry.
    this.tasks.tryFind('synth')?.reset('cdk synth --no-notices --no-version-reporting -q');
    this.tasks.tryFind('synth:silent')?.reset('cdk synth --no-notices --no-version-reporting -q');
  }
}
