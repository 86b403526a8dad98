import { type Counters, type CounterUpdate } from '@tollgate/ports';

interface Entry {
  value: number;
  expiresAtMs: number;
}

/**
 * An exact, single-process Counters for tests of the data plane. The embedded adapter lives in
 * `@tollgate/counters`; this double stays here so the data plane's tests depend on the port only.
 */
export class InMemoryCounters implements Counters {
  private readonly entries = new Map<string, Entry>();
  /** Every call, in order, for assertions on refunds. */
  readonly calls: Array<{ op: 'incrementWithin' | 'increment'; key: string; amount: number }> = [];
  private failing = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** While true every call rejects, as an unreachable Redis would. */
  setFailing(failing: boolean): void {
    this.failing = failing;
  }

  async incrementWithin(
    key: string,
    amount: number,
    limit: number,
    expiresAtMs: number,
  ): Promise<CounterUpdate> {
    this.check();
    this.calls.push({ op: 'incrementWithin', key, amount });
    const entry = this.live(key);
    const current = entry?.value ?? 0;
    if (current + amount > limit) return { applied: false, value: current };
    this.entries.set(key, { value: current + amount, expiresAtMs: entry?.expiresAtMs ?? expiresAtMs });
    return { applied: true, value: current + amount };
  }

  async increment(key: string, amount: number, expiresAtMs: number): Promise<number> {
    this.check();
    this.calls.push({ op: 'increment', key, amount });
    const entry = this.live(key);
    const value = (entry?.value ?? 0) + amount;
    this.entries.set(key, { value, expiresAtMs: entry?.expiresAtMs ?? expiresAtMs });
    return value;
  }

  async get(key: string): Promise<number> {
    this.check();
    return this.live(key)?.value ?? 0;
  }

  async ping(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAtMs <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private check(): void {
    if (this.failing) throw new Error('counters unavailable (test double set to fail)');
  }
}
