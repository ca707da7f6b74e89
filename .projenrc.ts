import { ConstructPackage, FreshetMonorepo, MlPlatformApp, ToolPackage, VERSIONS } from './projenrc';

const root = new FreshetMonorepo();

new ToolPackage(root, {
  name: 'test-utils',
  description: 'Shared test helpers: nag findings, cfn-lint, local AWS emulators and fault injection.',
  deps: [
    `aws-cdk-lib@${VERSIONS.cdk}`,
    `constructs@${VERSIONS.constructs}`,
    `cdk-nag@${VERSIONS.cdkNag}`,
    'kinesalite@^3.3.3',
    's3rver@^3.7.1',
    // Postgres in WASM: the SQL engine behind the Redshift Data API fake.
    '@electric-sql/pglite@^0.5.16',
    // The ASL engine that executes synthesized state machines with faked service responses.
    'aws-local-stepfunctions@^3.0.0',
    // IAM policy evaluation: proves every recorded call is allowed by the synthesized policies.
    '@cloud-copilot/iam-simulate@^0.1.173',
    // cdk-nag 2, beside 3: tests prove both majors honour Freshet's acknowledgements.
    'cdk-nag-v2@npm:cdk-nag@2.38.2',
  ],
});

const core = new ConstructPackage(root, {
  name: 'core',
  description: 'Freshet core: the DatasetSchema, secure defaults, alarm and nag helpers shared by every Freshet construct.',
});

// The seeds' datasets, declared once for the app, the tests, the benchmarks and the diagrams.
const examples = new ToolPackage(root, {
  name: 'examples',
  description: "The seeds' example datasets: their DatasetSchemas and where the sample data lies.",
  deps: [`${core.package.packageName}@^0.0.0`, `aws-cdk-lib@${VERSIONS.cdk}`, `constructs@${VERSIONS.constructs}`],
  // The README examples test runs every README's apps, which apply the nag packs.
  devDeps: [`cdk-nag@${VERSIONS.cdkNag}`],
});
const EXAMPLES = `${examples.package.packageName}@0.0.0`;

const streamingIngest = new ConstructPackage(root, {
  name: 'streaming-ingest',
  description: 'Freshet StreamingIngest: IoT (MQTT) and CSV uploads into Kinesis, delivered by Firehose to an S3 data lake.',
  freshetDeps: [core],
  lambdaDeps: ['@aws-sdk/client-kinesis', '@aws-sdk/client-s3'],
  devDeps: ['aws-kinesis-agg@^4.2.8', '@smithy/node-http-handler@^4.14.2', '@types/aws-lambda@^8.10.0', EXAMPLES],
});

const glueEtl = new ConstructPackage(root, {
  name: 'glue-etl',
  description: 'Freshet GlueEtl: Glue tables from the dataset schema and an incremental PySpark job from raw lake data to curated Parquet.',
  freshetDeps: [core],
});

const redshiftWarehouse = new ConstructPackage(root, {
  name: 'redshift-warehouse',
  description: 'Freshet RedshiftWarehouse: Redshift Serverless with the dataset table, COPY of curated data and UNLOAD of training snapshots.',
  freshetDeps: [core],
  lambdaDeps: ['@aws-sdk/client-redshift-data'],
  // aws-local-stepfunctions runs the COPY and UNLOAD fragments as synthesized, with the Data API faked at the task boundary.
  devDeps: ['@types/aws-lambda@^8.10.0', 'aws-local-stepfunctions@^3.0.0'],
});

const modelEndpoint = new ConstructPackage(root, {
  name: 'model-endpoint',
  description: 'Freshet ModelEndpoint: a SageMaker endpoint behind a validated API, with safe rollouts and A/B variants.',
  freshetDeps: [core],
  lambdaDeps: ['@aws-sdk/client-sagemaker-runtime', '@aws-sdk/client-sagemaker@^3.1142.0'],
  devDeps: ['@aws-sdk/credential-provider-env@^3.972.84', '@types/aws-lambda@^8.10.0', 'fast-check@^4.3.0', EXAMPLES],
  // The proxy is on every prediction's path: its cold start is the API's.
  selfContainedHandlers: {
    'handlers/predict-proxy.lambda': {
      // The proxy passes Lambda's environment credentials to its client, so the default chain
      // (STS, SSO and IMDS clients: a third of the bundle) is never called.
      '@aws-sdk/credential-provider-node': './src/handlers/predict-proxy/unused-default-credentials.ts',
    },
  },
});

