/**
 * Pure statistics of the admin analytics: percentiles, the quota-consumption histogram, and the
 * hourly anomaly score (docs/analytics.md).
 */

/**
 * The nearest-rank percentile: the smallest value such that at least `percent` % of the values are
 * less than or equal to it. Always one of the values (no interpolation); null for no values.
 */
export function nearestRankPercentile(values: readonly number[], percent: number): number | null {
  if (values.length === 0) return null;
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`percent must be in (0, 100], got ${percent}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((percent / 100) * sorted.length) - 1];
}

export interface Percentiles {
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export function percentiles(values: readonly number[]): Percentiles {
  return {
    p50: nearestRankPercentile(values, 50),
    p90: nearestRankPercentile(values, 90),
    p99: nearestRankPercentile(values, 99),
  };
}

/** One bar of the consumption histogram: `[fromPercent, toPercent)` of the quota. */
export interface ConsumptionBucket {
  label: string;
  fromPercent: number;
  /** Exclusive, except 100 (the 90–100 bar holds a consumer at exactly its quota); null: unbounded. */
  toPercent: number | null;
  consumers: number;
}

/**
 * Consumers per tenth of their quota: 0–10, 10–20, …, 90–100 (100 % included), then >100 for
 * consumers beyond their quota (an overage buffer lets them through). A consumer whose quota is 0
 * is at 0 % when it used nothing and beyond it otherwise.
 */
export function consumptionHistogram(percentOfQuota: readonly number[]): ConsumptionBucket[] {
  const buckets: ConsumptionBucket[] = Array.from({ length: 10 }, (_, index) => ({
    label: `${index * 10}-${index * 10 + 10}`,
    fromPercent: index * 10,
    toPercent: index * 10 + 10,
    consumers: 0,
  }));
  buckets.push({ label: '>100', fromPercent: 100, toPercent: null, consumers: 0 });
  for (const percent of percentOfQuota) {
    const index = percent > 100 ? 10 : Math.min(9, Math.floor(Math.max(0, percent) / 10));
    buckets[index].consumers += 1;
  }
  return buckets;
}

/** `used` as a percentage of `limit`; a zero quota is 0 % unused and infinitely exceeded once used. */
export function percentOfQuota(used: number, limit: number): number {
  if (limit > 0) return (used / limit) * 100;
  return used > 0 ? Number.POSITIVE_INFINITY : 0;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median absolute deviation from the median. */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const center = median(values);
  return median(values.map((value) => Math.abs(value - center)));
}

/** Scales a MAD to a standard deviation for normally distributed data. */
const madToSigma = 1.4826;

export interface AnomalyOptions {
  /** Hours before each hour that make its baseline (default 168: the trailing 7 days). */
  baselineHours?: number;
  /** Flag an hour whose score reaches this (default 6). */
  threshold?: number;
  /** Never flag an hour with fewer requests than this (default 100). */
  minCount?: number;
  /** Hours of history an hour needs before it can be judged (default 24). */
  minBaselineHours?: number;
  /** Flag only an hour at least this many times its baseline median (default 2). */
  minRatio?: number;
}

export interface HourlyAnomaly {
  /** Index of the hour in the series. */
  index: number;
  count: number;
  /** Median of the baseline hours. */
  baselineMedian: number;
  /** The spread the score divides by: max(1.4826 × MAD, √median, 1). */
  baselineSpread: number;
  score: number;
}

/**
 * Hours whose count is far above the consumer's own recent history. For each hour `h` from
 * `firstIndex` on, the baseline is the `baselineHours` counts before it (never before
 * `historyStart`, the consumer's first hour with traffic: hours before a consumer existed are not
 * its baseline). The score is a robust z-score,
 *
 *   score = (count − median) / max(1.4826 × MAD, √median, 1)
 *
 * with the median and the median absolute deviation of the baseline, so a few earlier spikes do
 * not inflate the spread. The √median floor is the Poisson noise of a count at that rate: a flat
 * baseline (MAD 0) does not turn a small wobble into an anomaly. An hour is flagged when
 *
 * - its score reaches `threshold`,
 * - its count reaches `minCount`,
 * - its count is at least `minRatio` × the baseline median and × the median of the same hour of
 *   day on the previous 7 days (at high rates a 20 % rise is many standard deviations yet not "far
 *   above", and a busy afternoon is judged against earlier afternoons, not against the nights that
 *   dominate a pooled week),
 * - and it has at least `minBaselineHours` of baseline.
 */
/** Median of the same hour of day on up to 7 previous days (within the consumer's history). */
function sameHourMedian(counts: readonly number[], index: number, historyStart: number): number {
  const values: number[] = [];
  for (let day = 1; day <= 7; day += 1) {
    const earlier = index - day * 24;
    if (earlier < Math.max(0, historyStart)) break;
    values.push(counts[earlier]);
  }
  return median(values);
}

export function hourlyAnomalies(
  counts: readonly number[],
  firstIndex: number,
  historyStart = 0,
  options: AnomalyOptions = {},
): HourlyAnomaly[] {
  const baselineHours = options.baselineHours ?? 168;
  const threshold = options.threshold ?? 6;
  const minCount = options.minCount ?? 100;
  const minBaselineHours = options.minBaselineHours ?? 24;
  const minRatio = options.minRatio ?? 2;
  const anomalies: HourlyAnomaly[] = [];
  for (let index = Math.max(0, firstIndex); index < counts.length; index += 1) {
    const count = counts[index];
    if (count < minCount) continue;
    const baseline = counts.slice(Math.max(0, historyStart, index - baselineHours), index);
    if (baseline.length < minBaselineHours) continue;
    const center = median(baseline);
    if (count < minRatio * Math.max(center, sameHourMedian(counts, index, historyStart))) continue;
    const spread = Math.max(madToSigma * medianAbsoluteDeviation(baseline), Math.sqrt(center), 1);
    const score = (count - center) / spread;
    if (score >= threshold) {
      anomalies.push({ index, count, baselineMedian: center, baselineSpread: spread, score });
    }
  }
  return anomalies;
}
