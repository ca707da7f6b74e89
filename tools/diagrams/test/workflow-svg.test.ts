import * as fs from 'node:fs';
import { renderReferenceWorkflow, WORKFLOW_SVG } from '../src/main';
import { referenceDefinition } from '../src/reference-pipeline';

describe('the README picture of the RetrainPipeline workflow', () => {
  const current = renderReferenceWorkflow();

  test('is up to date with the synthesized definition (run `npx nx run @freshet/diagrams:render` after changing the workflow)', () => {
    expect(fs.existsSync(WORKFLOW_SVG)).toBe(true);
    expect(fs.readFileSync(WORKFLOW_SVG, 'utf-8')).toBe(current);
  });

  test('shows every top-level state of the definition', () => {
    const definition = referenceDefinition();
    const drawn = [...current.matchAll(/<g class="state state-\w+" data-state="([^"]+)">/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    expect(drawn.sort()).toEqual(Object.keys(definition.States).sort());
  });
});