const retrainPipeline = new ConstructPackage(root, {
  name: 'retrain-pipeline',
  description: 'Freshet RetrainPipeline: the continuous-training workflow with AutoML, an accuracy gate and safe deployment.',
  freshetDeps: [core, glueEtl, redshiftWarehouse],
  lambdaDeps: ['@aws-sdk/client-sfn', '@aws-sdk/client-dynamodb'],
  // The executed workflow tests deploy to a serverless ModelEndpoint's own deploymentTarget().
  devDeps: ['@types/aws-lambda@^8.10.0', 'aws-local-stepfunctions@^3.0.0', EXAMPLES, `${modelEndpoint.package.packageName}@0.0.0`],
});

const monitorRetrainTrigger = new ConstructPackage(root, {
  name: 'monitor-retrain-trigger',
  description: 'Freshet MonitorRetrainTrigger: drift and model-quality monitoring whose alarms start exactly one retrain.',
  // The drift job ships retrain-pipeline's freshet_ml package: the code that wrote the baseline reads it.
  freshetDeps: [core, glueEtl, redshiftWarehouse, retrainPipeline],
  lambdaDeps: ['@aws-sdk/client-sfn', '@aws-sdk/client-codepipeline@^3.1138.0', '@aws-sdk/client-dynamodb',
    // The drift planner and publisher.
    '@aws-sdk/client-sagemaker@^3.1142.0', '@aws-sdk/client-s3'],
  devDeps: [
    '@types/aws-lambda@^8.10.0',
    'aws-local-stepfunctions@^3.0.0',
    '@smithy/node-http-handler@^4.14.2',
    // The trigger's tests drive moto server (DynamoDB, SQS, EventBridge's pattern test, CloudWatch) through the real SDK.
    '@aws-sdk/client-eventbridge@^3.1143.0',
    '@aws-sdk/client-cloudwatch@^3.1143.0',
    '@aws-sdk/client-sqs@^3.1143.0',
    EXAMPLES,
  ],
});

new MlPlatformApp(root, {
  freshetDeps: [core, streamingIngest, glueEtl, redshiftWarehouse, modelEndpoint, retrainPipeline, monitorRetrainTrigger],
  deps: [
    EXAMPLES,
    // The post-deployment smoke tests: SigV4-signed API calls, a CSV upload, the alarms' states.
    '@aws-sdk/client-cloudwatch@^3.1143.0',
    '@aws-sdk/client-s3@^3.1143.0',
    '@aws-sdk/client-kinesis@^3.1143.0',
    '@aws-sdk/credential-provider-node@^3.972.0',
    '@smithy/signature-v4@^5.0.0',
    '@aws-crypto/sha256-js@^5.2.0',
  ],
});

new ToolPackage(root, {
  name: 'bench',
  description: 'Benchmarks: each prints its figures beside a baseline measured in the same run.',
  deps: [
    `${streamingIngest.package.packageName}@^0.0.0`,
    `${core.package.packageName}@^0.0.0`,
    EXAMPLES,
    // The proxy benchmark measures the bundle model-endpoint's build writes.
    `${modelEndpoint.package.packageName}@^0.0.0`,
    '@freshet/test-utils@0.0.0',
    '@aws-sdk/client-kinesis@^3.1143.0',
    '@aws-sdk/client-s3@^3.1143.0',
    '@smithy/node-http-handler@^4.14.2',
    // The proxy benchmark's floor uses the proxy's client; its baseline imports SDK clients the obvious way.
    '@aws-sdk/client-sagemaker-runtime@^3.1143.0',
    '@aws-sdk/client-lambda@^3.1143.0',
    '@aws-sdk/client-redshift-data@^3.1143.0',
    '@aws-sdk/client-sfn@^3.1143.0',
    'esbuild@^0.28.2',
    // The replay benchmark times freshet-replay on the app's Dev stage.
    '@freshet/replay@0.0.0',
  ],
  tasks: { bench: 'node lib/main.js' },
});

