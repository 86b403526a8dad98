import { ValidationError } from '@tollgate/errors';
import { type InvoiceEstimate, rate } from './rate';
import { type RatingPlan, type RatingPriceComponent, type RatingUsage } from './rating-input';

const periodStart = new Date('2026-03-01T00:00:00.000Z');
const periodEnd = new Date('2026-04-01T00:00:00.000Z');
const changeAt = new Date('2026-03-16T00:00:00.000Z');

function rateOne(
  prices: RatingPriceComponent[],
  usage: RatingUsage,
  plan: Partial<RatingPlan> = {},
): InvoiceEstimate {
  return rate({ currency: 'usd', periodStart, periodEnd, plan: { prices, ...plan }, usage });
}

function summary(estimate: InvoiceEstimate) {
  return estimate.lines.map(({ description, quantity, unitAmountDecimal, amountMinor }) => ({
    description,
    quantity,
    unitAmountDecimal,
    amountMinor,
  }));
}

function validationIssues(run: () => unknown): { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('Expected a ValidationError');
}

const requestTiers: RatingPriceComponent = {
  type: 'graduated',
  currency: 'usd',
  tiers: [
    { upTo: 1_000, unitAmountMinor: 0 },
    { upTo: 10_000, unitAmountMinor: 0, unitAmountDecimal: '0.2' },
    { upTo: null, unitAmountMinor: 0, unitAmountDecimal: '0.1' },
  ],
};

const cardFee: RatingPriceComponent = {
  type: 'percentage',
  percentBasisPoints: 290,
  fixedAmountMinor: 30,
  currency: 'usd',
  meter: 'txn_value',
};

describe('rate: percentage', () => {
  it('charges 2.9 % + 30¢ on 3 transactions totalling $100.00 as 290 + 90 = 380', () => {
    const estimate = rateOne([cardFee], {
      requests: 0,
      transactions: { txn_value: { count: 3, valueMinor: 10_000 } },
    });
    expect(summary(estimate)).toEqual([
      { description: '2.9 % of txn_value', quantity: 10_000, unitAmountDecimal: '0.029', amountMinor: 290 },
      {
        description: 'Fixed fee per txn_value transaction',
        quantity: 3,
        unitAmountDecimal: '30',
        amountMinor: 90,
      },
    ]);
    expect(estimate.subtotalMinor).toBe(380);
  });

  it('rounds the percentage half up once on the line', () => {
    const oneBasisPoint = { ...cardFee, percentBasisPoints: 1, fixedAmountMinor: 0 };
    const on = (valueMinor: number) =>
      rateOne([oneBasisPoint], { requests: 0, transactions: { txn_value: { count: 1, valueMinor } } })
        .subtotalMinor;
    expect(on(4_999)).toBe(0); // 0.4999
    expect(on(5_000)).toBe(1); // 0.5
    expect(on(15_000)).toBe(2); // 1.5
  });

  it('is exact on values whose product with the rate passes 2^53', () => {
    const estimate = rateOne([{ ...cardFee, fixedAmountMinor: 0 }], {
      requests: 0,
      transactions: { txn_value: { count: 1, valueMinor: Number.MAX_SAFE_INTEGER } },
    });
    // 9007199254740991 × 0.029 = 261208778387488.739
    expect(estimate.subtotalMinor).toBe(261_208_778_387_489);
  });

  it('reads no transactions as none', () => {
    expect(rateOne([cardFee], { requests: 10 }).subtotalMinor).toBe(0);
  });
});

describe('rate: graduated', () => {
  it('prices 25,000 requests tier by tier: 0 + 9,000 × 0.2 + 15,000 × 0.1 = 3,300', () => {
    const estimate = rateOne([requestTiers], { requests: 25_000 });
    expect(summary(estimate)).toEqual([
      { description: 'Requests, tier 1 (1–1000)', quantity: 1_000, unitAmountDecimal: '0', amountMinor: 0 },
      {
        description: 'Requests, tier 2 (1001–10000)',
        quantity: 9_000,
        unitAmountDecimal: '0.2',
        amountMinor: 1_800,
      },
      {
        description: 'Requests, tier 3 (10001 and above)',
        quantity: 15_000,
        unitAmountDecimal: '0.1',
        amountMinor: 1_500,
      },
    ]);
    expect(estimate.subtotalMinor).toBe(3_300);
  });

  it('adds the flat amount of each tier entered, and lists no tier that was not', () => {
    const tiered: RatingPriceComponent = {
      type: 'graduated',
      currency: 'usd',
      tiers: [
        { upTo: 100, unitAmountMinor: 1, flatAmountMinor: 500 },
        { upTo: null, unitAmountMinor: 2, flatAmountMinor: 1_000 },
      ],
    };
    expect(rateOne([tiered], { requests: 0 }).subtotalMinor).toBe(0);
    const atBound = rateOne([tiered], { requests: 100 });
    expect(atBound.lines.map((line) => line.amountMinor)).toEqual([100, 500]);
    expect(rateOne([tiered], { requests: 101 }).subtotalMinor).toBe(100 + 500 + 2 + 1_000);
  });

  it('rounds each tier line half up', () => {
    const tiered: RatingPriceComponent = {
      type: 'graduated',
      currency: 'usd',
      tiers: [
        { upTo: 1, unitAmountMinor: 0, unitAmountDecimal: '0.5' },
        { upTo: null, unitAmountMinor: 0, unitAmountDecimal: '0.25' },
      ],
    };
    // 1 × 0.5 → 1; 2 × 0.25 = 0.5 → 1
    expect(rateOne([tiered], { requests: 3 }).lines.map((line) => line.amountMinor)).toEqual([1, 1]);
  });
});

