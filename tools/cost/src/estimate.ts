import { AssemblyResource, AssemblyStack, constructOf } from './assembly';
import { PricingContext } from './context';
import { idleOf, LoadProfile } from './load-profile';
import { Charge } from './pricers/pricer';
import { freeReason, PRICERS } from './pricers/registry';
import { PricingTable } from './pricing-table';
import { StageTraits, stageTraits } from './stage-traits';

/** One resource's monthly cost, idle and at load. */
export interface LineItem {
  readonly stack: string;
  readonly stackName: string;
  readonly construct: string;
  readonly logicalId: string;
  readonly path: string;
  readonly type: string;
  /**
   * `priced`; `partial` (priced, but a part could not be, see the detail); `free` (deliberately:
   * the type has no charge of its own); `unpriced` (the estimate cannot price it).
   */
  readonly status: 'priced' | 'partial' | 'free' | 'unpriced';
  readonly idle: number;
  readonly load: number;
  /** The at-load arithmetic, or why the resource is free or unpriced. */
  readonly detail: string;
}

/** The estimate of every resource of the stacks. */
export interface Estimate {
  readonly items: LineItem[];
  readonly pricingDate: string;
  readonly region: string;
  readonly load: LoadProfile;
  /** What each stage's templates say it buys (instances, approval, isolation, guardrails, monitors). */
  readonly traits: Record<string, StageTraits>;
}

/**
 * Prices every resource of `stacks` twice: with no traffic (idle) and at the
 * load profile. `allStacks` gives the context (schedules, APIs and workflows in
 * other stacks of the same stage); it defaults to the stacks priced.
 */
export function estimate(stacks: AssemblyStack[], pricing: PricingTable, load: LoadProfile, allStacks: AssemblyStack[] = stacks): Estimate {
  const atLoad = new PricingContext(allStacks, pricing, load);
  const idle = new PricingContext(allStacks, pricing, idleOf(load));
  const items: LineItem[] = [];
  for (const stack of stacks) {
    for (const resource of stack.resources) items.push(priceResource(resource, idle, atLoad));
  }
  return { items, pricingDate: pricing.date, region: pricing.region, load, traits: stageTraits(allStacks) };
}

function priceResource(resource: AssemblyResource, idle: PricingContext, atLoad: PricingContext): LineItem {
  const base = {
    stack: resource.stack.displayName,
    stackName: resource.stack.stackName,
    construct: constructOf(resource),
    logicalId: resource.logicalId,
    path: resource.path,
    type: resource.type,
  };
  const pricer = PRICERS[resource.type];
  if (!pricer) {
    const free = freeReason(resource.type);
    return free
      ? { ...base, status: 'free', idle: 0, load: 0, detail: free }
      : { ...base, status: 'unpriced', idle: 0, load: 0, detail: `no pricer for ${resource.type}` };
  }
  try {
    const loadCharges = pricer(resource, atLoad);
    const idleCharges = pricer(resource, idle);
    const partial = loadCharges.some((c) => c.unpriced);
    const detail = loadCharges.map((c) => (c.unpriced ? `NOT PRICED: ${c.detail}` : c.detail)).join('; ');
    return { ...base, status: partial ? 'partial' : 'priced', idle: sum(idleCharges), load: sum(loadCharges), detail };
  } catch (e) {
    return { ...base, status: 'unpriced', idle: 0, load: 0, detail: e instanceof Error ? e.message : String(e) };
  }
}

function sum(charges: Charge[]): number {
  return charges.reduce((total, c) => total + c.usd, 0);
}

/** Idle and at-load totals of items grouped by a key. */
export function totals(items: LineItem[], key: (item: LineItem) => string): Map<string, { idle: number; load: number; unpriced: number }> {
  const result = new Map<string, { idle: number; load: number; unpriced: number }>();
  for (const item of items) {
    const k = key(item);
    const t = result.get(k) ?? { idle: 0, load: 0, unpriced: 0 };
    t.idle += item.idle;
    t.load += item.load;
    if (item.status === 'unpriced' || item.status === 'partial') t.unpriced += 1;
    result.set(k, t);
  }
  return result;
}

/** The stage of a stack: the path between the app's root stack and the stack (`FreshetPipeline/Dev/Data` -> `FreshetPipeline/Dev`). */
export function stageOf(item: LineItem): string {
  const parts = item.stack.split('/');
  return parts.length > 1 ? parts.slice(0, -1).join('/') : '(app)';
}

/**
 * The dataset a construct serves: the first profile pattern its id matches,
 * or the first word of its id when that word starts constructs in two or more
 * stacks of the stage (`StocksIngest` in Data, `StocksEndpoint` in Serving ->
 * `stocks`) with something to pay for; `shared` otherwise (a stage's alarm topic,
 * custom-resource providers).
 */
export function datasetOf(items: LineItem[], patterns: Record<string, string> | null): (item: LineItem) => string {
  if (patterns) {
    const compiled = Object.entries(patterns).map(([name, re]) => [name, new RegExp(re)] as const);
    return (item) => compiled.find(([, re]) => re.test(item.construct))?.[0] ?? 'shared';
  }
  const firstWord = (construct: string) => /^[A-Z][a-z0-9]+/.exec(construct)?.[0] ?? construct;
  const stacksByWord = new Map<string, Set<string>>();
  // Constructs with nothing to pay for (CDK metadata) name no dataset.
  for (const item of items.filter((i) => i.status !== 'free')) {
    const key = `${stageOf(item)}|${firstWord(item.construct)}`;
    const set = stacksByWord.get(key) ?? new Set();
    set.add(item.stack);
    stacksByWord.set(key, set);
  }
  return (item) => {
    const word = firstWord(item.construct);
    return (stacksByWord.get(`${stageOf(item)}|${word}`)?.size ?? 0) >= 2 ? word.toLowerCase() : 'shared';
  };
}
