import { NotFoundError, ValidationError } from '@tollgate/errors';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import {
  type AnalyticsEndpointsQuery,
  type AnalyticsQueries,
  type AnalyticsUsageQuery,
  type AnomaliesQuery,
  type ConsumerQuotaPeriod,
  consumerQuotaPeriods,
  type ConsumptionBucket,
  consumptionHistogram,
  type ConversionQuery,
  type EndpointAnalyticsRow,
  hourlyAnomalies,
  maxAnalyticsPoints,
  maxAnomalyWindowDays,
  maxEndpointRangeDays,
  type Percentiles,
  percentiles,
  percentOfQuota,
  quotaUnits,
  resolveAnalyticsRange,
  routeCostWeights,
  type TopConsumersQuery,
  type UpsellQuery,
} from '@tollgate/metering-pipeline';
import { type PrismaClient } from '@tollgate/relational';
import {
  conversionPeriods,
  conversionPeriodStart,
  type ConversionPoint,
  conversionSeries,
  nextConversionPeriod,
} from './free-to-paid-conversion';
import { buildGatewaySnapshot } from './gateway-snapshot.builder';

/**
 * The admin analytics use cases (docs/analytics.md). Periods, limits and route weights come from
 * the gateway snapshot, so every figure is what the gateway enforces; usage comes from the rollups.
 */