describe('rate: volume', () => {
  const volume: RatingPriceComponent = {
    type: 'volume',
    currency: 'usd',
    meter: 'sms',
    tiers: [
      { upTo: 1_000, unitAmountMinor: 5 },
      { upTo: 10_000, unitAmountMinor: 3, flatAmountMinor: 2_000 },
      { upTo: null, unitAmountMinor: 1 },
    ],
  };
  const sms = (count: number) => rateOne([volume], { requests: 0, meters: { sms: count } });

  it('prices every unit at the tier the total falls in, plus that tier flat amount', () => {
    expect(sms(1_000).subtotalMinor).toBe(5_000);
    expect(summary(sms(1_001))).toEqual([
      {
        description: 'sms, all units at tier 2 (1001–10000)',
        quantity: 1_001,
        unitAmountDecimal: '3',
        amountMinor: 3_003,
      },
      {
        description: 'sms, all units at tier 2 (1001–10000), flat fee',
        quantity: 1,
        unitAmountDecimal: '2000',
        amountMinor: 2_000,
      },
    ]);
    expect(sms(20_000).subtotalMinor).toBe(20_000);
  });

  it('charges nothing, not even a flat amount, for no units', () => {
    const flatFirst = { ...volume, tiers: [{ upTo: null, unitAmountMinor: 5, flatAmountMinor: 900 }] };
    expect(rateOne([flatFirst], { requests: 0 }).subtotalMinor).toBe(0);
    expect(rateOne([flatFirst], { requests: 0, meters: { sms: 1 } }).subtotalMinor).toBe(905);
  });
});

describe('rate: package, per unit, per event', () => {
  it('charges every started package: 2,500 units in packages of 1,000 at 500 = 1,500', () => {
    const packaged: RatingPriceComponent = {
      type: 'package',
      packageSize: 1_000,
      amountMinor: 500,
      currency: 'usd',
    };
    expect(summary(rateOne([packaged], { requests: 2_500 }))).toEqual([
      {
        description: 'Requests: 2500 in packages of 1000',
        quantity: 3,
        unitAmountDecimal: '500',
        amountMinor: 1_500,
      },
    ]);
    expect(rateOne([packaged], { requests: 2_000 }).subtotalMinor).toBe(1_000);
    expect(rateOne([packaged], { requests: 0 }).subtotalMinor).toBe(0);
  });

  it('rates a named meter from its usage key, not from the requests', () => {
    const sms: RatingPriceComponent = { type: 'per_unit', unitAmountMinor: 4, currency: 'usd', meter: 'sms' };
    expect(rateOne([sms], { requests: 1_000, meters: { sms: 25 } }).subtotalMinor).toBe(100);
    expect(rateOne([sms], { requests: 1_000 }).subtotalMinor).toBe(0);
  });

  it('rounds a sub-cent unit price half up at the line', () => {
    const price = (unitAmountDecimal: string, requests: number) =>
      rateOne([{ type: 'per_unit', unitAmountMinor: 0, unitAmountDecimal, currency: 'usd' }], { requests })
        .subtotalMinor;
    expect(price('0.5', 3)).toBe(2); // 1.5
    expect(price('0.249', 2)).toBe(0); // 0.498
    expect(price('0.0001', 123_456)).toBe(12); // 12.3456
  });

  it('charges per business event of the priced type only', () => {
    const perEvent: RatingPriceComponent = {
      type: 'per_event',
      eventType: 'order.created',
      amountMinor: 25,
      currency: 'usd',
    };
    expect(
      rateOne([perEvent], { requests: 0, events: { 'order.created': 12, 'order.paid': 40 } }).subtotalMinor,
    ).toBe(300);
  });

  it('refuses a line above 2^53 - 1 minor units, naming the component', () => {
    const issues = validationIssues(() =>
      rateOne([{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }], {
        requests: 4_000_000_000_000_000,
      }),
    );
    expect(issues).toEqual([
      { field: 'plan.prices.0', message: 'Rates to an amount or quantity above 2^53 - 1' },
    ]);
  });
});

