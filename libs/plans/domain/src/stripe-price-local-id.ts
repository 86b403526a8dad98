/**
 * How a synced Stripe price is named in `stripe_objects.local_id`:
 * `<planId>:v<version>:<key>:<fingerprint>`. The billing worker writes it when it syncs a plan
 * version; the control plane reads it back to find the plan a Stripe subscription bills.
 */

/** The local id of the price of component `key` (with content `fingerprint`) of a plan version. */
export function stripePriceLocalId(
  planId: string,
  version: number,
  key: string,
  fingerprint: string,
): string {
  return `${planId}:v${version}:${key}:${fingerprint}`;
}

const priceLocalIdPattern = /^([^:]+):v([1-9]\d*):[^:]+:[^:]+$/;

/** The plan and version a price local id names, or null when it is not one. */
export function parseStripePriceLocalId(localId: string): { planId: string; version: number } | null {
  const match = priceLocalIdPattern.exec(localId);
  if (!match) return null;
  return { planId: match[1] as string, version: Number(match[2]) };
}
