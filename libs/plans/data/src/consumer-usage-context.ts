import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { NotFoundError } from '@tollgate/errors';
import { quotaFigures, type UsageSummary } from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
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

/** The usage API's body for one consumer: its current period, what was metered in it, and its quota. */
export async function consumerUsageSummary(
  prisma: PrismaClient,
  usage: UsageQueries,
  consumerId: string,
  now = Date.now(),
): Promise<UsageSummary> {
  const context = await consumerUsageContext(prisma, consumerId, now);
  const metered = await usage.periodUsage(consumerId, context.period.start, context.period.end);
  return {
    consumerId,
    periodStart: new Date(context.period.start).toISOString(),
    periodEnd: new Date(context.period.end).toISOString(),
    requests: metered.requests,
    totalRequests: metered.totalRequests,
    units: metered.units,
    quota: quotaFigures(context.quotaLimit, metered.requests),
  };
}
