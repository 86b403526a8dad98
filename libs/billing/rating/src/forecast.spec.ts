import { ValidationError } from '@tollgate/errors';
import fc from 'fast-check';
import { type ForecastInput, forecast } from './forecast';
import { type RatingPlan } from './rating-input';

const periodStart = new Date('2026-03-01T00:00:00.000Z');
const periodEnd = new Date('2026-04-01T00:00:00.000Z');
const now = new Date('2026-03-11T00:00:00.000Z');
const dayMs = 86_400_000;
const weekMs = 7 * dayMs;

const perRequest: RatingPlan = {
  prices: [{ type: 'per_unit', unitAmountMinor: 1, currency: 'usd' }],
  quota: { limit: 50_000, period: 'month' },
};

function run(overrides: Partial<ForecastInput>) {
  return forecast({
    currency: 'usd',
    periodStart,
    periodEnd,
    now,
    plan: perRequest,
    usedSoFar: { requests: 0 },
    usageLast7Days: { requests: 0 },
    ...overrides,
  });
}

describe('forecast: examples', () => {
  it('at 2,000 requests a day, reaches the 50,000 quota on 26 March and bills 62,000', () => {
    const result = run({ usedSoFar: { requests: 20_000 }, usageLast7Days: { requests: 14_000 } });
    // 20,000 + 2,000 × 21 days left = 62,000; (50,000 − 20,000) / 2,000 = 15 days after 11 March.
    expect(result.projectedUsage).toEqual({ requests: 62_000 });
    expect(result.quotaStatus).toBe('projected');
    expect(result.quotaReachedAt).toEqual(new Date('2026-03-26T00:00:00.000Z'));
    expect(result.projectedAmountMinor).toBe(62_000);
    expect(result.estimate.subtotalMinor).toBe(62_000);
  });

  it('does not reach the quota this period at a slow rate', () => {
    const result = run({ usedSoFar: { requests: 10_000 }, usageLast7Days: { requests: 700 } });
    expect(result.projectedUsage.requests).toBe(12_100);
    expect(result.quotaStatus).toBe('not_reached');
    expect(result.quotaReachedAt).toBeNull();
  });

  it('does not count a quota that would run out exactly as the period ends', () => {
    // 2,000 a day for the 21 days left uses the 42,000 up at periodEnd, when a new quota starts.
    const exactly = run({ quotaLimit: 42_000, usageLast7Days: { requests: 14_000 } });
    expect(exactly).toMatchObject({ quotaStatus: 'not_reached', quotaReachedAt: null });
    expect(exactly.projectedUsage.requests).toBe(42_000);
    const justBefore = run({ quotaLimit: 41_999, usageLast7Days: { requests: 14_000 } });
    expect(justBefore.quotaStatus).toBe('projected');
    // One request takes 43.2 s at 2,000 a day.
    expect(justBefore.quotaReachedAt?.getTime()).toBe(periodEnd.getTime() - 43_200);
  });

  it('says the quota is reached now when it is used up', () => {
    const result = run({ usedSoFar: { requests: 50_000 }, usageLast7Days: { requests: 0 } });
    expect(result).toMatchObject({
      quotaStatus: 'reached',
      quotaReachedAt: now,
      projectedAmountMinor: 50_000,
    });
  });

  it('has no quota to reach with an explicit null, or for a daily quota unless told the limit', () => {
    expect(run({ quotaLimit: null, usageLast7Days: { requests: 7 } }).quotaStatus).toBe('no_quota');
    const daily: RatingPlan = { ...perRequest, quota: { limit: 100, period: 'day' } };
    expect(run({ plan: daily }).quotaStatus).toBe('no_quota');
    expect(run({ plan: daily, quotaLimit: 10, usedSoFar: { requests: 10 } }).quotaStatus).toBe('reached');
  });

  it('reads a shorter recent window for a consumer with less history', () => {
    // 600 requests over the last 2 days: 300 a day for 21 days.
    const result = run({ usageLast7Days: { requests: 600 }, recentWindowMs: 2 * dayMs });
    expect(result.projectedUsage.requests).toBe(6_300);
  });

  it('projects transactions, meters and events, each at its own rate', () => {
    const result = forecast({
      currency: 'usd',
      periodStart,
      periodEnd,
      now,
      plan: {
        prices: [
          {
            type: 'percentage',
            percentBasisPoints: 290,
            fixedAmountMinor: 30,
            currency: 'usd',
            meter: 'txn_value',
          },
          { type: 'per_unit', unitAmountMinor: 4, currency: 'usd', meter: 'sms' },
          { type: 'per_event', eventType: 'order.created', amountMinor: 10, currency: 'usd' },
        ],
      },
      usedSoFar: {
        requests: 0,
        transactions: { txn_value: { count: 3, valueMinor: 10_000 } },
        meters: { sms: 100 },
      },
      usageLast7Days: {
        requests: 0,
        transactions: { txn_value: { count: 7, valueMinor: 70_000 } },
        events: { 'order.created': 14 },
      },
    });
    expect(result.projectedUsage).toEqual({
      requests: 0,
      meters: { sms: 100 },
      events: { 'order.created': 42 },
      transactions: { txn_value: { count: 24, valueMinor: 220_000 } },
    });
    // 2.9 % × 220,000 = 6,380; 24 × 30 = 720; 100 sms × 4 = 400; 42 events × 10 = 420.
    expect(result.projectedAmountMinor).toBe(6_380 + 720 + 400 + 420);
  });

  it('spreads the projected requests of a daily quota over the days left', () => {
    const daily: RatingPlan = {
      prices: [],
      overage: { unitPriceMinor: 1, currency: 'usd' },
      quota: { limit: 100, period: 'day' },
    };
    const result = run({
      plan: daily,
      now: new Date('2026-03-29T00:00:00.000Z'),
      usedSoFar: { requests: 150, requestsPerQuotaWindow: [150] },
      usageLast7Days: { requests: 1_050 },
    });
    // 150 a day for the 3 days left, 50 over the quota each, after the 50 over so far.
    expect(result.projectedUsage.requestsPerQuotaWindow).toEqual([150, 150, 150, 150]);
    expect(result.projectedAmountMinor).toBe(200);
  });

  it('names the offending field', () => {
    const issues = (overrides: Partial<ForecastInput>) => {
      try {
        run(overrides);
      } catch (error) {
        if (error instanceof ValidationError) return error.issues.map((issue) => issue.field);
        throw error;
      }
      return [];
    };
    expect(issues({ now: new Date('2026-04-02T00:00:00.000Z') })).toEqual(['now']);
    expect(issues({ usedSoFar: { requests: -1 }, usageLast7Days: { requests: 0.5 } })).toEqual([
      'usedSoFar.requests',
      'usageLast7Days.requests',
    ]);
    expect(issues({ recentWindowMs: 0, quotaLimit: -3 })).toEqual(['recentWindowMs', 'quotaLimit']);
    expect(
      issues({
        plan: {
          prices: [],
          overage: { unitPriceMinor: 1, currency: 'usd' },
          quota: { limit: 1, period: 'day' },
        },
      }),
    ).toEqual(['usedSoFar.requestsPerQuotaWindow']);
    expect(issues({ plan: { prices: [{ type: 'flat', amountMinor: 1, currency: 'eur' }] } })).toEqual([
      'plan.prices.0.currency',
    ]);
  });
});

