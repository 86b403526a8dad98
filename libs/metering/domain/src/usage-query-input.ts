import { ValidationError } from '@tollgate/errors';
import { z } from 'zod';
import { usageBreakdownDimensions } from './usage-summary';
import { bucketCount, usageGranularities, type UsageGranularity, type UsageRange } from './usage-range';

/** Most points one time-series answer holds. */
export const maxTimeseriesPoints = 1_500;

/** An instant with an explicit offset, parsed to epoch ms (query parameters). */
export const queryInstantSchema = z.iso
  .datetime({
    offset: true,
    message: 'Must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z',
  })
  .transform((value) => Date.parse(value));

/** `from` / `to` query parameters of a usage range. */
export const usageRangeQueryShape = {
  /** Inclusive; default: the start of the current billing period. */
  from: queryInstantSchema.optional(),
  /** Exclusive; default: the end of the current billing period. */
  to: queryInstantSchema.optional(),
};

/** Query of `GET …/usage/timeseries` (shared with the web app). */
export const usageTimeseriesQuerySchema = z.object({
  granularity: z.enum(usageGranularities).default('day'),
  ...usageRangeQueryShape,
});
export type UsageTimeseriesQuery = z.output<typeof usageTimeseriesQuerySchema>;

/** Query of `GET …/usage/breakdown` (shared with the web app). */
export const usageBreakdownQuerySchema = z.object({
  by: z.enum(usageBreakdownDimensions),
  ...usageRangeQueryShape,
});
export type UsageBreakdownQuery = z.output<typeof usageBreakdownQuerySchema>;

/**
 * The range a usage query reads: `from`/`to` as given, each defaulting to the billing period's
 * bounds. `to` must be after `from`; a time series may hold at most `maxTimeseriesPoints` buckets.
 */
export function resolveUsageRange(
  query: { from?: number; to?: number; granularity?: UsageGranularity },
  period: UsageRange,
): UsageRange {
  const range = { from: query.from ?? period.from, to: query.to ?? period.to };
  if (range.to <= range.from) {
    throw new ValidationError([
      query.to === undefined
        ? { field: 'from', message: `Must be before ${iso(range.to)}, the end of the billing period` }
        : { field: 'to', message: `Must be after from (${iso(range.from)})` },
    ]);
  }
  if (query.granularity !== undefined) {
    const points = bucketCount(range, query.granularity);
    if (points > maxTimeseriesPoints) {
      throw new ValidationError([
        {
          field: 'granularity',
          message: `The range holds ${points} ${query.granularity} buckets, more than ${maxTimeseriesPoints}: use a coarser granularity or a shorter from–to range`,
        },
      ]);
    }
  }
  return range;
}

function iso(instant: number): string {
  return new Date(instant).toISOString();
}
