import { describe, expect, it } from '@jest/globals';
import { planCreateSchema, priceComponentSchema } from '@tollgate/plans-domain';
import { newPriceComponent, type PriceType } from './new-price-component';

const types: PriceType[] = ['flat', 'per_unit', 'graduated', 'volume', 'package', 'percentage', 'per_event'];

describe('newPriceComponent', () => {
  it.each(types)('starts a valid %s component in the given currency', (type) => {
    const component = newPriceComponent(type, 'eur');
    expect(component).toMatchObject({ type, currency: 'eur' });
    expect(priceComponentSchema.safeParse(component).success).toBe(true);
  });

  it('starts components a plan accepts together', () => {
    const prices = types.map((type) => newPriceComponent(type, 'usd'));
    const result = planCreateSchema.safeParse({
      name: 'Everything',
      quota: { limit: 10_000, period: 'month' },
      prices,
      meters: [{ slug: 'amount', aggregation: 'sum', valueKey: 'amount' }],
    });
    expect(result.error?.issues).toBeUndefined();
  });

  it('gives each component its own tiers', () => {
    const first = newPriceComponent('graduated', 'usd');
    const second = newPriceComponent('graduated', 'usd');
    expect(first).toEqual(second);
    if (first.type !== 'graduated' || second.type !== 'graduated') throw new Error('graduated expected');
    expect(first.tiers).not.toBe(second.tiers);
  });
});
