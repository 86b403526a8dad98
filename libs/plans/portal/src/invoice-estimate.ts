import { billingPeriodAt } from '@tollgate/billing-period';
import { forecast, type QuotaForecastStatus, rate, type RatingUsage } from '@tollgate/billing-rating';
import { NotFoundError } from '@tollgate/errors';
import {
  type MeterDefinition,
  meterDefinitionsSchema,
  planMeters,
  requestsMeter,
  type UsageFigures,
} from '@tollgate/metering-domain';
import { type UsageQueries } from '@tollgate/metering-pipeline';
import { consumerWithLiveSubscription, subscriptionPlanDefinition } from '@tollgate/plans-data';
import { type PlanDefinition } from '@tollgate/plans-domain';
import { type PrismaClient } from '@tollgate/relational';
import { formatMoney } from './plan-description';

const dayMs = 86_400_000;
const recentWindowMs = 7 * dayMs;

export interface EstimateLineView {
  type: string;
  description: string;
  quantity: number;
  /** Exact price of one unit of `quantity`, in minor units, as a decimal string. */
  unitAmountDecimal: string;
  amountMinor: number;
}

export interface InvoiceForecastView {
  /** Counted requests the period allows; null when the plan has no period quota to reach. */
  quotaLimit: number | null;
  quotaStatus: QuotaForecastStatus;
  quotaReachedAt: string | null;
  projectedRequests: number;
  projectedAmountMinor: number;
  projectedAmount: string;
  /** E.g. "At the last 7 days' rate the quota is reached on 2026-12-14; projected bill 12.40 USD." */
  summary: string;
}

/** The current period's bill so far, rated on the plan's prices, and where the period is heading. */
export interface InvoiceEstimateView {
  consumerId: string;
  planId: string;
  planName: string;
  currency: string;
  periodStart: string;
  periodEnd: string;
  asOf: string;
  usage: UsageFigures;
  lines: EstimateLineView[];
  subtotalMinor: number;
  subtotal: string;
  forecast: InvoiceForecastView;
}

/** Extra meters the rating needs beyond the plan's: transaction counts and business-event counts. */
interface RatingMeters {
  meters: MeterDefinition[];
  transactionCounts: Map<string, string>;
  eventCounts: Map<string, string>;
}

function ratingMeters(definition: PlanDefinition, explicit: MeterDefinition[]): RatingMeters {
  const meters = planMeters(
    definition.prices.map((price) => ({ meter: 'meter' in price ? price.meter : undefined })),
    explicit,
  );
  const transactionCounts = new Map<string, string>();
  const eventCounts = new Map<string, string>();
  definition.prices.forEach((price, index) => {
    if (price.type === 'percentage' && !transactionCounts.has(price.meter)) {
      const slug = `tollgate_txn_${index}`;
      transactionCounts.set(price.meter, slug);
      meters.push({ slug, aggregation: 'count', valueKey: price.meter, countedOnly: true, filters: {} });
    } else if (price.type === 'per_event' && !eventCounts.has(price.eventType)) {
      const slug = `tollgate_events_${index}`;
      eventCounts.set(price.eventType, slug);
      meters.push({
        slug,
        aggregation: 'count',
        eventType: price.eventType,
        countedOnly: false,
        filters: {},
      });
    }
  });
  return { meters, transactionCounts, eventCounts };
}

function ratingUsage(figures: UsageFigures, extra: RatingMeters): RatingUsage {
  const internal = new Set([...extra.transactionCounts.values(), ...extra.eventCounts.values()]);
  const meters = Object.fromEntries(Object.entries(figures.units).filter(([key]) => !internal.has(key)));
  const transactions = Object.fromEntries(
    [...extra.transactionCounts].map(([meter, slug]) => [
      meter,
      { count: figures.units[slug] ?? 0, valueMinor: figures.units[meter] ?? 0 },
    ]),
  );
  const events = Object.fromEntries(
    [...extra.eventCounts].map(([eventType, slug]) => [eventType, figures.units[slug] ?? 0]),
  );
  return { requests: figures.requests, meters, transactions, events };
}

function withoutInternalUnits(figures: UsageFigures, extra: RatingMeters): UsageFigures {
  const internal = new Set([...extra.transactionCounts.values(), ...extra.eventCounts.values()]);
  return {
    ...figures,
    units: Object.fromEntries(Object.entries(figures.units).filter(([key]) => !internal.has(key))),
  };
}

