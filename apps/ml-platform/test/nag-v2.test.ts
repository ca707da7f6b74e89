import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { applyNagV2Packs, formatFindings, nagV2Errors } from '@freshet/test-utils';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { PipelineStack } from '../src/pipeline-stack';
import { loadPlatformConfig } from '../src/platform-config';

/** Every stack of the app: the pipeline's and each stage's. */
function stacksOf(scope: App): Stack[] {
  return scope.node.findAll().filter((c): c is Stack => Stack.isStack(c) && !Stage.isStage(c));
}

describe('a team on cdk-nag 2', () => {
  test('synthesizes the whole app with its packs applied as cdk-nag 2 documents, and no error', () => {
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'ml-platform-nag2-')) });
    // What cdk-nag 2's README says to write: Aspects on the app, before the stacks exist.
    applyNagV2Packs(app);
    const config = loadPlatformConfig(app);
    new PipelineStack(app, 'FreshetPipeline', { config, env: { account: config.pipelineAccount, region: config.pipelineRegion } });
    const stacks = stacksOf(app);
    expect(stacks.length).toBeGreaterThanOrEqual(5);
    const errors = stacks.flatMap((stack) => nagV2Errors(stack, true));
    expect(formatFindings(errors)).toEqual('');
  });
});
