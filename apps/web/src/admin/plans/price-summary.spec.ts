import { describe, expect, it } from '@jest/globals';
import { formatMoney } from '../shared/format';
import { priceSummary } from './price-summary';

describe('priceSummary', () => {
  it('says Free for a plan without prices or overage', () => {
    expect(priceSummary({ prices: [], currency: 'usd', overage: null })).toBe('Free');
  });

  it('summarises every component type and the overage in the plan currency', () => {
    const summary = priceSummary({
      currency: 'usd',
      overage: { bufferPercent: 10, unitPriceMinor: 2, currency: 'usd' },
      prices: [
        { type: 'flat', amountMinor: 4900, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 1, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 5, currency: 'usd', meter: 'sms' },
        { type: 'package', packageSize: 1000, amountMinor: 500, currency: 'usd' },
        {
          type: 'percentage',
          percentBasisPoints: 250,
          fixedAmountMinor: 30,
          meter: 'amount',
          currency: 'usd',
        },
        { type: 'per_event', eventType: 'order.created', amountMinor: 7, currency: 'usd' },
        { type: 'graduated', currency: 'usd', tiers: [{ upTo: null, unitAmountMinor: 1 }] },
        { type: 'volume', currency: 'usd', tiers: [{ upTo: null, unitAmountMinor: 1 }] },
      ],
    });
    const usd = (minor: number) => formatMoney(minor, 'usd');
    expect(summary).toBe(
      [
        `${usd(4900)} / period`,
        `${usd(1)} per request`,
        `${usd(5)} per sms`,
        `${usd(500)} per ${(1000).toLocaleString()} requests`,
        `2.5 % + ${usd(30)}`,
        `${usd(7)} per order.created`,
        'graduated tiers',
        'volume tiers',
        `overage ${usd(2)}`,
      ].join(' + '),
    );
  });

  it('shows yen as whole units', () => {
    const summary = priceSummary({
      currency: 'jpy',
      overage: null,
      prices: [{ type: 'flat', amountMinor: 5000, currency: 'jpy' }],
    });
    expect(summary).toBe(
      `${new Intl.NumberFormat(undefined, { style: 'currency', currency: 'JPY' }).format(5000)} / period`,
    );
  });
});
