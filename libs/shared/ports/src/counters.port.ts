/** Counters port: Redis (atomic scripts) in production, in-memory when embedded. Exact in both. */

export interface CounterUpdate {
  /** Whether the increment was applied. */
  applied: boolean;
  /** The counter's value after the call (unchanged when not applied). */
  value: number;
}

export interface Counters {
  /**
   * Atomically adds `amount` when the result stays ≤ `limit`; otherwise changes nothing.
   * The key expires at `expiresAtMs` (epoch ms), e.g. the end of the billing period.
   */
  incrementWithin(key: string, amount: number, limit: number, expiresAtMs: number): Promise<CounterUpdate>;
  /** Unconditional add (negative to refund); sets the expiry when the key is new. */
  increment(key: string, amount: number, expiresAtMs: number): Promise<number>;
  /** Current value; 0 for a missing or expired key. */
  get(key: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
