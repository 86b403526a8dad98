import { createHash } from 'node:crypto';
import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { type BillingProvider, type UsageReport, usageEventIdentifier } from '@tollgate/billing-stripe';
import { type MeterDefinition } from '@tollgate/metering-domain';
import { type UsageCorrection, type UsageQueries } from '@tollgate/metering-pipeline';
import { planDefinition, type PlanDefinition, storedPlanDefinition } from '@tollgate/plans-domain';
import {
  type Consumer,
  type Plan,
  type PrismaClient,
  type Subscription,
  type UsageLedger,
} from '@tollgate/relational';
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
  /** Meter events sent (new and resent). */
  sent: number;
  /** Of those, events Stripe already had. */
  alreadyReported: number;
  corrections: number;
  closed: number;
}

export const usagePushKinds = { usage: 'usage', correction: 'correction' } as const;

const DEFAULT_SETTLE_DELAY_MS = 15 * 60 * 1000;
const MAX_CORRECTIONS_READ = 1000;

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
  cumulative: bigint;
  report: UsageReport;
}

/** Deterministic ledger id: one row per (subscription, meter, period start). */
function ledgerIdFor(subscriptionId: string, meter: string, periodStart: Date): string {
  const digest = createHash('sha256')
    .update(`${subscriptionId}\u0000${meter}\u0000${periodStart.toISOString()}`)
    .digest('hex');
  return `led_${digest.slice(0, 24)}`;
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
 * usage before the downgrade only): the period total read from ClickHouse is compared with what the
 * ledger says was reported, and the growth is sent as one meter event whose identifier is derived
 * from (subscription, meter, period start, new total). The push is recorded before it is sent, so
 * a crash or a failed call is followed by a resend of the same identifier, which the provider
 * answers as already reported.
 */
export class UsagePush {
  private readonly prisma: PrismaClient;
  private readonly usage: UsageQueries;
  private readonly provider: BillingProvider;
  private readonly logger: BillingWorkerLogger;
  private readonly now: () => Date;
  private readonly settleDelayMs: number;
  private readonly batchSize: number;

  constructor(options: UsagePushOptions) {
    this.prisma = options.prisma;
    this.usage = options.usage;
    this.provider = options.provider;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.settleDelayMs = options.settleDelayMs ?? DEFAULT_SETTLE_DELAY_MS;
    this.batchSize = Math.max(1, options.batchSize ?? 100);
  }

  async run(options: UsagePushRunOptions = {}): Promise<UsagePushSummary> {
    const now = this.now();
    const summary: UsagePushSummary = { ledgers: 0, sent: 0, alreadyReported: 0, corrections: 0, closed: 0 };
    const pending: PendingReport[] = [];
    const toClose: string[] = [];
    const corrections = new Map<string, UsageCorrection[]>();

    for (const target of await this.targets(now)) {
      const ledger = await this.openLedger(target);
      if (ledger.closedAt !== null) continue;
      summary.ledgers += 1;
      const settled = target.period.end + this.settleDelayMs <= now.getTime();
      pending.push(...(await this.pendingOf(ledger, target)));
      const next = await this.recordGrowth(target, ledger, now, corrections);
      if (next) {
        pending.push(next.pending);
        if (next.kind === usagePushKinds.correction) summary.corrections += 1;
      }
      if (options.closePeriods && settled) toClose.push(ledger.id);
    }

    let failure: unknown;
    for (let first = 0; first < pending.length && failure === undefined; first += this.batchSize) {
      const batch = pending.slice(first, first + this.batchSize);
      try {
        const outcomes = await this.provider.reportUsageBatch(batch.map((entry) => entry.report));
        await this.acknowledge(batch, now);
        summary.sent += batch.length;
        summary.alreadyReported += outcomes.filter((outcome) => outcome === 'already_reported').length;
      } catch (error) {
        failure = error;
      }
    }
    if (failure !== undefined) {
      this.logger.error(
        { error: failure instanceof Error ? failure.message : String(failure), ...summary },
        'Usage push failed; the recorded events are resent on the next run',
      );
      throw failure;
    }

    for (const ledgerId of toClose) {
      const open = await this.prisma.usagePush.count({ where: { ledgerId, acknowledgedAt: null } });
      if (open > 0) continue;
      await this.prisma.usageLedger.update({ where: { id: ledgerId }, data: { closedAt: now } });
      summary.closed += 1;
    }
    if (summary.sent > 0 || summary.closed > 0) this.logger.info({ ...summary }, 'Usage pushed');
    return summary;
  }

