// The quota ceiling is shared with the control plane, which sizes spend caps by it.
export { quotaCeiling } from '@tollgate/gateway-snapshot';

/** One limit as the IETF RateLimit fields describe it (draft-ietf-httpapi-ratelimit-headers). */
export interface LimitStanding {
  /** Policy name, a structured-field key such as `rate` or `quota`. */
  name: string;
  /** Units the policy allows per window. */
  quota: number;
  /** Window length in seconds. */
  windowSeconds: number;
  /** Units left now, never negative. */
  remaining: number;
  /** Seconds until the window frees units again. */
  resetSeconds: number;
}

/** `RateLimit-Policy`: a structured-field list, e.g. `"rate";q=10;w=1, "quota";q=1000;w=2592000`. */
export function formatRateLimitPolicy(limits: readonly LimitStanding[]): string {
  return limits.map((limit) => `"${limit.name}";q=${limit.quota};w=${limit.windowSeconds}`).join(', ');
}

/** `RateLimit`: a structured-field list, e.g. `"rate";r=9;t=1, "quota";r=998;t=86400`. */
export function formatRateLimit(limits: readonly LimitStanding[]): string {
  return limits
    .map((limit) => `"${limit.name}";r=${Math.max(0, limit.remaining)};t=${Math.max(0, limit.resetSeconds)}`)
    .join(', ');
}

/** Thresholds of `Tollgate-Quota-Warning`, in percent of the period quota. */
export const QUOTA_WARNING_THRESHOLDS = [95, 80] as const;

/** The highest warning threshold `used` has reached, or null below 80 %. */
export function quotaWarningLevel(used: number, limit: number): number | null {
  if (limit <= 0) return null;
  for (const threshold of QUOTA_WARNING_THRESHOLDS) {
    // Integer comparison: used / limit ≥ threshold / 100 without a float.
    if (used * 100 >= limit * threshold) return threshold;
  }
  return null;
}

/** Rate-limit window of a GCRA limit: the time it takes to refill a full burst, at least 1 s. */
export function rateWindowSeconds(perSecond: number, burst: number): number {
  return Math.max(1, Math.ceil(Math.max(1, burst) / perSecond));
}
