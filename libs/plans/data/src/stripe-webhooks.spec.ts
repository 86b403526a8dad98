import { stripeReferencesOf, type StripeWebhookEvent } from './stripe-webhooks';

const event = (type: string, object: unknown): StripeWebhookEvent => ({
  id: 'evt_1',
  type,
  created: 1_700_000_000,
  data: { object },
});

describe('stripeReferencesOf', () => {
  it('reads the subscription of an invoice in the current API version (parent.subscription_details)', () => {
    expect(
      stripeReferencesOf(
        event('invoice.paid', {
          customer: 'cus_1',
          parent: { subscription_details: { subscription: 'sub_1' } },
        }),
      ),
    ).toEqual({ subscriptionId: 'sub_1', customerId: 'cus_1' });
  });

  it('reads the top-level subscription of older invoices, expanded or not', () => {
    expect(stripeReferencesOf(event('invoice.payment_failed', { subscription: 'sub_2' }))).toEqual({
      subscriptionId: 'sub_2',
      customerId: undefined,
    });
    expect(
      stripeReferencesOf(
        event('invoice.payment_failed', { subscription: { id: 'sub_3' }, customer: { id: 'cus_3' } }),
      ),
    ).toEqual({ subscriptionId: 'sub_3', customerId: 'cus_3' });
  });

  it("takes a subscription event's own id as the subscription", () => {
    expect(
      stripeReferencesOf(event('customer.subscription.deleted', { id: 'sub_4', customer: 'cus_4' })),
    ).toEqual({
      subscriptionId: 'sub_4',
      customerId: 'cus_4',
    });
  });

  it('finds nothing in an object without references', () => {
    expect(stripeReferencesOf(event('invoice.paid', null))).toEqual({
      subscriptionId: undefined,
      customerId: undefined,
    });
  });
});
