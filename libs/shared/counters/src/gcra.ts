/**
 * Generic cell rate algorithm in whole microseconds. The only state is the theoretical arrival
 * time (TAT); a request of `cost` passes while the TAT it would leave is at most `burst`
 * emission intervals ahead of now. The Redis script does the same arithmetic in Lua.
 */
export interface GcraStep {
  allowed: boolean;
  /** TAT to store when allowed (the old one, floored at now, otherwise). */
  tatUs: number;
  retryAfterUs: number;
  remaining: number;
  resetUs: number;
}

/** Emission interval of a rate, in whole microseconds (at least 1). */
export function emissionIntervalUs(perSecond: number): number {
  if (!(perSecond > 0)) throw new RangeError(`rate must be positive, got ${perSecond}`);
  return Math.max(1, Math.round(1_000_000 / perSecond));
}

export function gcraStep(
  storedTatUs: number,
  nowUs: number,
  intervalUs: number,
  burst: number,
  cost: number,
): GcraStep {
  const capacity = Math.max(1, burst) * intervalUs;
  const tat = Math.max(storedTatUs, nowUs);
  const newTat = tat + cost * intervalUs;
  const allowAt = newTat - capacity;
  if (nowUs < allowAt) {
    return {
      allowed: false,
      tatUs: tat,
      retryAfterUs: allowAt - nowUs,
      remaining: Math.max(0, Math.floor((nowUs + capacity - tat) / intervalUs)),
      resetUs: tat - nowUs,
    };
  }
  return {
    allowed: true,
    tatUs: newTat,
    retryAfterUs: 0,
    remaining: Math.floor((nowUs - allowAt) / intervalUs),
    resetUs: newTat - nowUs,
  };
}
