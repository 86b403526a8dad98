import { usageEventIdentifier } from '@tollgate/billing-stripe';
import {
  definitionFromCreate,
  parseInput,
  parseStripePriceLocalId,
  planCreateSchema,
} from '@tollgate/plans-domain';
import { isPaidDefinition, meterEventNameFor, stripePlanLayout } from './stripe-plan-mapping';

const definition = (body: Record<string, unknown>) =>
  definitionFromCreate(
    parseInput(planCreateSchema, { name: 'Plan', quota: { limit: 1000, period: 'month' }, ...body }),
  );

describe('stripePlanLayout', () => {
  it('maps price components to licensed and metered prices, one meter per metric', () => {
    const layout = stripePlanLayout(
      'plan_a',
      3,
      definition({
        prices: [
          { type: 'flat', amountMinor: 900, currency: 'usd' },
          { type: 'per_unit', unitAmountMinor: 2, currency: 'usd' },
          { type: 'volume', currency: 'usd', meter: 'sms', tiers: [{ upTo: null, unitAmountMinor: 3 }] },
          { type: 'package', packageSize: 100, amountMinor: 50, currency: 'usd', meter: 'sms' },
        ],
      }),
    );
    expect(layout.prices.map(({ key, meter, unitAmountMinor }) => ({ key, meter, unitAmountMinor }))).toEqual(
      [
        { key: 'c0', meter: undefined, unitAmountMinor: '900' },
        { key: 'c1', meter: 'requests', unitAmountMinor: '2' },
        { key: 'c2', meter: 'sms', unitAmountMinor: undefined },
        { key: 'c3', meter: 'sms', unitAmountMinor: '50' },
      ],
    );
    expect(layout.prices[2]).toMatchObject({
      tiersMode: 'volume',
      tiers: [{ upTo: 'inf', unitAmountMinor: '3' }],
    });
    expect(layout.prices[3]?.transformQuantity).toEqual({ divideBy: 100, round: 'up' });
    expect(layout.meters.map((meter) => [meter.localId, meter.eventName])).toEqual([
      ['plan_a:requests', 'tollgate_plan_a_requests'],
      ['plan_a:sms', 'tollgate_plan_a_sms'],
    ]);
    expect(layout.prices.every((price) => price.localId.startsWith('plan_a:v3:'))).toBe(true);
    expect(parseStripePriceLocalId(layout.prices[0]?.localId ?? '')).toEqual({
      planId: 'plan_a',
      version: 3,
    });
  });

  it('gives changed content a new local id and the same content the same one', () => {
    const before = stripePlanLayout(
      'plan_a',
      1,
      definition({ prices: [{ type: 'flat', amountMinor: 900, currency: 'usd' }] }),
    );
    const same = stripePlanLayout(
      'plan_a',
      1,
      definition({ prices: [{ type: 'flat', amountMinor: 900, currency: 'usd' }] }),
    );
    const changed = stripePlanLayout(
      'plan_a',
      1,
      definition({ prices: [{ type: 'flat', amountMinor: 990, currency: 'usd' }] }),
    );
    expect(same.prices[0]?.localId).toBe(before.prices[0]?.localId);
    expect(changed.prices[0]?.localId).not.toBe(before.prices[0]?.localId);
  });

  it('turns monthly overage into a graduated price on requests', () => {
    const layout = stripePlanLayout(
      'plan_o',
      1,
      definition({ overage: { bufferPercent: 10, unitPriceMinor: 4, currency: 'usd' } }),
    );
    expect(layout.prices).toHaveLength(1);
    expect(layout.prices[0]).toMatchObject({
      key: 'overage',
      meter: 'requests',
      tiersMode: 'graduated',
      tiers: [
        { upTo: 1000, unitAmountMinor: '0' },
        { upTo: 'inf', unitAmountMinor: '4' },
      ],
    });
  });

  it('skips what Stripe cannot bill, with a reason', () => {
    const layout = stripePlanLayout(
      'plan_s',
      1,
      definition({
        prices: [
          {
            type: 'percentage',
            percentBasisPoints: 290,
            fixedAmountMinor: 30,
            currency: 'usd',
            meter: 'txn',
          },
          { type: 'per_unit', unitAmountMinor: 1, currency: 'usd', meter: 'seats' },
        ],
        meters: [{ slug: 'seats', aggregation: 'max', valueKey: 'seats' }],
      }),
    );
    expect(layout.prices).toEqual([]);
    expect(layout.meters).toEqual([]);
    expect(layout.skipped.map((skipped) => skipped.key)).toEqual(['c0', 'c1']);
    expect(layout.skipped[1]?.reason).toContain('max');
  });
});

describe('isPaidDefinition', () => {
  it('is false for the free tier and for plans without a billable price', () => {
    const paid = definition({ prices: [{ type: 'flat', amountMinor: 900, currency: 'usd' }] });
    expect(isPaidDefinition(paid)).toBe(true);
    expect(isPaidDefinition(paid, 'free')).toBe(false);
    expect(isPaidDefinition(definition({}))).toBe(false);
    expect(
      isPaidDefinition(definition({ prices: [{ type: 'flat', amountMinor: 0, currency: 'usd' }] })),
    ).toBe(false);
  });
});

describe('names', () => {
  it('keeps meter event names to Stripe-safe characters', () => {
    expect(meterEventNameFor('plan-x.1', 'sms')).toBe('tollgate_plan_x_1_sms');
  });

  it('derives the usage identifier from subscription, meter, period start and total', () => {
    const start = new Date('2026-03-01T00:00:00Z');
    expect(usageEventIdentifier('sub_1', 'requests', start, 42n)).toBe('tg:sub_1:requests:1772323200:42');
    expect(usageEventIdentifier('sub_1', 'requests', start, 42)).toBe(
      usageEventIdentifier('sub_1', 'requests', start, 42n),
    );
    const long = usageEventIdentifier('sub_'.padEnd(60, 'x'), 'm'.padEnd(60, 'm'), start, 1n);
    expect(long).toMatch(/^tg:[0-9a-f]{48}$/);
  });
});
