import { DependencyUnavailableError } from '@tollgate/errors';
import { type CounterUpdate, type Counters } from '@tollgate/ports';
import { assertCounterArguments } from './counter-arguments';

export interface MemoryCountersOptions {
  /** How often expired keys are dropped even if nobody reads them again (ms, default 60 000). */
  sweepIntervalMs?: number;
}

interface Entry {
  value: number;
  expiresAtMs: number;
}

/**
 * Counters in process memory, for embedded mode: exact because one node owns every key. Same
 * semantics as Redis: the expiry is set when a key is created and never extended; an expired key
 * reads as missing (checked on access, and swept periodically so memory does not grow).
 */
export function createMemoryCounters(options: MemoryCountersOptions = {}): Counters {
  const entries = new Map<string, Entry>();
  let closed = false;

  const sweep = (): void => {
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.expiresAtMs <= now) entries.delete(key);
    }
  };
  const sweeper = setInterval(sweep, options.sweepIntervalMs ?? 60_000);
  // The sweep is housekeeping only; it must not keep the process alive.
  sweeper.unref();

  const live = (key: string): Entry | undefined => {
    if (closed) throw new DependencyUnavailableError('counters', new Error('counters are closed'));
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const add = (key: string, amount: number, expiresAtMs: number): number => {
    const entry = live(key);
    if (entry !== undefined) {
      entry.value += amount;
      return entry.value;
    }
    // Redis deletes a key whose PEXPIREAT is already past; mirror that by not storing it.
    if (expiresAtMs > Date.now()) entries.set(key, { value: amount, expiresAtMs });
    return amount;
  };

  return {
    async incrementWithin(key, amount, limit, expiresAtMs): Promise<CounterUpdate> {
      assertCounterArguments({ amount, limit, expiresAtMs });
      const current = live(key)?.value ?? 0;
      if (current + amount > limit) return { applied: false, value: current };
      return { applied: true, value: add(key, amount, expiresAtMs) };
    },

    async increment(key, amount, expiresAtMs): Promise<number> {
      assertCounterArguments({ amount, expiresAtMs });
      return add(key, amount, expiresAtMs);
    },

    async get(key): Promise<number> {
      return live(key)?.value ?? 0;
    },

    async ping(): Promise<void> {
      if (closed) throw new DependencyUnavailableError('counters', new Error('counters are closed'));
    },

    async close(): Promise<void> {
      closed = true;
      clearInterval(sweeper);
      entries.clear();
    },
  };
}
