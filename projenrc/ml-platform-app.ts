import { awscdk, javascript } from 'projen';
import type { ConstructPackage } from './construct-package';
import type { FreshetMonorepo } from './freshet-monorepo';
import { extendsBase } from './typescript-options';
import { NPM_SCOPE, TEST_DEPS, VERSIONS } from './versions';
import { installFromWorkspaceRoot, nxTargets, quietNodeEndOfLife, typecheckTests } from './workspace-member';

/** The CDK CLI runs without an AWS account here and in a consumer's CI: nothing reaches for one. */
export const OFFLINE_CLI_ENV = {
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
} as const;

export interface MlPlatformAppOptions {
  /** The construct packages the app composes into its stages. */
  readonly freshetDeps: ConstructPackage[];
  /** Other dependencies, e.g. the workspace's example datasets. */
  readonly deps?: string[];
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
      deps: [...options.freshetDeps.map((dep) => `${dep.package.packageName}@^0.0.0`), `cdk-nag@${VERSIONS.cdkNag}`, ...(options.deps ?? [])],
      tsconfig: extendsBase(['src/**/*.ts'], { rootDir: 'src', outDir: 'lib', typeRoots: ['../../node_modules/@types'] }),
      tsconfigDev: extendsBase(['src/**/*.ts', 'test/**/*.ts'], { typeRoots: ['../../node_modules/@types'] }),
      jestOptions: {
        jestVersion: VERSIONS.jest,
        jestConfig: { testMatch: ['<rootDir>/test/**/*.test.ts'], testTimeout: 120_000, collectCoverage: false },
      },
    });
    installFromWorkspaceRoot(this);
    quietNodeEndOfLife(this);
    // After super(): projen adds these unversioned while constructing.
    this.addDevDeps(...TEST_DEPS, `${NPM_SCOPE}/test-utils@0.0.0`);

    // The test tsconfig sits one folder deeper than the paths projen copies into it.
    const testTsconfig = this.tryFindObjectFile('test/tsconfig.json');
    testTsconfig?.addOverride('extends', ['../../../tsconfig.base.json', '../tsconfig.json']);
    testTsconfig?.addOverride('compilerOptions.typeRoots', ['../../../node_modules/@types']);
    // ts-jest transpiles each file alone, as in the construct packages: the test task's `tsc --noEmit` type-checks them once.
    testTsconfig?.addOverride('compilerOptions.isolatedModules', true);

    typecheckTests(this);

    // Synth runs compiled JavaScript (cdk.json's app is `node lib/main.js`).
    this.compileTask.exec('tsc --build');
    this.bundleSmokeTests();

    nxTargets(this, {
      build: ['compile'],
      test: ['test'],
      synth: ['synth:silent'],
    });
    // Synth goes through the CDK CLI, as a user's `npx cdk synth` does. It must run with no AWS
    // account: no credential lookups (IMDS), no telemetry and no notices (this machine reaches no AWS host).
    for (const name of ['synth', 'synth:silent']) {
      const task = this.tasks.tryFind(name);
      task?.reset('rm -rf cdk.out');
      task?.exec(name === 'synth' ? 'cdk synth' : 'cdk synth --quiet');
    }
    for (const [key, value] of Object.entries(OFFLINE_CLI_ENV)) this.tasks.addEnvironment(key, value);
    this.cdkConfig.json.addOverride('notices', false);
    this.cdkConfig.json.addOverride('context.cli-telemetry', false);
  }

  /**
   * The post-deployment smoke tests run in CodeBuild from one bundled file and the
   * sample CSV, in the folder the pipeline's synth step exports (SMOKE_DIR in src/pipeline-stack.ts).
   */
  private bundleSmokeTests(): void {
    this.addDeps(`aws-kinesis-agg@${SMOKE_KINESIS_AGG_VERSION}`, '@smithy/node-http-handler@^4.14.2');
    this.compileTask.exec('rm -rf smoke-dist && mkdir -p smoke-dist');
    this.compileTask.exec('esbuild src/smoke/smoke.ts --bundle --platform=node --target=node20 --minify --outfile=smoke-dist/smoke.js --log-level=warning');
    this.compileTask.exec('cp src/smoke/stocks_sample.csv smoke-dist/');
    this.gitignore.exclude('/smoke-dist/');
  }
}

/** De-aggregates the KPL records the CSV ingest writes (the version streaming-ingest's tests use). */
const SMOKE_KINESIS_AGG_VERSION = '^4.2.8';
