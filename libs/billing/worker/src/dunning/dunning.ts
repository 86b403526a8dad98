import { appendAudit, type Actor, type ConsumerWebhooks } from '@tollgate/plans-data';
import { type Mailer } from '@tollgate/ports';
import {
  type Alert,
  type Consumer,
  type Plan,
  type Prisma,
  type PrismaClient,
  type Subscription,
} from '@tollgate/relational';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { type AlertMessage, AlertNotifier, mailPending } from '../alerts/alert-notifier';
import { dunningAuditActions } from './dunning-audit-actions';
import {
  downgradedNotice,
  paymentFailedNotice,
  paymentRecoveredNotice,
  suspendedNotice,
} from '../mail-templates/payment-notices';

export interface DunningOptions {
  prisma: PrismaClient;
  mailer: Mailer;
  webhooks: ConsumerWebhooks;
  logger: BillingWorkerLogger;
  /** The public base URL of the portal (PUBLIC_URL). */
  publicUrl: string;
  /** Called after a run changed what gateways enforce (a downgrade, a suspension, a recovery). */
  onSubscriptionsChanged: () => Promise<void>;
  now?: () => Date;
}

export interface DunningRunResult {
  /** Payment-failed notices sent. */
  mailed: number;
  /** Subscriptions downgraded or consumers suspended because their grace period ended. */
  enforced: number;
  /** Past-due episodes closed by a payment (plan restored, keys reactivated, notice sent). */
  recovered: number;
}

/** Why dunning suspended a consumer; only such a suspension is lifted by a payment. */
export const paymentOverdueReason = 'payment_overdue';

/** Webhook event types of the dunning notices. */
export const dunningWebhookEventTypes = {
  payment_failed: 'billing.payment_failed',
  grace_expired: 'billing.grace_expired',
  payment_recovered: 'billing.payment_recovered',
} as const;

const dayMs = 86_400_000;
const dunningActor: Actor = { type: 'system', id: 'dunning' };

type DunningSubscription = Subscription & { plan: Plan; consumer: Consumer };

/** A grace-expired notice to send once gateways enforce the change it reports. */
interface GraceExpiredNotice {
  alert: Alert;
  subscriptionId: string;
}

/** A payment-recovered notice to send once gateways enforce the restored plan or keys. */
interface RecoveredNotice {
  alert: Alert;
  subscriptionId: string;
  restored: 'plan' | 'keys' | null;
}

/** When the grace period of an episode that started at `pastDueSince` ends. */
export function graceEndsAt(pastDueSince: Date, gracePeriodDays: number): Date {
  return new Date(pastDueSince.getTime() + gracePeriodDays * dayMs);
}

/**
 * Dunning for past-due subscriptions, one episode at a time (an episode starts at `pastDueSince`):
 * a payment-failed notice once; when the plan's grace period is over, its past-due policy
 * (downgrade to the free plan, or suspend the consumer's keys) and a notice; when the invoice is
 * paid, the change undone and a notice. Every step is an Alert row with a unique key, inserted in
 * the transaction of its change, so a re-run (or a second worker) repeats nothing.
 */
export class Dunning {
  private readonly notifier: AlertNotifier;
  private readonly now: () => Date;

  constructor(private readonly options: DunningOptions) {
    this.now = options.now ?? (() => new Date());
    this.notifier = new AlertNotifier({ ...options, now: this.now });
  }

