import { describe, expect, it } from '@jest/globals';
import { formatMoney } from '../../shared/format';
import { type PortalPlan } from '../portal-types';
import { planFacts } from './plan-facts';

function plan(changes: Partial<PortalPlan> = {}): PortalPlan {
  return {
    id: 'plan_1',
    slug: 'starter',
    name: 'Starter',
    tier: 'subscription',
    description: null,
    version: 1,
    free: false,
    quota: { limit: 10_000, period: 'month' },
    rateLimit: null,
    concurrency: null,
    overage: null,
    countingPolicy: { count4xx: true, count5xx: false, summary: '' },
    prices: [],
    priceSummary: [],
    trialDays: 0,
    ...changes,
  };
}

describe('planFacts', () => {
  it('states the quota and the hard block of a plan without overage', () => {
    expect(planFacts(plan())).toEqual([
      `${(10_000).toLocaleString()} requests per month`,
      'Requests beyond the quota are refused until the quota resets',
    ]);
  });

  it('states limits, overage and trial', () => {
    expect(
      planFacts(
        plan({
          quota: { limit: 500, period: 'day' },
          rateLimit: { perSecond: 5, burst: 20 },
          concurrency: 4,
          overage: { bufferPercent: 10, unitPriceMinor: 2, currency: 'usd' },
          trialDays: 14,
        }),
      ),
    ).toEqual([
      '500 requests per day',
      'Up to 5 requests per second (bursts of 20)',
      '4 requests in flight at once',
      `Beyond the quota: ${formatMoney(2, 'usd')} per request (up to 10 % more)`,
      '14-day free trial',
    ]);
  });

  it('speaks of one request in the singular', () => {
    const facts = planFacts(
      plan({ quota: { limit: 1, period: 'day' }, rateLimit: { perSecond: 1, burst: 1 }, concurrency: 1 }),
    );
    expect(facts.slice(0, 3)).toEqual([
      '1 request per day',
      'Up to 1 request per second (bursts of 1)',
      '1 request in flight at once',
    ]);
  });

  it('says a free overage buffer costs nothing and prices yen in whole units', () => {
    expect(planFacts(plan({ overage: { bufferPercent: 20, unitPriceMinor: 0, currency: 'usd' } }))).toContain(
      'Beyond the quota: up to 20 % more at no charge',
    );
    expect(planFacts(plan({ overage: { bufferPercent: 5, unitPriceMinor: 3, currency: 'jpy' } }))).toContain(
      `Beyond the quota: ${new Intl.NumberFormat(undefined, { style: 'currency', currency: 'JPY' }).format(3)} per request (up to 5 % more)`,
    );
  });
});
