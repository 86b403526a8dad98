import { ValidationError } from '@tollgate/errors';
import { bucketCount, type UsageRange, usageRangeQueryShape } from '@tollgate/metering-domain';
import { z } from 'zod';

/** Query parameters of the admin analytics and reconciliation endpoints (docs/analytics.md). */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Most points one analytics time series holds. */
export const maxAnalyticsPoints = 1_500;
/** The longest range the per-endpoint figures read (hour buckets). */
export const maxEndpointRangeDays = 92;
/** The longest window the anomaly search looks at (it also reads the 7 days before it). */
export const maxAnomalyWindowDays = 7;

const rangeShape = usageRangeQueryShape;

const booleanQuery = z
  .enum(['true', 'false'], { error: 'Must be true or false' })
  .transform((value) => value === 'true');

const idQuery = z.string().min(1).max(100);

export const analyticsUsageGranularities = ['hour', 'day'] as const;
export type AnalyticsUsageGranularity = (typeof analyticsUsageGranularities)[number];

/** `GET /api/admin/analytics/usage`. */
export const analyticsUsageQuerySchema = z.object({
  granularity: z.enum(analyticsUsageGranularities).default('day'),
  ...rangeShape,
  planId: idQuery.optional(),
});
export type AnalyticsUsageQuery = z.output<typeof analyticsUsageQuerySchema>;

/** `GET /api/admin/analytics/endpoints`. */
export const analyticsEndpointsQuerySchema = z.object({ ...rangeShape });
export type AnalyticsEndpointsQuery = z.output<typeof analyticsEndpointsQuerySchema>;

/** `GET /api/admin/analytics/top-consumers`. */
export const topConsumersQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
});
export type TopConsumersQuery = z.output<typeof topConsumersQuerySchema>;

/** `GET /api/admin/analytics/upsell`. */
export const upsellQuerySchema = z.object({
  /** Percentage of the quota from which a consumer is listed. */
  threshold: z.coerce.number().min(1).max(1000).default(80),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type UpsellQuery = z.output<typeof upsellQuerySchema>;

/** `GET /api/admin/analytics/anomalies`. */
export const anomaliesQuerySchema = z.object({
  ...rangeShape,
  consumerId: idQuery.optional(),
  /** Robust z-score from which an hour is flagged. */
  threshold: z.coerce.number().min(1).max(1000).default(6),
  /** Fewest requests in an hour for it to be flagged. */
  minCount: z.coerce.number().int().min(1).max(1_000_000_000).default(100),
});
export type AnomaliesQuery = z.output<typeof anomaliesQuerySchema>;

export const conversionGranularities = ['week', 'month'] as const;
export type ConversionGranularity = (typeof conversionGranularities)[number];

/** `GET /api/admin/analytics/conversion`. */
export const conversionQuerySchema = z.object({
  granularity: z.enum(conversionGranularities).default('month'),
  ...rangeShape,
});
export type ConversionQuery = z.output<typeof conversionQuerySchema>;

/** `GET /api/admin/reconciliation`. */
export const reconciliationQuerySchema = z.object({
  consumerId: idQuery.optional(),
  onlyDrift: booleanQuery.default(false),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});
export type ReconciliationQuery = z.output<typeof reconciliationQuerySchema>;

/** Start of the UTC hour or day holding `instant`, or the next one when `up` and not on a boundary. */
export function snapToBucket(instant: number, size: 'hour' | 'day', up: boolean): number {
  const length = size === 'hour' ? HOUR_MS : DAY_MS;
  return (up ? Math.ceil(instant / length) : Math.floor(instant / length)) * length;
}

function iso(instant: number): string {
  return new Date(instant).toISOString();
}

/**
 * `from`–`to` widened to whole UTC buckets of `size` (analytics read whole rollup buckets), with
 * the defaults filled: `to` defaults to the end of the current bucket, `from` to `defaultSpan`
 * before `to`. `to` must be after `from`, and the range may hold at most `maxBuckets` buckets
 * (a 400 naming `overflowField`).
 */
export function resolveAnalyticsRange(
  query: { from?: number; to?: number },
  options: {
    now: number;
    size: 'hour' | 'day';
    defaultSpanMs: number;
    maxBuckets: number;
    overflowField: string;
    overflowMessage: string;
  },
): UsageRange {
  const to = snapToBucket(query.to ?? options.now, options.size, true);
  const from = snapToBucket(query.from ?? to - options.defaultSpanMs, options.size, false);
  if (to <= from) {
    throw new ValidationError([
      query.to === undefined
        ? { field: 'from', message: `Must be before ${iso(to)}` }
        : { field: 'to', message: `Must be after from (${iso(from)})` },
    ]);
  }
  const buckets = bucketCount({ from, to }, options.size);
  if (buckets > options.maxBuckets) {
    throw new ValidationError([
      {
        field: options.overflowField,
        message: `${options.overflowMessage} (the range holds ${buckets} ${options.size}s)`,
      },
    ]);
  }
  return { from, to };
}
