/**
 * A deliberately plain rating, for the property tests only: unit-by-unit loops, Number arithmetic
 * (the tests keep every figure far below 2^53), no shared code with the implementation.
 */

export interface ReferenceTier {
  upTo: number | null;
  unitAmountMinor: number;
  unitAmountDecimal?: string;
  flatAmountMinor?: number;
}

export type ReferenceComponent =
  | { type: 'flat'; amountMinor: number; currency: string }
  | {
      type: 'per_unit';
      unitAmountMinor: number;
      unitAmountDecimal?: string;
      currency: string;
      meter?: string;
    }
  | { type: 'graduated' | 'volume'; tiers: ReferenceTier[]; currency: string; meter?: string }
  | { type: 'package'; packageSize: number; amountMinor: number; currency: string; meter?: string }
  | {
      type: 'percentage';
      percentBasisPoints: number;
      fixedAmountMinor: number;
      currency: string;
      meter: string;
    }
  | { type: 'per_event'; eventType: string; amountMinor: number; currency: string };

export interface ReferenceUsage {
  requests: number;
  meters?: Record<string, number>;
  transactions?: Record<string, { count: number; valueMinor: number }>;
  events?: Record<string, number>;
  requestsPerQuotaWindow?: number[];
}

export interface ReferencePlan {
  prices: ReferenceComponent[];
  overage?: { unitPriceMinor: number; currency: string } | null;
  quota?: { limit: number; period: 'month' | 'day' };
}

/** A price as a count of 10^-places minor units, e.g. "0.25" → { ticks: 25, scale: 100 }. */
function ticksOf(price: { unitAmountMinor: number; unitAmountDecimal?: string }): {
  ticks: number;
  scale: number;
} {
  if (price.unitAmountDecimal === undefined) return { ticks: price.unitAmountMinor, scale: 1 };
  const point = price.unitAmountDecimal.indexOf('.');
  if (point < 0) return { ticks: Number(price.unitAmountDecimal), scale: 1 };
  const places = price.unitAmountDecimal.length - point - 1;
  return { ticks: Number(price.unitAmountDecimal.replace('.', '')), scale: 10 ** places };
}

/** `ticks / scale` to the nearest integer, halves up. */
export function referenceRound(ticks: number, scale: number): number {
  const quotient = Math.floor(ticks / scale);
  const remainder = ticks - quotient * scale;
  return remainder * 2 >= scale ? quotient + 1 : quotient;
}

function unitsOf(component: ReferenceComponent, usage: ReferenceUsage): number {
  if (component.type === 'per_event') return usage.events?.[component.eventType] ?? 0;
  if (component.type === 'flat' || component.type === 'percentage') return 0;
  const meter = component.meter ?? 'requests';
  return meter === 'requests' ? usage.requests : (usage.meters?.[meter] ?? 0);
}

function tierOfUnit(tiers: ReferenceTier[], unit: number): number {
  for (let index = 0; index < tiers.length; index += 1) {
    const upTo = tiers[index].upTo;
    if (upTo === null || unit <= upTo) return index;
  }
  throw new Error('the last tier is open-ended');
}

/**
 * What one component costs on `usage`, a flat fee taking `partMs / periodMs` of its amount.
 * Graduated tiers are rounded tier by tier, as the invoice lists them.
 */
export function referenceComponentAmount(
  component: ReferenceComponent,
  usage: ReferenceUsage,
  partMs = 1,
  periodMs = 1,
): number {
  const units = unitsOf(component, usage);
  switch (component.type) {
    case 'flat':
      return referenceRound(component.amountMinor * partMs, periodMs);
    case 'per_unit': {
      const price = ticksOf(component);
      let ticks = 0;
      for (let unit = 1; unit <= units; unit += 1) ticks += price.ticks;
      return referenceRound(ticks, price.scale);
    }
    case 'graduated': {
      const ticksByTier = component.tiers.map(() => 0);
      const entered = component.tiers.map(() => false);
      for (let unit = 1; unit <= units; unit += 1) {
        const tier = tierOfUnit(component.tiers, unit);
        ticksByTier[tier] += ticksOf(component.tiers[tier]).ticks;
        entered[tier] = true;
      }
      return component.tiers.reduce(
        (total, tier, index) =>
          total +
          referenceRound(ticksByTier[index], ticksOf(tier).scale) +
          (entered[index] ? (tier.flatAmountMinor ?? 0) : 0),
        0,
      );
    }
    case 'volume': {
      if (units === 0) return 0;
      const tier = component.tiers[tierOfUnit(component.tiers, units)];
      const price = ticksOf(tier);
      let ticks = 0;
      for (let unit = 1; unit <= units; unit += 1) ticks += price.ticks;
      return referenceRound(ticks, price.scale) + (tier.flatAmountMinor ?? 0);
    }
    case 'package': {
      let amount = 0;
      for (let unit = 1; unit <= units; unit += 1) {
        if ((unit - 1) % component.packageSize === 0) amount += component.amountMinor;
      }
      return amount;
    }
    case 'percentage': {
      const transactions = usage.transactions?.[component.meter] ?? { count: 0, valueMinor: 0 };
      let fees = 0;
      for (let index = 0; index < transactions.count; index += 1) fees += component.fixedAmountMinor;
      return referenceRound(transactions.valueMinor * component.percentBasisPoints, 10_000) + fees;
    }
    case 'per_event': {
      let amount = 0;
      for (let event = 0; event < units; event += 1) amount += component.amountMinor;
      return amount;
    }
  }
}

export function referenceOverageAmount(plan: ReferencePlan, usage: ReferenceUsage): number {
  if (!plan.overage || !plan.quota) return 0;
  const windows = plan.quota.period === 'day' ? (usage.requestsPerQuotaWindow ?? []) : [usage.requests];
  let over = 0;
  for (const requests of windows) {
    for (let request = plan.quota.limit + 1; request <= requests; request += 1) over += 1;
  }
  return over * plan.overage.unitPriceMinor;
}

/** The whole invoice of one plan over the whole period. */
export function referencePlanAmount(plan: ReferencePlan, usage: ReferenceUsage): number {
  return (
    plan.prices.reduce((total, component) => total + referenceComponentAmount(component, usage), 0) +
    referenceOverageAmount(plan, usage)
  );
}
