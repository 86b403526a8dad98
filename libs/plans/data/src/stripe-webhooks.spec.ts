import { type Subscription } from '@tollgate/relational';
import {
  checkoutSessionReferences,
  isStripePauseSuspension,
  stripePlanFollow,
  stripeReferencesOf,
  type StripeWebhookEvent,
  subscriptionPriceIds,
  subscriptionStatusChange,
} from './stripe-webhooks';

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

describe('checkoutSessionReferences', () => {
  it('reads the consumer and plan from the metadata and the Stripe ids, expanded or not', () => {
    expect(
      checkoutSessionReferences({
        client_reference_id: 'cons_other',
        metadata: { tollgate_consumer_id: 'cons_1', tollgate_plan_id: 'plan_1', tollgate_plan_version: '3' },
        subscription: { id: 'sub_1' },
        customer: 'cus_1',
      }),
    ).toEqual({
      consumerId: 'cons_1',
      planId: 'plan_1',
      planVersion: 3,
      stripeSubscriptionId: 'sub_1',
      stripeCustomerId: 'cus_1',
    });
  });

  it('falls back to client_reference_id and ignores a malformed version', () => {
    expect(
      checkoutSessionReferences({
        client_reference_id: 'cons_2',
        metadata: { tollgate_plan_id: 'plan_2', tollgate_plan_version: 'two' },
      }),
    ).toEqual({
      consumerId: 'cons_2',
      planId: 'plan_2',
      planVersion: undefined,
      stripeSubscriptionId: undefined,
      stripeCustomerId: undefined,
    });
  });
});

describe('subscriptionStatusChange', () => {
  const at = new Date('2026-03-01T00:00:00Z');
  const subscription = (status: Subscription['status'], pastDueSince: Date | null = null) =>
    ({ status, pastDueSince }) as Subscription;

  it('maps Stripe statuses onto a live subscription', () => {
    expect(subscriptionStatusChange('past_due', subscription('active'), at)).toEqual({
      status: 'past_due',
      pastDueSince: at,
    });
    expect(subscriptionStatusChange('unpaid', subscription('active'), at)).toMatchObject({
      status: 'past_due',
    });
    expect(subscriptionStatusChange('active', subscription('past_due', at), at)).toEqual({
      status: 'active',
      pastDueSince: null,
    });
    expect(subscriptionStatusChange('paused', subscription('active'), at)).toEqual({ status: 'suspended' });
    expect(subscriptionStatusChange('paused', subscription('trialing'), at)).toEqual({ status: 'suspended' });
    expect(subscriptionStatusChange('canceled', subscription('active'), at)).toEqual({
      status: 'canceled',
      canceledAt: at,
      pastDueSince: null,
    });
  });

  it('changes nothing when the subscription is already there or Stripe is still collecting', () => {
    expect(subscriptionStatusChange('active', subscription('active'), at)).toBeNull();
    expect(subscriptionStatusChange('past_due', subscription('past_due', at), at)).toBeNull();
    expect(subscriptionStatusChange('incomplete', subscription('active'), at)).toBeNull();
    // A suspended subscription is not revived by a status alone.
    expect(subscriptionStatusChange('past_due', subscription('suspended'), at)).toBeNull();
    expect(subscriptionStatusChange('paused', subscription('suspended'), at)).toBeNull();
    expect(subscriptionStatusChange('trialing', subscription('active'), at)).toBeNull();
  });

  it('starts dunning when a trial ends unpaid', () => {
    expect(subscriptionStatusChange('past_due', subscription('trialing'), at)).toEqual({
      status: 'past_due',
      pastDueSince: at,
    });
    expect(subscriptionStatusChange('unpaid', subscription('trialing'), at)).toEqual({
      status: 'past_due',
      pastDueSince: at,
    });
  });

  it('lifts a suspension on resume only when a Stripe pause made it', () => {
    const paused = subscriptionStatusChange('paused', subscription('past_due', at), at);
    expect(paused).toEqual({ status: 'suspended' });
    const suspended = subscription('suspended', at);
    expect(subscriptionStatusChange('active', suspended, at, true)).toEqual({
      status: 'active',
      pastDueSince: null,
    });
    expect(subscriptionStatusChange('trialing', suspended, at, true)).toEqual({
      status: 'trialing',
      pastDueSince: null,
    });
    // Suspended some other way: Stripe being active again changes nothing.
    expect(subscriptionStatusChange('active', suspended, at, false)).toBeNull();
    expect(subscriptionStatusChange('active', suspended, at)).toBeNull();
    expect(subscriptionStatusChange('trialing', suspended, at)).toBeNull();
  });
});

describe('isStripePauseSuspension', () => {
  const byStripe = { actorType: 'system', actorId: 'stripe' };

  it("recognizes the audit entry of a Stripe pause and nobody else's suspension", () => {
    expect(
      isStripePauseSuspension({ ...byStripe, action: 'subscription.stripe.customer.subscription.updated' }),
    ).toBe(true);
    expect(
      isStripePauseSuspension({
        actorType: 'admin_user',
        actorId: 'adm_1',
        action: 'subscription.stripe.customer.subscription.updated',
      }),
    ).toBe(false);
    expect(
      isStripePauseSuspension({
        actorType: 'system',
        actorId: 'dunning',
        action: 'consumer.dunning_suspend',
      }),
    ).toBe(false);
    expect(isStripePauseSuspension({ ...byStripe, action: 'subscription.stripe.invoice.paid' })).toBe(false);
  });
});

describe('subscriptionPriceIds', () => {
  it("lists the items' prices, expanded or not", () => {
    expect(
      subscriptionPriceIds({ items: { data: [{ price: { id: 'price_1' } }, { price: 'price_2' }, {}] } }),
    ).toEqual(['price_1', 'price_2']);
    expect(subscriptionPriceIds({})).toEqual([]);
  });
});

describe('stripePlanFollow', () => {
  const pro = { planId: 'plan_pro', version: 2 };
  const onPro = { planId: 'plan_pro', planVersion: 1, downgradedFromPlanId: null };
  // Downgraded for non-payment: on the free plan, while Stripe still bills Pro.
  const downgraded = { planId: 'plan_free', planVersion: 1, downgradedFromPlanId: 'plan_pro' };

  it('follows the plan or version Stripe bills', () => {
    expect(stripePlanFollow(onPro, pro, 'active')).toBe('move');
    expect(stripePlanFollow(onPro, { planId: 'plan_team', version: 1 }, 'past_due')).toBe('move');
  });

  it('changes nothing when Stripe bills what the subscription has, or no synced plan', () => {
    expect(stripePlanFollow(onPro, { planId: 'plan_pro', version: 1 }, 'active')).toBe('none');
    expect(stripePlanFollow(onPro, null, 'active')).toBe('none');
    expect(stripePlanFollow(downgraded, { planId: 'plan_free', version: 1 }, 'past_due')).toBe('none');
  });

  it('keeps a downgrade while Stripe bills the plan it came from, also once paid (dunning restores it)', () => {
    expect(stripePlanFollow(downgraded, pro, 'past_due')).toBe('keep');
    expect(stripePlanFollow(downgraded, pro, 'active')).toBe('keep');
  });

  it('moves a downgraded subscription to another plan only once it is paid', () => {
    const team = { planId: 'plan_team', version: 1 };
    expect(stripePlanFollow(downgraded, team, 'past_due')).toBe('keep');
    expect(stripePlanFollow(downgraded, team, 'suspended')).toBe('keep');
    expect(stripePlanFollow(downgraded, team, 'active')).toBe('move');
    expect(stripePlanFollow(downgraded, team, 'trialing')).toBe('move');
  });
});
