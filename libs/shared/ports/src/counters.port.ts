/** Counters port: Redis (atomic scripts) in production, in-memory when embedded. Exact in both. */

export interface CounterUpdate {
  /** Whether the increment was applied. */
  applied: boolean;
  /** The counter's value after the call (unchanged when not applied). */
  value: number;
}

/** One request's limits, checked and taken together in one atomic step (one Redis script). */
export interface AdmitRequest {
  /** Period-quota counter; shares the `{consumerId}` hash tag with `rateKey`. */
  quotaKey: string;
  /** Units this request costs (the route's cost weight). */
  cost: number;
  quotaLimit: number;
  quotaExpiresAtMs: number;
  /** GCRA rate limit, or null for none. */
  rate: { key: string; perSecond: number; burst: number } | null;
  /**
   * Concurrency: a lease `leaseId` is taken in the set `key` while fewer than `limit` live leases
   * are held; it expires after `leaseMs` unless released first (a dead node's leases lapse).
   */
  concurrency: { key: string; leaseId: string; limit: number; leaseMs: number } | null;
  /**
   * When the store is unreachable: `reject` (the default) fails the call; `local_limit` lets a
   * failover wrapper decide on this node alone at the limits divided by the number of nodes.
   */
  whenUnavailable?: 'reject' | 'local_limit';
}

export interface AdmitDecision {
  admitted: boolean;
  /** Which limit refused the request; null when admitted. */
  refusedBy: 'concurrency' | 'rate' | 'quota' | null;
  /** The quota counter after the call (unchanged when refused). */
  quotaUsed: number;
  /** Rate: ms until one more request of this cost would pass (0 when admitted or no rate). */
  rateRetryAfterMs: number;
  /** Rate: requests of cost 1 that could pass right now after this decision. */
  rateRemaining: number;
  /** Rate: ms until the bucket is full again. */
  rateResetMs: number;
  /** Decided by this node alone because the shared store was unreachable (`whenUnavailable: local_limit`). */
  local?: boolean;
}

export interface Counters {
  /**
   * Concurrency, rate (GCRA, burst = requests allowed at once) and quota, decided and updated
   * atomically: a request refused by one limit takes from none. The rate uses the store's clock (Redis TIME),
   * so every gateway node shares one time base.
   */
  admit(request: AdmitRequest): Promise<AdmitDecision>;
  /** Gives a concurrency lease back; a no-op when it has already expired. */
  releaseLease(key: string, leaseId: string): Promise<void>;
  /**
   * Atomically adds `amount` when the result stays ≤ `limit`; otherwise changes nothing.
   * The key expires at `expiresAtMs` (epoch ms), e.g. the end of the billing period.
   */
  incrementWithin(key: string, amount: number, limit: number, expiresAtMs: number): Promise<CounterUpdate>;
  /** Unconditional add (negative to refund); sets the expiry when the key is new. */
  increment(key: string, amount: number, expiresAtMs: number): Promise<number>;
  /**
   * Marks `memberId` alive in the group `key` for `ttlMs` and returns how many members are alive
   * (e.g. gateway nodes, for per-node shares of a limit).
   */
  heartbeat(key: string, memberId: string, ttlMs: number): Promise<number>;
  /** Current value; 0 for a missing or expired key. */
  get(key: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
