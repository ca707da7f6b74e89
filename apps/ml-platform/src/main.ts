import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { PipelineStack } from './pipeline-stack';
import { loadPlatformConfig } from './platform-config';

/** Builds the app: the pipeline stack (which holds the stages), with the nag packs applied to everything. */
export function buildApp(app: App = new App()): App {
  const config = loadPlatformConfig(app);
  new PipelineStack(app, 'FreshetPipeline', {
    config,
    env: { account: config.pipelineAccount, region: config.pipelineRegion },
    description: 'Freshet CI/CD/CT: tests, deploys and retrains on every push',
  });
  // Synth fails on any unacknowledged error of either pack.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app));
  return app;
}

if (require.main === module) {
  buildApp().synth();
}
