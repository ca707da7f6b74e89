import { AssemblyStack, stackFromTemplate } from '../src/assembly';
import { estimate, Estimate, LineItem } from '../src/estimate';
import { DEFAULT_LOAD, LoadProfile } from '../src/load-profile';
import { PricingTable } from '../src/pricing-table';

/** A pricing table with the given prices only, so each test's arithmetic names the prices it uses. */
export function table(prices: Record<string, number>): PricingTable {
  return {
    region: 'test-region-1',
    currency: 'USD',
    date: '2000-01-02',
    prices: Object.fromEntries(Object.entries(prices).map(([key, usd]) => [
      key, { usd, unit: 'unit', source: 'https://example.com', confirmed: 'aws', read: '2000-01-02' },
    ])),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }>;

/** A template of the given resources as one stack. */
export function stack(resources: Resources): AssemblyStack {
  return stackFromTemplate({ Resources: resources }, 'Test');
}

/** Estimates the resources with the prices and the load (over DEFAULT_LOAD). */
export function run(
  resources: Parameters<typeof stack>[0],
  prices: Record<string, number>,
  load: Partial<LoadProfile> = {},
): Estimate {
  return estimate([stack(resources)], table(prices), { ...DEFAULT_LOAD, ...load });
}

/** The line item of one logical id. */
export function item(result: Estimate, logicalId: string): LineItem {
  const found = result.items.find((i) => i.logicalId === logicalId);
  if (!found) throw new Error(`no line item ${logicalId}`);
  return found;
}

/** Records in an average month at one record per second. */
export const RECORDS_AT_1_PER_S = 730 * 3600;
