#!/usr/bin/env node
import { readAssembly, selectStack } from './assembly';
import { estimate } from './estimate';
import { loadProfile } from './load-profile';
import { loadPricingTable } from './pricing-table';
import { renderReport } from './report';
import { seedStack } from './seed';

const USAGE = `Usage: freshet-cost <cdk.out> [--stack <name>] [--load <profile.json>] [--pricing <region or file.json>] [--json] [--no-seed]
Prints the monthly cost of every stack (nested stage assemblies included), per construct and resource, idle and at load.`;

/** Runs the estimate on argv; returns the exit code. */
export function main(argv: string[], write: (text: string) => void = (t) => process.stdout.write(t)): number {
  const args = [...argv];
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const [, value] = args.splice(at, 2);
    if (value === undefined) throw new Error(`${name} needs a value.\n${USAGE}`);
    return value;
  };
  const flag = (name: string): boolean => {
    const at = args.indexOf(name);
    if (at >= 0) args.splice(at, 1);
    return at >= 0;
  };
  if (flag('--help') || flag('-h')) {
    write(`${USAGE}\n`);
    return 0;
  }
  const stackName = option('--stack');
  const profile = loadProfile(option('--load'));
  const pricing = loadPricingTable(option('--pricing'));
  const json = flag('--json');
  const withSeed = !flag('--no-seed');
  if (args.length !== 1) throw new Error(`Give exactly one cdk.out folder.\n${USAGE}`);
  const all = readAssembly(args[0]);
  const stacks = stackName ? selectStack(all, stackName) : all;
  const result = estimate(stacks, pricing, profile, all);
  const seed = withSeed ? estimate([seedStack()], pricing, profile) : undefined;
  write(json ? `${JSON.stringify({ ...result, seed }, null, 2)}\n` : `${renderReport(result, seed)}\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
