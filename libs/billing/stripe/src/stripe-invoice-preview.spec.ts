import {
  billingPeriodOf,
  formatRational,
  parseDecimal,
  type PreviewPrice,
  priceQuantity,
} from './stripe-invoice-preview';

const perUnit = (unit: string, transform: PreviewPrice['transform_quantity'] = null): PreviewPrice => ({
  billing_scheme: 'per_unit',
  unit_amount_decimal: unit,
  tiers_mode: null,
  tiers: null,
  transform_quantity: transform,
});

const units = (value: string) => parseDecimal(value);
const seconds = (iso: string) => Date.parse(iso) / 1000;

describe('invoice preview pricing', () => {
  it('rounds each line half up, once', () => {
    expect(priceQuantity(perUnit('0.5'), units('5')).amount).toBe(3n);
    expect(priceQuantity(perUnit('0.5'), units('3')).amount).toBe(2n);
    expect(priceQuantity(perUnit('0.333'), units('1')).amount).toBe(0n);
    expect(priceQuantity(perUnit('0.0001'), units('1000000')).amount).toBe(100n);
  });

  it('divides and rounds the quantity with transform_quantity', () => {
    expect(priceQuantity(perUnit('200', { divide_by: 1000, round: 'up' }), units('1001')).amount).toBe(400n);
    expect(priceQuantity(perUnit('200', { divide_by: 1000, round: 'down' }), units('1999')).amount).toBe(
      200n,
    );
    expect(priceQuantity(perUnit('200', { divide_by: 1000, round: 'up' }), units('0')).amount).toBe(0n);
  });

  it('prices graduated and volume tiers with their flat amounts', () => {
    const tiers = [
      { up_to: 10, unit_amount_decimal: '0', flat_amount_decimal: null },
      { up_to: 100, unit_amount_decimal: '2', flat_amount_decimal: '50' },
      { up_to: null, unit_amount_decimal: '1.5', flat_amount_decimal: null },
    ];
    const tiered = (mode: 'graduated' | 'volume'): PreviewPrice => ({
      billing_scheme: 'tiered',
      unit_amount_decimal: null,
      tiers_mode: mode,
      tiers,
      transform_quantity: null,
    });
    // 10 × 0 + 90 × 2 + 50 + 21 × 1.5 = 261.5 → 262
    expect(priceQuantity(tiered('graduated'), units('121')).amount).toBe(262n);
    expect(priceQuantity(tiered('graduated'), units('10')).amount).toBe(0n);
    expect(priceQuantity(tiered('graduated'), units('0')).amount).toBe(0n);
    // 100 at tier 2: 100 × 2 + 50; 121 at tier 3: 181.5 → 182
    expect(priceQuantity(tiered('volume'), units('100')).amount).toBe(250n);
    expect(priceQuantity(tiered('volume'), units('121')).amount).toBe(182n);
    expect(priceQuantity(tiered('volume'), units('0')).amount).toBe(0n);
  });

  it('finds the period holding now, keeping the anchor day and clamping it to short months', () => {
    const anchor = seconds('2026-01-31T10:00:00Z');
    expect(billingPeriodOf(anchor, 'month', 1, seconds('2026-02-15T00:00:00Z'))).toEqual({
      start: anchor,
      end: seconds('2026-02-28T10:00:00Z'),
    });
    expect(billingPeriodOf(anchor, 'month', 1, seconds('2026-03-01T00:00:00Z'))).toEqual({
      start: seconds('2026-02-28T10:00:00Z'),
      end: seconds('2026-03-31T10:00:00Z'),
    });
    expect(billingPeriodOf(anchor, 'week', 2, anchor + 15 * 86_400).start).toBe(anchor + 14 * 86_400);
  });

  it('writes quantities as whole numbers or exact decimals', () => {
    expect(formatRational(units('2001'))).toBe('2001');
    expect(formatRational(units('2.50'))).toBe('2.5');
  });
});
