import { type TestSmtpServer } from '@tollgate/mail/testing';
import {
  buildGatewaySnapshot,
  type ConsumerWebhooks,
  type PlanDetailView,
  processStripeEvent,
} from '@tollgate/plans-data';
import { type PlanCreateInput } from '@tollgate/plans-domain';
import { type Mailer } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import {
  consumerWithWebhook,
  createScratchDatabase,
  createTestPlan,
  eventually,
  recordingLogger,
  resourceStack,
  startMailCatcher,
  startWebhookJobs,
  startWebhookReceiver,
  type WebhookReceiver,
} from '../testing/billing-test-support';
import { Dunning } from './dunning';

// Dunning against PostgreSQL (a scratch database), a real SMTP server and a webhook endpoint over
// HTTP; subscriptions fall past due and recover through the real Stripe webhook processing. The
// clock is injected so the grace period passes without waiting.

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;

describe('dunning (PostgreSQL, SMTP, HTTP webhooks)', () => {
  const publicUrl = 'https://tollgate.example.com';
  const resources = resourceStack();
  let prisma: PrismaClient;
  let smtp: TestSmtpServer;
  let receiver: WebhookReceiver;
  let dunning: Dunning;
  let webhooks: ConsumerWebhooks;
  let smtpMailer: Mailer;
  let clock = Date.now();
  let snapshotPushes = 0;
  let free: PlanDetailView;
  const logger = recordingLogger();
  const t0 = Math.floor(Date.now() / 1000);
  let eventSequence = 0;

  beforeAll(async () => {
    ({ prisma } = await resources.add(createScratchDatabase('tollgate_dunning')));
    const mail = await resources.add(startMailCatcher('Tollgate <billing@tollgate.test>'));
    smtp = mail.smtp;
    receiver = await resources.add(startWebhookReceiver());
    ({ webhooks } = await resources.add(startWebhookJobs({ prisma, logger, attempts: 3, deliver: true })));
    smtpMailer = mail.mailer;
    dunning = new Dunning({
      prisma,
      mailer: mail.mailer,
      webhooks,
      logger,
      publicUrl,
      now: () => new Date(clock),
      onSubscriptionsChanged: async () => {
        snapshotPushes += 1;
      },
    });
    // An archived and a private free plan must not be chosen; the public one with the lowest quota is.
    await plan({ name: 'Old free', tier: 'free', quota: { limit: 10, period: 'month' } }).then((old) =>
      prisma.plan.update({ where: { id: old.id }, data: { archivedAt: new Date() } }),
    );
    await plan({ name: 'Hidden free', tier: 'free', isPublic: false, quota: { limit: 5, period: 'month' } });
    await plan({ name: 'Big free', tier: 'free', quota: { limit: 5_000, period: 'month' } });
    free = await plan({ name: 'Free', tier: 'free', quota: { limit: 100, period: 'month' } });
  }, 120_000);

  afterAll(() => resources.close(), 60_000);

  const plan = (body: Partial<PlanCreateInput> & { name: string }): Promise<PlanDetailView> =>
    createTestPlan(prisma, { quota: { limit: 1_000, period: 'month' }, ...body });

  /** A consumer on the plan with a webhook at its own path, linked to a Stripe subscription id. */
  async function subscriber(planId: string, name: string) {
    const { consumerId, subscriptionId, path, email } = await consumerWithWebhook(
      prisma,
      receiver,
      planId,
      name,
    );
    const stripeSubscriptionId = `sub_stripe_${name}`;
    await prisma.subscription.update({ where: { id: subscriptionId }, data: { stripeSubscriptionId } });
    return { consumerId, subscriptionId, stripeSubscriptionId, path, email };
  }

  /** A verified Stripe invoice event for the subscription, `offsetSeconds` after t0. */
  async function stripeInvoice(
    type: 'invoice.payment_failed' | 'invoice.paid',
    stripeSubscriptionId: string,
    offsetSeconds: number,
  ) {
    eventSequence += 1;
    return processStripeEvent(prisma, {
      id: `evt_dunning_${eventSequence}`,
      type,
      created: t0 + offsetSeconds,
      data: { object: { object: 'invoice', id: `in_${eventSequence}`, subscription: stripeSubscriptionId } },
    });
  }

  const mailsTo = (address: string) => smtp.messages.filter((mail) => mail.to.includes(address));
  const webhooksTo = (path: string) => receiver.received.filter((delivery) => delivery.path === path);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('downgrade policy: one dunning mail, downgrade to the free plan after the grace period, restored when paid', async () => {
    const pro = await plan({ name: 'Pro', gracePeriodDays: 3, pastDuePolicy: 'downgrade' });
    const target = await subscriber(pro.id, 'acme');
    expect((await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 0)).changed).toBe(
      true,
    );

    clock = t0 * 1000 + hourMs;
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 0, recovered: 0 });
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    await eventually(() => (webhooksTo(target.path).length >= 1 ? true : undefined));
    const [failedMail] = mailsTo(target.email);
    expect(failedMail.subject).toBe('acme: payment failed for your Pro plan');
    const graceEnd = new Date(t0 * 1000 + 3 * dayMs);
    const graceDay = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(
      graceEnd,
    );
    expect(failedMail.text).toContain(`keeps working until ${graceDay}`);
    expect(failedMail.text).toContain('move to the Free plan');
    expect(webhooksTo(target.path)[0]).toMatchObject({ verified: true, eventType: 'billing.payment_failed' });
    expect(JSON.parse(webhooksTo(target.path)[0].body).data).toMatchObject({
      graceEndsAt: graceEnd.toISOString(),
      policy: 'downgrade',
    });

    // One minute before the grace period ends: nothing changes.
    clock = graceEnd.getTime() - 60_000;
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    expect(snapshotPushes).toBe(0);

    clock = graceEnd.getTime();
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 1, recovered: 0 });
    expect(snapshotPushes).toBe(1);
    const downgraded = await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } });
    expect(downgraded).toMatchObject({
      planId: free.id,
      planVersion: 1,
      downgradedFromPlanId: pro.id,
      status: 'past_due',
    });
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } });
    expect(consumer.groupId).toBe(free.groupId);
    expect(consumer.status).toBe('active');
    const snapshot = await buildGatewaySnapshot(prisma, clock);
    expect(snapshot.consumers.find((entry) => entry.id === target.consumerId)).toMatchObject({
      planId: free.id,
    });
    await eventually(() => (webhooksTo(target.path).length >= 2 ? true : undefined));
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'acme: payment failed for your Pro plan',
      'acme: moved to the Free plan after an unpaid invoice',
    ]);
    expect(mailsTo(target.email)[1].text).toContain('your Pro plan is restored automatically');
    expect(webhooksTo(target.path)[1]).toMatchObject({ verified: true, eventType: 'billing.grace_expired' });

    // Re-runs (and later runs while still unpaid) repeat nothing.
    clock += dayMs;
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    expect(snapshotPushes).toBe(1);

    // The invoice is paid: back on Pro, at the version it had.
    expect((await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 4 * 86_400)).changed).toBe(true);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 1 });
    expect(snapshotPushes).toBe(2);
    const restored = await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } });
    expect(restored).toMatchObject({
      planId: pro.id,
      planVersion: 1,
      downgradedFromPlanId: null,
      status: 'active',
    });
    expect((await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } })).groupId).toBe(
      pro.groupId,
    );
    await eventually(() => (webhooksTo(target.path).length >= 3 ? true : undefined));
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'acme: payment failed for your Pro plan',
      'acme: moved to the Free plan after an unpaid invoice',
      'acme: payment received, thank you',
    ]);
    expect(mailsTo(target.email)[2].text).toContain('your Pro plan is restored');
    expect(webhooksTo(target.path)[2]).toMatchObject({
      verified: true,
      eventType: 'billing.payment_recovered',
    });

    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    await settle();
    expect(mailsTo(target.email)).toHaveLength(3);
    expect(webhooksTo(target.path)).toHaveLength(3);
    expect(
      (
        await prisma.alert.findMany({
          where: { consumerId: target.consumerId },
          orderBy: { createdAt: 'asc' },
        })
      ).map((alert) => alert.kind),
    ).toEqual(['payment_failed', 'grace_expired', 'payment_recovered']);
  });

  it('suspend policy: keys suspended after the grace period (the gateway snapshot says so), reactivated when paid', async () => {
    const business = await plan({ name: 'Business', gracePeriodDays: 1, pastDuePolicy: 'suspend' });
    const target = await subscriber(business.id, 'globex');
    const pushesBefore = snapshotPushes;
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 10);

    // The worker was down during the whole grace period: both notices in one run.
    clock = (t0 + 10) * 1000 + dayMs + 1;
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 1, recovered: 0 });
    expect(snapshotPushes).toBe(pushesBefore + 1);
    const consumer = await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } });
    expect(consumer).toMatchObject({ status: 'suspended', suspendedReason: 'payment_overdue' });
    const subscription = await prisma.subscription.findUniqueOrThrow({
      where: { id: target.subscriptionId },
    });
    expect(subscription).toMatchObject({
      planId: business.id,
      downgradedFromPlanId: null,
      status: 'past_due',
    });
    const snapshot = await buildGatewaySnapshot(prisma, clock);
    expect(snapshot.consumers.find((entry) => entry.id === target.consumerId)).toMatchObject({
      status: 'suspended',
    });
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    await eventually(() => (webhooksTo(target.path).length >= 2 ? true : undefined));
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'globex: payment failed for your Business plan',
      'globex: API keys suspended after an unpaid invoice',
    ]);
    expect(mailsTo(target.email)[0].text).toContain('your API keys will be suspended');

    await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 3 * 86_400);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 1 });
    expect(snapshotPushes).toBe(pushesBefore + 2);
    expect(await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } })).toMatchObject({
      status: 'active',
      suspendedReason: null,
    });
    const after = await buildGatewaySnapshot(prisma, clock);
    expect(after.consumers.find((entry) => entry.id === target.consumerId)).toMatchObject({
      status: 'active',
    });
    await eventually(() => (webhooksTo(target.path).length >= 3 ? true : undefined));
    expect(mailsTo(target.email)[2].text).toContain('your API keys work again');
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
  });

  it('a consumer suspended by an admin stays suspended after a payment', async () => {
    const business = await plan({ name: 'Business 2', gracePeriodDays: 0, pastDuePolicy: 'suspend' });
    const target = await subscriber(business.id, 'initech');
    await prisma.consumer.update({
      where: { id: target.consumerId },
      data: { status: 'suspended', suspendedReason: 'abuse' },
    });
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 20);
    clock = (t0 + 20) * 1000;
    // Suspended consumers are already refused: dunning mails, but changes nothing.
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 1, recovered: 0 });
    expect(await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } })).toMatchObject({
      status: 'suspended',
      suspendedReason: 'abuse',
    });
    await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 30);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 1 });
    expect(await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } })).toMatchObject({
      status: 'suspended',
      suspendedReason: 'abuse',
    });
  });

  it('paid within the grace period: nothing enforced, one recovery notice', async () => {
    const pro = await plan({ name: 'Pro 2', gracePeriodDays: 3 });
    const target = await subscriber(pro.id, 'umbrella');
    const pushesBefore = snapshotPushes;
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 40);
    clock = (t0 + 40) * 1000 + hourMs;
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 0, recovered: 0 });
    await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 50);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 1 });
    expect(snapshotPushes).toBe(pushesBefore);
    expect(
      await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } }),
    ).toMatchObject({
      planId: pro.id,
      status: 'active',
    });
    await eventually(() => (mailsTo(target.email).length >= 2 ? true : undefined));
    expect(mailsTo(target.email)[1].text).toContain('your Pro 2 plan continues as before');

    // A second episode later on gets its own notices.
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 60);
    clock = (t0 + 60) * 1000 + hourMs;
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 0, recovered: 0 });
    await eventually(() => (mailsTo(target.email).length >= 3 ? true : undefined));
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'umbrella: payment failed for your Pro 2 plan',
      'umbrella: payment received, thank you',
      'umbrella: payment failed for your Pro 2 plan',
    ]);
  });

  /** The same dunning with another mailer. */
  const dunningWith = (mailer: Mailer) =>
    new Dunning({
      prisma,
      mailer,
      webhooks,
      logger,
      publicUrl,
      now: () => new Date(clock),
      onSubscriptionsChanged: async () => {
        snapshotPushes += 1;
      },
    });

  it('mail server down: the policy is still applied, and the notices go out with the next run', async () => {
    // The earlier test left a payment-failed episode open: pay it so this run sees only the new one.
    await stripeInvoice('invoice.paid', 'sub_stripe_umbrella', 70);
    await dunning.run();
    const business = await plan({ name: 'Business 3', gracePeriodDays: 1, pastDuePolicy: 'suspend' });
    const target = await subscriber(business.id, 'hooli');
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 100);
    clock = (t0 + 100) * 1000 + dayMs + 1;
    const pushesBefore = snapshotPushes;
    const unreachable: Mailer = {
      send: () => Promise.reject(new Error('SMTP unreachable')),
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    expect(await dunningWith(unreachable).run()).toEqual({ mailed: 0, enforced: 1, recovered: 0 });
    expect(snapshotPushes).toBe(pushesBefore + 1);
    expect(await prisma.consumer.findUniqueOrThrow({ where: { id: target.consumerId } })).toMatchObject({
      status: 'suspended',
      suspendedReason: 'payment_overdue',
    });
    expect(mailsTo(target.email)).toHaveLength(0);

    // The mail server is back: both notices, in order, once.
    expect(await dunning.run()).toEqual({ mailed: 1, enforced: 0, recovered: 0 });
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'hooli: payment failed for your Business 3 plan',
      'hooli: API keys suspended after an unpaid invoice',
    ]);

    await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 200);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 1 });
  });

  it('paid between the read and the enforcement: no downgrade, no grace notice, one recovery', async () => {
    const pro = await plan({ name: 'Pro 3', gracePeriodDays: 1, pastDuePolicy: 'downgrade' });
    const target = await subscriber(pro.id, 'vandelay');
    await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 300);
    clock = (t0 + 300) * 1000 + dayMs + 1;
    const pushesBefore = snapshotPushes;
    // The invoice is paid while the payment-failed mail goes out, after the run read the subscription.
    let paid = false;
    const payingMailer: Mailer = {
      send: async (mail) => {
        if (!paid) {
          paid = true;
          expect((await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 301)).changed).toBe(true);
        }
        return smtpMailer.send(mail);
      },
      ping: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    expect(await dunningWith(payingMailer).run()).toEqual({ mailed: 1, enforced: 0, recovered: 1 });
    expect(paid).toBe(true);
    expect(snapshotPushes).toBe(pushesBefore);
    expect(
      await prisma.subscription.findUniqueOrThrow({ where: { id: target.subscriptionId } }),
    ).toMatchObject({ planId: pro.id, downgradedFromPlanId: null, status: 'active' });
    expect(mailsTo(target.email).map((mail) => mail.subject)).toEqual([
      'vandelay: payment failed for your Pro 3 plan',
      'vandelay: payment received, thank you',
    ]);
    expect(
      (await prisma.alert.findMany({ where: { consumerId: target.consumerId } })).map((alert) => alert.kind),
    ).not.toContain('grace_expired');
  });

  it('gateways are refreshed once per run, however many subscriptions change', async () => {
    const pro = await plan({ name: 'Pro 4', gracePeriodDays: 1, pastDuePolicy: 'downgrade' });
    const business = await plan({ name: 'Business 4', gracePeriodDays: 1, pastDuePolicy: 'suspend' });
    const targets = [
      await subscriber(pro.id, 'wayne'),
      await subscriber(pro.id, 'stark'),
      await subscriber(business.id, 'tyrell'),
    ];
    for (const target of targets)
      await stripeInvoice('invoice.payment_failed', target.stripeSubscriptionId, 400);
    clock = (t0 + 400) * 1000 + dayMs + 1;
    const pushesBefore = snapshotPushes;
    expect(await dunning.run()).toEqual({ mailed: 3, enforced: 3, recovered: 0 });
    expect(snapshotPushes).toBe(pushesBefore + 1);
    for (const target of targets) expect(mailsTo(target.email)).toHaveLength(2);

    for (const target of targets) await stripeInvoice('invoice.paid', target.stripeSubscriptionId, 500);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 3 });
    expect(snapshotPushes).toBe(pushesBefore + 2);
    for (const target of targets) expect(mailsTo(target.email)).toHaveLength(3);
    expect(await dunning.run()).toEqual({ mailed: 0, enforced: 0, recovered: 0 });
    expect(snapshotPushes).toBe(pushesBefore + 2);
  });
});
