import { type QuotaEvent } from '@tollgate/access-log';
import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { rate } from '@tollgate/billing-rating';
import { type MeterDefinition, type UsageFigures } from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { type ConsumerWebhooks } from '@tollgate/plans-data';
import { type PlanDefinition } from '@tollgate/plans-domain';
import { type Mailer } from '@tollgate/ports';
import {
  type Alert,
  type Consumer,
  type Plan,
  type PrismaClient,
  type Subscription,
} from '@tollgate/relational';
import { type RenderedMail } from '../mail-templates/mail-renderer';
import {
  hardStopNotice,
  overageNotice,
  type QuotaNoticeInput,
  spendCapNotice,
  thresholdNotice,
  upgradePath,
} from '../mail-templates/usage-notices';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { definitionMeters } from '../stripe-sync/stripe-plan-mapping';
import { type AlertMessage, AlertNotifier, mailPending } from './alert-notifier';
import {
  alertForQuotaEvent,
  reachedQuotaThresholds,
  reachedSpendCapThresholds,
  type UsageAlertKind,
  usageNoticeKind,
  usageWebhookEventTypes,
} from './alert-rules';
import { subscriptionPlanDefinition } from './subscription-plan';

export interface AlertsOptions {
  prisma: PrismaClient;
  mailer: Mailer;
  webhooks: ConsumerWebhooks;
  usage: UsageQueries;
  logger: BillingWorkerLogger;
  /** The public base URL of the portal (PUBLIC_URL), for the upgrade link. */
  publicUrl: string;
  now?: () => Date;
}

export interface QuotaEventResult {
  /** A new alert was raised (and sent). */
  raised: boolean;
  alertId?: string;
}

type LiveSubscription = Subscription & { plan: Plan; consumer: Consumer };

const usageAlertKinds: UsageAlertKind[] = ['quota_threshold', 'quota_exhausted', 'spend_cap'];

/** Subscriptions rechecked together: one query reads their alerts. */
const recheckBatchSize = 500;

/** A subscription to recheck, with the definition it is held to and its current periods. */
interface RecheckTarget {
  subscription: LiveSubscription;
  definition: PlanDefinition;
  quotaPeriod: BillingPeriod;
  /** The calendar month of billing (spend caps are per billing month). */
  billingPeriod: BillingPeriod;
}

/** Rating reads whole non-negative units. */
function wholeUnits(units: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(units).map(([key, value]) => [key, Math.max(0, Math.floor(value))]),
  );
}

/**
 * Usage alerts: thresholds of the period quota (and of a pay-per-call spend cap), raised in real time
 * from the gateway's quota events and re-checked from ClickHouse, each exactly once per
 * (subscription, period, kind, threshold), by mail to the consumer's contacts and by signed webhook.
 */
export class Alerts {
  private readonly notifier: AlertNotifier;
  private readonly now: () => Date;

  constructor(private readonly options: AlertsOptions) {
    this.now = options.now ?? (() => new Date());
    this.notifier = new AlertNotifier({ ...options, now: this.now });
  }

  /** Raises and sends the alert of one gateway quota event; a repeat of the same event does nothing. */
  async handleQuotaEvent(event: QuotaEvent): Promise<QuotaEventResult> {
    const subscription = await this.liveSubscription(event.consumerId);
    if (!subscription) {
      this.options.logger.warn(
        { consumerId: event.consumerId, eventId: event.id },
        'quota event for a consumer without a live subscription',
      );
      return { raised: false };
    }
    const definition = await subscriptionPlanDefinition(this.options.prisma, subscription, subscription.plan);
    const target = alertForQuotaEvent(event, definition.overage !== null);
    if (!target) return { raised: false };
    const key = {
      subscriptionId: subscription.id,
      consumerId: subscription.consumerId,
      kind: target.kind,
      periodStart: new Date(event.periodStart),
      threshold: target.threshold,
    };
    const inserted = await this.notifier.insert({
      ...key,
      usedUnits: event.used,
      limitUnits: event.limit,
      source: 'gateway',
    });
    const alert = inserted ?? (await this.notifier.find(key));
    if (!alert) return { raised: false };
    // For an alert raised before, send() mails only if that mail failed (the claim is free again)
    // and queues the webhook only if it was never queued: a repeat sends nothing twice.
    await this.notifier.send(alert, this.message(alert, subscription, definition, new Date(event.periodEnd)));
    return inserted ? { raised: true, alertId: alert.id } : { raised: false };
  }