function localDate(instant: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

function forecastSummary(
  status: QuotaForecastStatus,
  quotaLimit: number | null,
  reachedAt: Date | null,
  projected: string,
  timeZone: string,
  recentDays: number,
): string {
  const rateWords =
    recentDays >= 7 ? "At the last 7 days' rate" : `At the rate since the start (${recentDays} d)`;
  switch (status) {
    case 'reached':
      return `The quota of ${quotaLimit ?? 0} requests is used up; projected bill ${projected}.`;
    case 'projected':
      return `${rateWords} the quota is reached on ${localDate(reachedAt as Date, timeZone)}; projected bill ${projected}.`;
    case 'not_reached':
      return `${rateWords} the quota is not reached this period; projected bill ${projected}.`;
    default:
      return `${rateWords} the projected bill is ${projected}.`;
  }
}

/**
 * The consumer's invoice estimate for the current billing period (the usage so far rated on the
 * prices of the plan version the subscription is pinned to) and its forecast at the rate of the
 * last 7 days.
 */
export async function consumerInvoiceEstimate(
  prisma: PrismaClient,
  usage: UsageQueries,
  consumerId: string,
  now = Date.now(),
): Promise<InvoiceEstimateView> {
  const { consumer, subscription } = await consumerWithLiveSubscription(prisma, consumerId);
  if (!consumer || !subscription) throw new NotFoundError('Subscription', `of consumer ${consumerId}`);
  const { plan } = subscription;
  // Rated on the version the subscription is pinned to, as the gateway enforces and billing charges.
  const definition = await subscriptionPlanDefinition(prisma, subscription, plan);
  const parsedMeters = meterDefinitionsSchema.safeParse(definition.meters);
  const extra = ratingMeters(definition, parsedMeters.success ? parsedMeters.data : []);
  const period = billingPeriodAt(now, subscription.periodAnchor.getTime(), consumer.timeZone, 'month');

  // Charged on this plan from when the subscription began, as the usage push reports it: usage of
  // an earlier plan in the same period is that plan's.
  const chargedFrom = Math.min(now, Math.max(period.start, subscription.createdAt.getTime()));
  const soFar = await usage.totals(consumerId, { from: chargedFrom, to: now }, extra.meters);
  // Seven days, or the consumer's whole history when it is shorter.
  const recentFrom = Math.min(now - 1, Math.max(now - recentWindowMs, consumer.createdAt.getTime()));
  const recent = await usage.totals(consumerId, { from: recentFrom, to: now }, extra.meters);
  const usedSoFar = ratingUsage(soFar, extra);
  if (definition.overage !== null && definition.quota.period === 'day') {
    // Overage of a daily quota is priced per day: the days so far (UTC days, as the usage API buckets).
    const days = await usage.timeseries(consumerId, { from: chargedFrom, to: now }, [requestsMeter], 'day');
    Object.assign(usedSoFar, { requestsPerQuotaWindow: days.map((day) => day.requests) });
  }

  const periodStart = new Date(period.start);
  const periodEnd = new Date(period.end);
  const estimate = rate({
    currency: definition.currency,
    periodStart,
    periodEnd,
    plan: definition,
    usage: usedSoFar,
  });
  const windowMs = Math.max(1, now - recentFrom);
  const projection = forecast({
    currency: definition.currency,
    periodStart,
    periodEnd,
    now: new Date(now),
    plan: definition,
    usedSoFar,
    usageLast7Days: ratingUsage(recent, extra),
    recentWindowMs: windowMs,
  });
  const projected = formatMoney(projection.projectedAmountMinor, estimate.currency);
  return {
    consumerId,
    planId: plan.id,
    planName: plan.name,
    currency: estimate.currency,
    periodStart: periodStart.toISOString(),
    periodEnd: periodEnd.toISOString(),
    asOf: new Date(now).toISOString(),
    usage: withoutInternalUnits(soFar, extra),
    lines: estimate.lines.map((line) => ({
      type: line.type,
      description: line.description,
      quantity: line.quantity,
      unitAmountDecimal: line.unitAmountDecimal,
      amountMinor: line.amountMinor,
    })),
    subtotalMinor: estimate.subtotalMinor,
    subtotal: formatMoney(estimate.subtotalMinor, estimate.currency),
    forecast: {
      quotaLimit: projection.quotaLimit,
      quotaStatus: projection.quotaStatus,
      quotaReachedAt: projection.quotaReachedAt?.toISOString() ?? null,
      projectedRequests: projection.projectedUsage.requests,
      projectedAmountMinor: projection.projectedAmountMinor,
      projectedAmount: projected,
      summary: forecastSummary(
        projection.quotaStatus,
        projection.quotaLimit,
        projection.quotaReachedAt,
        projected,
        consumer.timeZone,
        Math.floor(windowMs / dayMs),
      ),
    },
  };
}
