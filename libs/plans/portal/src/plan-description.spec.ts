import { countingPolicyText, formatMoney, priceText } from './plan-description';

describe('plan descriptions', () => {
  it('formats minor units without floating point, honouring zero-decimal currencies', () => {
    expect(formatMoney(4900, 'usd')).toBe('49.00 USD');
    expect(formatMoney(5, 'eur')).toBe('0.05 EUR');
    expect(formatMoney(1999, 'jpy')).toBe('1999 JPY');
    expect(formatMoney(-150, 'usd')).toBe('-1.50 USD');
    expect(formatMoney(1250, 'kwd')).toBe('1.250 KWD');
  });

  it('states the counting policy in plain words', () => {
    expect(countingPolicyText({ count4xx: true, count5xx: false })).toBe(
      'Responses with status 2xx, 3xx, 4xx count against the quota; 5xx (server errors) do not.',
    );
    expect(countingPolicyText({ count4xx: false, count5xx: false })).toContain(
      '4xx (client errors) and 5xx (server errors) do not',
    );
    expect(countingPolicyText({ count4xx: true, count5xx: true })).toContain('whatever their status');
  });

  it('describes each price component type', () => {
    expect(priceText({ type: 'flat', amountMinor: 4900, currency: 'usd' }, 'month')).toBe(
      '49.00 USD per month',
    );
    expect(priceText({ type: 'per_unit', unitAmountMinor: 2, currency: 'usd', meter: 'sms' }, 'month')).toBe(
      '0.02 USD per sms',
    );
    expect(
      priceText(
        {
          type: 'graduated',
          currency: 'usd',
          tiers: [
            { upTo: 1000, unitAmountMinor: 0 },
            { upTo: null, unitAmountMinor: 1 },
          ],
        },
        'month',
      ),
    ).toBe('Graduated per request: 1–1000: 0.00 USD per request; 1001+: 0.01 USD per request');
    expect(
      priceText({ type: 'package', amountMinor: 500, packageSize: 1000, currency: 'usd' }, 'month'),
    ).toBe('5.00 USD per started block of 1000 requests');
    expect(
      priceText(
        {
          type: 'percentage',
          percentBasisPoints: 250,
          fixedAmountMinor: 30,
          currency: 'usd',
          meter: 'txn_value',
        },
        'month',
      ),
    ).toBe('2.5 % of txn_value plus 0.30 USD per transaction');
    expect(
      priceText({ type: 'per_event', amountMinor: 10, currency: 'usd', eventType: 'signup' }, 'day'),
    ).toBe('0.10 USD per signup event');
  });
});
