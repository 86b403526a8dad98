import { z } from 'zod';

/**
 * What the gateway tells the billing worker about a consumer's period quota, on the quota-events
 * topic (`QUOTA_EVENTS_TOPIC`):
 *
 * - `quota.threshold_crossed`: the counted usage reached `threshold` % of the quota (one of the
 *   plan's alert thresholds, e.g. 80, 95, 100);
 * - `quota.exhausted`: the first request refused because the quota (with its overage buffer, the
 *   ceiling) is used up.
 *
 * The id is derived from (consumer, period start, kind): the same crossing seen twice (a refund
 * followed by a new request, or two nodes) carries the same id, so consumers deduplicate by id.
 */
export const quotaEventSchema = z.strictObject({
  id: z.string().min(1).max(300),
  type: z.enum(['quota.threshold_crossed', 'quota.exhausted']),
  /** Epoch ms when the gateway saw it. */
  ts: z.number().int().nonnegative(),
  consumerId: z.string().min(1).max(100),
  planId: z.string().min(1).max(100),
  /** The billing period, epoch ms, end exclusive. */
  periodStart: z.number().int().nonnegative(),
  periodEnd: z.number().int().nonnegative(),
  /** Percent of the quota; for `quota.exhausted` the ceiling's (100 + overage buffer). */
  threshold: z.number().int().min(1).max(10_000),
  limit: z.number().int().nonnegative(),
  /** The quota counter right after the request that crossed it. */
  used: z.number().int().nonnegative(),
});

export type QuotaEvent = z.output<typeof quotaEventSchema>;

export function quotaEventId(
  consumerId: string,
  periodStart: number,
  type: QuotaEvent['type'],
  threshold: number,
): string {
  const kind = type === 'quota.exhausted' ? 'exhausted' : String(threshold);
  return `${consumerId}:${new Date(periodStart).toISOString()}:${kind}`;
}

/** The units at which usage reaches `threshold` % of `limit` (at least 1). */
export function thresholdUnits(limit: number, threshold: number): number {
  return Math.max(1, Math.ceil((limit * threshold) / 100));
}

/**
 * The thresholds a request crossed when it moved the counter from `usedBefore` to `usedAfter`
 * (each crossed once: usage reached it with this request and had not before).
 */
export function crossedThresholds(
  limit: number,
  thresholds: readonly number[],
  usedBefore: number,
  usedAfter: number,
): number[] {
  const crossed: number[] = [];
  if (limit <= 0) return crossed;
  for (const threshold of thresholds) {
    const units = thresholdUnits(limit, threshold);
    if (usedBefore < units && usedAfter >= units) crossed.push(threshold);
  }
  return crossed;
}