export interface UsageAnalyticsDependencies {
  prisma: PrismaClient;
  analytics: AnalyticsQueries;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const iso = (instant: number): string => new Date(instant).toISOString();

export interface AnalyticsUsagePoint {
  start: string;
  end: string;
  requests: number;
  totalRequests: number;
  activeConsumers: number;
}

export interface AnalyticsUsageSeries {
  granularity: AnalyticsUsageQuery['granularity'];
  from: string;
  to: string;
  planId: string | null;
  points: AnalyticsUsagePoint[];
}

/** Requests over time, every consumer or the current subscribers of one plan. */
export async function analyticsUsageOverTime(
  deps: UsageAnalyticsDependencies,
  query: AnalyticsUsageQuery,
  now = Date.now(),
): Promise<AnalyticsUsageSeries> {
  const range = resolveAnalyticsRange(query, {
    now,
    size: query.granularity,
    defaultSpanMs: query.granularity === 'hour' ? 2 * DAY_MS : 30 * DAY_MS,
    maxBuckets: maxAnalyticsPoints,
    overflowField: 'granularity',
    overflowMessage: `At most ${maxAnalyticsPoints} points: use day or a shorter from–to range`,
  });
  let consumerIds: string[] | undefined;
  if (query.planId !== undefined) {
    await requirePlan(deps.prisma, query.planId);
    const snapshot = await buildGatewaySnapshot(deps.prisma, now);
    consumerIds = snapshot.consumers
      .filter((consumer) => consumer.planId === query.planId)
      .map((consumer) => consumer.id);
  }
  const points = await deps.analytics.requestsOverTime(range, query.granularity, consumerIds);
  return {
    granularity: query.granularity,
    from: iso(range.from),
    to: iso(range.to),
    planId: query.planId ?? null,
    points: points.map((point) => ({
      start: iso(point.start),
      end: iso(point.end),
      requests: point.requests,
      totalRequests: point.totalRequests,
      activeConsumers: point.activeConsumers,
    })),
  };
}

export interface EndpointAnalytics {
  from: string;
  to: string;
  endpoints: EndpointAnalyticsRow[];
}

/** Requests, errors, status classes and latency percentiles per endpoint, over whole hours. */
export async function analyticsEndpoints(
  deps: UsageAnalyticsDependencies,
  query: AnalyticsEndpointsQuery,
  now = Date.now(),
): Promise<EndpointAnalytics> {
  const range = resolveAnalyticsRange(query, {
    now,
    size: 'hour',
    defaultSpanMs: DAY_MS,
    maxBuckets: maxEndpointRangeDays * 24,
    overflowField: 'from',
    overflowMessage: `At most ${maxEndpointRangeDays} days`,
  });
  return { from: iso(range.from), to: iso(range.to), endpoints: await deps.analytics.endpoints(range) };
}

/** One consumer's current period against its quota. */
export interface ConsumerConsumption {
  consumerId: string;
  name: string;
  planId: string;
  planName: string;
  planTier: string;
  periodStart: string;
  periodEnd: string;
  /** Quota units of the period per the pinned plan version. */
  quotaLimit: number;
  /** Quota units consumed: counted requests × route weight, as the gateway charges them. */
  used: number;
  /** Counted requests. */
  requests: number;
  /** used ÷ quotaLimit × 100, two decimals; null for a used zero quota. */
  percentOfQuota: number | null;
}

interface Consumption {
  period: ConsumerQuotaPeriod;
  used: number;
  requests: number;
  percent: number;
}

/** Every consumer's (or one plan's consumers') current period usage, in one read per 2,000 consumers. */
async function currentConsumption(
  deps: UsageAnalyticsDependencies,
  snapshot: GatewaySnapshot,
  now: number,
  planId?: string,
): Promise<Consumption[]> {
  const periods = consumerQuotaPeriods(snapshot, now).periods.filter(
    (period) => planId === undefined || period.planId === planId,
  );
  const weights = routeCostWeights(snapshot);
  const usage = await deps.analytics.countedRequestsByEndpoint(
    periods.map((period) => ({
      consumerId: period.consumerId,
      from: period.periodStart,
      to: period.periodEnd,
    })),
  );
  return periods.map((period) => {
    const rows = usage.get(period.consumerId) ?? [];
    const used = quotaUnits(rows, weights);
    return {
      period,
      used,
      requests: rows.reduce((total, row) => total + row.requests, 0),
      percent: percentOfQuota(used, period.quotaLimit),
    };
  });
}

const roundPercent = (percent: number): number | null =>
  Number.isFinite(percent) ? Math.round(percent * 100) / 100 : null;

/** Names of the consumers and plans of `entries`, read once. */
async function withNames(
  prisma: PrismaClient,
  entries: readonly Consumption[],
): Promise<ConsumerConsumption[]> {
  const consumers = await prisma.consumer.findMany({
    where: { id: { in: entries.map((entry) => entry.period.consumerId) } },
    select: { id: true, name: true },
  });
  const plans = await prisma.plan.findMany({
    where: { id: { in: [...new Set(entries.map((entry) => entry.period.planId))] } },
    select: { id: true, name: true, tier: true },
  });
  const nameOf = new Map(consumers.map((consumer) => [consumer.id, consumer.name]));
  const planOf = new Map(plans.map((plan) => [plan.id, plan]));
  return entries.map(({ period, used, requests, percent }) => ({
    consumerId: period.consumerId,
    name: nameOf.get(period.consumerId) ?? '',
    planId: period.planId,
    planName: planOf.get(period.planId)?.name ?? '',
    planTier: planOf.get(period.planId)?.tier ?? '',
    periodStart: iso(period.periodStart),
    periodEnd: iso(period.periodEnd),
    quotaLimit: period.quotaLimit,
    used,
    requests,
    percentOfQuota: roundPercent(percent),
  }));
}

async function requirePlan(prisma: PrismaClient, planId: string): Promise<{ id: string; name: string }> {
  const plan = await prisma.plan.findUnique({ where: { id: planId }, select: { id: true, name: true } });
  if (!plan) throw new NotFoundError('Plan', planId);
  return plan;
}

export interface PlanConsumptionDistribution {
  planId: string;
  planName: string;
  generatedAt: string;
  consumers: number;
  histogram: ConsumptionBucket[];
  /** Quota units used in the current period (nearest rank). */
  used: Percentiles;
  /** Percent of the quota used (nearest rank; null: none, or a used zero quota). */
  percentOfQuota: Percentiles;
}

/** How the consumers of a plan use their current period: histogram by tenth of quota, percentiles. */
export async function planConsumptionDistribution(
  deps: UsageAnalyticsDependencies,
  planId: string,
  now = Date.now(),
): Promise<PlanConsumptionDistribution> {
  const plan = await requirePlan(deps.prisma, planId);
  const snapshot = await buildGatewaySnapshot(deps.prisma, now);
  const entries = await currentConsumption(deps, snapshot, now, planId);
  const shares = entries.map((entry) => entry.percent);
  const sharePercentiles = percentiles(shares);
  const rounded = (value: number | null) => (value === null ? null : roundPercent(value));
  return {
    planId,
    planName: plan.name,
    generatedAt: iso(now),
    consumers: entries.length,
    histogram: consumptionHistogram(shares),
    used: percentiles(entries.map((entry) => entry.used)),
    percentOfQuota: {
      p50: rounded(sharePercentiles.p50),
      p90: rounded(sharePercentiles.p90),
      p99: rounded(sharePercentiles.p99),
    },
  };
}

export interface ConsumerConsumptionList {
  generatedAt: string;
  consumers: ConsumerConsumption[];
}

/** The consumers that used the most quota units in their current period. */
export async function topConsumers(
  deps: UsageAnalyticsDependencies,
  query: TopConsumersQuery,
  now = Date.now(),
): Promise<ConsumerConsumptionList> {
  const snapshot = await buildGatewaySnapshot(deps.prisma, now);
  const entries = (await currentConsumption(deps, snapshot, now))
    .filter((entry) => entry.used > 0)
    .sort((a, b) => b.used - a.used || a.period.consumerId.localeCompare(b.period.consumerId))
    .slice(0, query.limit);
  return { generatedAt: iso(now), consumers: await withNames(deps.prisma, entries) };
}

export interface UpsellCandidates extends ConsumerConsumptionList {
  threshold: number;
}

/** Consumers at or beyond `threshold` % of their quota in their current period, fullest first. */
export async function upsellCandidates(
  deps: UsageAnalyticsDependencies,
  query: UpsellQuery,
  now = Date.now(),
): Promise<UpsellCandidates> {
  const snapshot = await buildGatewaySnapshot(deps.prisma, now);
  const entries = (await currentConsumption(deps, snapshot, now))
    .filter((entry) => entry.percent >= query.threshold)
    .sort((a, b) => b.percent - a.percent || a.period.consumerId.localeCompare(b.period.consumerId))
    .slice(0, query.limit);
  return {
    threshold: query.threshold,
    generatedAt: iso(now),
    consumers: await withNames(deps.prisma, entries),
  };
}

export interface UsageAnomaly {
  consumerId: string;
  name: string;
  hourStart: string;
  hourEnd: string;
  requests: number;
  baselineMedian: number;
  baselineSpread: number;
  score: number;
}

export interface UsageAnomalies {
  from: string;
  to: string;
  threshold: number;
  minCount: number;
  anomalies: UsageAnomaly[];
}

/** Baseline hours before each judged hour. */
const BASELINE_HOURS = 168;

/**
 * Hours of `from`–`to` (default the last 24 hours) whose gateway requests are far above the
 * consumer's trailing 7 days (`hourlyAnomalies`). Only consumers with an hour of at least
 * `minCount` requests in the window are read further.
 */
export async function usageAnomalies(
  deps: UsageAnalyticsDependencies,
  query: AnomaliesQuery,
  now = Date.now(),
): Promise<UsageAnomalies> {
  const window = resolveAnalyticsRange(query, {
    now,
    size: 'hour',
    defaultSpanMs: DAY_MS,
    maxBuckets: maxAnomalyWindowDays * 24,
    overflowField: 'from',
    overflowMessage: `At most ${maxAnomalyWindowDays} days`,
  });
  const candidates = await deps.analytics.busyConsumers(
    window,
    query.minCount,
    query.consumerId === undefined ? undefined : [query.consumerId],
  );
  const seriesStart = window.from - BASELINE_HOURS * HOUR_MS;
  const hours = (window.to - seriesStart) / HOUR_MS;
  const series = await deps.analytics.hourlyRequests({ from: seriesStart, to: window.to }, candidates);
  const firstDays = await deps.analytics.firstActiveDay(candidates);
  const found: Array<Omit<UsageAnomaly, 'name'>> = [];
  for (const consumerId of candidates) {
    const hourly = series.get(consumerId) ?? new Map<number, number>();
    const counts = Array.from(
      { length: hours },
      (_, index) => hourly.get(seriesStart + index * HOUR_MS) ?? 0,
    );
    const firstDay = firstDays.get(consumerId) ?? seriesStart;
    // Traffic on a day before the series: the whole series is history. Otherwise it starts at the
    // consumer's first hour with traffic (hours before the consumer existed are no baseline).
    const historyStart =
      firstDay + DAY_MS <= seriesStart
        ? 0
        : Math.max(
            0,
            counts.findIndex((count) => count > 0),
          );
    for (const anomaly of hourlyAnomalies(counts, BASELINE_HOURS, historyStart, {
      baselineHours: BASELINE_HOURS,
      threshold: query.threshold,
      minCount: query.minCount,
    })) {
      const hourStart = seriesStart + anomaly.index * HOUR_MS;
      found.push({
        consumerId,
        hourStart: iso(hourStart),
        hourEnd: iso(hourStart + HOUR_MS),
        requests: anomaly.count,
        baselineMedian: anomaly.baselineMedian,
        baselineSpread: Math.round(anomaly.baselineSpread * 1000) / 1000,
        score: Math.round(anomaly.score * 100) / 100,
      });
    }
  }
  found.sort((a, b) => b.score - a.score || a.hourStart.localeCompare(b.hourStart));
  const names = new Map(
    (
      await deps.prisma.consumer.findMany({
        where: { id: { in: [...new Set(found.map((anomaly) => anomaly.consumerId))] } },
        select: { id: true, name: true },
      })
    ).map((consumer) => [consumer.id, consumer.name]),
  );
  return {
    from: iso(window.from),
    to: iso(window.to),
    threshold: query.threshold,
    minCount: query.minCount,
    anomalies: found.map((anomaly) => ({ ...anomaly, name: names.get(anomaly.consumerId) ?? '' })),
  };
}

export interface ConversionReport {
  granularity: ConversionQuery['granularity'];
  from: string;
  to: string;
  points: Array<Omit<ConversionPoint, 'start' | 'end'> & { start: string; end: string }>;
  totals: { conversions: number };
}

/** Most weeks or months one conversion report holds. */
const maxConversionPeriods = 260;

/** Free → paid conversion per UTC week or month (default: the last 12, the current one included). */
export async function freeToPaidConversion(
  prisma: PrismaClient,
  query: ConversionQuery,
  now = Date.now(),
): Promise<ConversionReport> {
  const { granularity } = query;
  const to =
    query.to === undefined
      ? nextConversionPeriod(conversionPeriodStart(now, granularity), granularity)
      : query.to;
  let from = query.from;
  if (from === undefined) {
    from = conversionPeriodStart(to - 1, granularity);
    for (let step = 1; step < 12; step += 1) from = conversionPeriodStart(from - 1, granularity);
  }
  if (to <= from) {
    throw new ValidationError([
      query.to === undefined
        ? { field: 'from', message: `Must be before ${iso(to)}` }
        : { field: 'to', message: `Must be after from (${iso(from)})` },
    ]);
  }
  const periods = conversionPeriods({ from, to }, granularity);
  if (periods.length > maxConversionPeriods) {
    throw new ValidationError([
      {
        field: 'from',
        message: `At most ${maxConversionPeriods} ${granularity}s (the range holds ${periods.length})`,
      },
    ]);
  }
  const plans = await prisma.plan.findMany({ select: { id: true, tier: true } });
  const freePlans = new Set(plans.filter((plan) => plan.tier === 'free').map((plan) => plan.id));
  const history = await prisma.subscription.findMany({
    select: { consumerId: true, planId: true, createdAt: true, canceledAt: true },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  const points = conversionSeries(
    history.map((entry) => ({
      consumerId: entry.consumerId,
      planId: entry.planId,
      createdAt: entry.createdAt.getTime(),
      canceledAt: entry.canceledAt?.getTime() ?? null,
    })),
    (planId) => freePlans.has(planId),
    periods,
  );
  return {
    granularity,
    from: iso(periods[0].start),
    to: iso(periods[periods.length - 1].end),
    points: points.map((point) => ({ ...point, start: iso(point.start), end: iso(point.end) })),
    totals: { conversions: points.reduce((total, point) => total + point.conversions, 0) },
  };
}
