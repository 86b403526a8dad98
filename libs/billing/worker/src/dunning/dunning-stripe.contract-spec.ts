import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseAnalyticsStore, createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { type BillingProvider, createStripeBilling } from '@tollgate/billing-stripe';
import { startStripeTestServer, type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { createInProcessJobs } from '@tollgate/jobs';
import { createSmtpMailer } from '@tollgate/mail';
import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { toClickHouseDateTime, type UsageEventRow } from '@tollgate/metering-domain';
import { UsageQueries } from '@tollgate/metering-pipeline';
import { createLogger } from '@tollgate/observability';
import {
  ConsumerWebhooks,
  createConsumer,
  createPlan,
  patchConsumer,
  type PlanDetailView,
  processStripeEvent,
} from '@tollgate/plans-data';
import {
  consumerCreateSchema,
  consumerPatchSchema,
  parseInput,
  planCreateSchema,
  type PlanCreateInput,
} from '@tollgate/plans-domain';
import { type Jobs, type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { createScratchDatabase, recordingLogger, type ScratchDatabase } from '../alerts/notices.test-support';
import { meterEventNameFor } from '../stripe-sync/stripe-plan-mapping';
import { StripeSync } from '../stripe-sync/stripe-sync';
import { UsagePush } from '../usage-push/usage-push';
import { Dunning } from './dunning';

// A dunning downgrade meeting the rest of billing: Stripe webhooks (still billing the paid price),
// the Stripe sync and the usage push, against PostgreSQL (a scratch database), chDB, a real SMTP
// server and the Stripe-compatible test server. The clock is injected; the grace period is 0 days.

describe('dunning downgrade with Stripe webhooks, sync and usage push (PostgreSQL, chDB, Stripe test server)', () => {
  let database: ScratchDatabase;
  let prisma: PrismaClient;
  let smtp: TestSmtpServer;
  let mailer: Mailer;
  let jobs: Jobs;
  let chdbDirectory: string;
  let analytics: ClickHouseAnalyticsStore;
  let stripe: StripeTestServer;
  let provider: BillingProvider;
  let dunning: Dunning;
  let sync: StripeSync;
  let push: UsagePush;
  let free: PlanDetailView;
  let pro: PlanDetailView;
  const logger = recordingLogger();
  let clock = Date.now();
  let offset = 0;
  let eventSequence = 0;

  beforeAll(async () => {
    database = await createScratchDatabase('tollgate_dunning_stripe');
    prisma = database.prisma;
    smtp = await startTestSmtpServer();
    mailer = createSmtpMailer({ url: smtp.url, from: 'Tollgate <billing@tollgate.test>' });
    jobs = createInProcessJobs({ logger: createLogger({ app: 'jobs', level: 'silent' }) });
    await jobs.start();
    const webhooks = new ConsumerWebhooks({
      prisma,
      jobs,
      logger,
      timeoutMs: 2_000,
      attempts: 1,
      backoffMs: 50,
    });
    chdbDirectory = await mkdtemp(join(tmpdir(), 'tollgate-dunning-stripe-'));
    analytics = await createAnalyticsStore({
      database: `dunning_stripe_${process.pid}_${randomBytes(4).toString('hex')}`,
      dataDirectory: chdbDirectory,
    });
    await migrateAnalytics(analytics);
    stripe = await startStripeTestServer({ now: () => clock });
    provider = createStripeBilling({
      secretKey: 'sk_test_dunning_stripe',
      apiBase: stripe.url,
      logger: createLogger({ app: 'dunning-stripe-test', level: 'silent' }),
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
    });
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
    push = new UsagePush({ prisma, usage: new UsageQueries(analytics), provider, logger, now });
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

  afterAll(async () => {
    await stripe?.close();
    if (analytics) {
      await analytics.command(`DROP DATABASE IF EXISTS \`${analytics.database}\``);
      await analytics.close();
    }
    if (chdbDirectory) await rm(chdbDirectory, { recursive: true, force: true });
    await jobs?.close();
    await mailer?.close();
    await smtp?.close();
    await database?.close();
  }, 60_000);

  function plan(body: Partial<PlanCreateInput>): Promise<PlanDetailView> {
    return createPlan(
      prisma,
      parseInput(planCreateSchema, { quota: { limit: 100_000, period: 'month' }, ...body }),
    );
  }

  /** A consumer on Pro, linked to a Stripe subscription created by the sync. */
  async function paidSubscriber(name: string) {
    const consumer = await createConsumer(
      prisma,
      parseInput(consumerCreateSchema, { name, email: `${name}@example.com`, planId: pro.id }),
    );
    await sync.syncAll();
    const subscription = await prisma.subscription.findFirstOrThrow({ where: { consumerId: consumer.id } });
    clock = Math.max(clock, subscription.createdAt.getTime()) + 1_000;
    return {
      consumerId: consumer.id,
      subscriptionId: subscription.id,
      stripeSubscriptionId: subscription.stripeSubscriptionId as string,
      customerId: subscription.stripeCustomerId as string,
    };
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
    const rows: UsageEventRow[] = Array.from({ length: count }, (_, index) => {
      offset += 1;
      return {
        id: randomUUID(),
        ts: toClickHouseDateTime(ts + index),
        consumer_id: consumerId,
        plan_id: pro.id,
        api_id: 'api_test',
        endpoint: 'GET /v1/orders/:id',
        method: 'GET',
        status: 200,
        request_bytes: 10,
        response_bytes: 20,
        latency_ms: 1,
        upstream_latency_ms: 1,
        cached: false,
        counted: true,
        usage: {},
        source: 'gateway',
        log_topic: 'dunning-stripe-test',
        log_partition: 0,
        log_offset: String(offset),
      };
    });
    await analytics.insert('usage_events', rows, { deduplicationToken: `dunning-stripe:${offset}` });
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
