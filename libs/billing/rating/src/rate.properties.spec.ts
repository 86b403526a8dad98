import fc from 'fast-check';
import { prorateMinor } from './proration';
import { type InvoiceEstimate, rate } from './rate';
import {
  type ReferenceComponent,
  referenceComponentAmount,
  referenceOverageAmount,
  type ReferencePlan,
  referencePlanAmount,
  referenceRound,
  type ReferenceTier,
  type ReferenceUsage,
} from './rating.reference';

const periodStart = new Date('2026-03-01T00:00:00.000Z');
const periodEnd = new Date('2026-04-01T00:00:00.000Z');
const periodMs = periodEnd.getTime() - periodStart.getTime();

const amount = fc.integer({ min: 0, max: 10_000 });
const meter = fc.constantFrom<string | undefined>(undefined, 'requests', 'sms');

/** An integer price, or a decimal one of up to 4 places (sub-cent prices). */
const unitPrice = fc.oneof(
  amount.map((unitAmountMinor) => ({ unitAmountMinor })),
  fc
    .record({
      whole: fc.integer({ min: 0, max: 50 }),
      places: fc.integer({ min: 1, max: 4 }),
      digits: fc.nat(),
    })
    .map(({ whole, places, digits }) => ({
      unitAmountMinor: 0,
      unitAmountDecimal: `${whole}.${String(digits % 10 ** places).padStart(places, '0')}`,
    })),
);

const tiers: fc.Arbitrary<ReferenceTier[]> = fc
  .tuple(
    fc.uniqueArray(fc.integer({ min: 1, max: 2_500 }), { maxLength: 4 }),
    fc.array(
      fc.record({ price: unitPrice, flat: fc.option(fc.integer({ min: 0, max: 500 }), { nil: undefined }) }),
      {
        minLength: 5,
        maxLength: 5,
      },
    ),
  )
  .map(([bounds, prices]) =>
    [...[...bounds].sort((a, b) => a - b), null].map((upTo, index) => ({
      upTo,
      ...prices[index].price,
      ...(prices[index].flat === undefined ? {} : { flatAmountMinor: prices[index].flat }),
    })),
  );

const withMeter = <T extends object>(component: T, name: string | undefined) =>
  name === undefined ? component : { ...component, meter: name };

const flat = amount.map((amountMinor): ReferenceComponent => ({
  type: 'flat',
  amountMinor,
  currency: 'usd',
}));
const perUnit = fc
  .tuple(unitPrice, meter)
  .map(([price, name]) => withMeter({ type: 'per_unit' as const, ...price, currency: 'usd' }, name));
const graduated = fc
  .tuple(tiers, meter)
  .map(([list, name]) => withMeter({ type: 'graduated' as const, tiers: list, currency: 'usd' }, name));
const volume = fc
  .tuple(tiers, meter)
  .map(([list, name]) => withMeter({ type: 'volume' as const, tiers: list, currency: 'usd' }, name));
const packaged = fc
  .tuple(fc.integer({ min: 1, max: 700 }), amount, meter)
  .map(([packageSize, amountMinor, name]) =>
    withMeter({ type: 'package' as const, packageSize, amountMinor, currency: 'usd' }, name),
  );
const percentage = fc
  .record({ percentBasisPoints: fc.integer({ min: 0, max: 10_000 }), fixedAmountMinor: amount })
  .map((fields): ReferenceComponent => ({ type: 'percentage', ...fields, currency: 'usd', meter: 'txn' }));
const perEvent = fc
  .record({ eventType: fc.constantFrom('order.created', 'report.built'), amountMinor: amount })
  .map((fields): ReferenceComponent => ({ type: 'per_event', ...fields, currency: 'usd' }));

const component: fc.Arbitrary<ReferenceComponent> = fc.oneof(
  flat,
  perUnit,
  graduated,
  volume,
  packaged,
  percentage,
  perEvent,
);

const quantity = fc.integer({ min: 0, max: 3_000 });

const usage: fc.Arbitrary<ReferenceUsage> = fc.record({
  requests: quantity,
  meters: fc.record({ sms: quantity }),
  transactions: fc.record({
    txn: fc.record({ count: fc.integer({ min: 0, max: 50 }), valueMinor: fc.nat(1_000_000) }),
  }),
  events: fc.record({
    'order.created': fc.integer({ min: 0, max: 200 }),
    'report.built': fc.integer({ min: 0, max: 200 }),
  }),
});

const plan: fc.Arbitrary<ReferencePlan> = fc.record({
  prices: fc.array(component, { maxLength: 6 }),
  overage: fc.option(fc.record({ unitPriceMinor: amount, currency: fc.constant('usd') }), { nil: null }),
  quota: fc.record({ limit: quantity, period: fc.constant<'month'>('month') }),
});