  /** Current period of every linked subscription, plus its previous period while not closed. */
  private async targets(now: Date): Promise<MeterTarget[]> {
    const subscriptions = await this.prisma.subscription.findMany({
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
    const targets: MeterTarget[] = [];
    for (const subscription of subscriptions) {
      const customerId = subscription.stripeCustomerId ?? subscription.consumer.stripeCustomerId;
      if (customerId === null) {
        this.logger.warn({ subscriptionId: subscription.id }, 'Subscription has no Stripe customer; skipped');
        continue;
      }
      const changes = await this.planChangesOf(subscription.id);
      const meters = await this.meteredMeters(
        subscription.id,
        await this.billedPlanOf(subscription, changes),
      );
      if (meters.length === 0) continue;
      const downgrades = downgradeWindows(changes);
      const at = (instant: number): BillingPeriod =>
        billingPeriodAt(
          instant,
          subscription.periodAnchor.getTime(),
          subscription.consumer.timeZone,
          subscription.plan.quotaPeriod,
        );
      const end = subscription.canceledAt?.getTime() ?? now.getTime();
      const current = at(Math.min(now.getTime(), Math.max(end - 1, subscription.createdAt.getTime())));
      const periods = [current];
      const previous = at(current.start - 1);
      if (previous.end > subscription.createdAt.getTime()) periods.unshift(previous);
      for (const period of periods) {
        for (const { meter, eventName } of meters) {
          targets.push({ subscription, customerId, meter, eventName, period, downgrades });
        }
      }
    }
    return targets;
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
    if (version === plan.version) return planDefinition(plan);
    const stored = await this.prisma.planVersion.findUnique({
      where: { planId_version: { planId: plan.id, version } },
    });
    return stored ? storedPlanDefinition(stored.definition) : planDefinition(plan);
  }

  private async openLedger(target: MeterTarget): Promise<UsageLedger> {
    const periodStart = new Date(target.period.start);
    return this.prisma.usageLedger.upsert({
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
  }

  /**
   * The subscription's billed share of the period: from its creation to its cancellation, without
   * the time it spent downgraded for non-payment.
   */
  private rangesOf(target: MeterTarget): TimeRange[] {
    const { subscription, period } = target;
    const share = {
      from: Math.max(period.start, subscription.createdAt.getTime()),
      to: Math.min(period.end, subscription.canceledAt?.getTime() ?? period.end),
    };
    return rangesOutside(share, target.downgrades);
  }

  /** Inside the period, so Stripe bills it there: min(when, period end − 1 s). */
  private timestampFor(target: MeterTarget, at: Date): Date {
    return new Date(Math.max(target.period.start, Math.min(at.getTime(), target.period.end - 1000)));
  }

  private reportOf(target: MeterTarget, identifier: string, quantity: bigint, at: Date): UsageReport {
    return {
      eventName: target.eventName,
      customerId: target.customerId,
      value: quantity.toString(),
      identifier,
      timestamp: this.timestampFor(target, at),
    };
  }

  /** Recorded but unacknowledged pushes (a crash or a failed call): resent with the same identifier. */
  private async pendingOf(ledger: UsageLedger, target: MeterTarget): Promise<PendingReport[]> {
    const pushes = await this.prisma.usagePush.findMany({
      where: { ledgerId: ledger.id, acknowledgedAt: null },
      orderBy: { cumulative: 'asc' },
    });
    return pushes.map((push) => ({
      identifier: push.identifier,
      ledgerId: ledger.id,
      cumulative: push.cumulative,
      report: this.reportOf(target, push.identifier, push.quantity, push.createdAt),
    }));
  }

  /** Reads the period total and records the growth since the last push, if any. */
  private async recordGrowth(
    target: MeterTarget,
    ledger: UsageLedger,
    now: Date,
    corrections: Map<string, UsageCorrection[]>,
  ): Promise<{ pending: PendingReport; kind: string } | null> {
    const ranges = this.rangesOf(target);
    let total = 0;
    for (const range of ranges) {
      const figures = await this.usage.totals(target.subscription.consumerId, range, [target.meter]);
      total += meterValue(figures, target.meter.slug);
    }
    const cumulative = BigInt(Math.round(total));
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
      pending: {
        identifier,
        ledgerId: ledger.id,
        cumulative,
        report: this.reportOf(target, identifier, quantity, now),
      },
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

  /** Marks a sent batch acknowledged and moves each ledger's `acknowledged` up. */
  private async acknowledge(batch: PendingReport[], now: Date): Promise<void> {
    const byLedger = new Map<string, bigint>();
    for (const entry of batch) {
      const known = byLedger.get(entry.ledgerId);
      if (known === undefined || entry.cumulative > known) byLedger.set(entry.ledgerId, entry.cumulative);
    }
    await this.prisma.$transaction(async (tx) => {
      await tx.usagePush.updateMany({
        where: { identifier: { in: batch.map((entry) => entry.identifier) }, acknowledgedAt: null },
        data: { acknowledgedAt: now },
      });
      for (const [ledgerId, cumulative] of byLedger) {
        await tx.usageLedger.updateMany({
          where: { id: ledgerId, acknowledged: { lt: cumulative } },
          data: { acknowledged: cumulative },
        });
      }
    });
  }
}
