#!/usr/bin/env node
import * as fs from 'fs';
import * as path from 'path';
import { readAssembly } from './assembly';
import { estimate } from './estimate';
import { DEFAULT_LOAD } from './load-profile';
import { loadPricingTable } from './pricing-table';
import { renderReport } from './report';
import { seedStack } from './seed';

/** This package's README, whose sample output is generated. */
export const README = path.join(__dirname, '..', 'README.md');
/** The app the sample is estimated from. */
export const APP_CDK_OUT = path.join(__dirname, '..', '..', '..', 'apps', 'ml-platform', 'cdk.out');
/** The command that rewrites the sample (Nx synthesizes the app first). */
export const REFRESH_COMMAND = 'npx nx run @freshet/cost:readme';

const BEGIN = `<!-- sample output: written by \`${REFRESH_COMMAND}\` from apps/ml-platform/cdk.out; test/readme.test.ts fails when it is stale -->`;
const END = '<!-- end of sample output -->';

/** The estimate of the synthesized app at the default load, without the per-construct lines, as the README shows it. */
export function sampleOutput(cdkOut = APP_CDK_OUT): string {
  const stacks = readAssembly(cdkOut);
  const pricing = loadPricingTable();
  const result = estimate(stacks, pricing, DEFAULT_LOAD);
  const seed = estimate([seedStack()], pricing, DEFAULT_LOAD);
  return renderReport(result, seed, { constructs: false }).replace(/\s+$/, '');
}

/** The README with its sample block replaced by `sample`; throws when the markers are missing. */
export function withSample(readme: string, sample: string): string {
  const begin = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`${README} has no sample-output markers (${BEGIN} ... ${END}).`);
  return `${readme.slice(0, begin)}${BEGIN}\n\n\`\`\`text\n${sample}\n\`\`\`\n\n${readme.slice(end)}`;
}

if (require.main === module) {
  const current = fs.readFileSync(README, 'utf8');
  const next = withSample(current, sampleOutput());
  fs.writeFileSync(README, next);
  process.stdout.write(`${next === current ? 'unchanged' : 'rewrote'} ${path.relative(process.cwd(), README)}\n`);
}