describe('forecast: properties', () => {
  const scenario = fc.record({
    periodDays: fc.integer({ min: 1, max: 31 }),
    elapsedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    used: fc.integer({ min: 0, max: 100_000 }),
    recent: fc.integer({ min: 0, max: 100_000 }),
    limit: fc.integer({ min: 0, max: 100_000 }),
  });

  interface Scenario {
    periodDays: number;
    elapsedShare: number;
    used: number;
    recent: number;
    limit: number;
  }

  function setUp({ periodDays, elapsedShare, used, recent, limit }: Scenario) {
    const lengthMs = periodDays * dayMs;
    const elapsedMs = Math.floor(lengthMs * elapsedShare);
    const end = new Date(periodStart.getTime() + lengthMs);
    const at = new Date(periodStart.getTime() + elapsedMs);
    const result = forecast({
      currency: 'usd',
      periodStart,
      periodEnd: end,
      now: at,
      plan: perRequest,
      usedSoFar: { requests: used },
      usageLast7Days: { requests: recent },
      quotaLimit: limit,
    });
    return { result, remainingMs: lengthMs - elapsedMs, at };
  }

  it('projects the recent rate linearly, rounded half up (reference in Number arithmetic)', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result, remainingMs } = setUp(input);
        // recent × remaining < 1e5 × 2.7e9: exact in a double.
        const product = input.recent * remainingMs;
        const whole = Math.floor(product / weekMs);
        const rounded = (product - whole * weekMs) * 2 >= weekMs ? whole + 1 : whole;
        expect(result.projectedUsage.requests).toBe(input.used + rounded);
        expect(result.projectedAmountMinor).toBe(input.used + rounded);
      }),
      { numRuns: 300 },
    );
  });

  it('reaches the quota at the first millisecond the projection does, if before the period ends', () => {
    fc.assert(
      fc.property(scenario, (input) => {
        const { result, remainingMs, at } = setUp(input);
        const { used, recent, limit } = input;
        const reachedBy = (elapsed: number) => used * weekMs + recent * elapsed >= limit * weekMs;
        if (used >= limit) {
          expect(result).toMatchObject({ quotaStatus: 'reached', quotaReachedAt: at });
          return;
        }
        if (recent === 0) {
          expect(result).toMatchObject({ quotaStatus: 'not_reached', quotaReachedAt: null });
          return;
        }
        let first = Math.ceil(((limit - used) * weekMs) / recent);
        while (first > 0 && reachedBy(first - 1)) first -= 1;
        while (!reachedBy(first)) first += 1;
        if (first < remainingMs) {
          expect(result.quotaStatus).toBe('projected');
          expect(result.quotaReachedAt).toEqual(new Date(at.getTime() + first));
          expect(result.projectedUsage.requests).toBeGreaterThanOrEqual(limit);
        } else {
          expect(result).toMatchObject({ quotaStatus: 'not_reached', quotaReachedAt: null });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never projects less than was used, nor a lower bill for more recent usage', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 1_000 }), (input, more) => {
        const base = setUp(input).result;
        const busier = setUp({ ...input, recent: input.recent + more }).result;
        expect(base.projectedUsage.requests).toBeGreaterThanOrEqual(input.used);
        expect(busier.projectedAmountMinor).toBeGreaterThanOrEqual(base.projectedAmountMinor);
      }),
    );
  });
});
