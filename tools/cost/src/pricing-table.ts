import * as fs from 'fs';
import * as path from 'path';

/** One list price, with where and when it was read. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  /** `aws`: read on the AWS page; `secondary`: read on a third-party page; `unconfirmed`: not seen on a stored page. */
  readonly confirmed: 'aws' | 'secondary' | 'unconfirmed';
  readonly read: string;
  readonly comment?: string;
}

/** A region's list prices, as committed in `pricing/<region>.json`. */
export interface PricingTable {
  readonly region: string;
  readonly currency: string;
  /** The date the table was read; the estimate prints it. */
  readonly date: string;
  readonly prices: Record<string, Price>;
}

/** The folder of the committed pricing tables. */
export const PRICING_DIR = path.join(__dirname, '..', 'pricing');

/** Reads a pricing table: a region name (`us-east-1`) or a path to a JSON file. */
export function loadPricingTable(regionOrFile = 'us-east-1'): PricingTable {
  const file = regionOrFile.endsWith('.json') ? regionOrFile : path.join(PRICING_DIR, `${regionOrFile}.json`);
  const table = JSON.parse(fs.readFileSync(file, 'utf8')) as PricingTable;
  for (const [key, price] of Object.entries(table.prices)) {
    if (typeof price.usd !== 'number' || !price.source || !price.read) {
      throw new Error(`Pricing table ${file}: price '${key}' needs a numeric usd, a source and a read date.`);
    }
  }
  return table;
}

/** The price of `key`, or undefined when the table has none (the caller lists the resource as unpriced). */
export function priceOf(table: PricingTable, key: string): number | undefined {
  return table.prices[key]?.usd;
}
