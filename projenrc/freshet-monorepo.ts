import { execFileSync } from 'child_process';
import * as path from 'path';
import { JsonFile, javascript, typescript } from 'projen';
import { BASE_COMPILER_OPTIONS } from './typescript-options';
import { VERSIONS } from './versions';
import { quietNodeEndOfLife } from './workspace-member';

/** The folders npm workspaces and Nx treat as projects. */
const WORKSPACES = ['packages/*', 'apps/*', 'tools/*'];

/**
 * The monorepo root: npm workspaces, Nx for ordering and caching, a Python venv
 * for job scripts and template linting, and the two quick-start tasks.
 *
 * Subprojects never run their own `npm install`: the root installs the whole
 * workspace once, from one lockfile.
 */
export class FreshetMonorepo extends typescript.TypeScriptProject {
  constructor() {
    super({
      name: 'freshet',
      description: 'Continuous training of ML models on AWS, as CDK constructs.',
      defaultReleaseBranch: 'main',
      packageManager: javascript.NodePackageManager.NPM,
      projenrcTs: true,
      typescriptVersion: VERSIONS.typescript,
      minNodeVersion: VERSIONS.minNode,
      sampleCode: false,
      github: false,
      release: false,
      buildWorkflow: false,
      depsUpgrade: false,
      pullRequestTemplate: false,
      jest: false,
      eslint: false,
      licensed: true,
      license: 'Apache-2.0',
      copyrightOwner: 'Freshet',
      disableTsconfig: true,
      tsconfigDev: {
        compilerOptions: {},
        include: ['.projenrc.ts', 'projenrc/**/*.ts'],
      },
      devDeps: [`nx@${VERSIONS.nx}`, `aws-cdk@${VERSIONS.cdkCli}`, 'ts-node'],
      // npm 11 holds back install scripts; these need theirs (native binaries).
      // protobufjs's only checks versions and @parcel/watcher serves the Nx
      // daemon, which is off: both stay held back.
      allowScripts: ['esbuild', 'nx', 'leveldown'],
      gitignore: ['/.venv/', '/.venv-*/', '.nx/', 'cdk.out/', '__pycache__/', '.pytest_cache/', '*.pyc', '/tools/bench/results/'],
    });

    this.package.addField('private', true);
    quietNodeEndOfLife(this);
    this.package.addField('workspaces', WORKSPACES);

    new JsonFile(this, 'tsconfig.base.json', { obj: { compilerOptions: BASE_COMPILER_OPTIONS } });

    new JsonFile(this, 'nx.json', { obj: nxConfig() });

    // Quick start: `npm run synth` builds what the app needs and synthesizes it;
    // `npm test` runs every test, TypeScript and Python.
    this.compileTask.reset('nx run-many --target=build --output-style=stream');
    this.postCompileTask.reset();
    this.packageTask.reset();
    this.testTask.reset('bash tools/scripts/test-all.sh');
    this.addTask('synth', {
      description: 'Synthesizes the CI/CD/CT app (apps/ml-platform) into its cdk.out',
      exec: 'nx run @freshet/ml-platform:synth --output-style=stream',
    });
  }

  /**
   * projen installs when the root package.json changes; a member's dependencies
   * live in its own package.json, so a change there must install too.
   */
  public postSynthesize(): void {
    super.postSynthesize();
    const memberChanged = this.subprojects.some(
      (member) => member instanceof javascript.NodeProject && member.package.file.changed,
    );
    if (memberChanged && !this.package.file.changed) {
      this.tasks.runTask(this.package.installTask.name);
    }
    // The registry mirror lacks some platforms' native packages; keep the lockfile valid for `npm ci`.
    execFileSync(process.execPath, [path.join(this.outdir, 'tools', 'scripts', 'lock-platform-packages.js')], { stdio: 'inherit' });
  }
}

/**
 * Nx reads only files git tracks or does not ignore, so generated outputs (lib/,
 * assets/, cdk.out/) never feed a hash: a changed handler or construct source
 * changes the hash of its own build and of every dependant's build and synth.
 */
function nxConfig() {
  const buildOutputs = [
    '{projectRoot}/lib',
    '{projectRoot}/assets',
    '{projectRoot}/.jsii',
    '{projectRoot}/tsconfig.json',
    '{projectRoot}/API.md',
  ];
  return {
    $schema: './node_modules/nx/schemas/nx-schema.json',
    neverConnectToCloud: true,
    useDaemonProcess: false,
    // Inside the workspace (git-ignored), so every clone starts with an empty cache.
    cacheDirectory: '.nx/cache',
    namedInputs: {
      sharedGlobals: [
        '{workspaceRoot}/package-lock.json',
        '{workspaceRoot}/tsconfig.base.json',
        '{workspaceRoot}/nx.json',
      ],
      default: ['{projectRoot}/**/*', 'sharedGlobals'],
      production: ['default', '!{projectRoot}/test/**/*', '!{projectRoot}/**/*.md'],
    },
    targetDefaults: {
      build: {
        dependsOn: ['^build'],
        inputs: ['default', '^production'],
        outputs: buildOutputs,
        cache: true,
      },
      synth: {
        dependsOn: ['build', '^build'],
        inputs: ['default', '^production', { env: 'FRESHET_CONFIG' }],
        outputs: ['{projectRoot}/cdk.out'],
        cache: true,
      },
      'package-all': {
        dependsOn: ['build'],
        inputs: ['default', '^production'],
        outputs: ['{projectRoot}/dist'],
        cache: true,
      },
      // Tests read ../shared/data, outside the workspace, and start local
      // emulators, so they always run.
      test: { dependsOn: ['build'], cache: false },
      // Benchmarks measure; a cached figure would be a stale one.
      bench: { dependsOn: ['build'], cache: false },
    },
  };
}
