import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitDecision, type CounterUpdate, type Counters } from '@tollgate/ports';
import { assertCounterArguments } from './counter-arguments';
import { emissionIntervalUs, gcraStep } from './gcra';

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
  /** Concurrency lease sets: key → lease id → expiry (epoch ms). */
  const leases = new Map<string, Map<string, number>>();
  let closed = false;

  const sweep = (): void => {
    const now = Date.now();
    for (const [key, entry] of entries) {
      if (entry.expiresAtMs <= now) entries.delete(key);
    }
    for (const [key, held] of leases) {
      for (const [id, expiresAt] of held) if (expiresAt <= now) held.delete(id);
      if (held.size === 0) leases.delete(key);
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

  /** Microseconds on the wall clock, like Redis TIME. */
  const nowUs = (): number => Date.now() * 1000;

  return {
    async admit(request): Promise<AdmitDecision> {
      const { cost, quotaLimit, quotaExpiresAtMs, rate, concurrency } = request;
      assertCounterArguments({
        cost,
        quotaLimit,
        quotaExpiresAtMs,
        burst: rate?.burst ?? 0,
        concurrency: concurrency?.limit ?? 0,
        leaseMs: concurrency?.leaseMs ?? 0,
      });
      const used = live(request.quotaKey)?.value ?? 0;
      let held: Map<string, number> | undefined;
      if (concurrency !== null && concurrency.limit > 0) {
        held = leases.get(concurrency.key);
        if (held === undefined) {
          held = new Map();
          leases.set(concurrency.key, held);
        }
        const nowMs = Date.now();
        for (const [id, expiresAt] of held) if (expiresAt <= nowMs) held.delete(id);
        if (held.size >= concurrency.limit) {
          return {
            admitted: false,
            refusedBy: 'concurrency',
            quotaUsed: used,
            rateRetryAfterMs: 0,
            rateRemaining: 0,
            rateResetMs: 0,
          };
        }
      }
      let rateRemaining = 0;
      let rateResetUs = 0;
      let newTat = 0;
      let intervalUs = 0;
      const now = nowUs();
      if (rate !== null) {
        intervalUs = emissionIntervalUs(rate.perSecond);
        const step = gcraStep(live(rate.key)?.value ?? 0, now, intervalUs, rate.burst, cost);
        if (!step.allowed) {
          return {
            admitted: false,
            refusedBy: 'rate',
            quotaUsed: used,
            rateRetryAfterMs: Math.ceil(step.retryAfterUs / 1000),
            rateRemaining: step.remaining,
            rateResetMs: Math.ceil(step.resetUs / 1000),
          };
        }
        rateRemaining = step.remaining;
        rateResetUs = step.resetUs;
        newTat = step.tatUs;
      }
      if (used + cost > quotaLimit) {
        return {
          admitted: false,
          refusedBy: 'quota',
          quotaUsed: used,
          rateRetryAfterMs: 0,
          rateRemaining: rate === null ? 0 : rateRemaining + cost,
          rateResetMs: rate === null ? 0 : Math.ceil((rateResetUs - cost * intervalUs) / 1000),
        };
      }
      const quotaUsed = add(request.quotaKey, cost, quotaExpiresAtMs);
      if (held !== undefined && concurrency !== null) {
        held.set(concurrency.leaseId, Date.now() + concurrency.leaseMs);
      }
      if (rate !== null) {
        entries.set(rate.key, {
          value: newTat,
          expiresAtMs: Math.floor(rateResetUs / 1000) + Date.now() + 1000,
        });
      }
      return {
        admitted: true,
        refusedBy: null,
        quotaUsed,
        rateRetryAfterMs: 0,
        rateRemaining,
        rateResetMs: Math.ceil(rateResetUs / 1000),
      };
    },

    async releaseLease(key, leaseId): Promise<void> {
      if (closed) throw new DependencyUnavailableError('counters', new Error('counters are closed'));
      const held = leases.get(key);
      if (held === undefined) return;
      held.delete(leaseId);
      if (held.size === 0) leases.delete(key);
    },

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

    async heartbeat(key, memberId, ttlMs): Promise<number> {
      assertCounterArguments({ ttlMs });
      if (closed) throw new DependencyUnavailableError('counters', new Error('counters are closed'));
      let members = leases.get(key);
      if (members === undefined) {
        members = new Map();
        leases.set(key, members);
      }
      const now = Date.now();
      members.set(memberId, now + ttlMs);
      for (const [id, expiresAt] of members) if (expiresAt <= now) members.delete(id);
      return members.size;
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
      leases.clear();
    },
  };
}
