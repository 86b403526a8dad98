import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitDecision, type CounterUpdate, type Counters } from '@tollgate/ports';
import { Redis, type Result } from 'ioredis';
import { assertCounterArguments } from './counter-arguments';
import { admitScript, incrementScript, incrementWithinScript } from './counters.lua';
import { emissionIntervalUs } from './gcra';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    tollgateIncrementWithin(
      key: string,
      amount: number,
      limit: number,
      expiresAtMs: number,
    ): Result<[number, number], Context>;
    tollgateIncrement(key: string, amount: number, expiresAtMs: number): Result<number, Context>;
    tollgateAdmit(
      quotaKey: string,
      rateKey: string,
      concurrencyKey: string,
      cost: number,
      limit: number,
      expiresAtMs: number,
      intervalUs: number,
      burst: number,
      leaseId: string,
      concurrency: number,
      leaseMs: number,
    ): Result<[number, number, number, number, number, number], Context>;
  }
}

const refusedByCodes: ReadonlyArray<AdmitDecision['refusedBy']> = [null, 'rate', 'quota', 'concurrency'];

export interface RedisCountersOptions {
  /** A Redis URL (a connection is opened and owned), or a connection the caller owns and closes. */
  redis: string | Redis;
  /**
   * Prepended to every key as given. Callers put the hash tag in the key itself, e.g.
   * `quota:{cons_123}:2025-06`, so all counters of one consumer land in one Redis Cluster slot; the
   * prefix therefore must not contain braces (they would become the tag).
   */
  keyPrefix: string;
  /** Upper bound of the first connection and of each command, in ms (default 2000). */
  timeoutMs?: number;
}

/**
 * Counters in Redis. Every update is one Lua script, so concurrent gateway nodes never over-grant.
 * An owned connection fails fast: no offline queue and one retry, so a stopped Redis turns into a
 * `DependencyUnavailableError` within `timeoutMs` instead of a request that hangs.
 */
export function createRedisCounters(options: RedisCountersOptions): Counters {
  if (/[{}]/.test(options.keyPrefix)) {
    throw new RangeError(`keyPrefix must not contain braces, got ${options.keyPrefix}`);
  }
  const timeoutMs = options.timeoutMs ?? 2000;
  const owned = typeof options.redis === 'string';
  const client =
    typeof options.redis === 'string'
      ? new Redis(options.redis, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: timeoutMs,
          commandTimeout: timeoutMs,
        })
      : options.redis;
  let lastError: unknown;
  // Without a listener ioredis logs every reconnect failure; the error is surfaced on the next call.
  const rememberError = (error: unknown): void => {
    lastError = error;
  };
  if (owned) client.on('error', rememberError);
  client.defineCommand('tollgateIncrementWithin', { numberOfKeys: 1, lua: incrementWithinScript });
  client.defineCommand('tollgateIncrement', { numberOfKeys: 1, lua: incrementScript });
  client.defineCommand('tollgateAdmit', { numberOfKeys: 3, lua: admitScript });
  let closed = false;

  const unavailable = (cause: unknown): DependencyUnavailableError =>
    cause instanceof DependencyUnavailableError ? cause : new DependencyUnavailableError('redis', cause);

  /** Waits out the first connection attempt; during an outage it fails at once. */
  const connected = async (): Promise<void> => {
    if (closed) throw new DependencyUnavailableError('redis', new Error('counters are closed'));
    if (!owned || client.status === 'ready') return;
    if (client.status !== 'wait' && client.status !== 'connecting' && client.status !== 'connect') {
      throw unavailable(lastError ?? new Error(`redis connection is ${client.status}`));
    }
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', onError);
        client.off('end', onEnd);
        if (error === undefined) resolve();
        else reject(unavailable(error));
      };
      const onReady = (): void => settle();
      const onError = (error: unknown): void => settle(error);
      const onEnd = (): void => settle(new Error('redis connection ended'));
      const timer = setTimeout(() => settle(new Error(`redis not ready after ${timeoutMs} ms`)), timeoutMs);
      client.once('ready', onReady);
      client.once('error', onError);
      client.once('end', onEnd);
    });
  };

  const run = async <T>(command: () => Promise<T>): Promise<T> => {
    await connected();
    try {
      return await command();
    } catch (error) {
      throw unavailable(error);
    }
  };

  const keyOf = (key: string): string => `${options.keyPrefix}${key}`;

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
      const intervalUs = rate === null ? 0 : emissionIntervalUs(rate.perSecond);
      const quotaKey = keyOf(request.quotaKey);
      // A limit the plan does not have passes the quota key in its place; the script leaves it alone.
      const rateKey = rate === null ? quotaKey : keyOf(rate.key);
      const concurrencyKey = concurrency === null ? quotaKey : keyOf(concurrency.key);
      const [admitted, refusedBy, used, retryAfterUs, remaining, resetUs] = await run(() =>
        client.tollgateAdmit(
          quotaKey,
          rateKey,
          concurrencyKey,
          cost,
          quotaLimit,
          quotaExpiresAtMs,
          intervalUs,
          rate?.burst ?? 0,
          concurrency?.leaseId ?? '',
          concurrency?.limit ?? 0,
          concurrency?.leaseMs ?? 0,
        ),
      );
      return {
        admitted: admitted === 1,
        refusedBy: refusedByCodes[refusedBy] ?? null,
        quotaUsed: used,
        rateRetryAfterMs: Math.ceil(retryAfterUs / 1000),
        rateRemaining: remaining,
        rateResetMs: Math.ceil(resetUs / 1000),
      };
    },

    async releaseLease(key, leaseId): Promise<void> {
      await run(() => client.zrem(keyOf(key), leaseId));
    },

    async incrementWithin(key, amount, limit, expiresAtMs): Promise<CounterUpdate> {
      assertCounterArguments({ amount, limit, expiresAtMs });
      const [applied, value] = await run(() =>
        client.tollgateIncrementWithin(keyOf(key), amount, limit, expiresAtMs),
      );
      return { applied: applied === 1, value };
    },

    async increment(key, amount, expiresAtMs): Promise<number> {
      assertCounterArguments({ amount, expiresAtMs });
      return run(() => client.tollgateIncrement(keyOf(key), amount, expiresAtMs));
    },

    async get(key): Promise<number> {
      const value = await run(() => client.get(keyOf(key)));
      return value === null ? 0 : Number(value);
    },

    async ping(): Promise<void> {
      await run(() => client.ping());
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (!owned) return;
      try {
        await client.quit();
      } catch {
        // quit fails when the connection is already down; nothing is left to flush then.
        client.disconnect();
      }
      client.off('error', rememberError);
    },
  };
}