describe('rate: overage', () => {
  const overage = { unitPriceMinor: 2, currency: 'usd' };

  it('bills counted requests beyond a period quota at the overage price', () => {
    const estimate = rateOne(
      [],
      { requests: 52_345 },
      { overage, quota: { limit: 50_000, period: 'month' } },
    );
    expect(summary(estimate)).toEqual([
      {
        description: 'Requests above the quota of 50000',
        quantity: 2_345,
        unitAmountDecimal: '2',
        amountMinor: 4_690,
      },
    ]);
    expect(
      rateOne([], { requests: 49_000 }, { overage, quota: { limit: 50_000, period: 'month' } }).subtotalMinor,
    ).toBe(0);
  });

  it('has no overage line without an overage', () => {
    expect(
      rateOne([], { requests: 99 }, { overage: null, quota: { limit: 10, period: 'month' } }).lines,
    ).toEqual([]);
  });

  it('bills a daily quota day by day', () => {
    const daily = { overage, quota: { limit: 100, period: 'day' as const } };
    const estimate = rateOne([], { requests: 570, requestsPerQuotaWindow: [90, 130, 100, 250] }, daily);
    expect(estimate.subtotalMinor).toBe((30 + 150) * 2);
    expect(validationIssues(() => rateOne([], { requests: 570 }, daily))).toEqual([
      {
        field: 'usage.requestsPerQuotaWindow',
        message: 'Required for the overage of a daily quota (one entry per day)',
      },
    ]);
    expect(validationIssues(() => rateOne([], { requests: 1, requestsPerQuotaWindow: [2] }, daily))).toEqual([
      { field: 'usage.requestsPerQuotaWindow', message: 'Must add up to requests' },
    ]);
  });
});

describe('rate: a plan change during the period', () => {
  const starter: RatingPlan = {
    prices: [{ type: 'flat', amountMinor: 2_900, currency: 'usd' }, requestTiers],
  };
  const pro: RatingPlan = {
    prices: [{ type: 'flat', amountMinor: 9_900, currency: 'usd' }, requestTiers, cardFee],
  };

  it('prorates each flat fee by its days and rates the unchanged tiers once over the period', () => {
    const estimate = rate({
      currency: 'usd',
      periodStart,
      periodEnd,
      segments: [
        { from: periodStart, to: changeAt, plan: starter, usage: { requests: 6_000 } },
        {
          from: changeAt,
          to: periodEnd,
          plan: pro,
          usage: { requests: 9_000, transactions: { txn_value: { count: 3, valueMinor: 10_000 } } },
        },
      ],
    });
    expect(
      estimate.lines.map(
        ({ segment, component, description, quantity, amountMinor, from, to, prorated }) => ({
          segment,
          component,
          description,
          quantity,
          amountMinor,
          from: from.toISOString().slice(0, 10),
          to: to.toISOString().slice(0, 10),
          prorated,
        }),
      ),
    ).toEqual([
      // 2,900 × 15/31 = 1,403.23
      {
        segment: 0,
        component: 0,
        description: 'Flat fee (prorated)',
        quantity: 1,
        amountMinor: 1_403,
        from: '2026-03-01',
        to: '2026-03-16',
        prorated: true,
      },
      // 6,000 + 9,000 requests on the same tiers, which do not restart at the change
      {
        segment: 0,
        component: 1,
        description: 'Requests, tier 1 (1–1000)',
        quantity: 1_000,
        amountMinor: 0,
        from: '2026-03-01',
        to: '2026-04-01',
        prorated: false,
      },
      {
        segment: 0,
        component: 1,
        description: 'Requests, tier 2 (1001–10000)',
        quantity: 9_000,
        amountMinor: 1_800,
        from: '2026-03-01',
        to: '2026-04-01',
        prorated: false,
      },
      {
        segment: 0,
        component: 1,
        description: 'Requests, tier 3 (10001 and above)',
        quantity: 5_000,
        amountMinor: 500,
        from: '2026-03-01',
        to: '2026-04-01',
        prorated: false,
      },
      // 9,900 × 16/31 = 5,109.68
      {
        segment: 1,
        component: 0,
        description: 'Flat fee (prorated)',
        quantity: 1,
        amountMinor: 5_110,
        from: '2026-03-16',
        to: '2026-04-01',
        prorated: true,
      },
      {
        segment: 1,
        component: 2,
        description: '2.9 % of txn_value',
        quantity: 10_000,
        amountMinor: 290,
        from: '2026-03-16',
        to: '2026-04-01',
        prorated: false,
      },
      {
        segment: 1,
        component: 2,
        description: 'Fixed fee per txn_value transaction',
        quantity: 3,
        amountMinor: 90,
        from: '2026-03-16',
        to: '2026-04-01',
        prorated: false,
      },
    ]);
    expect(estimate.subtotalMinor).toBe(9_193);
  });

  it('restarts the tiers of a component that changed', () => {
    const cheaper: RatingPriceComponent = {
      ...requestTiers,
      tiers: [{ upTo: null, unitAmountMinor: 0, unitAmountDecimal: '0.1' }],
    };
    const estimate = rate({
      currency: 'usd',
      periodStart,
      periodEnd,
      segments: [
        { from: periodStart, to: changeAt, plan: { prices: [requestTiers] }, usage: { requests: 6_000 } },
        { from: changeAt, to: periodEnd, plan: { prices: [cheaper] }, usage: { requests: 9_000 } },
      ],
    });
    // Before: 5,000 × 0.2 = 1,000; after: 9,000 × 0.1 = 900.
    expect(estimate.subtotalMinor).toBe(1_900);
  });

  it('prorates exactly, even for amounts whose product with the milliseconds passes 2^53', () => {
    const estimate = rate({
      currency: 'usd',
      periodStart,
      periodEnd,
      segments: [
        {
          from: periodStart,
          to: changeAt,
          plan: { prices: [{ type: 'flat', amountMinor: Number.MAX_SAFE_INTEGER, currency: 'usd' }] },
          usage: { requests: 0 },
        },
        { from: changeAt, to: periodEnd, plan: { prices: [] }, usage: { requests: 0 } },
      ],
    });
    // 9007199254740991 × 15/31 = 4358322220035963.39
    expect(estimate.subtotalMinor).toBe(4_358_322_220_035_963);
  });
});

