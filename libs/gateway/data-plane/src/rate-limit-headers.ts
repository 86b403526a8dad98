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

/**
 * Appends the quota headers to a flat [name, value, …] list: the de-facto `X-RateLimit-*` trio and
 * the IETF structured fields of draft-ietf-httpapi-ratelimit-headers
 * (`RateLimit-Policy: "quota";q=…;w=…` and `RateLimit: "quota";r=…;t=…`).
 */
export function appendQuotaHeaders(headers: string[], standing: QuotaStanding): string[] {
  const limit = String(standing.limit);
  const remaining = String(standing.remaining);
  const reset = String(standing.resetSeconds);
  headers.push(
    'x-ratelimit-limit',
    limit,
    'x-ratelimit-remaining',
    remaining,
    'x-ratelimit-reset',
    reset,
    'ratelimit-policy',
    `"quota";q=${limit};w=${standing.windowSeconds}`,
    'ratelimit',
    `"quota";r=${remaining};t=${reset}`,
  );
  return headers;
}
