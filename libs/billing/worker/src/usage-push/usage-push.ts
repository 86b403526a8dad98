import { createHash } from 'node:crypto';
import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { type BillingProvider, type UsageReport, usageEventIdentifier } from '@tollgate/billing-stripe';
import { ConflictError, DependencyUnavailableError, DomainError, ValidationError } from '@tollgate/errors';
import { type MeterDefinition } from '@tollgate/metering-domain';
import { type UsageCorrection, type UsageQueries } from '@tollgate/metering-pipeline';
import { subscriptionPlanDefinition } from '@tollgate/plans-data';
import { type PlanDefinition } from '@tollgate/plans-domain';
import {
  type Consumer,
  type Plan,
  type PrismaClient,
  type Subscription,
  type UsageLedger,
} from '@tollgate/relational';
import { Counter, type Registry } from 'prom-client';
import { type BillingWorkerLogger } from '../billing-worker-logger';
import { dunningAuditActions } from '../dunning/dunning-audit-actions';
import { definitionMeters, stripeObjectKinds, stripePlanLayout } from '../stripe-sync/stripe-plan-mapping';
import {
  downgradeWindows,
  type PlanChangeEntry,
  rangesOutside,
  stripePlanMoveAction,
  type TimeRange,
} from './downgrade-windows';

export interface UsagePushOptions {
  prisma: PrismaClient;
  usage: UsageQueries;
  provider: BillingProvider;
  logger: BillingWorkerLogger;
  /** Where `tollgate_usage_push_failures_total` is registered (optional). */
  registry?: Registry;
  /** Clock, for tests. */
  now?: () => Date;
  /** How long after a period ends its final push waits for late events (default 15 min). */
  settleDelayMs?: number;
  /** Meter events per `reportUsageBatch` call (default 100). */
  batchSize?: number;
}

export interface UsagePushRunOptions {
  /** Give ended periods (settled for `settleDelayMs`) their final push and close their ledgers. */
  closePeriods?: boolean;
}

export interface UsagePushSummary {
  /** (subscription, meter, period) ledgers looked at. */
  ledgers: number;
  /** Meter events sent (new and resent) and accepted. */
  sent: number;
  /** Of those, events Stripe already had. */
  alreadyReported: number;
  corrections: number;
  closed: number;
  /** Meter events Stripe refused for good (kept unacknowledged; sent again next run until they expire). */
  refused: number;
  /** Unacknowledged meter events older than Stripe accepts (35 days): no longer sent, never billed. */
  expired: number;
  /** Subscriptions skipped this run because reading or recording their usage failed. */
  failedSubscriptions: number;
}

export const usagePushKinds = { usage: 'usage', correction: 'correction' } as const;

const DEFAULT_SETTLE_DELAY_MS = 15 * 60 * 1000;
const MAX_CORRECTIONS_READ = 1000;
/** Stripe refuses meter events timestamped more than 35 days ago. */
export const METER_EVENT_MAX_AGE_MS = 35 * 24 * 3_600_000;
const FAILURES_METRIC = 'tollgate_usage_push_failures_total';

type LinkedSubscription = Subscription & { plan: Plan; consumer: Consumer };

interface MeterTarget {
  subscription: LinkedSubscription;
  customerId: string;
  meter: MeterDefinition;
  eventName: string;
  period: BillingPeriod;
  /** When the subscription was downgraded for non-payment: usage then is not billed. */
  downgrades: TimeRange[];
}

/** The plan version whose metered prices bill a subscription's usage. */
interface BilledPlan {
  plan: Plan;
  version: number;
}

type AuditedPlanChange = PlanChangeEntry & { before: unknown };

interface PendingReport {
  identifier: string;
  ledgerId: string;
  quantity: bigint;
  cumulative: bigint;
  report: UsageReport;
  /** For the logs. */
  subscriptionId: string;
  meter: string;
  periodStart: Date;
}

/** What one subscription contributes to a run. */
interface SubscriptionWork {
  ledgers: number;
  corrections: number;
  pending: PendingReport[];
  toClose: string[];
}

/**
 * A refusal that sending again cannot fix (invalid timestamp, unknown meter or customer, …), as
 * opposed to rate limits, Stripe outages and lost connections, which the adapter already retried.
 */