  /**
   * Reads every live subscription's period usage from ClickHouse and raises any threshold it has
   * passed that has no alert yet (a lost or late gateway event); for pay-per-call plans with a spend
   * cap, the cap's thresholds too. Alerts of the period whose mail failed are sent again.
   */
  async recheck(): Promise<{ raised: number }> {
    const now = this.now().getTime();
    const subscriptions = await this.options.prisma.subscription.findMany({
      where: { status: { in: ['active', 'trialing', 'past_due'] }, consumer: { status: 'active' } },
      include: { plan: true, consumer: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
    });
    // The gateway enforces a consumer's newest live subscription only.
    const seen = new Set<string>();
    const newest = subscriptions.filter((subscription) => {
      if (seen.has(subscription.consumerId)) return false;
      seen.add(subscription.consumerId);
      return true;
    });
    let raised = 0;
    for (let index = 0; index < newest.length; index += recheckBatchSize) {
      raised += await this.recheckBatch(newest.slice(index, index + recheckBatchSize), now);
    }
    if (raised > 0) this.options.logger.info({ raised }, 'alert recheck raised missed alerts');
    return { raised };
  }

  private async recheckBatch(subscriptions: LiveSubscription[], now: number): Promise<number> {
    const targets: RecheckTarget[] = [];
    for (const subscription of subscriptions) {
      try {
        targets.push(await this.recheckTarget(subscription, now));
      } catch (error) {
        this.logRecheckFailure(error, subscription);
      }
    }
    if (targets.length === 0) return 0;
    // The alerts of the batch's current periods, in one query.
    const since = Math.min(
      ...targets.map((target) => Math.min(target.quotaPeriod.start, target.billingPeriod.start)),
    );
    const alerts = await this.options.prisma.alert.findMany({
      where: {
        subscriptionId: { in: targets.map((target) => target.subscription.id) },
        kind: { in: usageAlertKinds },
        periodStart: { gte: new Date(since) },
      },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    const bySubscription = new Map<string, Alert[]>();
    for (const alert of alerts) {
      const list = bySubscription.get(alert.subscriptionId) ?? [];
      list.push(alert);
      bySubscription.set(alert.subscriptionId, list);
    }
    let raised = 0;
    for (const target of targets) {
      try {
        raised += await this.recheckSubscription(
          target,
          bySubscription.get(target.subscription.id) ?? [],
          now,
        );
      } catch (error) {
        this.logRecheckFailure(error, target.subscription);
      }
    }
    return raised;
  }

  private logRecheckFailure(error: unknown, subscription: LiveSubscription): void {
    this.options.logger.error(
      { err: error, subscriptionId: subscription.id, consumerId: subscription.consumerId },
      'alert recheck failed for a subscription',
    );
  }

  private async recheckTarget(subscription: LiveSubscription, now: number): Promise<RecheckTarget> {
    const definition = await subscriptionPlanDefinition(this.options.prisma, subscription, subscription.plan);
    const anchor = subscription.periodAnchor.getTime();
    const timeZone = subscription.consumer.timeZone;
    const quotaPeriod = billingPeriodAt(now, anchor, timeZone, definition.quota.period);
    const billingPeriod =
      definition.quota.period === 'month' ? quotaPeriod : billingPeriodAt(now, anchor, timeZone, 'month');
    return { subscription, definition, quotaPeriod, billingPeriod };
  }

  private async liveSubscription(consumerId: string): Promise<LiveSubscription | null> {
    return this.options.prisma.subscription.findFirst({
      where: { consumerId, status: { not: 'canceled' } },
      orderBy: { createdAt: 'desc' },
      include: { plan: true, consumer: true },
    });
  }

  /** Raises the missed alerts of one subscription; `alerts` are its alerts of the batch's periods. */
  private async recheckSubscription(target: RecheckTarget, alerts: Alert[], now: number): Promise<number> {
    const { subscription, definition, quotaPeriod, billingPeriod } = target;
    const periodOf = (kind: string): BillingPeriod => (kind === 'spend_cap' ? billingPeriod : quotaPeriod);
    const existing = alerts.filter((alert) => alert.periodStart.getTime() === periodOf(alert.kind).start);
    const meters = definitionMeters(definition);
    const figures = await this.options.usage.totals(
      subscription.consumerId,
      { from: quotaPeriod.start, to: quotaPeriod.end },
      meters,
    );
    const has = (kind: UsageAlertKind, periodStart: number, threshold: number): boolean =>
      existing.some(
        (alert) =>
          alert.kind === kind && alert.periodStart.getTime() === periodStart && alert.threshold === threshold,
      );

    let raised = 0;
    const limit = definition.quota.limit;
    for (const threshold of reachedQuotaThresholds(figures.requests, limit, definition.alertThresholds)) {
      if (has('quota_threshold', quotaPeriod.start, threshold)) continue;
      const alert = await this.notifier.insert({
        subscriptionId: subscription.id,
        consumerId: subscription.consumerId,
        kind: 'quota_threshold',
        periodStart: new Date(quotaPeriod.start),
        threshold,
        usedUnits: figures.requests,
        limitUnits: limit,
        source: 'recheck',
      });
      if (!alert) continue;
      raised += 1;
      await this.notifier.send(
        alert,
        this.message(alert, subscription, definition, new Date(quotaPeriod.end)),
      );
    }

    const cap = subscription.spendCapMinor;
    if (subscription.plan.tier === 'pay_per_call' && cap !== null && cap > 0) {
      const spent = await this.spentMinor(subscription, definition, billingPeriod, figures, meters);
      for (const threshold of reachedSpendCapThresholds(spent, cap, definition.alertThresholds)) {
        if (has('spend_cap', billingPeriod.start, threshold)) continue;
        const alert = await this.notifier.insert({
          subscriptionId: subscription.id,
          consumerId: subscription.consumerId,
          kind: 'spend_cap',
          periodStart: new Date(billingPeriod.start),
          threshold,
          usedUnits: spent,
          limitUnits: cap,
          source: 'recheck',
        });
        if (!alert) continue;
        raised += 1;
        await this.notifier.send(
          alert,
          this.message(alert, subscription, definition, new Date(billingPeriod.end)),
        );
      }
    }

    // Alerts of the current periods whose mail failed earlier or whose send stopped midway: this is
    // their retry.
    for (const alert of existing) {
      if (alert.dismissedAt !== null || !mailPending(alert, new Date(now))) continue;
      const period = periodOf(alert.kind);
      if (period.end <= now) continue;
      await this.notifier.send(alert, this.message(alert, subscription, definition, new Date(period.end)));
    }
    return raised;
  }

  /** What the period's usage costs so far on the plan, priced by the rating engine. */
  private async spentMinor(
    subscription: LiveSubscription,
    definition: PlanDefinition,
    period: BillingPeriod,
    quotaFigures: UsageFigures,
    meters: MeterDefinition[],
  ): Promise<number> {
    const figures =
      definition.quota.period === 'month'
        ? quotaFigures
        : await this.options.usage.totals(
            subscription.consumerId,
            { from: period.start, to: period.end },
            meters,
          );
    const estimate = rate({
      currency: definition.currency,
      periodStart: new Date(period.start),
      periodEnd: new Date(period.end),
      plan: {
        prices: definition.prices,
        overage: definition.overage
          ? { unitPriceMinor: definition.overage.unitPriceMinor, currency: definition.overage.currency }
          : null,
        quota: definition.quota,
      },
      usage: { requests: figures.requests, meters: wholeUnits(figures.units) },
    });
    return estimate.subtotalMinor;
  }

  private message(
    alert: Alert,
    subscription: LiveSubscription,
    definition: PlanDefinition,
    periodEnd: Date,
  ): AlertMessage {
    const kind = alert.kind as UsageAlertKind;
    const used = alert.usedUnits ?? 0;
    const limit = alert.limitUnits ?? definition.quota.limit;
    const base = {
      publicUrl: this.options.publicUrl,
      consumerName: subscription.consumer.name,
      planName: subscription.plan.name,
      timeZone: subscription.consumer.timeZone,
      resetsAt: periodEnd,
      threshold: alert.threshold,
    };
    let mail: RenderedMail;
    const notice = usageNoticeKind(kind, alert.threshold, definition.overage !== null);
    const quotaInput: QuotaNoticeInput = { ...base, used, limit, overage: definition.overage };
    switch (notice) {
      case 'spend_cap':
        mail = spendCapNotice({ ...base, spentMinor: used, capMinor: limit, currency: definition.currency });
        break;
      case 'overage':
        mail = definition.overage
          ? overageNotice({ ...quotaInput, overage: definition.overage })
          : hardStopNotice(quotaInput);
        break;
      case 'hard_stop':
        mail = hardStopNotice(quotaInput);
        break;
      case 'threshold':
        mail = thresholdNotice(quotaInput);
        break;
    }
    return {
      mail,
      eventType: usageWebhookEventTypes[kind],
      payload: {
        subscriptionId: subscription.id,
        planId: subscription.planId,
        kind: alert.kind,
        notice,
        threshold: alert.threshold,
        used,
        limit,
        unit: kind === 'spend_cap' ? `${definition.currency}_minor` : 'requests',
        periodStart: alert.periodStart.toISOString(),
        periodEnd: periodEnd.toISOString(),
        overage: definition.overage,
        source: alert.source,
        upgradeUrl: `${this.options.publicUrl}${upgradePath}`,
      },
    };
  }
}
