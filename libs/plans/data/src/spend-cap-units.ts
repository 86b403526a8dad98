import { rate, type RatingPlan, requestsMeterName } from '@tollgate/billing-rating';
import { int32Max, type PlanDefinition } from '@tollgate/plans-domain';

/** What pricing a spend cap reads of a plan definition. */
export type SpendCapPlan = Pick<PlanDefinition, 'prices' | 'overage' | 'quota' | 'currency'>;

// Any month: a single-plan period charges each flat fee in full, whatever its length.
const periodStart = new Date(Date.UTC(2026, 0, 1));
const periodEnd = new Date(Date.UTC(2026, 1, 1));

function ratingPlan(plan: SpendCapPlan): RatingPlan {
  return {
    prices: plan.prices,
    overage:
      plan.overage === null
        ? null
        : { unitPriceMinor: plan.overage.unitPriceMinor, currency: plan.overage.currency },
    quota: plan.quota,
  };
}

/** The period's charge for `units` billable requests and no other usage, rated on the plan's prices. */
export function chargeForUnits(plan: SpendCapPlan, units: number): number {
  return rate({
    currency: plan.currency,
    periodStart,
    periodEnd,
    plan: ratingPlan(plan),
    usage: { requests: units },
  }).subtotalMinor;
}

/**
 * Where the charge for requests may drop as units grow: the ends of the volume tiers on requests
 * (the whole quantity moves to a cheaper tier). Between two of them every component only rises.
 */
function volumeBreakpoints(plan: SpendCapPlan, maxUnits: number): number[] {
  const points = new Set<number>();
  for (const price of plan.prices) {
    if (price.type !== 'volume' || (price.meter !== undefined && price.meter !== requestsMeterName)) continue;
    for (const tier of price.tiers) {
      if (tier.upTo !== null && tier.upTo < maxUnits) points.add(tier.upTo);
    }
  }
  return [...points].sort((a, b) => a - b);
}

/**
 * The most billable units whose charge stays within `capMinor`, counting every lower number of
 * units too (a volume price may charge less for more, but the developer passes through the higher
 * charges first). Capped at `maxUnits` (the quota ceiling or 2^31 - 1): a cap that never binds
 * returns `maxUnits`. A cap below the plan's fixed charge returns 0.
 */
export function spendCapUnits(plan: SpendCapPlan, capMinor: number, maxUnits: number = int32Max): number {
  const within = (units: number): boolean => chargeForUnits(plan, units) <= capMinor;
  if (!within(0)) return 0;
  // The first stretch whose end passes the cap holds the answer; before it every unit is within.
  let low = 0;
  let high = maxUnits;
  for (const point of volumeBreakpoints(plan, maxUnits)) {
    if (!within(point)) {
      high = point;
      break;
    }
    low = point;
  }
  if (within(high)) return high;
  // Invariant: within(low), !within(high), and the charge only rises between them.
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (within(middle)) low = middle;
    else high = middle;
  }
  return low;
}
