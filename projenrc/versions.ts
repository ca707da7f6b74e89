/** Versions pinned once for every package, so the monorepo never mixes lines. */
export const VERSIONS = {
  cdk: '2.276.0',
  /**
   * The lowest aws-cdk-lib the published packages accept. PyPI's newest
   * aws-cdk-lib is 2.275.0, and the Python binding check runs on it.
   */
  cdkPeerMinimum: '2.275.0',
  /**
   * The newest CLI npm tags `latest`: it reads cloud assembly schema 55, which aws-cdk-lib 2.276 writes
   * (aws-cdk 3.0.0 is deprecated and reads 43 at most). The pipeline's self-mutation installs the same.
   */
  cdkCli: '2.1148.1',
  constructs: '10.8.1',
  /** jsii 6 compiles with TypeScript ~6.0; TypeScript 7 breaks jsii and ts-node. */
  jsii: '~6.0.0',
  typescript: '~6.0.3',
  cdkNag: '^3.0.2',
  /** The cdk-nag majors whose checks honour Freshet's acknowledgements (both are tested). */
  cdkNagPeer: '>=2.37.0 <4.0.0',
  esbuild: '^0.28.2',
  nx: '24.0.6',
  awsSdk: '^3.1143.0',
  jest: '^30.5.2',
  /** The build machines run Node 20; Lambda runtimes are pinned to Node 24 separately. */
  minNode: '20.16.0',
} as const;

/**
 * Tools projen adds unversioned; pinned here because workspace members resolve
 * from the root node_modules, where projen's own resolution cannot see them.
 */
export const TEST_DEPS = [
  'ts-jest@^29.4.15',
  '@types/jest@^30.0.0',
  'eslint-import-resolver-typescript@^4.4.5',
  'eslint-plugin-import@^2.32.0',
];
export const JSII_DEPS = ['jsii-pacmak@^1.140.0', 'jsii-diff@^1.134.0'];

/** The scope and the PyPI distribution prefix of every Freshet package. */
export const NPM_SCOPE = '@freshet';
export const PYPI_PREFIX = 'freshet';

export const AUTHOR = {
  author: 'Freshet',
  authorAddress: 'freshet@users.noreply.github.com',
  repositoryUrl: 'https://github.com/freshet/freshet.git',
} as const;