describe('rate: validation', () => {
  it('names every malformed field', () => {
    const issues = validationIssues(() =>
      rate({
        currency: 'usd',
        periodStart,
        periodEnd,
        plan: {
          prices: [
            {
              type: 'graduated',
              currency: 'usd',
              tiers: [
                { upTo: 10, unitAmountMinor: 1 },
                { upTo: 5, unitAmountMinor: 1 },
                { upTo: null, unitAmountMinor: 1 },
              ],
            },
            { type: 'per_unit', unitAmountMinor: 0, unitAmountDecimal: '0.1234567890123', currency: 'usd' },
            { type: 'tiered' } as unknown as RatingPriceComponent,
          ],
          overage: { unitPriceMinor: 1, currency: 'usd' },
        },
        usage: { requests: -1, meters: { sms: 1.5 } },
      }),
    );
    expect(issues.map((issue) => issue.field)).toEqual([
      'plan.prices.0.tiers.1.upTo',
      'plan.prices.1.unitAmountDecimal',
      'plan.prices.2.type',
      'usage.requests',
      'usage.meters.sms',
    ]);
  });

  it('requires the quota of a plan with an overage', () => {
    expect(
      validationIssues(() =>
        rateOne([], { requests: 0 }, { overage: { unitPriceMinor: 1, currency: 'usd' } }),
      ),
    ).toEqual([{ field: 'plan.quota', message: 'Required when the plan has an overage' }]);
  });

  it('requires every component in the invoice currency, whatever its case', () => {
    expect(rateOne([{ type: 'flat', amountMinor: 1, currency: 'USD' }], { requests: 0 }).currency).toBe(
      'usd',
    );
    expect(
      validationIssues(() => rateOne([{ type: 'flat', amountMinor: 1, currency: 'eur' }], { requests: 0 })),
    ).toEqual([{ field: 'plan.prices.0.currency', message: "Must be usd, the invoice's currency" }]);
  });

  it('requires segments that cover the period end to end', () => {
    const segment = (from: Date, to: Date) => ({ from, to, plan: { prices: [] }, usage: { requests: 0 } });
    const later = new Date('2026-03-20T00:00:00.000Z');
    const issues = validationIssues(() =>
      rate({
        currency: 'usd',
        periodStart,
        periodEnd,
        segments: [segment(periodStart, changeAt), segment(later, new Date('2026-03-31T00:00:00.000Z'))],
      }),
    );
    expect(issues).toEqual([
      { field: 'segments.1.from', message: 'Must be the previous segment\'s "to"' },
      { field: 'segments.1.to', message: 'Must be periodEnd' },
    ]);
    expect(validationIssues(() => rate({ currency: 'usd', periodStart, periodEnd, segments: [] }))).toEqual([
      { field: 'segments', message: 'Must have at least one segment' },
    ]);
  });

  it('requires the period to end after it starts', () => {
    expect(
      validationIssues(() =>
        rate({
          currency: 'usd',
          periodStart: periodEnd,
          periodEnd: periodStart,
          plan: { prices: [] },
          usage: { requests: 0 },
        }),
      ),
    ).toEqual([{ field: 'periodEnd', message: 'Must be after periodStart' }]);
  });
});
