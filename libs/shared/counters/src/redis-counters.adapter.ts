import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitDecision, type AdmitRequest, type CounterUpdate, type Counters } from '@tollgate/ports';
import { Redis, type Result } from 'ioredis';
import { assertCounterArguments } from './counter-arguments';
import { admitBatchScript, incrementScript, incrementWithinScript } from './counters.lua';
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
    tollgateAdmitBatch(
      quotaKey: string,
      rateKey: string,
      concurrencyKey: string,
      ...args: Array<string | number>
    ): Result<number[], Context>;
  }
}

const refusedByCodes: ReadonlyArray<AdmitDecision['refusedBy']> = [null, 'rate', 'quota', 'concurrency'];

/** Largest number of requests (and of lease ids given back) in one script call: Lua's unpack() has a stack limit. */
const maxBatch = 1000;

interface Settle<T> {
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

/** The requests of one consumer, with the same limits, waiting for the next flush. */
interface AdmitGroup {
  quotaKey: string;
  rateKey: string;
  concurrencyKey: string;
  limit: number;
  expiresAtMs: number;
  intervalUs: number;
  burst: number;
  concurrency: number;
  leaseMs: number;
  costs: number[];
  leaseIds: string[];
  waiters: Array<Settle<AdmitDecision>>;
}

interface ReleaseGroup {
  leaseIds: string[];
  waiters: Array<Settle<void>>;
}

type ExecReplies = Array<[Error | null, unknown]>;

function sameLimits(group: AdmitGroup, other: AdmitGroup): boolean {
  return (
    group.rateKey === other.rateKey &&
    group.concurrencyKey === other.concurrencyKey &&
    group.limit === other.limit &&
    group.expiresAtMs === other.expiresAtMs &&
    group.intervalUs === other.intervalUs &&
    group.burst === other.burst &&
    group.concurrency === other.concurrency &&
    group.leaseMs === other.leaseMs
  );
}

/**
 * Collects the admissions and lease releases of one turn of the event loop and sends them as one
 * pipeline: one script call per consumer, deciding its requests in arrival order (exactly as if
 * they had been sent one by one, since the script is atomic), with the leases of that consumer's
 * finished requests given back in the same call. Under load a Redis round trip is shared by every
 * request that arrived in the same turn, instead of costing one command per request and another
 * per release; with one request in flight it is the same single call as before, one
 * `setImmediate` later.
 */
class AdmissionBatcher {
  private groups = new Map<string, AdmitGroup[]>();
  private releases = new Map<string, ReleaseGroup>();
  private scheduled = false;

  constructor(
    private readonly client: Redis,
    private readonly keyOf: (key: string) => string,
    private readonly exec: (pipeline: ReturnType<Redis['pipeline']>) => Promise<ExecReplies>,
  ) {}

  admit(request: AdmitRequest, waiter: Settle<AdmitDecision>): void {
    const { rate, concurrency } = request;
    const quotaKey = this.keyOf(request.quotaKey);
    // A limit the plan does not have passes the quota key in its place; the script leaves it alone.
    const candidate: AdmitGroup = {
      quotaKey,
      rateKey: rate === null ? quotaKey : this.keyOf(rate.key),
      concurrencyKey: concurrency === null ? quotaKey : this.keyOf(concurrency.key),
      limit: request.quotaLimit,
      expiresAtMs: request.quotaExpiresAtMs,
      intervalUs: rate === null ? 0 : emissionIntervalUs(rate.perSecond),
      burst: rate?.burst ?? 0,
      concurrency: concurrency?.limit ?? 0,
      leaseMs: concurrency?.leaseMs ?? 0,
      costs: [],
      leaseIds: [],
      waiters: [],
    };
    let sameKey = this.groups.get(quotaKey);
    if (sameKey === undefined) {
      sameKey = [];
      this.groups.set(quotaKey, sameKey);
    }
    let group = sameKey.find(
      (existing) => existing.costs.length < maxBatch && sameLimits(existing, candidate),
    );
    if (group === undefined) {
      group = candidate;
      sameKey.push(group);
    }
    group.costs.push(request.cost);
    group.leaseIds.push(concurrency?.leaseId ?? '');
    group.waiters.push(waiter);
    this.schedule();
  }

