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
    expect(formatMinorAmount(500, 'jpy', 0)).toBe('500 JPY');
    expect(formatMinorAmount(1500, 'kwd', 3)).toBe('1.500 KWD');
    expect(formatMinorAmount(-7, 'usd', 2)).toBe('-0.07 USD');
  });

  it('takes the digits it is given, not a locale table (ISK is billed in hundredths)', () => {
    // Intl knows ISK without decimals; Tollgate bills it with two, as the control plane sends.
    expect(formatMinorAmount(50_000, 'isk', 2)).toBe('500.00 ISK');
    expect(formatMinorAmount(50_000, 'isk')).toBe('500.00 ISK');
    expect(formatMinorAmount(500, 'usd', -1)).toBe('5.00 USD');
  });
});
