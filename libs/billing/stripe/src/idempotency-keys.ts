import { createHash } from 'node:crypto';

/**
 * Idempotency keys derived from Tollgate ids, so a retried sync (same process or another
 * replica) replays Stripe's first answer instead of creating a second object.
 */
export const idempotencyKeys = {
  product: (planId: string, version: number): string => `tollgate:product:${planId}:v${version}`,
  productUpdate: (productId: string, revision: string): string =>
    `tollgate:product-update:${productId}:${revision}`,
  price: (priceId: string, version: number): string => `tollgate:price:${priceId}:v${version}`,
  meter: (meterId: string): string => `tollgate:meter:${meterId}`,
  customer: (consumerId: string): string => `tollgate:customer:${consumerId}`,
  subscription: (subscriptionId: string): string => `tollgate:subscription:${subscriptionId}`,
  meterEvent: (identifier: string): string => `tollgate:meter-event:${identifier}`,
  checkout: (referenceId: string): string => `tollgate:checkout:${referenceId}`,
};

/** Stripe product ids may be chosen by the caller: one product per plan, found again after 24 h. */
export function productIdFor(planId: string): string {
  return `tollgate_${planId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** Prices are found again by lookup key once Stripe has forgotten the idempotency key. */
export function priceLookupKeyFor(priceId: string, version: number): string {
  return `tollgate:${priceId}:v${version}`;
}

/**
 * The `identifier` of a usage meter event: (subscription, meter, period start, new cumulative
 * total). A re-run that finds the same total derives the same identifier, which Stripe refuses
 * as a duplicate. Readable when it fits Stripe's 100 characters, a SHA-256 prefix otherwise.
 */
export function usageEventIdentifier(
  subscriptionId: string,
  meter: string,
  periodStart: Date,
  cumulative: bigint | number,
): string {
  const readable = `tg:${subscriptionId}:${meter}:${Math.floor(periodStart.getTime() / 1000)}:${cumulative}`;
  if (readable.length <= 100) return readable;
  return `tg:${createHash('sha256').update(readable).digest('hex').slice(0, 48)}`;
}
