import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { NotFoundError } from '@tollgate/errors';
import { type PrismaClient } from '@tollgate/relational';

export interface ConsumerUsageContext {
  consumerId: string;
  period: BillingPeriod;
  quotaLimit: number;
}

/** The consumer's current billing period and quota, from its live subscription. */
export async function consumerUsageContext(
  prisma: PrismaClient,
  consumerId: string,
  now = Date.now(),
): Promise<ConsumerUsageContext> {
  const consumer = await prisma.consumer.findUnique({
    where: { id: consumerId },
    include: {
      subscriptions: {
        where: { status: { not: 'canceled' } },
        orderBy: { createdAt: 'desc' },
        take: 1,
        include: { plan: true },
      },
    },
  });
  const subscription = consumer?.subscriptions[0];
  if (!consumer || !subscription) throw new NotFoundError('Consumer', consumerId);
  const period = billingPeriodAt(
    now,
    subscription.periodAnchor.getTime(),
    consumer.timeZone,
    subscription.plan.quotaPeriod,
  );
  return { consumerId, period, quotaLimit: subscription.plan.quotaLimit };
}
