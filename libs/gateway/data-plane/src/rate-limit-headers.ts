import {
  formatRateLimit,
  formatRateLimitPolicy,
  type LimitStanding,
  quotaWarningLevel,
  rateWindowSeconds,
} from '@tollgate/gateway-enforcement';

/** Where a consumer stands against its period quota, as the rate-limit headers report it. */
export interface QuotaStanding {
  limit: number;
  /** Units left in the window, never negative. */
  remaining: number;
  /** Seconds until the window ends (the next period starts). */
  resetSeconds: number;
  /** Length of the whole window in seconds. */
  windowSeconds: number;
}

/** Whole seconds from `now` until `until`, rounded up so a client never retries too early. */
export function secondsUntil(until: number, now: number): number {
  return until <= now ? 0 : Math.ceil((until - now) / 1000);
}

export function quotaStanding(
  limit: number,
  used: number,
  window: { start: number; end: number },
  now: number,
): QuotaStanding {
  return {
    limit,
    remaining: Math.max(0, limit - used),
    resetSeconds: secondsUntil(window.end, now),
    windowSeconds: Math.round((window.end - window.start) / 1000),
  };
}

/** Where a consumer stands against its short-window rate (GCRA), from the admit decision. */
export interface RateStanding {
  perSecond: number;
  burst: number;
  remaining: number;
  /** ms until the bucket is full again. */
  resetMs: number;
}

/**
 * Appends the limit headers to a flat [name, value, …] list: the de-facto `X-RateLimit-*` trio for
 * the quota, the IETF structured fields of draft-ietf-httpapi-ratelimit-headers for the rate (when
 * the plan has one) and the quota (`RateLimit-Policy: "rate";q=10;w=1, "quota";q=…;w=…` and
 * `RateLimit: "rate";r=…;t=…, "quota";r=…;t=…`), and `Tollgate-Quota-Warning: 80|95` once the
 * consumer has used that share of the quota.
 */
export function appendQuotaHeaders(
  headers: string[],
  standing: QuotaStanding,
  rate: RateStanding | null = null,
): string[] {
  const limit = String(standing.limit);
  const remaining = String(standing.remaining);
  const reset = String(standing.resetSeconds);
  const limits: LimitStanding[] = [];
  if (rate !== null) {
    limits.push({
      name: 'rate',
      quota: rate.burst,
      windowSeconds: rateWindowSeconds(rate.perSecond, rate.burst),
      remaining: rate.remaining,
      resetSeconds: Math.ceil(rate.resetMs / 1000),
    });
  }
  limits.push({
    name: 'quota',
    quota: standing.limit,
    windowSeconds: standing.windowSeconds,
    remaining: standing.remaining,
    resetSeconds: standing.resetSeconds,
  });
  headers.push(
    'x-ratelimit-limit',
    limit,
    'x-ratelimit-remaining',
    remaining,
    'x-ratelimit-reset',
    reset,
    'ratelimit-policy',
    formatRateLimitPolicy(limits),
    'ratelimit',
    formatRateLimit(limits),
  );
  const warning = quotaWarningLevel(standing.limit - standing.remaining, standing.limit);
  if (warning !== null) headers.push('tollgate-quota-warning', String(warning));
  return headers;
}
