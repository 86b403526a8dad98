import { billingPeriodAt, type BillingPeriod } from '@tollgate/billing-period';
import { NotFoundError } from '@tollgate/errors';
import {
  type MeterDefinition,
  meterDefinitionsSchema,
  type MeteredPriceComponent,
  planMeters,
  quotaFigures,
  resolveUsageRange,
  type UsageBreakdown,
  type UsageBreakdownQuery,
  type UsageSummary,
  type UsageTimeseries,
  type UsageTimeseriesQuery,
} from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { type PrismaClient } from '@tollgate/relational';

export interface ConsumerUsageContext {
  consumerId: string;
  period: BillingPeriod;
  quotaLimit: number;
  /** The plan's meters: `requests`, one per priced usage key, and the plan's own definitions. */
  meters: MeterDefinition[];
}

/** The usage keys a plan's price components meter (`prices` is the plan's stored JSON). */
function meteredPrices(prices: unknown): MeteredPriceComponent[] {
  if (!Array.isArray(prices)) return [];
  return prices.flatMap((price: unknown) => {
    const meter =
      typeof price === 'object' && price !== null ? (price as { meter?: unknown }).meter : undefined;
    return typeof meter === 'string' ? [{ meter }] : [];
  });
}

/** The plan's own meter definitions, where the plan record has them (validated when written). */
function explicitMeters(plan: object): MeterDefinition[] {
  const stored = (plan as Record<string, unknown>)['meters'];
  if (stored === undefined || stored === null) return [];
  const parsed = meterDefinitionsSchema.safeParse(stored);
  if (!parsed.success) {
    throw new Error(
      `Plan ${(plan as { id?: unknown }).id as string} has invalid meter definitions: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

/**
 * The consumer and its live (not canceled) subscription with its plan — the newest one — in one
 * query; the subscription is undefined when the consumer has none, the consumer when it is unknown.
 */
export async function consumerWithLiveSubscription(prisma: PrismaClient, consumerId: string) {
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
  return { consumer, subscription: consumer?.subscriptions[0] };
}

/** The consumer's current billing period, quota and meters, from its live subscription. */
export async function consumerUsageContext(
  prisma: PrismaClient,
  consumerId: string,
  now = Date.now(),
): Promise<ConsumerUsageContext> {
  const { consumer, subscription } = await consumerWithLiveSubscription(prisma, consumerId);
  if (!consumer || !subscription) throw new NotFoundError('Consumer', consumerId);
  const { plan } = subscription;
  const period = billingPeriodAt(
    now,
    subscription.periodAnchor.getTime(),
    consumer.timeZone,
    plan.quotaPeriod,
  );
  return {
    consumerId,
    period,
    quotaLimit: plan.quotaLimit,
    meters: planMeters(meteredPrices(plan.prices), explicitMeters(plan)),
  };
}

/** The usage API's body for one consumer: its current period, what was metered in it, and its quota. */
export async function consumerUsageSummary(
  prisma: PrismaClient,
  usage: UsageQueries,
  consumerId: string,
  now = Date.now(),
): Promise<UsageSummary> {
  const context = await consumerUsageContext(prisma, consumerId, now);
  const figures = await usage.totals(
    consumerId,
    { from: context.period.start, to: context.period.end },
    context.meters,
  );
  return {
    consumerId,
    periodStart: new Date(context.period.start).toISOString(),
    periodEnd: new Date(context.period.end).toISOString(),
    ...figures,
    quota: quotaFigures(context.quotaLimit, figures.requests),
  };
}

/** The consumer's usage per minute, hour or day (UTC buckets); `from`/`to` default to the current period. */
export async function consumerUsageTimeseries(
  prisma: PrismaClient,
  usage: UsageQueries,
  consumerId: string,
  query: UsageTimeseriesQuery,
  now = Date.now(),
): Promise<UsageTimeseries> {
  const context = await consumerUsageContext(prisma, consumerId, now);
  const range = resolveUsageRange(query, { from: context.period.start, to: context.period.end });
  const points = await usage.timeseries(consumerId, range, context.meters, query.granularity);
  return {
    consumerId,
    granularity: query.granularity,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    points,
  };
}

/** The consumer's usage per endpoint or per status code; `from`/`to` default to the current period. */
export async function consumerUsageBreakdown(
  prisma: PrismaClient,
  usage: UsageQueries,
  consumerId: string,
  query: UsageBreakdownQuery,
  now = Date.now(),
): Promise<UsageBreakdown> {
  const context = await consumerUsageContext(prisma, consumerId, now);
  const range = resolveUsageRange(query, { from: context.period.start, to: context.period.end });
  const rows = await usage.breakdown(consumerId, range, context.meters, query.by);
  return {
    consumerId,
    by: query.by,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    rows,
  };
}
