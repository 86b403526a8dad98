/**
 * The hard ceiling of a period quota: `limit` without an overage buffer, else
 * limit × (1 + bufferPercent/100) rounded down (integer arithmetic, so 1000 at 10 % is exactly 1100).
 * The control plane sizes spend caps by it and gateways block at it: one formula for both.
 */
export function quotaCeiling(limit: number, bufferPercent: number | null | undefined): number {
  if (bufferPercent === null || bufferPercent === undefined || bufferPercent <= 0) return limit;
  return limit + Math.floor((limit * bufferPercent) / 100);
}
