import { parseStripeForm } from './stripe-form.parser';

describe('parseStripeForm', () => {
  it('nests brackets into objects and indexed keys into arrays', () => {
    expect(
      parseStripeForm(
        'items[1][price]=p2&items[0][price]=p1&items[0][quantity]=3&recurring[interval]=month&metadata[a%20b]=c%26d',
      ),
    ).toEqual({
      items: [{ price: 'p1', quantity: '3' }, { price: 'p2' }],
      recurring: { interval: 'month' },
      metadata: { 'a b': 'c&d' },
    });
  });

  it('appends empty-bracket keys and decodes encoded brackets', () => {
    expect(parseStripeForm('expand[]=data.product&expand%5B%5D=customer&name=x')).toEqual({
      expand: ['data.product', 'customer'],
      name: 'x',
    });
  });

  it('keeps tiers with an inf bound', () => {
    expect(parseStripeForm('tiers[0][up_to]=10&tiers[0][unit_amount]=5&tiers[1][up_to]=inf')).toEqual({
      tiers: [{ up_to: '10', unit_amount: '5' }, { up_to: 'inf' }],
    });
  });
});
