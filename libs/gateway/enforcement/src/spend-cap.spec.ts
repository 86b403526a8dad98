import { admissionCeiling, formatMinorAmount, refusedBySpendCap } from './spend-cap';

describe('spend cap enforcement', () => {
  const cap = (units: number) => ({ units, amountMinor: 500, currency: 'usd' });

  it('lowers the admission ceiling to the cap units only when they are fewer', () => {
    expect(admissionCeiling(1000, null)).toBe(1000);
    expect(admissionCeiling(1000, undefined)).toBe(1000);
    expect(admissionCeiling(1000, cap(250))).toBe(250);
    expect(admissionCeiling(1000, cap(1000))).toBe(1000);
    expect(admissionCeiling(1000, cap(5000))).toBe(1000);
    expect(admissionCeiling(1000, cap(0))).toBe(0);
  });

  it('attributes a refusal to the cap (402) only when the cap is the lower ceiling', () => {
    expect(refusedBySpendCap(1000, null)).toBe(false);
    expect(refusedBySpendCap(1000, cap(250))).toBe(true);
    expect(refusedBySpendCap(1000, cap(1000))).toBe(false);
    expect(refusedBySpendCap(1000, cap(1001))).toBe(false);
  });

  it('formats the cap in the currency’s own minor units', () => {
    expect(formatMinorAmount(500, 'usd')).toBe('5.00 USD');
    expect(formatMinorAmount(5, 'eur')).toBe('0.05 EUR');
    expect(formatMinorAmount(1234567, 'gbp')).toBe('12345.67 GBP');
    expect(formatMinorAmount(500, 'jpy')).toBe('500 JPY');
    expect(formatMinorAmount(1500, 'kwd')).toBe('1.500 KWD');
  });
});