  release(key: string, leaseId: string, waiter: Settle<void>): void {
    let group = this.releases.get(key);
    if (group === undefined) {
      group = { leaseIds: [], waiters: [] };
      this.releases.set(key, group);
    }
    group.leaseIds.push(leaseId);
    group.waiters.push(waiter);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const groups = this.groups;
    const releases = this.releases;
    this.groups = new Map();
    this.releases = new Map();
    const pipeline = this.client.pipeline();
    const admits: AdmitGroup[] = [];
    const releaseWaiters: Array<Array<Settle<void>>> = [];
    for (const sameKey of groups.values()) {
      for (const group of sameKey) {
        // Leases of this consumer's finished requests ride along with its next admissions.
        const given = group.concurrency > 0 ? releases.get(group.concurrencyKey) : undefined;
        let released: string[] = [];
        if (given !== undefined) {
          released = given.leaseIds.splice(0, maxBatch);
          if (given.leaseIds.length === 0) {
            releases.delete(group.concurrencyKey);
            releaseWaiters.push(given.waiters);
          }
        }
        const args: Array<string | number> = [
          group.limit,
          group.expiresAtMs,
          group.intervalUs,
          group.burst,
          group.concurrency,
          group.leaseMs,
          released.length,
          ...released,
        ];
        for (let index = 0; index < group.costs.length; index += 1) {
          args.push(group.costs[index], group.leaseIds[index]);
        }
        pipeline.tollgateAdmitBatch(group.quotaKey, group.rateKey, group.concurrencyKey, ...args);
        admits.push(group);
      }
    }
    for (const [key, given] of releases) {
      for (let index = 0; index < given.leaseIds.length; index += maxBatch) {
        pipeline.zrem(key, ...given.leaseIds.slice(index, index + maxBatch));
      }
      releaseWaiters.push(given.waiters);
    }
    this.exec(pipeline).then(
      (replies) => {
        let failure: Error | null = null;
        admits.forEach((group, index) => {
          const [error, reply] = replies[index];
          if (error !== null) {
            failure = error;
            for (const waiter of group.waiters) waiter.reject(error);
            return;
          }
          const values = reply as number[];
          group.waiters.forEach((waiter, position) => {
            const at = position * 6;
            waiter.resolve({
              admitted: values[at] === 1,
              refusedBy: refusedByCodes[values[at + 1]] ?? null,
              quotaUsed: values[at + 2],
              rateRetryAfterMs: Math.ceil(values[at + 3] / 1000),
              rateRemaining: values[at + 4],
              rateResetMs: Math.ceil(values[at + 5] / 1000),
            });
          });
        });
        for (let index = admits.length; index < replies.length; index += 1) {
          if (replies[index][0] !== null) failure = replies[index][0];
        }
        for (const waiters of releaseWaiters) {
          for (const waiter of waiters) {
            if (failure === null) waiter.resolve();
            else waiter.reject(failure);
          }
        }
      },
      (error: unknown) => {
        for (const group of admits) for (const waiter of group.waiters) waiter.reject(error);
        for (const waiters of releaseWaiters) for (const waiter of waiters) waiter.reject(error);
      },
    );
  };
}

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
  client.defineCommand('tollgateAdmitBatch', { numberOfKeys: 3, lua: admitBatchScript });
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

  const batcher = new AdmissionBatcher(client, keyOf, async (pipeline) => {
    await connected();
    try {
      const replies = await pipeline.exec();
      if (replies === null) throw new Error('the Redis pipeline was discarded');
      return replies;
    } catch (error) {
      throw unavailable(error);
    }
  });

  return {
    admit(request): Promise<AdmitDecision> {
      const { cost, quotaLimit, quotaExpiresAtMs, rate, concurrency } = request;
      assertCounterArguments({
        cost,
        quotaLimit,
        quotaExpiresAtMs,
        burst: rate?.burst ?? 0,
        concurrency: concurrency?.limit ?? 0,
        leaseMs: concurrency?.leaseMs ?? 0,
      });
      if (closed)
        return Promise.reject(new DependencyUnavailableError('redis', new Error('counters are closed')));
      return new Promise<AdmitDecision>((resolve, reject) => {
        batcher.admit(request, { resolve, reject });
      });
    },

    releaseLease(key, leaseId): Promise<void> {
      if (closed)
        return Promise.reject(new DependencyUnavailableError('redis', new Error('counters are closed')));
      return new Promise<void>((resolve, reject) => {
        batcher.release(keyOf(key), leaseId, { resolve, reject });
      });
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

    async heartbeat(key, memberId, ttlMs): Promise<number> {
      assertCounterArguments({ ttlMs });
      const [, , , members] = await run(() =>
        client
          .multi()
          .zadd(keyOf(key), Date.now() + ttlMs, memberId)
          .zremrangebyscore(keyOf(key), '-inf', Date.now())
          .pexpire(keyOf(key), ttlMs)
          .zcard(keyOf(key))
          .exec()
          .then((replies) =>
            (replies ?? []).map(([error, value]) => {
              if (error) throw error;
              return value;
            }),
          ),
      );
      return Number(members);
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
