import { currencyMinorDigits } from './plan-currency';

describe('currencyMinorDigits', () => {
  it('counts minor units as the billing provider does: cents, none, or thousandths', () => {
    expect(currencyMinorDigits('usd')).toBe(2);
    expect(currencyMinorDigits('EUR')).toBe(2);
    expect(currencyMinorDigits('jpy')).toBe(0);
    expect(currencyMinorDigits('VND')).toBe(0);
    expect(currencyMinorDigits('kwd')).toBe(3);
    expect(currencyMinorDigits('BHD')).toBe(3);
    expect(currencyMinorDigits('xof')).toBe(0);
    expect(currencyMinorDigits('TND')).toBe(3);
  });
});
