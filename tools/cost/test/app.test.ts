import * as fs from 'fs';
import * as path from 'path';
import { readAssembly } from '../src/assembly';
import { main } from '../src/cli';
import { datasetOf, estimate, stageOf, totals } from '../src/estimate';
import { DEFAULT_LOAD } from '../src/load-profile';
import { freeReason, PRICERS } from '../src/pricers/registry';
import { loadPricingTable } from '../src/pricing-table';
import { seedStack } from '../src/seed';

/**
 * The app's synthesized assembly. Nx runs @freshet/ml-platform:synth before
 * this package's test target (dependsOn in .projenrc.ts), so CI's test step has
 * it; run by hand, synthesize first.
 */
const CDK_OUT = path.join(__dirname, '..', '..', '..', 'apps', 'ml-platform', 'cdk.out');

function appStacks() {
  if (!fs.existsSync(path.join(CDK_OUT, 'manifest.json'))) {
    throw new Error(`${CDK_OUT} has no manifest.json: run npx nx run @freshet/ml-platform:synth first (the Nx test target does).`);
  }
  return readAssembly(CDK_OUT);
}

describe('the app (apps/ml-platform/cdk.out)', () => {
  const stacks = appStacks();
  const pricing = loadPricingTable();

  test('the assembly holds the pipeline stack and the stage stacks', () => {
    expect(stacks.length).toBeGreaterThanOrEqual(2);
    expect(stacks.some((s) => s.displayName.split('/').length === 3)).toBe(true);
  });

  test('every resource type in the app is priced or deliberately listed as free', () => {
    const types = [...new Set(stacks.flatMap((s) => s.resources.map((r) => r.type)))].sort();
    const neither = types.filter((t) => !PRICERS[t] && !freeReason(t));
    expect(neither).toEqual([]);
  });

  test('every resource of the app prices with the committed table: nothing unpriced or partly priced', () => {
    const result = estimate(stacks, pricing, DEFAULT_LOAD);
    const notPriced = result.items.filter((i) => i.status === 'unpriced' || i.status === 'partial').map((i) => `${i.path}: ${i.detail}`);
    expect(notPriced).toEqual([]);
  });

  test('at load costs at least idle, in every construct', () => {
    const result = estimate(stacks, pricing, DEFAULT_LOAD);
    // Per construct: one resource may send more at idle (the drift planner's blind-window Reason metric),
    // while its construct as a whole (the drift job, the publisher) costs more at load.
    const byConstruct = totals(result.items, (i) => `${i.stack}/${i.construct}`);
    const cheaperAtLoad = [...byConstruct].filter(([, t]) => t.load + 1e-9 < t.idle).map(([k]) => k);
    expect(cheaperAtLoad).toEqual([]);
    // The resources that do send more at idle are the planners only.
    expect(result.items.filter((i) => i.load + 1e-9 < i.idle).every((i) => /Drift\/Planner\/Resource$/.test(i.path))).toBe(true);
  });

  test('each stage with datasets splits into datasets of two or more constructs', () => {
    const result = estimate(stacks, pricing, DEFAULT_LOAD);
    const dataset = datasetOf(result.items, null);
    const stage = result.items.find((i) => dataset(i) !== 'shared');
    expect(stage).toBeDefined();
    const names = new Set(result.items.filter((i) => stageOf(i) === stageOf(stage!)).map(dataset));
    expect([...names].filter((n) => n !== 'shared').length).toBeGreaterThanOrEqual(1);
  });

  test('the command prints per stack, per construct, per dataset and the seed comparison', () => {
    let out = '';
    expect(main([CDK_OUT], (t) => { out += t; })).toBe(0);
    expect(out).toContain(`list prices as read on ${pricing.date}`);
    for (const stack of stacks) expect(out).toContain(`== ${stack.displayName} (${stack.stackName})`);
    expect(out).toMatch(/Per dataset, stage /);
    expect(out).toMatch(/The seed's stack beside Freshet's /);
    // The comparison's seed column adds up to the seed stack's own estimate.
    const seed = estimate([seedStack()], pricing, DEFAULT_LOAD);
    const idle = seed.items.reduce((sum, i) => sum + i.idle, 0);
    const load = seed.items.reduce((sum, i) => sum + i.load, 0);
    expect(out).toMatch(new RegExp(`total .*\\$${idle.toFixed(2)} / \\$${load.toFixed(2)}$`, 'm'));
  });

  test('--stack prices one stack, with the others as context', () => {
    const stage = stacks.find((s) => s.resources.some((r) => r.type === 'AWS::Lambda::Function' && s.displayName.split('/').length === 3))!;
    let out = '';
    main([CDK_OUT, '--stack', stage.stackName, '--no-seed'], (t) => { out += t; });
    expect(out).toContain(`== ${stage.displayName}`);
    expect(out.match(/^== /gm)).toHaveLength(1);
    expect(() => main([CDK_OUT, '--stack', 'NoSuchStack'], () => undefined)).toThrow(/No stack 'NoSuchStack'/);
  });
});