const diagrams = new ToolPackage(root, {
  name: 'diagrams',
  description: "Diagrams rendered from synthesized definitions: the RetrainPipeline workflow picture in its README, the app's architecture in the root README.",
  deps: [
    `${retrainPipeline.package.packageName}@^0.0.0`,
    `${core.package.packageName}@^0.0.0`,
    EXAMPLES,
    '@freshet/test-utils@0.0.0',
    // The architecture picture reads the app's cloud assembly with the cost estimate's reader.
    '@freshet/cost@0.0.0',
    `aws-cdk-lib@${VERSIONS.cdk}`,
    `constructs@${VERSIONS.constructs}`,
    '@dagrejs/dagre@^3.1.3',
  ],
  tasks: { render: 'node lib/main.js' },
});
// The architecture picture is drawn from the app's cdk.out: Nx synthesizes it first.
for (const target of ['test', 'render']) {
  diagrams.tryFindObjectFile('package.json')?.addOverride(`nx.targets.${target}.dependsOn`, ['build', { projects: ['@freshet/ml-platform'], target: 'synth' }]);
}

// The monthly cost of a synthesized app, from its templates and a load profile.
const cost = new ToolPackage(root, {
  name: 'cost',
  description: 'Cost estimate: prices every resource of a synthesized cdk.out per stack and construct, idle and at load.',
  deps: [],
  // readme: rewrites the README's sample output from a fresh run (test/readme.test.ts fails when it is stale).
  tasks: { estimate: 'node lib/cli.js ../../apps/ml-platform/cdk.out', readme: 'node lib/readme.js' },
});
// A consumer runs it on their own app: npx freshet-cost <cdk.out>.
cost.addBins({ 'freshet-cost': 'lib/cli.js' });
// The estimate and the app test read the app's cdk.out: Nx synthesizes it first (a cache hit when it is current).
for (const target of ['test', 'estimate', 'readme']) {
  cost.tryFindObjectFile('package.json')?.addOverride(`nx.targets.${target}.dependsOn`, ['build', { projects: ['@freshet/ml-platform'], target: 'synth' }]);
}

// A dress rehearsal of the continuous-training loop over simulated days, from a synthesized app.
const replay = new ToolPackage(root, {
  name: 'replay',
  description: 'Replay: plays simulated days of traffic through the continuous-training loop of a synthesized cdk.out.',
  deps: [
    '@freshet/cost@0.0.0',
    '@freshet/test-utils@0.0.0',
    // The SDK clients Lambda's runtime gives the bundles (they leave the SDK out), and the storm table's setup.
    '@aws-sdk/client-dynamodb@^3.1143.0',
    '@aws-sdk/client-sfn@^3.1143.0',
    '@aws-sdk/client-codepipeline@^3.1143.0',
    '@aws-sdk/client-cloudwatch@^3.1143.0',
  ],
});
// A consumer runs it on their own app: npx freshet-replay --app <cdk.out>.
replay.addBins({ 'freshet-replay': 'lib/cli.js' });
// The tests replay the app's Dev stage: Nx synthesizes it first.
replay.tryFindObjectFile('package.json')?.addOverride('nx.targets.test.dependsOn', ['build', { projects: ['@freshet/ml-platform'], target: 'synth' }]);
// The retrain run executor: jobs read and write S3 (moto); the bundles that call SageMaker (drift planner, teardown) get the replay's client.
replay.addDeps('@aws-sdk/client-s3@^3.1143.0', '@aws-sdk/client-sagemaker@^3.1142.0');

// README examples are whole apps that import sibling packages (rosetta compiles them against
// the workspace, tools/examples synthesizes them): build those first. Not dependencies, which
// would make cycles with the packages' own devDependency on @freshet/examples.
const readmeImports: Array<[ToolPackage | ConstructPackage, ConstructPackage[]]> = [
  [redshiftWarehouse, [streamingIngest]],
  [modelEndpoint, [retrainPipeline]],
  [retrainPipeline, [streamingIngest, modelEndpoint]],
  [monitorRetrainTrigger, [modelEndpoint]],
  [examples, [core, streamingIngest, glueEtl, redshiftWarehouse, modelEndpoint, retrainPipeline, monitorRetrainTrigger]],
];
for (const [project, imported] of readmeImports) {
  project.tryFindObjectFile('package.json')?.addOverride('nx.targets.test.dependsOn', [
    'build', { projects: imported.map((p) => p.package.packageName), target: 'build' },
  ]);
}

root.synth();
