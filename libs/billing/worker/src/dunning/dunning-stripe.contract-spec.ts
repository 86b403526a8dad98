import { type ClickHouseAnalyticsStore } from '@tollgate/analytics';
import { type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { patchConsumer, type PlanDetailView, processStripeEvent } from '@tollgate/plans-data';
import { consumerPatchSchema, parseInput, type PlanCreateInput } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { meterEventNameFor } from '../stripe-sync/stripe-plan-mapping';
import { StripeSync } from '../stripe-sync/stripe-sync';
import {
  createTestPlan,
  insertUsageRows,
  recordingLogger,
  resourceStack,
  startBillingHarness,
  startMailCatcher,
  startWebhookJobs,
  syncedSubscriber,
  usageEventRow,
} from '../testing/billing-test-support';
import { UsagePush } from '../usage-push/usage-push';
import { Dunning } from './dunning';

// A dunning downgrade meeting the rest of billing: Stripe webhooks (still billing the paid price),
// the Stripe sync and the usage push, against PostgreSQL (a scratch database), chDB, a real SMTP
// server and the Stripe-compatible test server. The clock is injected; the grace period is 0 days.

describe('dunning downgrade with Stripe webhooks, sync and usage push (PostgreSQL, chDB, Stripe test server)', () => {
  const resources = resourceStack();
  let prisma: PrismaClient;
  let analytics: ClickHouseAnalyticsStore;
  let stripe: StripeTestServer;
  let dunning: Dunning;
  let sync: StripeSync;
  let push: UsagePush;
  let free: PlanDetailView;
  let pro: PlanDetailView;
  const logger = recordingLogger();
  let clock = Date.now();
  let eventSequence = 0;

  beforeAll(async () => {
    const harness = await resources.add(
      startBillingHarness({ name: 'dunning_stripe', secretKey: 'sk_test_dunning_stripe', now: () => clock }),
    );
    ({ prisma, analytics, stripe } = harness);
    const { provider, usage } = harness;
    const { mailer } = await resources.add(startMailCatcher('Tollgate <billing@tollgate.test>'));
    const { webhooks } = await resources.add(
      startWebhookJobs({ prisma, logger, attempts: 1, deliver: false }),
    );
    const now = () => new Date(clock);
    dunning = new Dunning({
      prisma,
      mailer,
      webhooks,
      logger,
      publicUrl: 'https://tollgate.example.com',
      now,
      onSubscriptionsChanged: async () => undefined,
    });
    sync = new StripeSync({ prisma, provider, logger });
    push = new UsagePush({ prisma, usage, provider, logger, now });
    free = await plan({ name: 'Free', tier: 'free', quota: { limit: 100, period: 'month' } });
    pro = await plan({
      name: 'Pro',
      gracePeriodDays: 0,
      pastDuePolicy: 'downgrade',
      prices: [
        { type: 'flat', amountMinor: 1000, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 2, currency: 'usd' },
      ],
    });
  }, 120_000);

  afterAll(() => resources.close(), 60_000);

  const plan = (body: Partial<PlanCreateInput> & { name: string }) => createTestPlan(prisma, body);

  /** A consumer on Pro, linked to a Stripe subscription created by the sync. */
  async function paidSubscriber(name: string) {
    const subscriber = await syncedSubscriber(prisma, sync, {
      name,
      email: `${name}@example.com`,
      planId: pro.id,
    });
    clock = Math.max(clock, subscriber.createdAt) + 1_000;
    return subscriber;
  }

  /** A verified Stripe event, created at the clock (one second after the previous one). */
  function stripeEvent(type: string, object: unknown) {
    eventSequence += 1;
    clock += 1_000;
    return processStripeEvent(prisma, {
      id: `evt_dunning_stripe_${eventSequence}`,
      type,
      created: Math.floor(clock / 1000),
      data: { object },
    });
  }

  const invoice = (type: 'invoice.payment_failed' | 'invoice.paid', stripeSubscriptionId: string) =>
    stripeEvent(type, {
      object: 'invoice',
      id: `in_${eventSequence + 1}`,
      subscription: stripeSubscriptionId,
    });

  /** `customer.subscription.updated` as Stripe sends it: its subscription (still billing Pro) and a status. */
  const subscriptionUpdated = (stripeSubscriptionId: string, status: string) =>
    stripeEvent('customer.subscription.updated', {
      ...stripe.objects.get(stripeSubscriptionId),
      status,
    });

  /** `count` counted requests at `ts`. */
  async function meter(consumerId: string, count: number, ts: number): Promise<void> {
    const rows = Array.from({ length: count }, (_, index) => usageEventRow(consumerId, pro.id, ts + index));
    await insertUsageRows(analytics, rows);
  }

  const subscriptionCreations = () =>
    stripe.calls.filter((call) => call.method === 'POST' && call.path === '/v1/subscriptions').length;

  it('keeps the downgrade while Stripe still bills Pro, leaves Stripe alone, bills only the paid part of the period', async () => {
    const target = await paidSubscriber('acme');
    const requestsEvent = meterEventNameFor(pro.id, 'requests');
    await meter(target.consumerId, 5, clock - 500);
    clock += 1_000;
    await push.run();
    expect(stripe.meterTotal(requestsEvent, target.customerId)).toBe(5);

    expect((await invoice('invoice.payment_failed', target.stripeSubscriptionId)).changed).toBe(true);
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ enforced: 1 });
    const downgradedAt = clock;
    const downgraded = { planId: free.id, downgradedFromPlanId: pro.id, status: 'past_due' };
    const subscription = () =>
      prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } });
    expect(await subscription()).toMatchObject(downgraded);

    // Stripe still bills Pro and retries the invoice: the event records its state, not a move back to Pro.
    const stillPastDue = await subscriptionUpdated(target.stripeSubscriptionId, 'past_due');
    expect(stillPastDue.changed).toBe(false);
    expect(await subscription()).toMatchObject(downgraded);
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } });
    expect(consumer.groupId).toBe(free.groupId);

    // The sync neither creates a Stripe subscription for the free plan nor touches the linked one.
    const creations = subscriptionCreations();
    const before = stripe.calls.length;
    await sync.syncAll();
    expect(subscriptionCreations()).toBe(creations);
    expect(
      stripe.calls
        .slice(before)
        .filter((call) => call.method !== 'GET' && call.path.includes('subscription')),
    ).toEqual([]);
    expect(await subscription()).toMatchObject({ stripeSubscriptionId: target.stripeSubscriptionId });

    // Usage from before the downgrade that arrives late is still billed on Pro; usage on the free plan is not.
    await meter(target.consumerId, 3, downgradedAt - 900);
    clock += 1_000;
    await meter(target.consumerId, 4, clock - 500);
    clock += 1_000;
    await push.run();
    expect(stripe.meterTotal(requestsEvent, target.customerId)).toBe(8);

    // Paid: Stripe's subscription is active again; dunning (not the webhook) restores Pro.
    expect((await invoice('invoice.paid', target.stripeSubscriptionId)).changed).toBe(true);
    await subscriptionUpdated(target.stripeSubscriptionId, 'active');
    expect(await subscription()).toMatchObject({ ...downgraded, status: 'active' });
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ recovered: 1 });
    const restoredAt = clock;
    expect(await subscription()).toMatchObject({
      planId: pro.id,
      planVersion: 1,
      downgradedFromPlanId: null,
    });

    // Back on Pro: new usage is billed, the free-plan usage in between still is not.
    await meter(target.consumerId, 2, restoredAt + 100);
    clock += 2_000;
    await push.run();
    expect(stripe.meterTotal(requestsEvent, target.customerId)).toBe(10);
    clock += 1_000;
    await push.run();
    expect(stripe.meterTotal(requestsEvent, target.customerId)).toBe(10);
    expect(subscriptionCreations()).toBe(creations);
  });

  it('a deliberate plan change during a downgrade is not undone by the later recovery', async () => {
    const target = await paidSubscriber('globex');
    await invoice('invoice.payment_failed', target.stripeSubscriptionId);
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ enforced: 1 });

    // An admin keeps the consumer on the free plan (a new version of it, in place).
    await patchConsumer(
      prisma,
      target.consumerId,
      parseInput(consumerPatchSchema, { planId: free.id }),
      undefined,
      new Date(clock),
    );
    const kept = await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } });
    expect(kept).toMatchObject({ planId: free.id, downgradedFromPlanId: null });

    await invoice('invoice.paid', target.stripeSubscriptionId);
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ recovered: 1 });
    expect(
      await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } }),
    ).toMatchObject({
      planId: free.id,
      status: 'active',
      downgradedFromPlanId: null,
    });
  });

  it('an admin move to another plan during a downgrade leaves no plan to restore on the old subscription', async () => {
    const target = await paidSubscriber('initech');
    await invoice('invoice.payment_failed', target.stripeSubscriptionId);
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ enforced: 1 });
    const other = await plan({ name: 'Starter', tier: 'free', isPublic: false });
    await patchConsumer(
      prisma,
      target.consumerId,
      parseInput(consumerPatchSchema, { planId: other.id }),
      undefined,
      new Date(clock),
    );
    const old = await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } });
    expect(old).toMatchObject({ status: 'canceled', downgradedFromPlanId: null });
  });

  it('a completed checkout during a downgrade starts a new subscription; the downgraded one restores nothing', async () => {
    const target = await paidSubscriber('umbrella');
    await invoice('invoice.payment_failed', target.stripeSubscriptionId);
    clock += 1_000;
    expect(await dunning.run()).toMatchObject({ enforced: 1 });
    const completed = await stripeEvent('checkout.session.completed', {
      object: 'checkout.session',
      id: 'cs_umbrella',
      client_reference_id: target.consumerId,
      metadata: {
        tollgate_consumer_id: target.consumerId,
        tollgate_plan_id: pro.id,
        tollgate_plan_version: '1',
      },
      subscription: 'sub_checkout_umbrella',
      customer: target.customerId,
    });
    expect(completed.outcome).toBe('applied');
    const subscriptions = await prisma.subscription.findMany({
      where: { consumerId: target.consumerId },
      orderBy: { createdAt: 'asc' },
    });
    expect(subscriptions.map((row) => [row.status, row.planId, row.downgradedFromPlanId])).toEqual([
      ['canceled', free.id, null],
      ['active', pro.id, null],
    ]);
  });
});
