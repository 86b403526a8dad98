import {
  conversionPeriods,
  conversionPeriodStart,
  conversionSeries,
  type SubscriptionHistoryEntry,
} from './free-to-paid-conversion';

const at = (iso: string): number => Date.parse(iso);

describe('conversion periods', () => {
  it('starts weeks on Monday 00:00 UTC and months on the 1st', () => {
    expect(conversionPeriodStart(at('2026-03-19T15:00:00Z'), 'week')).toBe(at('2026-03-16T00:00:00Z'));
    expect(conversionPeriodStart(at('2026-03-16T00:00:00Z'), 'week')).toBe(at('2026-03-16T00:00:00Z'));
    expect(conversionPeriodStart(at('2026-03-22T23:59:59Z'), 'week')).toBe(at('2026-03-16T00:00:00Z'));
    expect(conversionPeriodStart(at('2026-03-19T15:00:00Z'), 'month')).toBe(at('2026-03-01T00:00:00Z'));
    expect(
      conversionPeriods({ from: at('2025-12-10T00:00:00Z'), to: at('2026-02-02T00:00:00Z') }, 'month'),
    ).toEqual([
      { start: at('2025-12-01T00:00:00Z'), end: at('2026-01-01T00:00:00Z') },
      { start: at('2026-01-01T00:00:00Z'), end: at('2026-02-01T00:00:00Z') },
      { start: at('2026-02-01T00:00:00Z'), end: at('2026-03-01T00:00:00Z') },
    ]);
  });
});

describe('conversionSeries', () => {
  const free = new Set(['plan_free', 'plan_hobby']);
  const isFree = (planId: string) => free.has(planId);
  const months = conversionPeriods(
    { from: at('2026-01-01T00:00:00Z'), to: at('2026-04-01T00:00:00Z') },
    'month',
  );
  const sub = (
    consumerId: string,
    planId: string,
    created: string,
    canceled?: string,
  ): SubscriptionHistoryEntry => ({
    consumerId,
    planId,
    createdAt: at(created),
    canceledAt: canceled ? at(canceled) : null,
  });

  it('counts moves from a free plan to a paid one in the month they happen, over the free consumers of that month', () => {
    const history = [
      // a: free in January, paid from February 10.
      sub('a', 'plan_free', '2026-01-05T00:00:00Z', '2026-02-10T00:00:00Z'),
      sub('a', 'plan_pro', '2026-02-10T00:00:00Z'),
      // b: free all along.
      sub('b', 'plan_free', '2025-11-01T00:00:00Z'),
      // c: free, then another free plan, then paid in March.
      sub('c', 'plan_free', '2026-01-20T00:00:00Z', '2026-02-01T00:00:00Z'),
      sub('c', 'plan_hobby', '2026-02-01T00:00:00Z', '2026-03-03T00:00:00Z'),
      sub('c', 'plan_pro', '2026-03-03T00:00:00Z'),
      // d: paid from the start, then down to free in March: not a conversion.
      sub('d', 'plan_pro', '2026-01-01T00:00:00Z', '2026-03-15T00:00:00Z'),
      sub('d', 'plan_free', '2026-03-15T00:00:00Z'),
      // e: one paid plan to another: not a conversion.
      sub('e', 'plan_pro', '2026-01-02T00:00:00Z', '2026-02-02T00:00:00Z'),
      sub('e', 'plan_enterprise', '2026-02-02T00:00:00Z'),
    ];
    expect(conversionSeries(history, isFree, months)).toEqual([
      { start: months[0].start, end: months[0].end, freeConsumers: 3, conversions: 0, conversionRate: 0 },
      { start: months[1].start, end: months[1].end, freeConsumers: 3, conversions: 1, conversionRate: 1 / 3 },
      { start: months[2].start, end: months[2].end, freeConsumers: 3, conversions: 1, conversionRate: 1 / 3 },
    ]);
  });

  it('has no rate without free consumers', () => {
    expect(conversionSeries([], isFree, months.slice(0, 1))).toEqual([
      { start: months[0].start, end: months[0].end, freeConsumers: 0, conversions: 0, conversionRate: null },
    ]);
  });
});
