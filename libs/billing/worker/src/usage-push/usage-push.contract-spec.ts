import { type ClickHouseAnalyticsStore } from '@tollgate/analytics';
import { type BillingProvider, type UsageReport } from '@tollgate/billing-stripe';
import { type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { lateCorrection, type UsageEventRow } from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { type PrismaClient } from '@tollgate/relational';
import { meterEventNameFor } from '../stripe-sync/stripe-plan-mapping';
import { StripeSync } from '../stripe-sync/stripe-sync';
import {
  createTestPlan,
  insertUsageRows,
  recordingLogger,
  resourceStack,
  startBillingHarness,
  syncedSubscriber,
  usageEventRow,
} from '../testing/billing-test-support';
import { UsagePush } from './usage-push';

// Exactly-once usage push against the real PostgreSQL (a scratch database), chDB and the
// Stripe-compatible test server driven by the official SDK.

describe('usage push to Stripe, exactly once (PostgreSQL, chDB, Stripe test server)', () => {
  const resources = resourceStack();
  let prisma: PrismaClient;
  let analytics: ClickHouseAnalyticsStore;
  let usage: UsageQueries;
  let stripe: StripeTestServer;
  let provider: BillingProvider;
  const logger = recordingLogger();
  let clock = Date.now();

  let consumerId: string;
  let planId: string;
  let subscriptionId: string;
  let customerId: string;
  let requestsEvent: string;
  let smsEvent: string;
  let createdAt: number;

  beforeAll(async () => {
    // The server's clock is the test's, so meter event timestamps are judged against it.
    ({ prisma, analytics, usage, stripe, provider } = await resources.add(
      startBillingHarness({ name: 'usage_push', secretKey: 'sk_test_usage_push', now: () => clock }),
    ));

    const plan = await createTestPlan(prisma, {
      name: 'Metered',
      quota: { limit: 100_000, period: 'month' },
      prices: [
        { type: 'flat', amountMinor: 1000, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 2, currency: 'usd' },
        { type: 'per_unit', unitAmountMinor: 5, currency: 'usd', meter: 'sms' },
      ],
    });
    planId = plan.id;
    const subscriber = await syncedSubscriber(prisma, new StripeSync({ prisma, provider, logger }), {
      name: 'Acme',
      email: 'billing@acme.test',
      planId,
    });
    expect(subscriber.stripeSubscriptionId).toMatch(/^sub_/);
    ({ consumerId, subscriptionId, customerId, createdAt } = subscriber);
    clock = Math.max(Date.now(), createdAt + 1_000);
    requestsEvent = meterEventNameFor(planId, 'requests');
    smsEvent = meterEventNameFor(planId, 'sms');
  }, 120_000);

  afterAll(() => resources.close(), 60_000);

  const row = (ts: number, units: Record<string, number> = {}, consumer = consumerId): UsageEventRow =>
    usageEventRow(consumer, planId, ts, { usage: units });

  /** `count` requests just before the clock, the first `withSms` reporting 2 SMS each. */
  const meter = async (count: number, withSms = 0): Promise<void> => {
    clock += 1_000;
    const rows = Array.from({ length: count }, (_, index) =>
      row(clock - 500 + index, index < withSms ? { sms: 2 } : {}),
    );
    await insertUsageRows(analytics, rows);
  };

  const push = (overrides: { provider?: BillingProvider } = {}) =>
    new UsagePush({
      prisma,
      usage,
      provider: overrides.provider ?? provider,
      logger,
      now: () => new Date(clock),
    });

  const meterEventCalls = () => stripe.calls.filter((call) => call.path === '/v1/billing/meter_events');
  const ledgerOf = (meterId: string) =>
    prisma.usageLedger.findFirstOrThrow({ where: { subscriptionId, meterId } });

  it('pushes the metered period totals of a paid subscription', async () => {
    await meter(7, 3);
    const summary = await push().run();
    expect(summary).toMatchObject({ sent: 2, alreadyReported: 0, corrections: 0 });
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(7);
    expect(stripe.meterTotal(smsEvent, customerId)).toBe(6);
    const ledger = await ledgerOf('requests');
    expect([ledger.metered, ledger.reported, ledger.acknowledged]).toEqual([7n, 7n, 7n]);
    const pushes = await prisma.usagePush.findMany({ where: { ledgerId: ledger.id } });
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ quantity: 7n, cumulative: 7n, kind: 'usage' });
    expect(pushes[0]?.acknowledgedAt).not.toBeNull();
    // Timestamped inside the period, at the push.
    const event = stripe.meterEvents.find((candidate) => candidate.eventName === requestsEvent);
    expect(event?.timestamp).toBe(Math.floor(clock / 1000));
  });

  it('sends nothing when run again without new usage', async () => {
    const before = meterEventCalls().length;
    const summary = await push().run();
    expect(summary.sent).toBe(0);
    expect(meterEventCalls()).toHaveLength(before);
  });

  it('sends exactly the growth when more usage arrives', async () => {
    const before = stripe.meterEvents.length;
    await meter(5);
    await push().run();
    const sent = stripe.meterEvents.slice(before);
    expect(sent.map((event) => [event.eventName, event.value])).toEqual([[requestsEvent, 5]]);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(12);
    expect(stripe.meterTotal(smsEvent, customerId)).toBe(6);
  });

  it('sends a late event as one explicit correction', async () => {
    clock += 1_000;
    const late = row(createdAt + 200);
    const correction = lateCorrection(late, clock, 1_000);
    if (correction === null) throw new Error('the event should be late');
    await insertUsageRows(analytics, [late]);
    await analytics.insert('usage_corrections', [correction], {
      deduplicationToken: `push-test:correction:${late.id}`,
    });
    const before = stripe.meterEvents.length;
    const summary = await push().run();
    expect(summary.corrections).toBe(1);
    expect(stripe.meterEvents.slice(before).map((event) => event.value)).toEqual([1]);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(13);
    const ledger = await ledgerOf('requests');
    const corrections = await prisma.usagePush.findMany({
      where: { ledgerId: ledger.id, kind: 'correction' },
    });
    expect(corrections).toHaveLength(1);
    expect(corrections[0]).toMatchObject({ quantity: 1n, cumulative: 13n });
  });

  it('retries a 429 from Stripe and still reports once', async () => {
    await meter(2);
    stripe.failNext(1, 429);
    const before = meterEventCalls().length;
    await push().run();
    const calls = meterEventCalls().slice(before);
    expect(calls.map((call) => call.status)).toEqual([429, 200]);
    expect(calls[0]?.params['identifier']).toBe(calls[1]?.params['identifier']);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(15);
  });

  it('resends the recorded identifier after a crash between recording and sending', async () => {
    await meter(4);
    const crashing: BillingProvider = {
      ...provider,
      reportUsageBatch: async () => {
        throw new Error('process died before sending');
      },
    };
    await expect(push({ provider: crashing }).run()).rejects.toThrow('process died');
    const ledger = await ledgerOf('requests');
    const [recorded] = await prisma.usagePush.findMany({
      where: { ledgerId: ledger.id, acknowledgedAt: null },
    });
    expect(recorded).toMatchObject({ quantity: 4n, cumulative: 19n });
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(15);

    await push().run();
    const sent = stripe.meterEvents.filter((event) => event.identifier === recorded?.identifier);
    expect(sent).toHaveLength(1);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(19);
    expect((await ledgerOf('requests')).acknowledged).toBe(19n);
  });

  it('resends an event Stripe already has (crash after sending) without counting it twice', async () => {
    await meter(3);
    const lost: BillingProvider = {
      ...provider,
      reportUsageBatch: async (reports: UsageReport[]) => {
        await provider.reportUsageBatch(reports);
        throw new Error('process died before acknowledging');
      },
    };
    await expect(push({ provider: lost }).run()).rejects.toThrow('acknowledging');
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(22);

    const [resent] = await prisma.usagePush.findMany({ where: { acknowledgedAt: null } });
    const summary = await push().run();
    // Stripe replays its first answer to the same idempotency key; the event is not counted twice.
    expect(summary).toMatchObject({ sent: 1 });
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(22);
    expect(stripe.meterEvents.filter((event) => event.identifier === resent?.identifier)).toHaveLength(1);
    expect(meterEventCalls().filter((call) => call.params['identifier'] === resent?.identifier)).toHaveLength(
      2,
    );
    const ledger = await ledgerOf('requests');
    expect([ledger.reported, ledger.acknowledged]).toEqual([22n, 22n]);
    expect(await prisma.usagePush.count({ where: { acknowledgedAt: null } })).toBe(0);
  });

  it('sends nothing and warns with the figures when the metered total is below what was reported', async () => {
    const ledger = await ledgerOf('sms');
    await prisma.usageLedger.update({ where: { id: ledger.id }, data: { reported: 50n } });
    const before = meterEventCalls().length;
    await push().run();
    expect(meterEventCalls()).toHaveLength(before);
    const warning = logger.lines.find((entry) => entry.message.startsWith('Metered total is below'));
    expect(warning?.fields).toMatchObject({ meter: 'sms', metered: '6', reported: '50' });
    await prisma.usageLedger.update({ where: { id: ledger.id }, data: { reported: 6n } });
  });

  it('gives an ended period its final push once, then closes its ledger after the settle delay', async () => {
    const daily = await createTestPlan(prisma, {
      name: 'Daily metered',
      quota: { limit: 1_000, period: 'day' },
      prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }],
    });
    const subscription = await syncedSubscriber(prisma, new StripeSync({ prisma, provider, logger }), {
      name: 'Daily',
      email: 'daily@acme.test',
      planId: daily.id,
    });
    const customer = subscription.customerId;
    const eventName = meterEventNameFor(daily.id, 'requests');
    clock = Math.max(clock, subscription.createdAt) + 1_000;
    const dayEnd = Date.UTC(
      new Date(clock).getUTCFullYear(),
      new Date(clock).getUTCMonth(),
      new Date(clock).getUTCDate() + 1,
    );
    const insert = (ts: number) => insertUsageRows(analytics, [row(ts, {}, subscription.consumerId)]);

    await insert(clock - 10);
    await push().run({ closePeriods: true });
    expect(stripe.meterTotal(eventName, customer)).toBe(1);

    // Usage at the very end of the day, read after midnight but before the period settled.
    await insert(dayEnd - 50);
    clock = dayEnd + 5 * 60_000;
    const before = stripe.meterEvents.length;
    const settling = await push().run({ closePeriods: true });
    expect(settling.closed).toBe(0);
    const [final] = stripe.meterEvents.slice(before).filter((event) => event.eventName === eventName);
    expect(final).toMatchObject({ value: 1, timestamp: Math.floor(dayEnd / 1000) - 1 });
    expect(stripe.meterTotal(eventName, customer)).toBe(2);

    clock = dayEnd + 20 * 60_000;
    const closing = await push().run({ closePeriods: true });
    expect(closing.closed).toBeGreaterThanOrEqual(1);
    const ledger = await prisma.usageLedger.findFirstOrThrow({
      where: { subscriptionId: subscription.subscriptionId, periodEnd: new Date(dayEnd) },
    });
    expect(ledger.closedAt?.getTime()).toBe(clock);
    expect([ledger.metered, ledger.reported, ledger.acknowledged]).toEqual([2n, 2n, 2n]);

    // A closed period is not read again.
    await insert(dayEnd - 20);
    const calls = meterEventCalls().length;
    await push().run({ closePeriods: true });
    expect(meterEventCalls()).toHaveLength(calls);
  });
});
