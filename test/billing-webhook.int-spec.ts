import { type DemoInfo } from '@tollgate/plans-data';
import Stripe from 'stripe';
import { type EmbeddedPlatform, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

const webhookSecret = 'whsec_integration_test_secret_0123456789';
const stripeCustomerId = 'cus_Tollgate0001';
const stripeSubscriptionId = 'sub_Tollgate0001';

interface Answer {
  status: number;
  contentType: string;
  // JSON of several shapes, asserted field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of many shapes
  body: any;
}

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

function invoiceEvent(id: string, type: string, created: number, subscription = stripeSubscriptionId) {
  return {
    id,
    object: 'event',
    type,
    created,
    api_version: '2025-10-29',
    livemode: false,
    data: {
      object: {
        id: `in_${id.slice(4)}`,
        object: 'invoice',
        customer: stripeCustomerId,
        parent: { type: 'subscription_details', subscription_details: { subscription } },
      },
    },
  };
}

/** Stripe webhooks against the embedded platform: signature, once-only, ordering, effects. */
describe('Stripe webhooks (embedded platform)', () => {
  let embedded: EmbeddedPlatform;
  let demo: DemoInfo;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('billing-webhook', { STRIPE_WEBHOOK_SECRET: webhookSecret });
    ({ demo } = embedded);
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  const admin = async (method: string, path: string, body?: unknown): Promise<Answer> =>
    answerOf(
      await fetch(`${demo.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${demo.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );

  const deliver = async (payload: string, signature?: string): Promise<Answer> =>
    answerOf(
      await fetch(`${demo.apiUrl}/api/billing/stripe/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature === undefined ? {} : { 'stripe-signature': signature }),
        },
        body: payload,
      }),
    );

  const deliverSigned = (event: object): Promise<Answer> => {
    // Spacing that a re-serialization would not reproduce: the signature must cover the bytes.
    const payload = JSON.stringify(event, null, 2);
    return deliver(payload, Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret }));
  };

  const subscription = async () => {
    const consumer = await admin('GET', `/api/admin/consumers/${demo.demoConsumerId}`);
    expect(consumer.status).toBe(200);
    return consumer.body.subscription as { status: string; stripeSubscriptionId: string | null };
  };

  const link = async () => {
    const answer = await admin('PUT', `/api/admin/consumers/${demo.demoConsumerId}/stripe`, {});
    return answer.body as { status: string; pastDueSince: string | null };
  };

  const now = Math.floor(Date.now() / 1000);
  const failedAt = now - 600;

  it('links the demo consumer to a Stripe customer and subscription, audit-logged', async () => {
    const invalid = await admin('PUT', `/api/admin/consumers/${demo.demoConsumerId}/stripe`, {
      stripeSubscriptionId: 'not-a-subscription',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((issue: { field: string }) => issue.field)).toEqual([
      'stripeSubscriptionId',
    ]);

    const linked = await admin('PUT', `/api/admin/consumers/${demo.demoConsumerId}/stripe`, {
      stripeCustomerId,
      stripeSubscriptionId,
    });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({
      consumerId: demo.demoConsumerId,
      stripeCustomerId,
      stripeSubscriptionId,
      status: 'active',
      pastDueSince: null,
    });
    expect(await subscription()).toMatchObject({ status: 'active', stripeSubscriptionId });

    const audit = await admin(
      'GET',
      `/api/admin/audit-log?entityType=consumer&entityId=${demo.demoConsumerId}`,
    );
    expect(audit.body.items.map((entry: { action: string }) => entry.action)).toContain(
      'consumer.stripe_link',
    );
  });

  it('refuses a missing or wrong signature with a 400 problem and changes nothing', async () => {
    const payload = JSON.stringify(invoiceEvent('evt_forged', 'invoice.payment_failed', failedAt));
    const unsigned = await deliver(payload);
    expect(unsigned.status).toBe(400);
    expect(unsigned.contentType).toContain('application/problem+json');

    const wrongSecret = await deliver(
      payload,
      Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' }),
    );
    expect(wrongSecret.status).toBe(400);
    expect(wrongSecret.contentType).toContain('application/problem+json');
    expect(wrongSecret.body.errors[0].field).toBe('Stripe-Signature');

    const signedForOtherBytes = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const tampered = await deliver(payload.replace('evt_forged', 'evt_forged2'), signedForOtherBytes);
    expect(tampered.status).toBe(400);

    expect((await subscription()).status).toBe('active');
  });

  it('applies invoice.payment_failed once: past_due, then a replay is a duplicate', async () => {
    const event = invoiceEvent('evt_failed_1', 'invoice.payment_failed', failedAt);
    const first = await deliverSigned(event);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true, duplicate: false, outcome: 'applied' });
    expect((await subscription()).status).toBe('past_due');
    const pastDue = await link();
    expect(pastDue.pastDueSince).toBe(new Date(failedAt * 1000).toISOString());

    const replay = await deliverSigned(event);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ received: true, duplicate: true });
    expect(await link()).toEqual(pastDue);
  });

  it('does not let an older invoice.paid delivered late undo a newer failure', async () => {
    const late = await deliverSigned(invoiceEvent('evt_paid_old', 'invoice.paid', failedAt - 300));
    expect(late.body).toEqual({ received: true, duplicate: false, outcome: 'stale' });
    expect((await subscription()).status).toBe('past_due');
  });

  it('records events it does not act on or cannot match, with a 200', async () => {
    const unknown = await deliverSigned({
      ...invoiceEvent('evt_other', 'invoice.created', now),
      type: 'charge.refunded',
    });
    expect(unknown.body).toEqual({ received: true, duplicate: false, outcome: 'ignored' });
    const unmatched = await deliverSigned({
      ...invoiceEvent('evt_unknown_sub', 'invoice.paid', now, 'sub_Unknown'),
      data: { object: { object: 'invoice', customer: 'cus_Unknown', subscription: 'sub_Unknown' } },
    });
    expect(unmatched.body).toEqual({ received: true, duplicate: false, outcome: 'unmatched' });
    // The linked customer, but another Stripe subscription: not the demo consumer's.
    const otherSubscription = await deliverSigned(
      invoiceEvent('evt_other_sub', 'invoice.payment_failed', failedAt + 10, 'sub_Other'),
    );
    expect(otherSubscription.body).toEqual({ received: true, duplicate: false, outcome: 'unmatched' });
    // No subscription named: found by the customer, already past due.
    const byCustomer = await deliverSigned({
      ...invoiceEvent('evt_by_customer', 'invoice.payment_failed', failedAt + 20),
      data: { object: { object: 'invoice', customer: stripeCustomerId } },
    });
    expect(byCustomer.body).toEqual({ received: true, duplicate: false, outcome: 'unchanged' });
    expect((await subscription()).status).toBe('past_due');
  });

  it('makes the subscription active again on a newer invoice.paid, and cancels it on deletion', async () => {
    const paid = await deliverSigned(invoiceEvent('evt_paid_new', 'invoice.paid', failedAt + 60));
    expect(paid.body).toEqual({ received: true, duplicate: false, outcome: 'applied' });
    expect(await link()).toMatchObject({ status: 'active', pastDueSince: null });

    const deleted = await deliverSigned({
      id: 'evt_deleted',
      object: 'event',
      type: 'customer.subscription.deleted',
      created: failedAt + 120,
      data: { object: { id: stripeSubscriptionId, object: 'subscription', customer: stripeCustomerId } },
    });
    expect(deleted.body).toEqual({ received: true, duplicate: false, outcome: 'applied' });
    const consumer = await admin('GET', `/api/admin/consumers/${demo.demoConsumerId}`);
    expect(consumer.body.subscription).toBeNull();
  });

  it('moves the consumer to the paid plan of a completed Checkout Session, then follows subscription updates', async () => {
    const plans = await admin('GET', '/api/admin/plans');
    const starter = (plans.body as Array<{ id: string; slug: string }>).find(
      (plan) => plan.slug === 'starter',
    );
    expect(starter).toBeDefined();
    const checkoutSubscription = 'sub_Checkout0001';
    const completed = {
      id: 'evt_checkout_completed',
      object: 'event',
      type: 'checkout.session.completed',
      created: now,
      data: {
        object: {
          id: 'cs_test_0001',
          object: 'checkout.session',
          mode: 'subscription',
          status: 'complete',
          client_reference_id: demo.demoConsumerId,
          customer: stripeCustomerId,
          subscription: checkoutSubscription,
          metadata: { tollgate_consumer_id: demo.demoConsumerId, tollgate_plan_id: starter?.id },
        },
      },
    };
    const applied = await deliverSigned(completed);
    expect(applied.body).toEqual({ received: true, duplicate: false, outcome: 'applied' });
    const consumer = await admin('GET', `/api/admin/consumers/${demo.demoConsumerId}`);
    expect(consumer.body.subscription).toMatchObject({
      planId: starter?.id,
      status: 'active',
      stripeSubscriptionId: checkoutSubscription,
      stripeCustomerId,
    });
    expect((await deliverSigned(completed)).body).toEqual({ received: true, duplicate: true });

    const updated = (id: string, created: number, status: string) => ({
      id,
      object: 'event',
      type: 'customer.subscription.updated',
      created,
      data: {
        object: { id: checkoutSubscription, object: 'subscription', customer: stripeCustomerId, status },
      },
    });
    expect((await deliverSigned(updated('evt_sub_updated_1', now + 60, 'past_due'))).body).toEqual({
      received: true,
      duplicate: false,
      outcome: 'applied',
    });
    expect((await subscription()).status).toBe('past_due');
    expect((await deliverSigned(updated('evt_sub_updated_0', now + 30, 'active'))).body.outcome).toBe(
      'stale',
    );
    expect((await subscription()).status).toBe('past_due');
  });
});
