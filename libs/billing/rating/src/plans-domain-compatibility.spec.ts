// Rating's input types mirror the plans' shapes instead of importing them, so the library stays free
// of the plans libs; this test alone reads them, to prove that what plans stores is rating input as
// it is. It fails to compile when a price component shape drifts.
import {
  definitionFromCreate,
  demoPlans,
  planCreateSchema,
  type PlanDefinition,
  type PriceComponent,
  priceComponentSchema,
  type PriceTier,
} from '@tollgate/plans-domain';
import { rate } from './rate';
import {
  type RatingPlan,
  type RatingPriceComponent,
  type RatingPriceTier,
  type RatingPriceType,
} from './rating-input';

// Type-level: each of these bodies compiles only while plans' shapes are assignable to rating's.
function asRatingComponent(component: PriceComponent): RatingPriceComponent {
  return component;
}
function asRatingTier(tier: PriceTier): RatingPriceTier {
  return tier;
}
function asRatingPlan(definition: PlanDefinition): RatingPlan {
  return definition;
}
/** Every plans component type is one rating knows, and the other way round. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const componentTypesMatch: Same<PriceComponent['type'], RatingPriceType> = true;

const periodStart = new Date('2026-03-01T00:00:00.000Z');
const periodEnd = new Date('2026-04-01T00:00:00.000Z');

const oneOfEach = [
  { type: 'flat', amountMinor: 4_900, currency: 'USD' },
  { type: 'per_unit', unitAmountMinor: 2, currency: 'usd', meter: 'sms' },
  {
    type: 'graduated',
    currency: 'usd',
    tiers: [
      { upTo: 1_000, unitAmountMinor: 0 },
      { upTo: null, unitAmountMinor: 1, flatAmountMinor: 100 },
    ],
  },
  { type: 'volume', currency: 'usd', tiers: [{ upTo: null, unitAmountMinor: 3 }] },
  { type: 'package', packageSize: 100, amountMinor: 50, currency: 'usd' },
  { type: 'percentage', percentBasisPoints: 290, fixedAmountMinor: 30, currency: 'usd', meter: 'txn_value' },
  { type: 'per_event', eventType: 'order.created', amountMinor: 25, currency: 'usd' },
];

describe('plans price components are rating input', () => {
  it('mirrors every component type and shape', () => {
    expect(componentTypesMatch).toBe(true);
    const parsed = oneOfEach.map((component) => priceComponentSchema.parse(component));
    expect(parsed.map((component) => asRatingComponent(component).type)).toEqual([
      'flat',
      'per_unit',
      'graduated',
      'volume',
      'package',
      'percentage',
      'per_event',
    ]);
    const graduated = parsed[2];
    if (graduated.type !== 'graduated') throw new Error('expected the graduated component');
    expect(asRatingTier(graduated.tiers[1])).toEqual({
      upTo: null,
      unitAmountMinor: 1,
      flatAmountMinor: 100,
    });
  });

  it('rates a plan definition built by plans, as it is', () => {
    const definition = definitionFromCreate(
      planCreateSchema.parse({
        name: 'Growth',
        quota: { limit: 1_000, period: 'month' },
        overage: { bufferPercent: 10, unitPriceMinor: 3, currency: 'usd' },
        prices: oneOfEach,
      }),
    );
    const estimate = rate({
      currency: definition.currency,
      periodStart,
      periodEnd,
      plan: asRatingPlan(definition),
      usage: {
        requests: 1_050,
        meters: { sms: 10 },
        transactions: { txn_value: { count: 3, valueMinor: 10_000 } },
        events: { 'order.created': 2 },
      },
    });
    // flat 4,900; sms 20; graduated 50 + 100; volume 3,150; package 11 × 50; card 290 + 90; events 50; overage 150.
    expect(estimate.subtotalMinor).toBe(4_900 + 20 + 150 + 3_150 + 550 + 380 + 50 + 150);
  });

  it('rates every demo plan', () => {
    for (const demo of demoPlans) {
      const definition = definitionFromCreate(planCreateSchema.parse(demo));
      const estimate = rate({
        currency: definition.currency,
        periodStart,
        periodEnd,
        plan: definition,
        usage: { requests: 10 },
      });
      expect(estimate.subtotalMinor).toBe(
        definition.prices.reduce((sum, price) => sum + (price.type === 'flat' ? price.amountMinor : 0), 0),
      );
    }
  });
});
