import { type BillingProvider } from '@tollgate/billing-stripe';
import { type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { ConflictError, ValidationError } from '@tollgate/errors';
import { patchPlan, processStripeEvent } from '@tollgate/plans-data';
import { parseInput, planPatchSchema } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import {
  createScratchDatabase,
  createTestConsumer,
  createTestPlan,
  quietLogger,
  resourceStack,
  startStripeBilling,
} from '../testing/billing-test-support';
import { meterEventNameFor } from './stripe-plan-mapping';
import { StripeSync } from './stripe-sync';

// Plans, consumers and subscriptions synced to the Stripe test server through the official SDK,
// recorded in a scratch PostgreSQL database.

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Stripe sync (PostgreSQL, Stripe test server)', () => {
  const resources = resourceStack();
  let prisma: PrismaClient;
  let stripe: StripeTestServer;
  let provider: BillingProvider;
  let sync: StripeSync;
  let paidPlanId: string;
  let freePlanId: string;
  let paidConsumerId: string;
  let freeConsumerId: string;

  beforeAll(async () => {
    ({ prisma } = await resources.add(createScratchDatabase('tollgate_sync')));
    ({ server: stripe, provider } = await resources.add(startStripeBilling({ secretKey: 'sk_test_sync' })));
    sync = new StripeSync({ prisma, provider, logger: quietLogger });

    const paid = await createTestPlan(prisma, {
      name: 'Growth',
      quota: { limit: 10_000, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 4900, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 1, currency: 'usd' },
        {
          type: 'graduated',
          currency: 'usd',
          meter: 'sms',
          tiers: [
            { upTo: 100, unitAmountMinor: 0 },
            { upTo: null, unitAmountMinor: 4, flatAmountMinor: 50 },
          ],
        },
        { type: 'package', packageSize: 1000, amountMinor: 200, currency: 'usd', meter: 'emails' },
      ],
    });
    paidPlanId = paid.id;
    const free = await createTestPlan(prisma, {
      name: 'Free',
      tier: 'free',
      quota: { limit: 100, period: 'month' },
    });
    freePlanId = free.id;
    paidConsumerId = (
      await createTestConsumer(prisma, { name: 'Paying', email: 'pay@acme.test', planId: paidPlanId })
    ).id;
    freeConsumerId = (
      await createTestConsumer(prisma, { name: 'Trying', email: 'try@acme.test', planId: freePlanId })
    ).id;
  }, 120_000);

  afterAll(() => resources.close(), 60_000);

  const objectsOf = (kind: string) => [...stripe.objects.values()].filter((object) => object.object === kind);
  const posts = () => stripe.calls.filter((call) => call.method === 'POST');

  it('creates products, meters, prices, customers and subscriptions once', async () => {
    const summary = await sync.syncAll();
    expect(summary).toEqual({ products: 1, meters: 3, prices: 4, customers: 1, subscriptions: 1, failed: 0 });

    expect(objectsOf('product').map((product) => product.id)).toEqual([`tollgate_${paidPlanId}`]);
    const meters = objectsOf('billing.meter');
    expect(meters.map((meter) => meter['event_name']).sort()).toEqual(
      ['emails', 'requests', 'sms'].map((slug) => meterEventNameFor(paidPlanId, slug)).sort(),
    );
    const prices = objectsOf('price');
    const meterOf = (price: Record<string, unknown>) =>
      (price['recurring'] as { meter: string | null }).meter;
    expect(prices.filter((price) => meterOf(price) === null).map((price) => price['unit_amount'])).toEqual([
      4900,
    ]);
    const sms = prices.find((price) => price['billing_scheme'] === 'tiered');
    expect(sms).toMatchObject({ tiers_mode: 'graduated' });
    expect(meters.find((meter) => meter.id === meterOf(sms as Record<string, unknown>))?.['event_name']).toBe(
      meterEventNameFor(paidPlanId, 'sms'),
    );
    expect(prices.find((price) => price['transform_quantity'] !== null)?.['transform_quantity']).toEqual({
      divide_by: 1000,
      round: 'up',
    });

    const customers = objectsOf('customer');
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({
      email: 'pay@acme.test',
      metadata: { tollgate_consumer_id: paidConsumerId },
    });
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: paidConsumerId } });
    expect(consumer.stripeCustomerId).toBe(customers[0]?.id);
    expect(
      (await prisma.consumer.findUniqueOrThrow({ where: { id: freeConsumerId } })).stripeCustomerId,
    ).toBeNull();

    const subscription = await prisma.subscription.findFirstOrThrow({
      where: { consumerId: paidConsumerId },
    });
    const stripeSubscription = stripe.objects.get(subscription.stripeSubscriptionId as string);
    expect(stripeSubscription).toMatchObject({
      customer: consumer.stripeCustomerId,
      metadata: { tollgate_subscription_id: subscription.id },
    });
    const items = (stripeSubscription?.['items'] as { data: Array<{ price: { id: string } }> }).data;
    expect(items.map((item) => item.price.id).sort()).toEqual(prices.map((price) => price.id).sort());
    expect(subscription.stripeCustomerId).toBe(consumer.stripeCustomerId);

    const recorded = await prisma.stripeObject.groupBy({ by: ['kind'], _count: { _all: true } });
    expect(Object.fromEntries(recorded.map((row) => [row.kind, row._count._all]))).toEqual({
      product: 1,
      meter: 3,
      price: 4,
      customer: 1,
      subscription: 1,
    });
  });

  it('sends nothing on a second sync', async () => {
    const before = stripe.calls.length;
    expect(await sync.syncAll()).toEqual({
      products: 0,
      meters: 0,
      prices: 0,
      customers: 0,
      subscriptions: 0,
      failed: 0,
    });
    expect(stripe.calls).toHaveLength(before);
  });

  it('creates new prices for a new plan version and keeps the old ones', async () => {
    const patched = await patchPlan(
      prisma,
      paidPlanId,
      parseInput(planPatchSchema, {
        prices: [
          { type: 'flat', amountMinor: 5900, currency: 'usd' },
          { type: 'per_unit', unitAmountMinor: 1, currency: 'usd' },
        ],
      }),
    );
    expect(patched.versionCreated).toBe(true);
    const pricesBefore = objectsOf('price').length;
    const postsBefore = posts().length;
    const summary = await sync.syncAll();
    expect(summary).toEqual({ products: 0, meters: 0, prices: 2, customers: 0, subscriptions: 0, failed: 0 });
    expect(objectsOf('price')).toHaveLength(pricesBefore + 2);
    expect(
      posts()
        .slice(postsBefore)
        .map((call) => call.path),
    ).toEqual(['/v1/prices', '/v1/prices']);
    expect(objectsOf('price').map((price) => price['unit_amount'])).toEqual(
      expect.arrayContaining([4900, 5900]),
    );
    expect(await sync.syncAll()).toEqual({
      products: 0,
      meters: 0,
      prices: 0,
      customers: 0,
      subscriptions: 0,
      failed: 0,
    });
  });

  it('updates the product of a renamed plan once, and sends nothing on the next sync', async () => {
    await patchPlan(
      prisma,
      paidPlanId,
      parseInput(planPatchSchema, { name: 'Growth Plus', description: 'For growing teams' }),
    );
    const postsBefore = posts().length;
    expect(await sync.syncAll()).toEqual({
      products: 1,
      meters: 0,
      prices: 0,
      customers: 0,
      subscriptions: 0,
      failed: 0,
    });
    const sent = posts().slice(postsBefore);
    expect(sent.map((call) => call.path)).toEqual([`/v1/products/tollgate_${paidPlanId}`]);
    expect(sent[0]?.status).toBe(200);
    expect(stripe.objects.get(`tollgate_${paidPlanId}`)).toMatchObject({
      name: 'Growth Plus',
      description: 'For growing teams',
    });
    expect(objectsOf('product')).toHaveLength(1);

    const callsBefore = stripe.calls.length;
    expect(await sync.syncAll()).toMatchObject({ products: 0, failed: 0 });
    expect(stripe.calls).toHaveLength(callsBefore);

    // Renamed back within the day: a new change, sent anew rather than replayed.
    await patchPlan(prisma, paidPlanId, parseInput(planPatchSchema, { name: 'Growth', description: null }));
    expect(await sync.syncAll()).toMatchObject({ products: 1, failed: 0 });
    expect(stripe.objects.get(`tollgate_${paidPlanId}`)).toMatchObject({ name: 'Growth', description: null });
  });

  it('opens a Checkout Session that names the consumer and the plan', async () => {
    const { url } = await sync.checkout({
      consumerId: freeConsumerId,
      planId: paidPlanId,
      successUrl: 'https://portal.example.test/billing?done=1',
      cancelUrl: 'https://portal.example.test/billing',
    });
    const session = objectsOf('checkout.session').at(-1);
    expect(url).toBe(session?.['url']);
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: freeConsumerId } });
    expect(session).toMatchObject({
      mode: 'subscription',
      customer: consumer.stripeCustomerId,
      client_reference_id: freeConsumerId,
      metadata: {
        tollgate_consumer_id: freeConsumerId,
        tollgate_plan_id: paidPlanId,
        tollgate_plan_version: '2',
      },
    });
    const call = stripe.calls.filter((entry) => entry.path === '/v1/checkout/sessions').at(-1);
    expect(call?.params['subscription_data']).toEqual({
      metadata: {
        tollgate_consumer_id: freeConsumerId,
        tollgate_plan_id: paidPlanId,
        tollgate_plan_version: '2',
      },
    });

    const again = await sync.checkout({
      consumerId: freeConsumerId,
      planId: paidPlanId,
      successUrl: 'https://portal.example.test/billing?done=1',
      cancelUrl: 'https://portal.example.test/billing',
    });
    expect(again.url).toBe(url);
  });

  it('refuses a checkout for a free plan, with a bad URL, or for a consumer already paying', async () => {
    const free = await rejection(
      sync.checkout({
        consumerId: freeConsumerId,
        planId: freePlanId,
        successUrl: 'https://portal.example.test/ok',
        cancelUrl: 'https://portal.example.test/cancel',
      }),
    );
    expect(free).toBeInstanceOf(ValidationError);
    expect((free as ValidationError).issues.map((issue) => issue.field)).toEqual(['planId']);
    const badUrl = await rejection(
      sync.checkout({
        consumerId: freeConsumerId,
        planId: paidPlanId,
        successUrl: 'javascript:alert(1)',
        cancelUrl: 'https://portal.example.test/cancel',
      }),
    );
    expect((badUrl as ValidationError).issues.map((issue) => issue.field)).toEqual(['successUrl']);
    const alreadyPaying = await rejection(
      sync.checkout({
        consumerId: paidConsumerId,
        planId: paidPlanId,
        successUrl: 'https://portal.example.test/ok',
        cancelUrl: 'https://portal.example.test/cancel',
      }),
    );
    expect(alreadyPaying).toBeInstanceOf(ConflictError);
  });

  it('opens a Customer Portal session for the consumer', async () => {
    const { url } = await sync.customerPortal({
      consumerId: paidConsumerId,
      returnUrl: 'https://portal.example.test/billing',
    });
    const session = objectsOf('billing_portal.session').at(-1);
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: paidConsumerId } });
    expect(session).toMatchObject({ url, customer: consumer.stripeCustomerId });
  });

  it("lists the consumer's Stripe invoices, and none for a consumer without a Stripe customer", async () => {
    const newcomer = await createTestConsumer(prisma, {
      name: 'New',
      email: 'new@acme.test',
      planId: freePlanId,
    });
    const postsBefore = posts().length;
    expect(await sync.invoices({ consumerId: newcomer.id, limit: 10 })).toEqual([]);
    expect(posts()).toHaveLength(postsBefore);
    expect(stripe.calls.filter((call) => call.path === '/v1/invoices')).toHaveLength(0);

    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: paidConsumerId } });
    const customerId = consumer.stripeCustomerId as string;
    const first = stripe.createInvoice(customerId);
    const second = stripe.createInvoice(customerId, {
      status: 'open',
      amount_due: 700,
      created: Number(first['created']) + 1,
    });
    const invoices = await sync.invoices({ consumerId: paidConsumerId, limit: 10 });
    expect(invoices.map((invoice) => [invoice.id, invoice.status])).toEqual([
      [second.id, 'open'],
      [first.id, 'paid'],
    ]);
    // The upcoming invoice of the synced subscription, finalized: the flat 49.00 USD so far.
    expect(invoices[1]).toMatchObject({
      number: first['number'],
      currency: 'usd',
      amountDueMinor: 4900,
      amountPaidMinor: 4900,
      hostedInvoiceUrl: first['hosted_invoice_url'],
      invoicePdfUrl: first['invoice_pdf'],
    });
    expect(await sync.invoices({ consumerId: paidConsumerId, limit: 1 })).toHaveLength(1);

    const badLimit = await rejection(sync.invoices({ consumerId: paidConsumerId, limit: 0 }));
    expect((badLimit as ValidationError).issues.map((issue) => issue.field)).toEqual(['limit']);
    await expect(sync.invoices({ consumerId: 'con_missing', limit: 10 })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('moves the consumer to the paid plan when its Checkout Session completes (once)', async () => {
    const session = objectsOf('checkout.session').at(-1) as Record<string, unknown>;
    const created = Math.floor(Date.now() / 1000);
    const event = {
      id: 'evt_checkout_1',
      type: 'checkout.session.completed',
      created,
      data: { object: { ...session, status: 'complete', subscription: 'sub_FromCheckout' } },
    };
    expect(await processStripeEvent(prisma, event)).toEqual({
      received: true,
      duplicate: false,
      outcome: 'applied',
      changed: true,
    });
    const subscriptions = await prisma.subscription.findMany({
      where: { consumerId: freeConsumerId },
      orderBy: { createdAt: 'asc' },
    });
    expect(subscriptions.map((subscription) => [subscription.planId, subscription.status])).toEqual([
      [freePlanId, 'canceled'],
      [paidPlanId, 'active'],
    ]);
    expect(subscriptions[1]).toMatchObject({
      planVersion: 2,
      stripeSubscriptionId: 'sub_FromCheckout',
      stripeCustomerId: session['customer'],
    });
    const consumer = await prisma.consumer.findUniqueOrThrow({
      where: { id: freeConsumerId },
      include: { group: true },
    });
    expect(consumer.group?.planId).toBe(paidPlanId);

    expect(await processStripeEvent(prisma, event)).toMatchObject({ duplicate: true, changed: false });
    expect(
      await processStripeEvent(prisma, { ...event, id: 'evt_checkout_again', created: created + 1 }),
    ).toMatchObject({ outcome: 'unchanged', changed: false });
    expect(await prisma.subscription.count({ where: { consumerId: freeConsumerId } })).toBe(2);
  });

  it('follows customer.subscription.updated: status, and a plan change to the plan of the new price', async () => {
    const scale = await createTestPlan(prisma, {
      name: 'Scale',
      quota: { limit: 1_000_000, period: 'month' },
      prices: [{ type: 'flat', amountMinor: 29_900, currency: 'usd' }],
    });
    await sync.syncPlan(scale.id);
    const scalePrice = await prisma.stripeObject.findFirstOrThrow({
      where: { kind: 'price', localId: { startsWith: `${scale.id}:v1:` } },
    });
    const subscription = await prisma.subscription.findFirstOrThrow({
      where: { consumerId: paidConsumerId, status: { not: 'canceled' } },
    });
    const created = Math.floor(Date.now() / 1000) + 10;
    const updated = (id: string, at: number, status: string) => ({
      id,
      type: 'customer.subscription.updated',
      created: at,
      data: {
        object: {
          id: subscription.stripeSubscriptionId,
          object: 'subscription',
          customer: subscription.stripeCustomerId,
          status,
          items: { data: [{ price: { id: scalePrice.stripeId } }] },
        },
      },
    });

    expect(await processStripeEvent(prisma, updated('evt_updated_1', created, 'past_due'))).toMatchObject({
      outcome: 'applied',
      changed: true,
    });
    const moved = await prisma.subscription.findUniqueOrThrow({ where: { id: subscription.id } });
    expect(moved).toMatchObject({ planId: scale.id, planVersion: 1, status: 'past_due' });
    const consumer = await prisma.consumer.findUniqueOrThrow({
      where: { id: paidConsumerId },
      include: { group: true },
    });
    expect(consumer.group?.planId).toBe(scale.id);

    // An older event delivered late does not undo the newer one.
    expect(await processStripeEvent(prisma, updated('evt_updated_0', created - 60, 'active'))).toMatchObject({
      outcome: 'stale',
    });
    expect((await prisma.subscription.findUniqueOrThrow({ where: { id: subscription.id } })).status).toBe(
      'past_due',
    );
    expect(await processStripeEvent(prisma, updated('evt_updated_2', created + 60, 'active'))).toMatchObject({
      outcome: 'applied',
    });
    expect(await prisma.subscription.findUniqueOrThrow({ where: { id: subscription.id } })).toMatchObject({
      planId: scale.id,
      status: 'active',
      pastDueSince: null,
    });
  });

  it('links the subscription when Stripe delivers its update before the checkout completion', async () => {
    const early = await createTestConsumer(prisma, {
      name: 'Early',
      email: 'early@acme.test',
      planId: freePlanId,
    });
    await sync.checkout({
      consumerId: early.id,
      planId: paidPlanId,
      successUrl: 'https://portal.example.test/ok',
      cancelUrl: 'https://portal.example.test/cancel',
    });
    const session = objectsOf('checkout.session').at(-1) as Record<string, unknown>;
    const price = await prisma.stripeObject.findFirstOrThrow({
      where: { kind: 'price', localId: { startsWith: `${paidPlanId}:v2:` } },
    });
    const completedAt = Math.floor(Date.now() / 1000) + 100;
    const update = await processStripeEvent(prisma, {
      id: 'evt_early_updated',
      type: 'customer.subscription.updated',
      created: completedAt + 5,
      data: {
        object: {
          id: 'sub_Early',
          customer: session['customer'],
          status: 'active',
          items: { data: [{ price: price.stripeId }] },
        },
      },
    });
    expect(update).toMatchObject({ outcome: 'applied', changed: true });
    const completion = await processStripeEvent(prisma, {
      id: 'evt_early_completed',
      type: 'checkout.session.completed',
      created: completedAt,
      data: { object: { ...session, subscription: 'sub_Early' } },
    });
    expect(completion.outcome).toBe('unchanged');
    const live = await prisma.subscription.findFirstOrThrow({
      where: { consumerId: early.id, status: { not: 'canceled' } },
    });
    expect(live).toMatchObject({ planId: paidPlanId, planVersion: 2, stripeSubscriptionId: 'sub_Early' });
  });

  it('lifts a Stripe pause on resume, and no other suspension', async () => {
    const subscriber = async (name: string, stripeSubscriptionId: string) => {
      const consumer = await createTestConsumer(prisma, {
        name,
        email: `${name}@acme.test`,
        planId: paidPlanId,
      });
      const subscription = await prisma.subscription.findFirstOrThrow({ where: { consumerId: consumer.id } });
      await prisma.subscription.update({ where: { id: subscription.id }, data: { stripeSubscriptionId } });
      return { consumerId: consumer.id, subscriptionId: subscription.id };
    };
    const at = Math.floor(Date.now() / 1000) + 1000;
    const updated = (id: string, created: number, stripeSubscriptionId: string, status: string) =>
      processStripeEvent(prisma, {
        id,
        type: 'customer.subscription.updated',
        created,
        data: { object: { id: stripeSubscriptionId, object: 'subscription', status } },
      });
    const statusOf = async (subscriptionId: string) =>
      (await prisma.subscription.findUniqueOrThrow({ where: { id: subscriptionId } })).status;

    const paused = await subscriber('paused', 'sub_Paused');
    expect(await updated('evt_pause', at, 'sub_Paused', 'paused')).toMatchObject({ outcome: 'applied' });
    expect(await statusOf(paused.subscriptionId)).toBe('suspended');
    expect(await updated('evt_resume', at + 10, 'sub_Paused', 'active')).toMatchObject({
      outcome: 'applied',
      changed: true,
    });
    expect(
      await prisma.subscription.findUniqueOrThrow({ where: { id: paused.subscriptionId } }),
    ).toMatchObject({
      status: 'active',
      pastDueSince: null,
    });

    // Suspended without a Stripe pause (here straight in the database): an active Stripe status changes nothing.
    const other = await subscriber('suspended-otherwise', 'sub_Other');
    await prisma.subscription.update({ where: { id: other.subscriptionId }, data: { status: 'suspended' } });
    expect(await updated('evt_other_active', at + 20, 'sub_Other', 'active')).toMatchObject({
      outcome: 'unchanged',
      changed: false,
    });
    expect(await statusOf(other.subscriptionId)).toBe('suspended');

    // Paused while dunning had suspended the consumer: the resume lifts the pause, not the consumer's suspension.
    const dunned = await subscriber('dunned', 'sub_Dunned');
    await prisma.consumer.update({
      where: { id: dunned.consumerId },
      data: { status: 'suspended', suspendedReason: 'payment_overdue' },
    });
    await updated('evt_dunned_pause', at + 30, 'sub_Dunned', 'paused');
    await updated('evt_dunned_resume', at + 40, 'sub_Dunned', 'trialing');
    expect(await statusOf(dunned.subscriptionId)).toBe('trialing');
    expect(await prisma.consumer.findUniqueOrThrow({ where: { id: dunned.consumerId } })).toMatchObject({
      status: 'suspended',
      suspendedReason: 'payment_overdue',
    });
    // A trial that ends unpaid starts dunning.
    await updated('evt_dunned_past_due', at + 50, 'sub_Dunned', 'past_due');
    expect(
      await prisma.subscription.findUniqueOrThrow({ where: { id: dunned.subscriptionId } }),
    ).toMatchObject({
      status: 'past_due',
      pastDueSince: new Date((at + 50) * 1000),
    });
  });

  it('goes on with the other plans when one plan fails, and counts the failure', async () => {
    const broken = await createTestPlan(prisma, {
      name: 'Broken',
      prices: [{ type: 'flat', amountMinor: 1000, currency: 'usd' }],
    });
    const fine = await createTestPlan(prisma, {
      name: 'Fine',
      prices: [{ type: 'flat', amountMinor: 2000, currency: 'usd' }],
    });
    const fineConsumer = await createTestConsumer(prisma, {
      name: 'Fine',
      email: 'fine@acme.test',
      planId: fine.id,
    });
    // Stripe already holds the broken plan's product key for other parameters: its create is refused.
    const poisoned = await fetch(`${stripe.url}/v1/products`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer sk_test_sync',
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': `tollgate:product:${broken.id}:v1`,
      },
      body: 'name=Something+else',
    });
    expect(poisoned.status).toBe(200);

    const summary = await sync.syncAll();
    expect(summary.failed).toBe(1);
    expect(stripe.objects.get(`tollgate_${broken.id}`)).toBeUndefined();
    expect(stripe.objects.get(`tollgate_${fine.id}`)).toMatchObject({ name: 'Fine' });
    const fineSubscription = await prisma.subscription.findFirstOrThrow({
      where: { consumerId: fineConsumer.id },
    });
    expect(fineSubscription.stripeSubscriptionId).not.toBeNull();
    expect(await sync.syncAll()).toMatchObject({ products: 0, subscriptions: 0, failed: 1 });

    await prisma.plan.update({ where: { id: broken.id }, data: { archivedAt: new Date() } });
    expect(await sync.syncAll()).toMatchObject({ failed: 0 });
  });
});
