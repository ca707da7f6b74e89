import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@freshet/test-utils';
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

if (require.main === module) {
  const svg = renderReferenceWorkflow();
  fs.mkdirSync(path.dirname(WORKFLOW_SVG), { recursive: true });
  fs.writeFileSync(WORKFLOW_SVG, svg);
  process.stdout.write(`wrote ${path.relative(REPO_ROOT, WORKFLOW_SVG)} (${svg.length} bytes)\n`);
}
