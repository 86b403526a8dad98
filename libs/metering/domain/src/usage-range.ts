/**
 * How a time range is read from the rollups: the whole UTC days inside it from the day rollup,
 * the whole hours left at its edges from the hour rollup, the whole minutes left from the minute
 * rollup, and only the sub-minute remainders (at most a minute at each end) from raw events.
 * Billing periods start at the subscription's anchor in the consumer's time zone, to the
 * millisecond, so their edges are rarely aligned to a bucket; reading the remainders raw keeps
 * the figure exact without scanning the period.
 */

export const usageGranularities = ['minute', 'hour', 'day'] as const;
export type UsageGranularity = (typeof usageGranularities)[number];

export const granularityMilliseconds: Readonly<Record<UsageGranularity, number>> = Object.freeze({
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

/** Half-open `[from, to)`, epoch milliseconds. */
export interface UsageRange {
  from: number;
  to: number;
}

/** Where one piece of a range is read: raw `usage_events`, or the rollup of that granularity. */
export type UsageSource = 'raw' | UsageGranularity;

export interface RangeSegment extends UsageRange {
  source: UsageSource;
}

/**
 * Splits `range` into segments, each read from the coarsest source whose buckets it fills, never
 * coarser than `coarsest` (a minute time series must not be read from hour buckets). Segments are
 * in time order, do not overlap and cover the range exactly.
 */
export function rangeSegments(range: UsageRange, coarsest: UsageGranularity = 'day'): RangeSegment[] {
  const levels = usageGranularities.slice(0, usageGranularities.indexOf(coarsest) + 1);
  return split(range.from, range.to, levels, 'raw');
}

function split(
  from: number,
  to: number,
  levels: readonly UsageGranularity[],
  finer: UsageSource,
): RangeSegment[] {
  if (from >= to) return [];
  const [level, ...coarser] = levels;
  if (level === undefined) return [{ source: finer, from, to }];
  const size = granularityMilliseconds[level];
  const alignedFrom = Math.ceil(from / size) * size;
  const alignedTo = Math.floor(to / size) * size;
  if (alignedFrom >= alignedTo) return [{ source: finer, from, to }];
  return [
    ...(from < alignedFrom ? [{ source: finer, from, to: alignedFrom }] : []),
    ...split(alignedFrom, alignedTo, coarser, level),
    ...(alignedTo < to ? [{ source: finer, from: alignedTo, to }] : []),
  ];
}

/** Start of the UTC bucket of `granularity` holding `instant`. */
export function bucketStart(instant: number, granularity: UsageGranularity): number {
  const size = granularityMilliseconds[granularity];
  return Math.floor(instant / size) * size;
}

/** How many buckets of `granularity` a range touches (partial first and last buckets count). */
export function bucketCount(range: UsageRange, granularity: UsageGranularity): number {
  if (range.from >= range.to) return 0;
  const size = granularityMilliseconds[granularity];
  return Math.ceil((range.to - bucketStart(range.from, granularity)) / size);
}

/** The buckets a range touches, each clipped to the range: the points of a time series. */
export function rangeBuckets(range: UsageRange, granularity: UsageGranularity): UsageRange[] {
  const size = granularityMilliseconds[granularity];
  const buckets: UsageRange[] = [];
  for (let start = bucketStart(range.from, granularity); start < range.to; start += size) {
    buckets.push({ from: Math.max(start, range.from), to: Math.min(start + size, range.to) });
  }
  return buckets;
}
