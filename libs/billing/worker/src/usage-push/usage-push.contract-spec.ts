import { type ClickHouseAnalyticsStore } from '@tollgate/analytics';
import { billingPeriodAt } from '@tollgate/billing-period';
import { type BillingProvider, type UsageReport } from '@tollgate/billing-stripe';
import { type StripeTestServer } from '@tollgate/billing-stripe/testing';
import { lateCorrection, type UsageEventRow } from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { patchPlan } from '@tollgate/plans-data';
import { parseInput, planPatchSchema } from '@tollgate/plans-domain';
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
import { METER_EVENT_MAX_AGE_MS, UsagePush } from './usage-push';

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

  it('reads each period once for all meters and writes no ledger when nothing changed', async () => {
    const ledgersBefore = await prisma.usageLedger.findMany({
      where: { subscriptionId },
      orderBy: { id: 'asc' },
    });
    const totals = jest.spyOn(usage, 'totals');
    try {
      await push().run();
      const mine = totals.mock.calls.filter(([consumer]) => consumer === consumerId);
      // One billing period so far, one range in it: one read with both meters.
      expect(mine).toHaveLength(1);
      expect(mine[0]?.[2].map((meter) => meter.slug).sort()).toEqual(['requests', 'sms']);
    } finally {
      totals.mockRestore();
    }
    const ledgersAfter = await prisma.usageLedger.findMany({
      where: { subscriptionId },
      orderBy: { id: 'asc' },
    });
    expect(ledgersAfter.map((ledger) => ledger.updatedAt.getTime())).toEqual(
      ledgersBefore.map((ledger) => ledger.updatedAt.getTime()),
    );
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

  /** A new consumer on a new metered plan, synced to Stripe, with its meter's event name. */
  const subscriber = async (name: string, quota: { limit: number; period: 'month' | 'day' } = monthly) => {
    const plan = await createTestPlan(prisma, {
      name: `${name} metered`,
      quota,
      prices: [{ type: 'per_unit', unitAmountMinor: 3, currency: 'usd' }],
    });
    const synced = await syncedSubscriber(prisma, new StripeSync({ prisma, provider, logger }), {
      name,
      email: `${name.toLowerCase()}@acme.test`,
      planId: plan.id,
    });
    clock = Math.max(clock, synced.createdAt) + 1_000;
    return { ...synced, planId: plan.id, eventName: meterEventNameFor(plan.id, 'requests') };
  };
  const monthly = { limit: 100_000, period: 'month' as const };
  const insertFor = (consumer: { consumerId: string; planId: string }, ts: number) =>
    insertUsageRows(analytics, [usageEventRow(consumer.consumerId, consumer.planId, ts)]);
  const setMeterStatus = (eventName: string, status: 'active' | 'inactive') => {
    const meter = [...stripe.objects.values()].find(
      (object) => object.object === 'billing.meter' && object['event_name'] === eventName,
    );
    if (!meter) throw new Error(`no Stripe meter for ${eventName}`);
    meter['status'] = status;
  };

  it('keys ledgers on the monthly billing period: a plan edit to a daily quota pushes nothing twice', async () => {
    const edited = await subscriber('Edited');
    await insertFor(edited, clock - 10);
    await insertFor(edited, clock - 5);
    await push().run();
    expect(stripe.meterTotal(edited.eventName, edited.customerId)).toBe(2);

    // The plan row now carries a daily quota period; the subscription is still billed monthly.
    const patched = await patchPlan(
      prisma,
      edited.planId,
      parseInput(planPatchSchema, { quota: { period: 'day' } }),
    );
    expect(patched.versionCreated).toBe(true);
    clock += 1_000;
    const calls = meterEventCalls().length;
    await push().run();
    expect(meterEventCalls()).toHaveLength(calls);
    expect(stripe.meterTotal(edited.eventName, edited.customerId)).toBe(2);

    const row = await prisma.subscription.findUniqueOrThrow({
      where: { id: edited.subscriptionId },
      include: { consumer: true },
    });
    const period = billingPeriodAt(clock, row.periodAnchor.getTime(), row.consumer.timeZone, 'month');
    const ledgers = await prisma.usageLedger.findMany({ where: { subscriptionId: edited.subscriptionId } });
    expect(ledgers.map((ledger) => [ledger.periodStart.getTime(), ledger.periodEnd.getTime()])).toEqual([
      [period.start, period.end],
    ]);
  });

  it('keeps pushing the other events when Stripe refuses one for good, and sends it once accepted', async () => {
    const refused = await subscriber('Refused');
    await insertFor(refused, clock - 10);
    await meter(2);
    setMeterStatus(refused.eventName, 'inactive');
    const before = stripe.meterTotal(requestsEvent, customerId);
    try {
      const summary = await push().run();
      expect(summary).toMatchObject({ refused: 1, failedSubscriptions: 0 });
      expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before + 2);
      expect(stripe.meterTotal(refused.eventName, refused.customerId)).toBe(0);
      const ledger = await prisma.usageLedger.findFirstOrThrow({
        where: { subscriptionId: refused.subscriptionId },
      });
      expect([ledger.reported, ledger.acknowledged]).toEqual([1n, 0n]);
      const [kept] = await prisma.usagePush.findMany({ where: { ledgerId: ledger.id } });
      expect(kept?.acknowledgedAt).toBeNull();
      const logged = logger.lines.find((line) => line.message.startsWith('Stripe refused a meter event'));
      expect(logged?.level).toBe('error');
      expect(logged?.fields).toMatchObject({
        subscriptionId: refused.subscriptionId,
        meter: 'requests',
        identifier: kept?.identifier,
        quantity: '1',
      });
      expect(String(logged?.fields['error'])).toContain('No active meter');

      // Still refused: the next run reports it again and carries on.
      await meter(1);
      const again = await push().run();
      expect(again.refused).toBe(1);
      expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before + 3);
    } finally {
      setMeterStatus(refused.eventName, 'active');
    }
    const accepted = await push().run();
    expect(accepted.refused).toBe(0);
    expect(stripe.meterTotal(refused.eventName, refused.customerId)).toBe(1);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before + 3);
    const ledger = await prisma.usageLedger.findFirstOrThrow({
      where: { subscriptionId: refused.subscriptionId },
    });
    expect(ledger.acknowledged).toBe(1n);
  });

  it('skips a subscription whose usage cannot be read and pushes the others', async () => {
    const broken = await subscriber('Broken');
    await insertFor(broken, clock - 10);
    await prisma.consumer.update({ where: { id: broken.consumerId }, data: { timeZone: 'Nowhere/Unknown' } });
    await meter(1);
    const before = stripe.meterTotal(requestsEvent, customerId);
    try {
      const summary = await push().run();
      expect(summary.failedSubscriptions).toBe(1);
      expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before + 1);
      expect(stripe.meterTotal(broken.eventName, broken.customerId)).toBe(0);
      const logged = logger.lines.find((line) =>
        line.message.startsWith('Usage push failed for a subscription'),
      );
      expect(logged?.fields).toMatchObject({ subscriptionId: broken.subscriptionId });
    } finally {
      await prisma.consumer.update({ where: { id: broken.consumerId }, data: { timeZone: 'UTC' } });
    }
    expect((await push().run()).failedSubscriptions).toBe(0);
    expect(stripe.meterTotal(broken.eventName, broken.customerId)).toBe(1);
  });

  it('still fails the run on a Stripe outage that outlasts the retries, and resends on the next run', async () => {
    await meter(3);
    const before = stripe.meterTotal(requestsEvent, customerId);
    stripe.failNext(5, 503);
    await expect(push().run()).rejects.toThrow(/unavailable/i);
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before);
    expect(await prisma.usagePush.count({ where: { acknowledgedAt: null } })).toBe(1);
    const summary = await push().run();
    expect(summary).toMatchObject({ sent: 1, refused: 0 });
    expect(stripe.meterTotal(requestsEvent, customerId)).toBe(before + 3);
  });

  it('gives an ended period its final push once, then closes its ledger after the settle delay', async () => {
    const ending = await subscriber('Ending');
    const row = await prisma.subscription.findUniqueOrThrow({
      where: { id: ending.subscriptionId },
      include: { consumer: true },
    });
    const period = billingPeriodAt(clock, row.periodAnchor.getTime(), row.consumer.timeZone, 'month');

    await insertFor(ending, clock - 10);
    await push().run({ closePeriods: true });
    expect(stripe.meterTotal(ending.eventName, ending.customerId)).toBe(1);

    // Usage at the very end of the period, read after it ended but before it settled.
    await insertFor(ending, period.end - 50);
    clock = period.end + 5 * 60_000;
    const before = stripe.meterEvents.length;
    const settling = await push().run({ closePeriods: true });
    expect(settling.closed).toBe(0);
    const [final] = stripe.meterEvents.slice(before).filter((event) => event.eventName === ending.eventName);
    expect(final).toMatchObject({ value: 1, timestamp: Math.floor(period.end / 1000) - 1 });
    expect(stripe.meterTotal(ending.eventName, ending.customerId)).toBe(2);

    clock = period.end + 20 * 60_000;
    const closing = await push().run({ closePeriods: true });
    expect(closing.closed).toBeGreaterThanOrEqual(1);
    const ledger = await prisma.usageLedger.findFirstOrThrow({
      where: { subscriptionId: ending.subscriptionId, periodEnd: new Date(period.end) },
    });
    expect(ledger.closedAt?.getTime()).toBe(clock);
    expect([ledger.metered, ledger.reported, ledger.acknowledged]).toEqual([2n, 2n, 2n]);

    // A closed period is not read again.
    await insertFor(ending, period.end - 20);
    const endingCalls = () =>
      meterEventCalls().filter((call) => call.params['event_name'] === ending.eventName).length;
    const calls = endingCalls();
    await push().run({ closePeriods: true });
    expect(endingCalls()).toBe(calls);
    expect(stripe.meterTotal(ending.eventName, ending.customerId)).toBe(2);
  });

  it('stops sending an event older than Stripe accepts, and closes its ledger', async () => {
    const stale = await subscriber('Stale');
    await insertFor(stale, clock - 10);
    const crashing: BillingProvider = {
      ...provider,
      reportUsageBatch: async () => {
        throw new Error('process died before sending');
      },
    };
    await expect(push({ provider: crashing }).run()).rejects.toThrow('process died');
    const recorded = await prisma.usagePush.findFirstOrThrow({
      where: { ledger: { subscriptionId: stale.subscriptionId } },
      include: { ledger: true },
    });
    const { ledger } = recorded;
    expect(recorded.acknowledgedAt).toBeNull();

    // 36 days later the period is the previous one, ended and settled; Stripe would refuse the event.
    clock = recorded.createdAt.getTime() + METER_EVENT_MAX_AGE_MS + 24 * 3_600_000;
    expect(ledger.periodEnd.getTime() + 15 * 60_000).toBeLessThanOrEqual(clock);
    const summary = await push().run({ closePeriods: true });
    expect(summary.expired).toBe(1);
    expect(
      meterEventCalls().filter((call) => call.params['identifier'] === recorded.identifier),
    ).toHaveLength(0);
    const closed = await prisma.usageLedger.findUniqueOrThrow({ where: { id: ledger.id } });
    expect(closed.closedAt?.getTime()).toBe(clock);
    expect([closed.reported, closed.acknowledged]).toEqual([1n, 0n]);
    const logged = logger.lines.find((line) =>
      line.message.startsWith('Meter event is older than Stripe accepts'),
    );
    expect(logged?.fields).toMatchObject({
      subscriptionId: stale.subscriptionId,
      identifier: recorded.identifier,
    });
  });
});
