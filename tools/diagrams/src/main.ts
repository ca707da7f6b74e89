import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAssembly } from '@freshet/cost';
import { REPO_ROOT } from '@freshet/test-utils';
import { architectureGraph } from './architecture-graph';
import { renderArchitectureSvg } from './architecture-svg';
import { referenceDefinition } from './reference-pipeline';
import { renderWorkflowSvg } from './svg-renderer';

/** Where the README of @freshet/retrain-pipeline finds its picture. */
export const WORKFLOW_SVG = path.join(REPO_ROOT, 'packages', 'retrain-pipeline', 'docs', 'workflow.svg');

/** The title drawn on the picture. */
export const WORKFLOW_TITLE = 'RetrainPipeline workflow (stocks example: AutoGluon, deployed to an endpoint)';

/** The picture of the reference pipeline's synthesized definition. */
export function renderReferenceWorkflow(): string {
  return renderWorkflowSvg(referenceDefinition(), { title: WORKFLOW_TITLE });
}

/** The app's synthesized assembly, which the architecture picture is drawn from. */
export const APP_CDK_OUT = path.join(REPO_ROOT, 'apps', 'ml-platform', 'cdk.out');

/** Where the root README finds the architecture picture. */
export const ARCHITECTURE_SVG = path.join(REPO_ROOT, 'docs', 'architecture.svg');

/** The picture of the app's data path, from its synthesized templates. */
export function renderAppArchitecture(cdkOut = APP_CDK_OUT): string {
  return renderArchitectureSvg(architectureGraph(readAssembly(cdkOut)), { title: 'Freshet ml-platform: the data path' });
}

if (require.main === module) {
  for (const [file, svg] of [[WORKFLOW_SVG, renderReferenceWorkflow()], [ARCHITECTURE_SVG, renderAppArchitecture()]]) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, svg);
    process.stdout.write(`wrote ${path.relative(REPO_ROOT, file)} (${svg.length} bytes)\n`);
  }
}
