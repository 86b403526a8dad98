import { createHash } from 'node:crypto';
import { type PriceTierInput } from '@tollgate/billing-stripe';
import { type MeterDefinition, planMeters } from '@tollgate/metering-domain';
import { type PlanDefinition, type PriceComponent, stripePriceLocalId } from '@tollgate/plans-domain';

/**
 * How a plan version appears in Stripe: one price per price component that Stripe can bill,
 * metered prices backed by one Billing Meter per billable metric. Pure: the sync and the usage
 * push derive the same names from the same definition.
 */

/** `StripeObject.kind` values. */
export const stripeObjectKinds = {
  product: 'product',
  meter: 'meter',
  price: 'price',
  customer: 'customer',
  subscription: 'subscription',
} as const;

/** A meter backing metered prices: Tollgate meters with `count` or `sum` aggregation. */
export interface StripeMeterPlan {
  /** `StripeObject.localId`: `<planId>:<slug>`. */
  localId: string;
  slug: string;
  eventName: string;
  displayName: string;
}

export interface StripePricePlan {
  /** `StripeObject.localId` (`stripePriceLocalId`); never reused for other content. */
  localId: string;
  /** Price component key within the plan: `c<index>` or `overage`. */
  key: string;
  fingerprint: string;
  currency: string;
  unitAmountMinor?: string;
  tiers?: PriceTierInput[];
  tiersMode?: 'graduated' | 'volume';
  transformQuantity?: { divideBy: number; round: 'up' | 'down' };
  /** The meter slug of a metered price; absent for a licensed (flat) price. */
  meter?: string;
}

export interface SkippedPriceComponent {
  key: string;
  type: string;
  reason: string;
}

export interface StripePlanLayout {
  prices: StripePricePlan[];
  meters: StripeMeterPlan[];
  skipped: SkippedPriceComponent[];
}

/** The plan version's meters (`planMeters`), from the usage keys its prices meter and its own definitions. */
export function definitionMeters(definition: PlanDefinition): MeterDefinition[] {
  const priced = definition.prices.map((price) => ({ meter: 'meter' in price ? price.meter : undefined }));
  return planMeters(priced, definition.meters);
}

/** Stripe's `event_name` of a plan's meter: unique per plan and metric. */
export function meterEventNameFor(planId: string, slug: string): string {
  return `tollgate_${planId.replace(/[^A-Za-z0-9_]/g, '_')}_${slug}`;
}

export function meterLocalIdFor(planId: string, slug: string): string {
  return `${planId}:${slug}`;
}

export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

function stripeTiers(
  tiers: Array<{ upTo: number | null; unitAmountMinor: number; flatAmountMinor?: number }>,
) {
  return tiers.map((tier): PriceTierInput => ({
    upTo: tier.upTo ?? 'inf',
    unitAmountMinor: String(tier.unitAmountMinor),
    ...(tier.flatAmountMinor === undefined ? {} : { flatAmountMinor: String(tier.flatAmountMinor) }),
  }));
}

type PriceContent = Omit<StripePricePlan, 'localId' | 'key' | 'fingerprint'>;

function contentOf(price: PriceComponent): PriceContent | string {
  const currency = price.currency.toLowerCase();
  switch (price.type) {
    case 'flat':
      return { currency, unitAmountMinor: String(price.amountMinor) };
    case 'per_unit':
      return { currency, unitAmountMinor: String(price.unitAmountMinor), meter: price.meter ?? 'requests' };
    case 'graduated':
    case 'volume':
      return {
        currency,
        tiers: stripeTiers(price.tiers),
        tiersMode: price.type,
        meter: price.meter ?? 'requests',
      };
    case 'package':
      return {
        currency,
        unitAmountMinor: String(price.amountMinor),
        transformQuantity: { divideBy: price.packageSize, round: 'up' },
        meter: price.meter ?? 'requests',
      };
    case 'percentage':
      return 'a share of transaction value has no Stripe price; it is rated by Tollgate only';
    case 'per_event':
      return 'per-event prices are rated by Tollgate only';
  }
}

/** Whether the plan version has anything Stripe can charge for. */
export function isPaidDefinition(definition: PlanDefinition, tier?: string): boolean {
  if (tier === 'free') return false;
  return stripePlanLayout('plan', 1, definition).prices.length > 0;
}

/**
 * The Stripe prices and meters of one plan version. A metered price needs a `count` or `sum`
 * meter (Stripe sums the reported differences); other aggregations are skipped with a reason.
 * Overage (units beyond the monthly quota at `overage.unitPriceMinor`) becomes a graduated price
 * on the `requests` meter.
 */
export function stripePlanLayout(
  planId: string,
  version: number,
  definition: PlanDefinition,
): StripePlanLayout {
  const meterDefinitions = new Map(
    definitionMeters(definition).map((meter): [string, MeterDefinition] => [meter.slug, meter]),
  );
  const prices: StripePricePlan[] = [];
  const skipped: SkippedPriceComponent[] = [];
  const add = (key: string, type: string, content: PriceContent | string): void => {
    if (typeof content === 'string') {
      skipped.push({ key, type, reason: content });
      return;
    }
    if (content.meter !== undefined) {
      const meter = meterDefinitions.get(content.meter);
      if (meter === undefined) {
        skipped.push({ key, type, reason: `the plan has no meter "${content.meter}"` });
        return;
      }
      if (meter.aggregation !== 'count' && meter.aggregation !== 'sum') {
        skipped.push({
          key,
          type,
          reason: `meter "${meter.slug}" aggregates by ${meter.aggregation}; only count and sum meters are reported to Stripe`,
        });
        return;
      }
    }
    const fingerprint = fingerprintOf(content);
    prices.push({
      ...content,
      key,
      fingerprint,
      localId: stripePriceLocalId(planId, version, key, fingerprint),
    });
  };
  definition.prices.forEach((price, index) => {
    const content = contentOf(price);
    const zero =
      typeof content !== 'string' &&
      content.meter === undefined &&
      content.unitAmountMinor === '0' &&
      content.tiers === undefined;
    if (!zero) add(`c${index}`, price.type, content);
  });
  const overage = definition.overage;
  if (overage !== null && overage.unitPriceMinor > 0) {
    add(
      'overage',
      'overage',
      definition.quota.period === 'month'
        ? {
            currency: overage.currency.toLowerCase(),
            tiers: [
              { upTo: definition.quota.limit, unitAmountMinor: '0' },
              { upTo: 'inf', unitAmountMinor: String(overage.unitPriceMinor) },
            ],
            tiersMode: 'graduated',
            meter: 'requests',
          }
        : 'overage of a daily quota has no monthly Stripe price; it is rated by Tollgate only',
    );
  }
  const slugs = [...new Set(prices.flatMap((price) => (price.meter === undefined ? [] : [price.meter])))];
  const meters = slugs.map((slug) => ({
    localId: meterLocalIdFor(planId, slug),
    slug,
    eventName: meterEventNameFor(planId, slug),
    displayName: `${slug} (${planId})`,
  }));
  return { prices, meters, skipped };
}
