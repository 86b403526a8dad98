import { type MeterDefinition, requestsMeter } from './meter-definition';
import { type UsageGranularity } from './usage-range';

/** A consumer's usage for one billing period (the usage API's body). */
export interface UsageSummary {
  consumerId: string;
  periodStart: string;
  periodEnd: string;
  /** Requests counted against the quota under the plan's counting policy (the `requests` meter). */
  requests: number;
  /** Every request that reached the consumer's plan, counted or not. */
  totalRequests: number;
  /**
   * Every other meter of the plan, by slug, plus the sum of each usage key the upstream reported
   * (`Tollgate-Usage`) that no meter names.
   */
  units: Record<string, number>;
  quota: { limit: number; used: number; remaining: number; overage: number };
}

/** The figures of one slice of usage: a time bucket, an endpoint, a status code. */
export interface UsageFigures {
  requests: number;
  totalRequests: number;
  units: Record<string, number>;
}

export interface UsageTimeseriesPoint extends UsageFigures {
  /** Bucket start, clipped to the range (ISO 8601, UTC). */
  start: string;
  /** Bucket end, exclusive, clipped to the range. */
  end: string;
}

export interface UsageTimeseries {
  consumerId: string;
  granularity: UsageGranularity;
  from: string;
  to: string;
  points: UsageTimeseriesPoint[];
}

export const usageBreakdownDimensions = ['endpoint', 'status'] as const;
export type UsageBreakdownDimension = (typeof usageBreakdownDimensions)[number];

export interface UsageBreakdownRow extends UsageFigures {
  /** The endpoint (`GET /v1/orders/:id`) or the status code (`404`). */
  key: string;
}

export interface UsageBreakdown {
  consumerId: string;
  by: UsageBreakdownDimension;
  from: string;
  to: string;
  rows: UsageBreakdownRow[];
}

export function quotaFigures(limit: number, used: number): UsageSummary['quota'] {
  return { limit, used, remaining: Math.max(0, limit - used), overage: Math.max(0, used - limit) };
}

/** What one slice evaluated to: each meter's value (by its index in the meter list) and the reported sums. */
export interface EvaluatedUsage {
  meterValues: readonly number[];
  reported: ReadonlyMap<string, number>;
}

/**
 * Names the evaluated values: `requests` is the plan's `requests` meter, `totalRequests` the meter
 * at `totalRequestsIndex`, `units` every other meter of the plan (0 when nothing was measured) and
 * each reported usage key that no meter names by slug or reads as its value key.
 */
export function usageFigures(
  meters: readonly MeterDefinition[],
  totalRequestsIndex: number,
  evaluated: EvaluatedUsage,
): UsageFigures {
  const named = new Set<string>();
  for (const meter of meters) {
    named.add(meter.slug);
    if (meter.valueKey !== undefined) named.add(meter.valueKey);
  }
  const units: Record<string, number> = {};
  let requests = 0;
  meters.forEach((meter, index) => {
    if (index === totalRequestsIndex) return;
    const value = evaluated.meterValues[index] ?? 0;
    if (meter.slug === requestsMeter.slug) requests = value;
    else units[meter.slug] = value;
  });
  for (const [key, value] of [...evaluated.reported].sort(([a], [b]) => a.localeCompare(b))) {
    if (!named.has(key)) units[key] = value;
  }
  return { requests, totalRequests: evaluated.meterValues[totalRequestsIndex] ?? 0, units };
}