  /**
   * One pass: payment-failed notices, then every change of the run (policies applied, payments
   * recovered), then one gateway refresh for all of them, then the notices of those changes, so a
   * notice never announces what gateways do not enforce yet. A notice whose mail fails is logged and
   * sent by the next run; it never holds up a change.
   */
  async run(): Promise<DunningRunResult> {
    const { logger } = this.options;
    const result: DunningRunResult = { mailed: 0, enforced: 0, recovered: 0 };
    const graceNotices: GraceExpiredNotice[] = [];
    let changed = false;
    const pastDue = await this.options.prisma.subscription.findMany({
      where: { status: 'past_due', pastDueSince: { not: null } },
      include: { plan: true, consumer: true },
      orderBy: { pastDueSince: 'asc' },
    });
    for (const subscription of pastDue) {
      try {
        if (await this.notifyPaymentFailed(subscription)) result.mailed += 1;
      } catch (error) {
        logger.warn(
          { err: error, subscriptionId: subscription.id },
          'payment-failed notice not sent: the next dunning run sends it',
        );
      }
      try {
        const enforcement = await this.enforceGrace(subscription);
        if (!enforcement) continue;
        if (enforcement.applied) result.enforced += 1;
        // A notice left over from an earlier run refreshes gateways too: that run's refresh may have failed.
        changed = true;
        graceNotices.push({ alert: enforcement.alert, subscriptionId: subscription.id });
      } catch (error) {
        logger.error({ err: error, subscriptionId: subscription.id }, 'dunning failed for a subscription');
      }
    }
    const recoveredNotices = await this.recover();
    result.recovered = recoveredNotices.length;
    if (recoveredNotices.some((notice) => notice.restored !== null)) changed = true;

    if (changed) {
      try {
        await this.options.onSubscriptionsChanged();
      } catch (error) {
        // The grace-expired notices stay unsent and go out, after a refresh, with the next run.
        logger.error({ err: error }, 'gateway refresh after dunning changes failed');
        graceNotices.length = 0;
      }
    }
    for (const notice of graceNotices) {
      await this.sendNotice(notice.subscriptionId, () =>
        this.sendGraceExpired(notice.alert, notice.subscriptionId),
      );
    }
    for (const notice of recoveredNotices) {
      await this.sendNotice(notice.subscriptionId, () => this.sendRecovered(notice));
    }
    if (result.mailed + result.enforced + result.recovered > 0) logger.info(result, 'dunning run');
    return result;
  }

  private async sendNotice(subscriptionId: string, send: () => Promise<void>): Promise<void> {
    try {
      await send();
    } catch (error) {
      this.options.logger.warn({ err: error, subscriptionId }, 'dunning notice not sent');
    }
  }

  /** The plan whose dunning policy applies: the one the subscription had before a downgrade. */
  private async policyPlan(subscription: DunningSubscription): Promise<Plan> {
    if (!subscription.downgradedFromPlanId) return subscription.plan;
    return (
      (await this.options.prisma.plan.findUnique({ where: { id: subscription.downgradedFromPlanId } })) ??
      subscription.plan
    );
  }