/** Two usages that add up to `whole`, figure by figure. */
function splitUsage(whole: ReferenceUsage, share: number): [ReferenceUsage, ReferenceUsage] {
  const part = (value: number) => Math.floor(value * share);
  const sms = whole.meters?.sms ?? 0;
  const txn = whole.transactions?.txn ?? { count: 0, valueMinor: 0 };
  const orders = whole.events?.['order.created'] ?? 0;
  const reports = whole.events?.['report.built'] ?? 0;
  const first: ReferenceUsage = {
    requests: part(whole.requests),
    meters: { sms: part(sms) },
    transactions: { txn: { count: part(txn.count), valueMinor: part(txn.valueMinor) } },
    events: { 'order.created': part(orders), 'report.built': part(reports) },
  };
  const second: ReferenceUsage = {
    requests: whole.requests - first.requests,
    meters: { sms: sms - (first.meters?.sms ?? 0) },
    transactions: {
      txn: {
        count: txn.count - (first.transactions?.txn.count ?? 0),
        valueMinor: txn.valueMinor - (first.transactions?.txn.valueMinor ?? 0),
      },
    },
    events: {
      'order.created': orders - (first.events?.['order.created'] ?? 0),
      'report.built': reports - (first.events?.['report.built'] ?? 0),
    },
  };
  return [first, second];
}

function componentTotals(estimate: InvoiceEstimate): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of estimate.lines) {
    const key = `${line.segment}:${line.component ?? 'overage'}`;
    totals.set(key, (totals.get(key) ?? 0) + line.amountMinor);
  }
  return totals;
}

function rateWhole(ratedPlan: ReferencePlan, ratedUsage: ReferenceUsage): InvoiceEstimate {
  return rate({ currency: 'usd', periodStart, periodEnd, plan: ratedPlan, usage: ratedUsage });
}

describe('rate, against the unit-by-unit reference', () => {
  it('prices every component and the overage as the reference does', () => {
    fc.assert(
      fc.property(plan, usage, (ratedPlan, ratedUsage) => {
        const estimate = rateWhole(ratedPlan, ratedUsage);
        const totals = componentTotals(estimate);
        ratedPlan.prices.forEach((price, index) => {
          expect(totals.get(`0:${index}`)).toBe(referenceComponentAmount(price, ratedUsage));
        });
        if (ratedPlan.overage) {
          expect(totals.get('0:overage')).toBe(referenceOverageAmount(ratedPlan, ratedUsage));
        }
        expect(estimate.subtotalMinor).toBe(referencePlanAmount(ratedPlan, ratedUsage));
      }),
      { numRuns: 400 },
    );
  });

  it('prices quantities on and next to tier bounds as the reference does', () => {
    fc.assert(
      fc.property(
        fc.oneof(graduated, volume),
        fc.nat(),
        fc.integer({ min: -1, max: 1 }),
        (price, pick, offset) => {
          if (price.type !== 'graduated' && price.type !== 'volume') throw new Error('tiered prices only');
          const bounds = price.tiers.flatMap((tier) => (tier.upTo === null ? [] : [tier.upTo]));
          const units = Math.max(0, (bounds.length === 0 ? 0 : bounds[pick % bounds.length]) + offset);
          const tieredUsage = { requests: units, meters: { sms: units } };
          expect(rateWhole({ prices: [price] }, tieredUsage).subtotalMinor).toBe(
            referenceComponentAmount(price, tieredUsage),
          );
        },
      ),
    );
  });

  it('bills a daily quota window by window', () => {
    const windows = fc.array(quantity, { minLength: 1, maxLength: 31 });
    fc.assert(
      fc.property(quantity, amount, windows, (limit, unitPriceMinor, requestsPerQuotaWindow) => {
        const dailyPlan: ReferencePlan = {
          prices: [],
          overage: { unitPriceMinor, currency: 'usd' },
          quota: { limit, period: 'day' },
        };
        const dailyUsage = {
          requests: requestsPerQuotaWindow.reduce((a, b) => a + b, 0),
          requestsPerQuotaWindow,
        };
        expect(rateWhole(dailyPlan, dailyUsage).subtotalMinor).toBe(
          referenceOverageAmount(dailyPlan, dailyUsage),
        );
      }),
    );
  });

  it('never produces a negative line, and the subtotal is the sum of the lines', () => {
    fc.assert(
      fc.property(plan, usage, (ratedPlan, ratedUsage) => {
        const estimate = rateWhole(ratedPlan, ratedUsage);
        for (const line of estimate.lines) {
          expect(line.amountMinor).toBeGreaterThanOrEqual(0);
          expect(line.quantity).toBeGreaterThanOrEqual(0);
          expect(Number.isSafeInteger(line.amountMinor)).toBe(true);
        }
        expect(estimate.subtotalMinor).toBe(estimate.lines.reduce((sum, line) => sum + line.amountMinor, 0));
      }),
    );
  });
});

