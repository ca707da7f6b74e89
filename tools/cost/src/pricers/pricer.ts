import { AssemblyResource } from '../assembly';
import { PricingContext } from '../context';
import { priceOf } from '../pricing-table';

/** One part of a resource's monthly cost, with the arithmetic that produced it. */
export interface Charge {
  readonly usd: number;
  readonly detail: string;
  /** Set when this part could not be priced: the resource is listed as partly priced, with the reason. */
  readonly unpriced?: boolean;
}

/** Prices one resource for the context's load profile. */
export type Pricer = (resource: AssemblyResource, context: PricingContext) => Charge[];

/** Thrown by a pricer that cannot price what it was given; the estimate lists the resource as unpriced with the reason. */
export class Unpriced extends Error {}

/** The table's price for `key`, or Unpriced naming the missing key. */
export function price(context: PricingContext, key: string): number {
  const usd = priceOf(context.pricing, key);
  if (usd === undefined) throw new Unpriced(`no price '${key}' in the ${context.pricing.region} pricing table`);
  return usd;
}

/** A charge whose detail shows quantity x unit price. */
export function charge(quantity: number, unitPrice: number, what: string): Charge {
  return { usd: quantity * unitPrice, detail: `${what} ${fmt(quantity)} x $${unitPrice}` };
}

function fmt(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : Number(value.toPrecision(4)).toString();
}
