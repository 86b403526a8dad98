import { type MeterDefinition, meterSlugSchema, requestsMeter } from './meter-definition';

/** What meter derivation reads of a price component: the usage key it prices, if any. */
export interface MeteredPriceComponent {
  /** Absent or `requests`: counted requests. */
  meter?: string | null;
}

/**
 * A plan's meters: `requests`, a `sum` meter for every usage key its price components price, then
 * the plan's own meter definitions, merged by slug (an explicit definition replaces a derived one
 * of the same slug, including `requests`). Derived meters come first, in price order.
 */
export function planMeters(
  prices: readonly MeteredPriceComponent[],
  explicit: readonly MeterDefinition[] = [],
): MeterDefinition[] {
  const bySlug = new Map<string, MeterDefinition>([[requestsMeter.slug, requestsMeter]]);
  for (const price of prices) {
    const key = price.meter;
    if (typeof key !== 'string' || bySlug.has(key) || !meterSlugSchema.safeParse(key).success) continue;
    bySlug.set(key, { slug: key, aggregation: 'sum', valueKey: key, countedOnly: true, filters: {} });
  }
  for (const meter of explicit) bySlug.set(meter.slug, meter);
  return [...bySlug.values()];
}

/** Every request recorded for the consumer, counted or not (the usage API's `totalRequests`). */
export const allRequestsMeter: MeterDefinition = Object.freeze({
  slug: 'requests',
  aggregation: 'count',
  countedOnly: false,
  filters: {},
}) as MeterDefinition;