describe('rate, invariants', () => {
  it('never bills less for more usage on graduated, per-unit and package prices', () => {
    const monotonic = fc.oneof(perUnit, graduated, packaged);
    fc.assert(
      fc.property(monotonic, quantity, quantity, (price, a, b) => {
        const [less, more] = a <= b ? [a, b] : [b, a];
        const bill = (units: number) =>
          rateWhole({ prices: [price] }, { requests: units, meters: { sms: units } }).subtotalMinor;
        expect(bill(less)).toBeLessThanOrEqual(bill(more));
      }),
    );
  });

  it('charges a flat fee in full over the full period, and a one-segment period as one plan', () => {
    fc.assert(
      fc.property(plan, usage, (ratedPlan, ratedUsage) => {
        const whole = rateWhole(ratedPlan, ratedUsage);
        for (const line of whole.lines.filter((entry) => entry.type === 'flat')) {
          expect(line.amountMinor).toBe(Number(line.unitAmountDecimal));
          expect(line.prorated).toBe(false);
        }
        const segmented = rate({
          currency: 'usd',
          periodStart,
          periodEnd,
          segments: [{ from: periodStart, to: periodEnd, plan: ratedPlan, usage: ratedUsage }],
        });
        expect(segmented).toEqual(whole);
      }),
    );
  });

  it('prorates complementary parts of a period to the whole amount, or one minor unit more on an exact tie', () => {
    fc.assert(
      fc.property(
        fc.nat(Number.MAX_SAFE_INTEGER),
        fc.integer({ min: 1, max: 10 ** 10 }),
        fc.nat(),
        (value, total, cut) => {
          const part = BigInt(cut % (total + 1));
          const whole = BigInt(value);
          const sum =
            prorateMinor(whole, part, BigInt(total)) +
            prorateMinor(whole, BigInt(total) - part, BigInt(total));
          expect(sum - whole === 0n || sum - whole === 1n).toBe(true);
        },
      ),
    );
  });

  it('splitting the period at any instant under the same plan changes nothing', () => {
    fc.assert(
      fc.property(
        plan,
        usage,
        fc.integer({ min: 1, max: periodMs - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (ratedPlan, ratedUsage, cutMs, share) => {
          const cut = new Date(periodStart.getTime() + cutMs);
          const [before, after] = splitUsage(ratedUsage, share);
          const split = rate({
            currency: 'usd',
            periodStart,
            periodEnd,
            segments: [
              { from: periodStart, to: cut, plan: ratedPlan, usage: before },
              { from: cut, to: periodEnd, plan: ratedPlan, usage: after },
            ],
          });
          const whole = rateWhole(ratedPlan, ratedUsage);
          // Unchanged components are rated once over the whole period, so every line is the same.
          expect(split).toEqual(whole);
        },
      ),
    );
  });

  it('after a plan change, rates each changed component on its own part and prorates its flat fee', () => {
    fc.assert(
      fc.property(
        plan,
        fc.array(component, { maxLength: 4 }),
        fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
        usage,
        fc.integer({ min: 1, max: periodMs - 1 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (first, added, kept, ratedUsage, cutMs, share) => {
          // The second plan keeps some of the first plan's components and adds others.
          const second: ReferencePlan = {
            prices: [...first.prices.filter((_, index) => kept[index]), ...added],
            overage: first.overage,
            quota: first.quota,
          };
          const cut = new Date(periodStart.getTime() + cutMs);
          const [before, after] = splitUsage(ratedUsage, share);
          const estimate = rate({
            currency: 'usd',
            periodStart,
            periodEnd,
            segments: [
              { from: periodStart, to: cut, plan: first, usage: before },
              { from: cut, to: periodEnd, plan: second, usage: after },
            ],
          });

          // Reference: match components across the change by their JSON, in order.
          const unmatched = second.prices.map((price) => JSON.stringify(price));
          let expected = referenceOverageAmount(first, ratedUsage);
          const continued = new Set<number>();
          for (const price of first.prices) {
            const match = unmatched.findIndex(
              (text, index) => text === JSON.stringify(price) && !continued.has(index),
            );
            if (match >= 0) {
              continued.add(match);
              expected += referenceComponentAmount(price, ratedUsage);
            } else {
              expected += referenceComponentAmount(price, before, cutMs, periodMs);
            }
          }
          second.prices.forEach((price, index) => {
            if (!continued.has(index)) {
              expected += referenceComponentAmount(price, after, periodMs - cutMs, periodMs);
            }
          });
          expect(estimate.subtotalMinor).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a prorated flat fee is within half a minor unit of its exact share', () => {
    fc.assert(
      fc.property(amount, fc.integer({ min: 1, max: periodMs - 1 }), (amountMinor, cutMs) => {
        const cut = new Date(periodStart.getTime() + cutMs);
        const estimate = rate({
          currency: 'usd',
          periodStart,
          periodEnd,
          segments: [
            {
              from: periodStart,
              to: cut,
              plan: { prices: [{ type: 'flat', amountMinor, currency: 'usd' }] },
              usage: { requests: 0 },
            },
            { from: cut, to: periodEnd, plan: { prices: [] }, usage: { requests: 0 } },
          ],
        });
        const [line] = estimate.lines;
        expect(line.prorated).toBe(true);
        expect(line.amountMinor).toBe(referenceRound(amountMinor * cutMs, periodMs));
        expect(Math.abs(line.amountMinor * periodMs - amountMinor * cutMs)).toBeLessThanOrEqual(periodMs / 2);
      }),
    );
  });
});
