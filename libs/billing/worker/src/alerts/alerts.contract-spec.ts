import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type QuotaEvent, quotaEventId } from '@tollgate/access-log';
import { type ClickHouseAnalyticsStore } from '@tollgate/analytics';
import { billingPeriodAt } from '@tollgate/billing-period';
import { createInProcessEventLog } from '@tollgate/event-log';
import { type TestSmtpServer } from '@tollgate/mail/testing';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { type ConsumerWebhooks, type PlanDetailView } from '@tollgate/plans-data';
import { type PlanCreateInput } from '@tollgate/plans-domain';
import { type EventLog, type Jobs, type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import {
  consumerWithWebhook,
  createScratchAnalytics,
  createScratchDatabase,
  createTestPlan,
  eventually,
  insertUsageRows,
  recordingLogger,
  resourceStack,
  startMailCatcher,
  startWebhookJobs,
  startWebhookReceiver,
  usageEventRow,
  type WebhookReceiver,
} from '../testing/billing-test-support';
import { mailClaimLeaseMs, mailPending } from './alert-notifier';
import { Alerts } from './alerts';
import { startQuotaEventConsumer } from './quota-event-consumer';

// Usage alerts end to end against real services: PostgreSQL (a scratch database), a real SMTP
// server, a consumer webhook endpoint over HTTP that verifies every signature, and chDB for the
// recheck. Only the clock is the real one.

describe('usage alerts (PostgreSQL, SMTP, HTTP webhooks, chDB)', () => {
  const publicUrl = 'https://tollgate.example.com';
  const resources = resourceStack();
  let prisma: PrismaClient;
  let smtp: TestSmtpServer;
  let receiver: WebhookReceiver;
  let jobs: Jobs;
  let webhooks: ConsumerWebhooks;
  let analytics: ClickHouseAnalyticsStore;
  let usage: UsageQueries;
  let alerts: Alerts;
  let smtpMailer: Mailer;
  const logger = recordingLogger();

  beforeAll(async () => {
    ({ prisma } = await resources.add(createScratchDatabase('tollgate_alerts')));
    const mail = await resources.add(startMailCatcher('Tollgate <alerts@tollgate.test>'));
    smtp = mail.smtp;
    receiver = await resources.add(startWebhookReceiver());
    ({ jobs, webhooks } = await resources.add(
      startWebhookJobs({ prisma, logger, attempts: 3, deliver: true }),
    ));
    ({ analytics, usage } = await resources.add(createScratchAnalytics('alerts')));
    smtpMailer = mail.mailer;
    alerts = new Alerts({ prisma, mailer: mail.mailer, webhooks, usage, logger, publicUrl });
  }, 120_000);

  afterAll(() => resources.close(), 60_000);

  const plan = (body: Partial<PlanCreateInput> & { name: string }): Promise<PlanDetailView> =>
    createTestPlan(prisma, { quota: { limit: 20, period: 'month' }, ...body });

  /** A consumer on the plan with a webhook at its own path; returns ids, path and its period. */
  async function consumerOn(planId: string, name: string) {
    const { consumerId, subscriptionId, subscription, path, email } = await consumerWithWebhook(
      prisma,
      receiver,
      planId,
      name,
      { billingEmails: [`billing+${name}@example.com`] },
    );
    const period = billingPeriodAt(Date.now(), subscription.periodAnchor.getTime(), 'UTC', 'month');
    return { consumerId, subscriptionId, path, period, email };
  }

  function quotaEvent(
    target: { consumerId: string; period: { start: number; end: number } },
    planId: string,
    type: QuotaEvent['type'],
    threshold: number,
    limit: number,
  ): QuotaEvent {
    return {
      id: quotaEventId(target.consumerId, target.period.start, type, threshold),
      type,
      ts: Date.now(),
      consumerId: target.consumerId,
      planId,
      periodStart: target.period.start,
      periodEnd: target.period.end,
      threshold,
      limit,
      used: Math.ceil((limit * threshold) / 100),
    };
  }

  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.to.includes(address));
  const webhooksTo = (path: string) => receiver.received.filter((delivery) => delivery.path === path);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 400));

  it('quota 20 without overage: 80/95/100 → three mails and three verified webhooks; exhausted adds nothing; repeats add nothing', async () => {
    const starter = await plan({ name: 'Starter' });
    const target = await consumerOn(starter.id, 'acme');
    const events = [
      quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20),
      quotaEvent(target, starter.id, 'quota.threshold_crossed', 95, 20),
      quotaEvent(target, starter.id, 'quota.threshold_crossed', 100, 20),
      quotaEvent(target, starter.id, 'quota.exhausted', 100, 20),
    ];
    const results = [];
    for (const event of events) results.push(await alerts.handleQuotaEvent(event));
    expect(results.map((result) => result.raised)).toEqual([true, true, true, false]);

    const delivered = await eventually(() => {
      const received = webhooksTo(target.path);
      return received.length >= 3 ? received : undefined;
    });
    await settle();
    const mails = mailsTo(target.email);
    expect(mails).toHaveLength(3);
    for (const mail of mails)
      expect(mail.to.sort()).toEqual(['acme@example.com', 'billing+acme@example.com']);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'acme: 80 % of your Starter quota used',
      'acme: 95 % of your Starter quota used',
      expect.stringContaining('acme: your Starter quota is used up, requests are refused until'),
    ]);
    expect(mails[0].text).toContain('[████████░░] 80 %');
    expect(mails[2].text).toContain('Further requests are refused (HTTP 429) until the quota resets on');
    expect(mails[2].html).toContain(`${publicUrl}/portal/plans`);

    expect(webhooksTo(target.path)).toHaveLength(3);
    expect(delivered.every((delivery) => delivery.verified && delivery.answered === 200)).toBe(true);
    expect(delivered.map((delivery) => delivery.eventType)).toEqual([
      'usage.threshold_reached',
      'usage.threshold_reached',
      'usage.threshold_reached',
    ]);
    const bodies = delivered.map(
      (delivery) =>
        JSON.parse(delivery.body) as { type: string; data: { threshold: number; notice: string } },
    );
    expect(bodies.map((body) => [body.data.threshold, body.data.notice])).toEqual([
      [80, 'threshold'],
      [95, 'threshold'],
      [100, 'hard_stop'],
    ]);
    const stored = await prisma.alert.findMany({
      where: { consumerId: target.consumerId },
      orderBy: { threshold: 'asc' },
    });
    expect(
      stored.map((alert) => [alert.kind, alert.threshold, alert.source, alert.emailedAt !== null]),
    ).toEqual([
      ['quota_threshold', 80, 'gateway', true],
      ['quota_threshold', 95, 'gateway', true],
      ['quota_threshold', 100, 'gateway', true],
    ]);
    const log = await webhooks.list(target.consumerId);
    expect(log.map((entry) => [entry.status, entry.attempts, entry.responseStatus])).toEqual([
      ['delivered', 1, 200],
      ['delivered', 1, 200],
      ['delivered', 1, 200],
    ]);

    // The same events again (a redelivery, a second gateway node): nothing new.
    for (const event of events) expect((await alerts.handleQuotaEvent(event)).raised).toBe(false);
    await settle();
    expect(mailsTo(target.email)).toHaveLength(3);
    expect(webhooksTo(target.path)).toHaveLength(3);
    expect(await prisma.alert.count({ where: { consumerId: target.consumerId } })).toBe(3);
    expect(await prisma.webhookDelivery.count({ where: { consumerId: target.consumerId } })).toBe(3);
  });

  it('with an overage buffer: 100 % sends the overage notice and exhaustion the hard stop', async () => {
    const overagePlan = await plan({
      name: 'Growth',
      overage: { bufferPercent: 10, unitPriceMinor: 3, currency: 'usd' },
    });
    const target = await consumerOn(overagePlan.id, 'growth');
    await alerts.handleQuotaEvent(quotaEvent(target, overagePlan.id, 'quota.threshold_crossed', 100, 20));
    await alerts.handleQuotaEvent(quotaEvent(target, overagePlan.id, 'quota.exhausted', 110, 20));
    await eventually(() => (webhooksTo(target.path).length >= 2 ? true : undefined));
    const mails = mailsTo(target.email);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'growth: your Growth quota is used up, overage billing has started',
      expect.stringContaining('growth: quota and overage used up, requests are refused until'),
    ]);
    expect(mails[0].text).toContain('each is billed at $0.03, for up to 2 more requests');
    expect(webhooksTo(target.path).map((delivery) => delivery.eventType)).toEqual([
      'usage.threshold_reached',
      'usage.quota_exhausted',
    ]);
  });

  it('retries a failing webhook with backoff: two 500s, then delivered on attempt 3, each attempt logged', async () => {
    const starter = await plan({ name: 'Retry plan' });
    const target = await consumerOn(starter.id, 'flaky');
    receiver.failNext(target.path, 2);
    await alerts.handleQuotaEvent(quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20));
    const [delivery] = await eventually(async () => {
      const log = await webhooks.list(target.consumerId);
      return log[0]?.status === 'delivered' ? log : undefined;
    });
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200, error: null });
    expect(webhooksTo(target.path).map((attempt) => [attempt.answered, attempt.verified])).toEqual([
      [500, true],
      [500, true],
      [200, true],
    ]);
    // Every attempt carries the same body and delivery id (so the consumer can deduplicate).
    expect(new Set(webhooksTo(target.path).map((attempt) => attempt.body)).size).toBe(1);
    expect(new Set(webhooksTo(target.path).map((attempt) => attempt.deliveryId))).toEqual(
      new Set([delivery.id]),
    );
    const attemptLog = logger.lines.filter((line) => line.fields['deliveryId'] === delivery.id);
    expect(
      attemptLog.map((line) => [
        line.level,
        line.message,
        line.fields['attempt'],
        line.fields['responseStatus'],
      ]),
    ).toEqual([
      ['warn', 'webhook attempt failed, will retry', 1, 500],
      ['warn', 'webhook attempt failed, will retry', 2, 500],
      ['info', 'webhook delivered', 3, 200],
    ]);
  });

  it('marks a delivery failed after its last attempt', async () => {
    const starter = await plan({ name: 'Failing plan' });
    const target = await consumerOn(starter.id, 'down');
    receiver.failNext(target.path, 10);
    await alerts.handleQuotaEvent(quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20));
    const [delivery] = await eventually(async () => {
      const log = await webhooks.list(target.consumerId);
      return log[0]?.status === 'failed' ? log : undefined;
    });
    expect(delivery).toMatchObject({
      attempts: 3,
      responseStatus: 500,
      error: 'HTTP 500',
      deliveredAt: null,
    });
    expect((await jobs.failed('billing.webhook-delivery')).map((job) => job.jobId)).toContain(delivery.id);
  });

  it('sends a signed test delivery on request and records it', async () => {
    const starter = await plan({ name: 'Test plan' });
    const target = await consumerOn(starter.id, 'tester');
    const delivery = await webhooks.sendTest(target.consumerId);
    expect(delivery).toMatchObject({
      eventType: 'webhook.test',
      status: 'delivered',
      attempts: 1,
      responseStatus: 200,
    });
    expect(webhooksTo(target.path)).toEqual([
      expect.objectContaining({ verified: true, eventType: 'webhook.test', deliveryId: delivery.id }),
    ]);
  });

  it('a mail that failed is sent by the next recheck, once', async () => {
    const starter = await plan({ name: 'Mail outage plan' });
    const target = await consumerOn(starter.id, 'outage');
    const unreachable: Mailer = {
      send: () => Promise.reject(new Error('SMTP unreachable')),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const duringOutage = new Alerts({
      prisma,
      mailer: unreachable,
      webhooks,
      usage,
      logger,
      publicUrl,
    });
    const event = quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20);
    await expect(duringOutage.handleQuotaEvent(event)).rejects.toThrow('SMTP unreachable');
    const [pending] = await prisma.alert.findMany({ where: { consumerId: target.consumerId } });
    expect(pending).toMatchObject({ threshold: 80, emailedAt: null });

    expect((await alerts.recheck()).raised).toBe(0);
    await eventually(() => (webhooksTo(target.path).length >= 1 ? true : undefined));
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'outage: 80 % of your Mail outage plan quota used',
    ]);
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: pending.id } })).emailedAt).not.toBeNull();
    await alerts.recheck();
    await alerts.handleQuotaEvent(event);
    await settle();
    expect(mailsTo(target.email)).toHaveLength(1);
    expect(webhooksTo(target.path)).toHaveLength(1);
  });

  it('an alert whose sender stopped mid-send is mailed once its claim expires, exactly once', async () => {
    const starter = await plan({ name: 'Crash plan' });
    const target = await consumerOn(starter.id, 'crash');
    // A mailer that never answers until told to: the worker holding the claim is gone.
    let stopSending: (error: Error) => void = () => undefined;
    const stuck: Mailer = {
      send: () =>
        new Promise((_resolve, reject) => {
          stopSending = reject;
        }),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const crashing = new Alerts({ prisma, mailer: stuck, webhooks, usage, logger, publicUrl });
    const event = quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20);
    const stopped = crashing.handleQuotaEvent(event).catch((error: unknown) => error);
    const claimed = await eventually(async () => {
      const [alert] = await prisma.alert.findMany({ where: { consumerId: target.consumerId } });
      return alert?.emailedAt ? alert : undefined;
    });
    expect(mailPending(claimed, new Date())).toBe(false);

    // While the claim holds, neither a redelivered event nor the recheck mails it.
    await alerts.handleQuotaEvent(event);
    await alerts.recheck();
    await settle();
    expect(mailsTo(target.email)).toHaveLength(0);

    // After the lease, the next worker takes the claim over and mails it.
    const later = new Alerts({
      prisma,
      mailer: smtpMailer,
      webhooks,
      usage,
      logger,
      publicUrl,
      now: () => new Date(Date.now() + mailClaimLeaseMs + 1_000),
    });
    await later.handleQuotaEvent(event);
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'crash: 80 % of your Crash plan quota used',
    ]);
    const mailed = await prisma.alert.findUniqueOrThrow({ where: { id: claimed.id } });
    expect(mailPending(mailed, new Date(Date.now() + 2 * mailClaimLeaseMs))).toBe(false);

    // The stuck send failing at last releases nothing: the alert stays mailed, and is not mailed again.
    stopSending(new Error('connection reset'));
    expect(await stopped).toBeInstanceOf(Error);
    expect((await prisma.alert.findUniqueOrThrow({ where: { id: claimed.id } })).emailedAt).toEqual(
      mailed.emailedAt,
    );
    await later.handleQuotaEvent(event);
    await alerts.recheck();
    await settle();
    expect(mailsTo(target.email)).toHaveLength(1);
  });

  describe('recheck from ClickHouse', () => {
    async function meter(consumerId: string, planId: string, requests: number, from: number): Promise<void> {
      const rows = Array.from({ length: requests }, (_, index) =>
        usageEventRow(consumerId, planId, from + 1_000 + index * 1_000, {
          api_id: 'api_alerts',
          endpoint: 'GET /v1/things',
          log_topic: 'alerts-test',
        }),
      );
      await insertUsageRows(analytics, rows);
    }

    it('raises a threshold whose gateway event was lost, once', async () => {
      const starter = await plan({ name: 'Recheck plan' });
      const target = await consumerOn(starter.id, 'lost');
      // 17 of 20 used: 80 % passed, no event arrived.
      await meter(target.consumerId, starter.id, 17, Math.max(target.period.start, Date.now() - 60_000));
      const first = await alerts.recheck();
      expect(first.raised).toBe(1);
      await eventually(() => (webhooksTo(target.path).length >= 1 ? true : undefined));
      expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
        'lost: 80 % of your Recheck plan quota used',
      ]);
      const stored = await prisma.alert.findMany({ where: { consumerId: target.consumerId } });
      expect(stored.map((alert) => [alert.kind, alert.threshold, alert.source, alert.usedUnits])).toEqual([
        ['quota_threshold', 80, 'recheck', 17],
      ]);
      expect(webhooksTo(target.path)[0].verified).toBe(true);

      // Again: nothing new; and the late gateway event for the same crossing adds nothing either.
      expect((await alerts.recheck()).raised).toBe(0);
      expect(
        (await alerts.handleQuotaEvent(quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20)))
          .raised,
      ).toBe(false);
      await settle();
      expect(mailsTo(target.email)).toHaveLength(1);
      expect(webhooksTo(target.path)).toHaveLength(1);
    });

    it('raises the spend-cap thresholds of a pay-per-call plan, priced by the rating engine', async () => {
      const payg = await plan({
        name: 'Pay as you go',
        tier: 'pay_per_call',
        quota: { limit: 1_000, period: 'month' },
        prices: [{ type: 'per_unit', unitAmountMinor: 10, currency: 'usd' }],
      });
      const target = await consumerOn(payg.id, 'capped');
      await prisma.subscription.update({
        where: { id: target.subscriptionId },
        data: { spendCapMinor: 100 },
      });
      // 8 requests × 10 = 80 of a 100 cap: the 80 % spend-cap threshold, and no quota threshold.
      await meter(target.consumerId, payg.id, 8, Math.max(target.period.start, Date.now() - 60_000));
      expect((await alerts.recheck()).raised).toBe(1);
      await eventually(() => (webhooksTo(target.path).length >= 1 ? true : undefined));
      expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
        'capped: 80 % of your spend cap used',
      ]);
      expect(mailsTo(target.email)[0].text).toContain('$0.80 of your $1.00 spend cap');
      expect(webhooksTo(target.path)[0].eventType).toBe('usage.spend_cap_reached');
      expect(await prisma.alert.findMany({ where: { consumerId: target.consumerId } })).toEqual([
        expect.objectContaining({ kind: 'spend_cap', threshold: 80, usedUnits: 80, limitUnits: 100 }),
      ]);
    });
  });

  describe('the quota-event consumer', () => {
    let eventLog: EventLog;
    let directory: string;

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'tollgate-quota-events-'));
      eventLog = createInProcessEventLog({ directory });
    });
    afterAll(async () => {
      await eventLog?.close();
      await rm(directory, { recursive: true, force: true });
    });

    it('feeds valid events to the alerts and skips invalid ones with a warning', async () => {
      const starter = await plan({ name: 'Stream plan' });
      const target = await consumerOn(starter.id, 'stream');
      const topic = 'quota-events-test';
      const stop = await startQuotaEventConsumer({
        eventLog,
        topic,
        groupId: 'billing-alerts-test',
        alerts,
        logger,
        partitions: 1,
      });
      try {
        const producer = await eventLog.producer();
        const event = quotaEvent(target, starter.id, 'quota.threshold_crossed', 80, 20);
        await producer.send(topic, [
          { key: target.consumerId, value: '{not json' },
          { key: target.consumerId, value: JSON.stringify({ ...event, threshold: 'eighty' }) },
          { key: target.consumerId, value: JSON.stringify(event) },
          { key: target.consumerId, value: JSON.stringify(event) },
        ]);
        await producer.close();
        await eventually(() => (webhooksTo(target.path).length >= 1 ? true : undefined));
        await settle();
        expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
          'stream: 80 % of your Stream plan quota used',
        ]);
        expect(
          logger.lines.filter((line) => line.message === 'skipping an invalid quota event'),
        ).toHaveLength(2);
      } finally {
        await stop();
      }
    });
  });
});
