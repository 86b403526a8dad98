import { NotFoundError } from '@tollgate/errors';
import { type PrismaClient } from '@tollgate/relational';

/** One (subscription, meter, period) of the usage ledger: metered, reported to Stripe, acknowledged. */
export interface UsageLedgerRowView {
  id: string;
  subscriptionId: string;
  meterId: string;
  periodStart: string;
  periodEnd: string;
  /** Decimal strings: the ledger counts in 64-bit integers. */
  metered: string;
  reported: string;
  acknowledged: string;
  pushes: number;
  closedAt: string | null;
  updatedAt: string;
}

export interface UsagePushView {
  /** The meter event's identifier, derived from (subscription, meter, period, cumulative total). */
  identifier: string;
  ledgerId: string;
  meterId: string;
  /** `usage`, or `correction` when the growth came from late events. */
  kind: string;
  /** Decimal strings. */
  quantity: string;
  cumulative: string;
  createdAt: string;
  acknowledgedAt: string | null;
}

export interface StripeObjectView {
  kind: string;
  localId: string;
  stripeId: string;
  syncedAt: string;
}

/** The admin's billing view of a consumer: Stripe ids, the usage ledger and its pushes. */
export interface ConsumerBillingView {
  consumerId: string;
  stripeCustomerId: string | null;
  subscriptions: Array<{
    id: string;
    planId: string;
    status: string;
    stripeSubscriptionId: string | null;
    spendCapMinor: number | null;
  }>;
  /** Newest period first. */
  ledger: UsageLedgerRowView[];
  /** Meter events sent for the consumer, across the ledger. */
  pushesCount: number;
  /** The latest meter events sent, newest first. */
  pushes: UsagePushView[];
  stripeObjects: StripeObjectView[];
}

export async function consumerBillingOverview(
  prisma: PrismaClient,
  consumerId: string,
  limit = 50,
): Promise<ConsumerBillingView> {
  const consumer = await prisma.consumer.findUnique({
    where: { id: consumerId },
    include: { subscriptions: { orderBy: { createdAt: 'desc' } } },
  });
  if (!consumer) throw new NotFoundError('Consumer', consumerId);
  const subscriptionIds = consumer.subscriptions.map((subscription) => subscription.id);
  const ledger = await prisma.usageLedger.findMany({
    where: { subscriptionId: { in: subscriptionIds } },
    include: { _count: { select: { pushes: true } } },
    orderBy: [{ periodStart: 'desc' }, { meterId: 'asc' }],
    take: limit,
  });
  const pushesCount = await prisma.usagePush.count({
    where: { ledger: { subscriptionId: { in: subscriptionIds } } },
  });
  const pushes = await prisma.usagePush.findMany({
    where: { ledger: { subscriptionId: { in: subscriptionIds } } },
    include: { ledger: { select: { meterId: true } } },
    orderBy: { createdAt: 'desc' },
    take: limit,
  });
  const stripeObjects = await prisma.stripeObject.findMany({
    where: { localId: { in: [consumerId, ...subscriptionIds] } },
    orderBy: [{ kind: 'asc' }, { localId: 'asc' }],
  });
  return {
    consumerId,
    stripeCustomerId: consumer.stripeCustomerId,
    subscriptions: consumer.subscriptions.map((subscription) => ({
      id: subscription.id,
      planId: subscription.planId,
      status: subscription.status,
      stripeSubscriptionId: subscription.stripeSubscriptionId,
      spendCapMinor: subscription.spendCapMinor,
    })),
    ledger: ledger.map((row) => ({
      id: row.id,
      subscriptionId: row.subscriptionId,
      meterId: row.meterId,
      periodStart: row.periodStart.toISOString(),
      periodEnd: row.periodEnd.toISOString(),
      metered: row.metered.toString(),
      reported: row.reported.toString(),
      acknowledged: row.acknowledged.toString(),
      pushes: row._count.pushes,
      closedAt: row.closedAt?.toISOString() ?? null,
      updatedAt: row.updatedAt.toISOString(),
    })),
    pushesCount,
    pushes: pushes.map((push) => ({
      identifier: push.identifier,
      ledgerId: push.ledgerId,
      meterId: push.ledger.meterId,
      kind: push.kind,
      quantity: push.quantity.toString(),
      cumulative: push.cumulative.toString(),
      createdAt: push.createdAt.toISOString(),
      acknowledgedAt: push.acknowledgedAt?.toISOString() ?? null,
    })),
    stripeObjects: stripeObjects.map((object) => ({
      kind: object.kind,
      localId: object.localId,
      stripeId: object.stripeId,
      syncedAt: object.syncedAt.toISOString(),
    })),
  };
}