  private async freePlan(db: Prisma.TransactionClient = this.options.prisma): Promise<Plan | null> {
    return db.plan.findFirst({
      where: { tier: 'free', isPublic: true, archivedAt: null },
      orderBy: [{ quotaLimit: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  private async notifyPaymentFailed(subscription: DunningSubscription): Promise<boolean> {
    const episode = subscription.pastDueSince as Date;
    const key = {
      subscriptionId: subscription.id,
      consumerId: subscription.consumerId,
      kind: 'payment_failed' as const,
      periodStart: episode,
      threshold: 0,
    };
    const alert =
      (await this.notifier.insert({ ...key, source: 'stripe' })) ?? (await this.notifier.find(key));
    if (!alert || !mailPending(alert, this.now())) return false;
    const plan = await this.policyPlan(subscription);
    const free = plan.pastDuePolicy === 'downgrade' ? await this.freePlan() : null;
    const graceEnd = graceEndsAt(episode, plan.gracePeriodDays);
    return this.notifier.send(
      alert,
      this.message(alert, subscription, 'payment_failed', {
        mail: paymentFailedNotice({
          ...this.noticeBase(subscription, plan),
          graceEndsAt: graceEnd,
          policy: plan.pastDuePolicy,
          freePlanName: free?.name ?? null,
        }),
        payload: {
          planId: plan.id,
          pastDueSince: episode.toISOString(),
          graceEndsAt: graceEnd.toISOString(),
          policy: plan.pastDuePolicy,
        },
      }),
    );
  }

  /**
   * Applies the past-due policy once the grace period is over. Returns the grace-expired alert whose
   * notice is due: with `applied` when this call applied the policy, without it when an earlier run
   * did and its notice was not sent; null when nothing is due.
   */
  private async enforceGrace(
    subscription: DunningSubscription,
  ): Promise<{ alert: Alert; applied: boolean } | null> {
    const { prisma, logger } = this.options;
    const episode = subscription.pastDueSince as Date;
    const plan = await this.policyPlan(subscription);
    if (this.now().getTime() < graceEndsAt(episode, plan.gracePeriodDays).getTime()) {
      return null;
    }
    const key = {
      subscriptionId: subscription.id,
      consumerId: subscription.consumerId,
      kind: 'grace_expired' as const,
      periodStart: episode,
      threshold: 0,
    };
    const outcome = await prisma.$transaction(async (tx) => {
      // The subscription was read before this transaction: a payment (or a plan change) may have
      // landed since. This write re-checks it under the row's lock and changes nothing; when the
      // subscription is no longer in this episode on this plan, the policy is not applied.
      const current = await tx.subscription.updateMany({
        where: {
          id: subscription.id,
          status: 'past_due',
          pastDueSince: episode,
          planId: subscription.planId,
        },
        data: { pastDueSince: episode },
      });
      if (current.count === 0) return 'changed' as const;
      const alert = await this.notifier.insert({ ...key, source: 'stripe' }, tx);
      if (!alert) return null;
      const free = plan.pastDuePolicy === 'downgrade' ? await this.freePlan(tx) : null;
      if (free && free.id !== subscription.planId) {
        await tx.subscription.update({
          where: { id: subscription.id },
          data: { planId: free.id, planVersion: free.version, downgradedFromPlanId: subscription.planId },
        });
        const group = await tx.consumerGroup.findUnique({ where: { planId: free.id }, select: { id: true } });
        await tx.consumer.update({
          where: { id: subscription.consumerId },
          data: { groupId: group?.id ?? null },
        });
        await appendAudit(tx, dunningActor, {
          action: dunningAuditActions.downgrade,
          entityType: 'subscription',
          entityId: subscription.id,
          before: { planId: subscription.planId, planVersion: subscription.planVersion },
          after: { planId: free.id, planVersion: free.version },
          // The usage push bills usage before this instant on the plan Stripe still bills, not after.
          at: this.now(),
        });
        return { alert, action: 'downgraded' as const };
      }
      if (plan.pastDuePolicy === 'downgrade' && !free) {
        logger.warn(
          { subscriptionId: subscription.id, planId: plan.id },
          'no public free plan to downgrade to: suspending the consumer instead',
        );
      }
      const consumer = await tx.consumer.findUniqueOrThrow({
        where: { id: subscription.consumerId },
        select: { status: true },
      });
      if (consumer.status === 'active') {
        await tx.consumer.update({
          where: { id: subscription.consumerId },
          data: { status: 'suspended', suspendedReason: paymentOverdueReason },
        });
        await appendAudit(tx, dunningActor, {
          action: 'consumer.dunning_suspend',
          entityType: 'consumer',
          entityId: subscription.consumerId,
          before: { status: consumer.status },
          after: { status: 'suspended', suspendedReason: paymentOverdueReason },
        });
      }
      return { alert, action: 'suspended' as const };
    });
    if (outcome === 'changed') {
      logger.info(
        { subscriptionId: subscription.id },
        'subscription changed since it was read: past-due policy not applied',
      );
      return null;
    }
    if (!outcome) {
      // Enforced before; its notice is due again if that mail failed.
      const existing = await this.notifier.find(key);
      return existing && mailPending(existing, this.now()) ? { alert: existing, applied: false } : null;
    }
    logger.info(
      { subscriptionId: subscription.id, consumerId: subscription.consumerId, action: outcome.action },
      'grace period over: past-due policy applied',
    );
    return { alert: outcome.alert, applied: true };
  }

  /** The grace-expired notice, worded from what the subscription and consumer look like now. */
  private async sendGraceExpired(alert: Alert, subscriptionId: string): Promise<void> {
    const subscription = await this.options.prisma.subscription.findUniqueOrThrow({
      where: { id: subscriptionId },
      include: { plan: true, consumer: true },
    });
    const plan = await this.policyPlan(subscription);
    const downgraded = subscription.downgradedFromPlanId !== null;
    const base = this.noticeBase(subscription, plan);
    await this.notifier.send(
      alert,
      this.message(alert, subscription, 'grace_expired', {
        mail: downgraded
          ? downgradedNotice({
              ...base,
              freePlanName: subscription.plan.name,
              freePlanLimit: subscription.plan.quotaLimit,
            })
          : suspendedNotice(base),
        payload: {
          action: downgraded ? 'downgraded' : 'suspended',
          planId: subscription.planId,
          previousPlanId: subscription.downgradedFromPlanId,
          pastDueSince: alert.periodStart.toISOString(),
        },
      }),
    );
  }

  /**
   * Past-due episodes whose subscription is paid again (active or trialing, no longer in that
   * episode): the downgrade or suspension is undone and a notice sent, once per episode. Earlier
   * open episodes of the same subscription are closed without a notice. Returns the notices to send.
   */
  private async recover(): Promise<RecoveredNotice[]> {
    const { prisma } = this.options;
    const open = await prisma.$queryRaw<{ subscription_id: string; period_start: Date }[]>`
      SELECT a.subscription_id, a.period_start
      FROM alerts a
      JOIN subscriptions s ON s.id = a.subscription_id
      WHERE a.kind = 'payment_failed'
        AND s.status IN ('active', 'trialing')
        AND (s.past_due_since IS NULL OR s.past_due_since <> a.period_start)
        AND NOT EXISTS (
          SELECT 1 FROM alerts r
          WHERE r.kind = 'payment_recovered'
            AND r.subscription_id = a.subscription_id
            AND r.period_start = a.period_start
        )
      ORDER BY a.subscription_id, a.period_start`;
    const latest = new Map<string, Date[]>();
    for (const row of open) {
      const episodes = latest.get(row.subscription_id) ?? [];
      episodes.push(row.period_start);
      latest.set(row.subscription_id, episodes);
    }
    const notices: RecoveredNotice[] = [];
    for (const [subscriptionId, episodes] of latest) {
      try {
        const notice = await this.recoverSubscription(subscriptionId, episodes);
        if (notice) notices.push(notice);
      } catch (error) {
        this.options.logger.error(
          { err: error, subscriptionId },
          'payment recovery failed for a subscription',
        );
      }
    }
    return notices;
  }

  private async recoverSubscription(
    subscriptionId: string,
    episodes: Date[],
  ): Promise<RecoveredNotice | null> {
    const { prisma } = this.options;
    return prisma.$transaction(async (tx) => {
      // The query above ran outside this transaction: a new failed payment may have landed since.
      // With the row locked, the subscription must still be paid and out of these episodes.
      await tx.$queryRaw`SELECT id FROM subscriptions WHERE id = ${subscriptionId} FOR UPDATE`;
      const subscription = await tx.subscription.findUniqueOrThrow({
        where: { id: subscriptionId },
        include: { consumer: true },
      });
      const inEpisode =
        subscription.pastDueSince !== null &&
        episodes.some((episode) => episode.getTime() === subscription.pastDueSince?.getTime());
      if ((subscription.status !== 'active' && subscription.status !== 'trialing') || inEpisode) return null;
      let recoveredAlert: Alert | null = null;
      for (const [index, episode] of episodes.entries()) {
        const latestEpisode = index === episodes.length - 1;
        const alert = await this.notifier.insert(
          {
            subscriptionId,
            consumerId: subscription.consumerId,
            kind: 'payment_recovered',
            periodStart: episode,
            threshold: 0,
            source: 'stripe',
          },
          tx,
        );
        if (!latestEpisode && alert) {
          // An older episode, superseded: closed without a notice of its own.
          await tx.alert.update({ where: { id: alert.id }, data: { emailedAt: this.now() } });
        }
        if (latestEpisode) recoveredAlert = alert;
      }
      if (!recoveredAlert) return null;
      let restored: 'plan' | 'keys' | null = null;
      if (subscription.downgradedFromPlanId) {
        const planId = subscription.downgradedFromPlanId;
        const plan = await tx.plan.findUnique({ where: { id: planId } });
        if (plan) {
          const version = await this.versionBeforeDowngrade(tx, subscriptionId, planId, plan.version);
          await tx.subscription.update({
            where: { id: subscriptionId },
            data: { planId, planVersion: version, downgradedFromPlanId: null },
          });
          const group = await tx.consumerGroup.findUnique({ where: { planId }, select: { id: true } });
          await tx.consumer.update({
            where: { id: subscription.consumerId },
            data: { groupId: group?.id ?? null },
          });
          await appendAudit(tx, dunningActor, {
            action: dunningAuditActions.restore,
            entityType: 'subscription',
            entityId: subscriptionId,
            before: { planId: subscription.planId, planVersion: subscription.planVersion },
            after: { planId, planVersion: version },
            at: this.now(),
          });
          restored = 'plan';
        }
      }
      if (
        subscription.consumer.status === 'suspended' &&
        subscription.consumer.suspendedReason === paymentOverdueReason
      ) {
        await tx.consumer.update({
          where: { id: subscription.consumerId },
          data: { status: 'active', suspendedReason: null },
        });
        await appendAudit(tx, dunningActor, {
          action: 'consumer.dunning_reactivate',
          entityType: 'consumer',
          entityId: subscription.consumerId,
          before: { status: 'suspended', suspendedReason: paymentOverdueReason },
          after: { status: 'active' },
        });
        restored ??= 'keys';
      }
      return { alert: recoveredAlert, subscriptionId, restored };
    });
  }

  /** The payment-recovered notice, worded from what the subscription looks like now. */
  private async sendRecovered(outcome: RecoveredNotice): Promise<void> {
    const subscription = await this.options.prisma.subscription.findUniqueOrThrow({
      where: { id: outcome.subscriptionId },
      include: { plan: true, consumer: true },
    });
    await this.notifier.send(
      outcome.alert,
      this.message(outcome.alert, subscription, 'payment_recovered', {
        mail: paymentRecoveredNotice({
          ...this.noticeBase(subscription, subscription.plan),
          restored: outcome.restored,
        }),
        payload: {
          planId: subscription.planId,
          restored: outcome.restored,
          pastDueSince: outcome.alert.periodStart.toISOString(),
        },
      }),
    );
  }

  /** The version the subscription had before dunning downgraded it (from the audit trail), else the latest. */
  private async versionBeforeDowngrade(
    tx: Prisma.TransactionClient,
    subscriptionId: string,
    planId: string,
    latest: number,
  ): Promise<number> {
    const entry = await tx.auditLog.findFirst({
      where: { entityType: 'subscription', entityId: subscriptionId, action: dunningAuditActions.downgrade },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    });
    const before = entry?.before as { planId?: unknown; planVersion?: unknown } | null | undefined;
    if (before?.planId !== planId || typeof before.planVersion !== 'number') return latest;
    const exists = await tx.planVersion.findUnique({
      where: { planId_version: { planId, version: before.planVersion } },
      select: { id: true },
    });
    return exists ? before.planVersion : latest;
  }

  private noticeBase(subscription: DunningSubscription, plan: Plan) {
    return {
      publicUrl: this.options.publicUrl,
      consumerName: subscription.consumer.name,
      planName: plan.name,
      timeZone: subscription.consumer.timeZone,
    };
  }

  private message(
    alert: Alert,
    subscription: DunningSubscription,
    kind: keyof typeof dunningWebhookEventTypes,
    content: { mail: AlertMessage['mail']; payload: Record<string, unknown> },
  ): AlertMessage {
    return {
      mail: content.mail,
      eventType: dunningWebhookEventTypes[kind],
      payload: { subscriptionId: subscription.id, kind: alert.kind, ...content.payload },
    };
  }
}