export function isPermanentRefusal(error: unknown): boolean {
  if (error instanceof DependencyUnavailableError || error instanceof ConflictError) return false;
  return error instanceof ValidationError || (error instanceof DomainError && error.code === 'not_found');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Deterministic ledger id: one row per (subscription, meter, period start). */
function ledgerIdFor(subscriptionId: string, meter: string, periodStart: Date): string {
  const digest = createHash('sha256')
    .update(`${subscriptionId}\u0000${meter}\u0000${periodStart.toISOString()}`)
    .digest('hex');
  return `led_${digest.slice(0, 24)}`;
}

/** A target's ledger in a map keyed by (meter, period start). */
function keyOf(target: MeterTarget): string {
  return `${target.meter.slug}\u0000${target.period.start}`;
}

/** The value of one meter in a slice of usage figures. */
function meterValue(figures: { requests: number; units: Record<string, number> }, slug: string): number {
  return slug === 'requests' ? figures.requests : (figures.units[slug] ?? 0);
}

/** Whether a late event may have changed this meter's value in the range. */
function touches(correction: UsageCorrection, meter: MeterDefinition, from: number, to: number): boolean {
  const ts = Date.parse(correction.ts);
  if (ts < from || ts >= to) return false;
  if (meter.eventType !== undefined) return correction.source === meter.eventType;
  if (correction.source !== 'gateway') return false;
  if (meter.aggregation === 'count' && meter.valueKey === undefined) return true;
  return meter.valueKey !== undefined && meter.valueKey in correction.units;
}

/**
 * Pushes metered usage to the billing provider exactly once. Per subscription linked to Stripe and
 * per metered meter of its plan (during a dunning downgrade, of the plan Stripe still bills, for the
 * usage before the downgrade only): the billing period's total read from ClickHouse is compared with
 * what the ledger says was reported, and the growth is sent as one meter event whose identifier is
 * derived from (subscription, meter, period start, new total). The push is recorded before it is
 * sent, so a crash or a failed call is followed by a resend of the same identifier, which the
 * provider answers as already reported. Ledgers follow the monthly billing period Stripe invoices
 * (anchor and consumer time zone), never the plan's quota period.
 */
export class UsagePush {
  private readonly prisma: PrismaClient;
  private readonly usage: UsageQueries;
  private readonly provider: BillingProvider;
  private readonly logger: BillingWorkerLogger;
  private readonly now: () => Date;
  private readonly settleDelayMs: number;
  private readonly batchSize: number;
  private readonly failures: Counter<'reason'> | undefined;

  constructor(options: UsagePushOptions) {
    this.prisma = options.prisma;
    this.usage = options.usage;
    this.provider = options.provider;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.settleDelayMs = options.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS;
    this.batchSize = Math.max(1, options.batchSize ?? 100);
    const registry = options.registry;
    this.failures =
      registry === undefined
        ? undefined
        : ((registry.getSingleMetric(FAILURES_METRIC) as Counter<'reason'> | undefined) ??
          new Counter({
            name: FAILURES_METRIC,
            help: 'Usage push failures: meter events refused or expired, subscriptions skipped',
            labelNames: ['reason'],
            registers: [registry],
          }));
  }

  async run(options: UsagePushRunOptions = {}): Promise<UsagePushSummary> {
    const now = this.now();
    const summary: UsagePushSummary = {
      ledgers: 0,
      sent: 0,
      alreadyReported: 0,
      corrections: 0,
      closed: 0,
      refused: 0,
      expired: 0,
      failedSubscriptions: 0,
    };
    const pending: PendingReport[] = [];
    const toClose: string[] = [];
    const corrections = new Map<string, UsageCorrection[]>();

    for (const subscription of await this.linkedSubscriptions(now)) {
      try {
        const work = await this.prepare(subscription, now, corrections, options);
        summary.ledgers += work.ledgers;
        summary.corrections += work.corrections;
        pending.push(...work.pending);
        toClose.push(...work.toClose);
      } catch (error) {
        // One subscription's database or ClickHouse failure does not hold back the others.
        summary.failedSubscriptions += 1;
        this.failures?.inc({ reason: 'subscription' });
        this.logger.error(
          { error: messageOf(error), subscriptionId: subscription.id, consumerId: subscription.consumerId },
          'Usage push failed for a subscription; the others continue',
        );
      }
    }

    const expired = new Set<string>();
    const sendable = pending.filter((entry) => {
      if (entry.report.timestamp.getTime() > now.getTime() - METER_EVENT_MAX_AGE_MS) return true;
      expired.add(entry.identifier);
      return false;
    });
    for (const entry of pending) {
      if (!expired.has(entry.identifier)) continue;
      summary.expired += 1;
      this.failures?.inc({ reason: 'expired' });
      this.logger.error(
        { ...this.figuresOf(entry), timestamp: entry.report.timestamp.toISOString() },
        'Meter event is older than Stripe accepts; it is no longer sent and this usage is not billed',
      );
    }

    try {
      for (let first = 0; first < sendable.length; first += this.batchSize) {
        await this.sendBatch(sendable.slice(first, first + this.batchSize), now, summary);
      }
    } catch (failure) {
      this.logger.error(
        { error: messageOf(failure), ...summary },
        'Usage push failed; the recorded events are resent on the next run',
      );
      throw failure;
    }

    for (const ledgerId of toClose) {
      // Refused events keep their ledger open until they expire; expired ones no longer do.
      const open = await this.prisma.usagePush.count({
        where: { ledgerId, acknowledgedAt: null, identifier: { notIn: [...expired] } },
      });
      if (open > 0) continue;
      await this.prisma.usageLedger.update({ where: { id: ledgerId }, data: { closedAt: now } });
      summary.closed += 1;
    }
    if (summary.sent > 0 || summary.closed > 0) this.logger.info({ ...summary }, 'Usage pushed');
    return summary;
  }

  private figuresOf(entry: PendingReport): Record<string, string> {
    return {
      subscriptionId: entry.subscriptionId,
      meter: entry.meter,
      periodStart: entry.periodStart.toISOString(),
      identifier: entry.identifier,
      quantity: entry.quantity.toString(),
      cumulative: entry.cumulative.toString(),
    };
  }

  /**
   * Sends one batch and acknowledges what Stripe accepted. When Stripe refuses an event for good,
   * the batch's events are sent one by one (those already accepted are answered from their
   * idempotency key) so the others still go through; the refused ones stay unacknowledged.
   * Transient failures (after the adapter's retries) are thrown.
   */
  private async sendBatch(batch: PendingReport[], now: Date, summary: UsagePushSummary): Promise<void> {
    try {
      const outcomes = await this.provider.reportUsageBatch(batch.map((entry) => entry.report));
      await this.acknowledge(batch, now);
      summary.sent += batch.length;
      summary.alreadyReported += outcomes.filter((outcome) => outcome === 'already_reported').length;
      return;
    } catch (error) {
      if (!isPermanentRefusal(error)) throw error;
    }
    const accepted: PendingReport[] = [];
    try {
      for (const entry of batch) {
        try {
          const outcome = await this.provider.reportUsage(entry.report);
          accepted.push(entry);
          if (outcome === 'already_reported') summary.alreadyReported += 1;
        } catch (error) {
          if (!isPermanentRefusal(error)) throw error;
          summary.refused += 1;
          this.failures?.inc({ reason: 'refused' });
          this.logger.error(
            { ...this.figuresOf(entry), error: messageOf(error) },
            'Stripe refused a meter event; it stays unacknowledged and is sent again until it expires',
          );
        }
      }
    } finally {
      if (accepted.length > 0) {
        await this.acknowledge(accepted, now);
        summary.sent += accepted.length;
      }
    }
  }

  /** Every subscription linked to Stripe, and canceled ones that may still owe their last period. */
  private async linkedSubscriptions(now: Date): Promise<LinkedSubscription[]> {
    return this.prisma.subscription.findMany({
      where: {
        stripeSubscriptionId: { not: null },
        OR: [
          { status: { not: 'canceled' } },
          // A canceled subscription still owes the usage of its last period.
          { canceledAt: { gte: new Date(now.getTime() - 62 * 24 * 3_600_000) } },
        ],
      },
      include: { plan: true, consumer: true },
      orderBy: { id: 'asc' },
    });
  }

  /**
   * One subscription: its current billing period and the previous one while open, per metered
   * meter. Reads each period's totals once for all meters, queues unacknowledged pushes and records
   * the growth.
   */
  private async prepare(
    subscription: LinkedSubscription,
    now: Date,
    corrections: Map<string, UsageCorrection[]>,
    options: UsagePushRunOptions,
  ): Promise<SubscriptionWork> {
    const work: SubscriptionWork = { ledgers: 0, corrections: 0, pending: [], toClose: [] };
    const customerId = subscription.stripeCustomerId ?? subscription.consumer.stripeCustomerId;
    if (customerId === null) {
      this.logger.warn({ subscriptionId: subscription.id }, 'Subscription has no Stripe customer; skipped');
      return work;
    }
    const changes = await this.planChangesOf(subscription.id);
    const meters = await this.meteredMeters(subscription.id, await this.billedPlanOf(subscription, changes));
    if (meters.length === 0) return work;
    const downgrades = downgradeWindows(changes);

    const targets: MeterTarget[] = this.periodsOf(subscription, now).flatMap((period) =>
      meters.map(({ meter, eventName }) => ({
        subscription,
        customerId,
        meter,
        eventName,
        period,
        downgrades,
      })),
    );
    const ledgers = await this.openLedgers(targets);
    const open = targets.filter((target) => ledgers.get(keyOf(target))?.closedAt === null);
    if (open.length === 0) return work;
    work.ledgers = open.length;

    const byLedger = new Map(open.map((target) => [ledgers.get(keyOf(target))?.id as string, target]));
    const unacknowledged = await this.prisma.usagePush.findMany({
      where: { ledgerId: { in: [...byLedger.keys()] }, acknowledgedAt: null },
      orderBy: [{ ledgerId: 'asc' }, { cumulative: 'asc' }],
    });
    for (const push of unacknowledged) {
      const target = byLedger.get(push.ledgerId) as MeterTarget;
      work.pending.push(this.pendingOf(target, push.ledgerId, push));
    }

    for (const period of [...new Set(open.map((target) => target.period))]) {
      const inPeriod = open.filter((target) => target.period === period);
      const ranges = this.rangesOf(subscription, period, downgrades);
      const totals = new Map<string, number>();
      for (const range of ranges) {
        const figures = await this.usage.totals(
          subscription.consumerId,
          range,
          inPeriod.map((target) => target.meter),
        );
        for (const { meter } of inPeriod) {
          totals.set(meter.slug, (totals.get(meter.slug) ?? 0) + meterValue(figures, meter.slug));
        }
      }
      const settled = period.end + this.settleDelayMs <= now.getTime();
      for (const target of inPeriod) {
        const ledger = ledgers.get(keyOf(target)) as UsageLedger;
        const total = BigInt(Math.round(totals.get(target.meter.slug) ?? 0));
        const next = await this.recordGrowth(target, ledger, total, ranges, now, corrections);
        if (next) {
          work.pending.push(next.pending);
          if (next.kind === usagePushKinds.correction) work.corrections += 1;
        }
        if (options.closePeriods && settled) work.toClose.push(ledger.id);
      }
    }
    return work;
  }

  /**
   * The monthly billing period Stripe invoices, from the subscription's anchor in the consumer's
   * time zone (never the plan's quota period, which a downgrade or an edit can change mid-period):
   * the current one and, when the subscription already existed then, the previous one.
   */
  private periodsOf(subscription: LinkedSubscription, now: Date): BillingPeriod[] {
    const at = (instant: number): BillingPeriod =>
      billingPeriodAt(instant, subscription.periodAnchor.getTime(), subscription.consumer.timeZone, 'month');
    const end = subscription.canceledAt?.getTime() ?? now.getTime();
    const current = at(Math.min(now.getTime(), Math.max(end - 1, subscription.createdAt.getTime())));
    const previous = at(current.start - 1);
    return previous.end > subscription.createdAt.getTime() ? [previous, current] : [current];
  }

  /** The subscription's dunning downgrades and restores, and plan moves that followed Stripe, oldest first. */
  private async planChangesOf(subscriptionId: string): Promise<AuditedPlanChange[]> {
    return this.prisma.auditLog.findMany({
      where: {
        entityType: 'subscription',
        entityId: subscriptionId,
        action: { in: [dunningAuditActions.downgrade, dunningAuditActions.restore, stripePlanMoveAction] },
      },
      select: { action: true, createdAt: true, before: true, after: true },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  /**
   * The plan version that bills the subscription's usage: its own, or during a dunning downgrade the
   * one it had before, which its Stripe subscription still bills (the free plan has no prices).
   */
  private async billedPlanOf(
    subscription: LinkedSubscription,
    changes: readonly AuditedPlanChange[],
  ): Promise<BilledPlan> {
    const own = { plan: subscription.plan, version: subscription.planVersion };
    if (subscription.downgradedFromPlanId === null) return own;
    const plan = await this.prisma.plan.findUnique({ where: { id: subscription.downgradedFromPlanId } });
    if (!plan) return own;
    const downgrade = changes.findLast((change) => change.action === dunningAuditActions.downgrade);
    const before = downgrade?.before as { planId?: unknown; planVersion?: unknown } | null | undefined;
    const version =
      before?.planId === plan.id && typeof before.planVersion === 'number'
        ? before.planVersion
        : plan.version;
    return { plan, version };
  }

  /** The count and sum meters of the billed plan version that back a synced metered price. */
  private async meteredMeters(
    subscriptionId: string,
    billed: BilledPlan,
  ): Promise<Array<{ meter: MeterDefinition; eventName: string }>> {
    const definition = await this.definitionOf(billed);
    const layout = stripePlanLayout(billed.plan.id, billed.version, definition);
    const definitions = new Map(definitionMeters(definition).map((meter) => [meter.slug, meter]));
    const synced = await this.prisma.stripeObject.findMany({
      where: { kind: stripeObjectKinds.meter, localId: { in: layout.meters.map((meter) => meter.localId) } },
      select: { localId: true },
    });
    const syncedIds = new Set(synced.map((row) => row.localId));
    return layout.meters.flatMap((meter) => {
      const found = definitions.get(meter.slug);
      if (!found) return [];
      if (!syncedIds.has(meter.localId)) {
        this.logger.warn(
          { subscriptionId, meter: meter.slug },
          'Meter not synced to Stripe yet; its usage is pushed once it is',
        );
        return [];
      }
      return [{ meter: found, eventName: meter.eventName }];
    });
  }

  private async definitionOf({ plan, version }: BilledPlan): Promise<PlanDefinition> {
    return subscriptionPlanDefinition(this.prisma, { planId: plan.id, planVersion: version }, plan);
  }

  /** The ledgers of the targets, created when missing (one read; a write only for new ones). */
  private async openLedgers(targets: readonly MeterTarget[]): Promise<Map<string, UsageLedger>> {
    const first = targets[0];
    const found = new Map<string, UsageLedger>();
    if (!first) return found;
    const rows = await this.prisma.usageLedger.findMany({
      where: {
        subscriptionId: first.subscription.id,
        meterId: { in: [...new Set(targets.map((target) => target.meter.slug))] },
        periodStart: {
          in: [...new Set(targets.map((target) => target.period.start))].map((at) => new Date(at)),
        },
      },
    });
    for (const row of rows) found.set(`${row.meterId}\u0000${row.periodStart.getTime()}`, row);
    for (const target of targets) {
      if (found.has(keyOf(target))) continue;
      const periodStart = new Date(target.period.start);
      const created = await this.prisma.usageLedger.upsert({
        where: {
          subscriptionId_meterId_periodStart: {
            subscriptionId: target.subscription.id,
            meterId: target.meter.slug,
            periodStart,
          },
        },
        create: {
          id: ledgerIdFor(target.subscription.id, target.meter.slug, periodStart),
          subscriptionId: target.subscription.id,
          meterId: target.meter.slug,
          periodStart,
          periodEnd: new Date(target.period.end),
        },
        update: {},
      });
      found.set(keyOf(target), created);
    }
    return found;
  }

  /**
   * The subscription's billed share of the period: from its creation to its cancellation, without
   * the time it spent downgraded for non-payment.
   */
  private rangesOf(
    subscription: LinkedSubscription,
    period: BillingPeriod,
    downgrades: readonly TimeRange[],
  ): TimeRange[] {
    const share = {
      from: Math.max(period.start, subscription.createdAt.getTime()),
      to: Math.min(period.end, subscription.canceledAt?.getTime() ?? period.end),
    };
    return rangesOutside(share, downgrades);
  }

  /** Inside the period, so Stripe bills it there: min(when, period end − 1 s). */
  private timestampFor(target: MeterTarget, at: Date): Date {
    return new Date(Math.max(target.period.start, Math.min(at.getTime(), target.period.end - 1000)));
  }

  /** A push to send: recorded earlier (resent with the same identifier) or just now. */
  private pendingOf(
    target: MeterTarget,
    ledgerId: string,
    push: { identifier: string; quantity: bigint; cumulative: bigint; createdAt: Date },
  ): PendingReport {
    return {
      identifier: push.identifier,
      ledgerId,
      quantity: push.quantity,
      cumulative: push.cumulative,
      report: {
        eventName: target.eventName,
        customerId: target.customerId,
        value: push.quantity.toString(),
        identifier: push.identifier,
        timestamp: this.timestampFor(target, push.createdAt),
      },
      subscriptionId: target.subscription.id,
      meter: target.meter.slug,
      periodStart: new Date(target.period.start),
    };
  }

  /** Records the growth of the period total since the last push, if any. */
  private async recordGrowth(
    target: MeterTarget,
    ledger: UsageLedger,
    cumulative: bigint,
    ranges: readonly TimeRange[],
    now: Date,
    corrections: Map<string, UsageCorrection[]>,
  ): Promise<{ pending: PendingReport; kind: string } | null> {
    if (cumulative <= ledger.reported) {
      if (cumulative < ledger.reported) {
        this.logger.warn(
          {
            subscriptionId: target.subscription.id,
            meter: target.meter.slug,
            periodStart: ledger.periodStart.toISOString(),
            metered: cumulative.toString(),
            reported: ledger.reported.toString(),
          },
          'Metered total is below what was already reported; nothing sent',
        );
      }
      if (cumulative !== ledger.metered) {
        await this.prisma.usageLedger.update({ where: { id: ledger.id }, data: { metered: cumulative } });
      }
      return null;
    }

    const quantity = cumulative - ledger.reported;
    const kind = (await this.isCorrection(target, ledger, ranges, corrections))
      ? usagePushKinds.correction
      : usagePushKinds.usage;
    const identifier = usageEventIdentifier(
      target.subscription.id,
      target.meter.slug,
      ledger.periodStart,
      cumulative,
    );
    const recorded = await this.prisma.$transaction(async (tx) => {
      // Compare-and-set on `reported`: a concurrent run that recorded first wins, this one backs off.
      const moved = await tx.usageLedger.updateMany({
        where: { id: ledger.id, reported: ledger.reported },
        data: { metered: cumulative, reported: cumulative },
      });
      if (moved.count === 0) return false;
      await tx.usagePush.create({
        data: { identifier, ledgerId: ledger.id, quantity, cumulative, kind, createdAt: now },
      });
      return true;
    });
    if (!recorded) return null;
    if (kind === usagePushKinds.correction) {
      this.logger.info(
        {
          subscriptionId: target.subscription.id,
          meter: target.meter.slug,
          quantity: quantity.toString(),
          identifier,
        },
        'Late events: correction pushed',
      );
    }
    return {
      kind,
      pending: this.pendingOf(target, ledger.id, { identifier, quantity, cumulative, createdAt: now }),
    };
  }

  /** The growth comes from late events when a correction of this range was stored after the last push. */
  private async isCorrection(
    target: MeterTarget,
    ledger: UsageLedger,
    ranges: readonly TimeRange[],
    cache: Map<string, UsageCorrection[]>,
  ): Promise<boolean> {
    const last = await this.prisma.usagePush.findFirst({
      where: { ledgerId: ledger.id },
      orderBy: { cumulative: 'desc' },
    });
    if (!last) return false;
    const consumerId = target.subscription.consumerId;
    let corrections = cache.get(consumerId);
    if (!corrections) {
      corrections = await this.usage.corrections(consumerId, MAX_CORRECTIONS_READ);
      cache.set(consumerId, corrections);
    }
    return corrections.some(
      (correction) =>
        Date.parse(correction.ingestedAt) > last.createdAt.getTime() &&
        ranges.some((range) => touches(correction, target.meter, range.from, range.to)),
    );
  }

  /**
   * Marks accepted pushes acknowledged and moves each ledger's `acknowledged` up to the total of
   * its acknowledged pushes (a refused push below them is not counted).
   */
  private async acknowledge(batch: readonly PendingReport[], now: Date): Promise<void> {
    const ledgerIds = [...new Set(batch.map((entry) => entry.ledgerId))];
    await this.prisma.$transaction(async (tx) => {
      await tx.usagePush.updateMany({
        where: { identifier: { in: batch.map((entry) => entry.identifier) }, acknowledgedAt: null },
        data: { acknowledgedAt: now },
      });
      const sums = await tx.usagePush.groupBy({
        by: ['ledgerId'],
        where: { ledgerId: { in: ledgerIds }, acknowledgedAt: { not: null } },
        _sum: { quantity: true },
      });
      for (const { ledgerId, _sum } of sums) {
        const acknowledged = _sum.quantity ?? 0n;
        await tx.usageLedger.updateMany({
          where: { id: ledgerId, acknowledged: { lt: acknowledged } },
          data: { acknowledged },
        });
      }
    });
  }
}
