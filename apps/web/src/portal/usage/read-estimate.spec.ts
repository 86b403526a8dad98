import { describe, expect, it } from '@jest/globals';
import { readEstimate } from './read-estimate';

/** `GET /api/portal/estimate` as the portal API answers it (PortalEstimateDto). */
const estimate = {
  consumerId: 'con_1',
  planId: 'plan_1',
  planName: 'Pay as you go',
  currency: 'eur',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  asOf: '2026-11-28T09:00:00.000Z',
  usage: { requests: 320, totalRequests: 330, units: {} },
  lines: [
    {
      type: 'per_unit',
      description: '320 requests × 1',
      quantity: 320,
      unitAmountDecimal: '1',
      amountMinor: 320,
    },
  ],
  subtotalMinor: 320,
  subtotal: '3.20 EUR',
  forecast: {
    quotaLimit: 1000,
    quotaStatus: 'projected',
    quotaReachedAt: '2026-12-14T00:00:00.000Z',
    projectedRequests: 1240,
    projectedAmountMinor: 1240,
    projectedAmount: '12.40 EUR',
    summary: "At the last 7 days' rate the quota is reached on 2026-12-14; projected bill 12.40 EUR.",
  },
};

describe('readEstimate', () => {
  it('reads the portal API answer', () => {
    expect(readEstimate(estimate)).toEqual({
      currency: 'eur',
      soFarMinor: 320,
      projectedMinor: 1240,
      quotaReachedAt: '2026-12-14T00:00:00.000Z',
      lines: estimate.lines,
    });
  });

  it('reads an answer nested under `estimate`', () => {
    const { forecast, ...rest } = estimate;
    expect(readEstimate({ estimate: rest, forecast })).toMatchObject({
      currency: 'eur',
      soFarMinor: 320,
      projectedMinor: 1240,
    });
  });

  it('reads flat totals and leaves out what is missing', () => {
    expect(readEstimate({ totalMinor: 99 })).toEqual({
      currency: 'usd',
      soFarMinor: 99,
      projectedMinor: undefined,
      quotaReachedAt: undefined,
      lines: [],
    });
  });

  it('treats anything else as an empty estimate', () => {
    expect(readEstimate(null)).toMatchObject({ soFarMinor: undefined, lines: [] });
    expect(readEstimate('oops')).toMatchObject({ soFarMinor: undefined, lines: [] });
  });
});
