import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type AdmitRequest, type Counters } from '@tollgate/ports';
import { Redis } from 'ioredis';
import { createMemoryCounters } from './memory-counters.adapter';
import { createRedisCounters } from './redis-counters.adapter';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const later = (): number => Date.now() + 60_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Each test gets its own key prefix, so suites and tests can share one Redis in parallel.
const adapters: Array<[string, () => Counters]> = [
  ['memory', () => createMemoryCounters({ sweepIntervalMs: 50 })],
  ['redis', () => createRedisCounters({ redis: redisUrl, keyPrefix: `tgtest:${randomUUID()}:` })],
];

describe.each(adapters)('Counters contract (%s)', (_adapter, create) => {
  let counters: Counters;

  beforeEach(async () => {
    counters = create();
    // An unreachable Redis fails here, so every test of the suite fails rather than skips.
    await counters.ping();
  });

  afterEach(async () => {
    await counters.close();
  });

  it('applies increments up to the limit and refuses beyond it without changing the value', async () => {
    const key = 'quota:{cons_a}:p1';
    const results = [];
    for (let i = 0; i < 4; i += 1) results.push(await counters.incrementWithin(key, 1, 3, later()));
    expect(results).toEqual([
      { applied: true, value: 1 },
      { applied: true, value: 2 },
      { applied: true, value: 3 },
      { applied: false, value: 3 },
    ]);
    expect(await counters.get(key)).toBe(3);
  });

  it('weighs an increment by its cost', async () => {
    const key = 'quota:{cons_b}:p1';
    expect(await counters.incrementWithin(key, 4, 10, later())).toEqual({ applied: true, value: 4 });
    expect(await counters.incrementWithin(key, 4, 10, later())).toEqual({ applied: true, value: 8 });
    expect(await counters.incrementWithin(key, 4, 10, later())).toEqual({ applied: false, value: 8 });
    expect(await counters.incrementWithin(key, 2, 10, later())).toEqual({ applied: true, value: 10 });
    expect(await counters.incrementWithin(key, 11, 10, later())).toEqual({ applied: false, value: 10 });
  });

  it('never refuses a new key below the limit and never creates a refused one', async () => {
    expect(await counters.incrementWithin('quota:{cons_c}:big', 5, 4, later())).toEqual({
      applied: false,
      value: 0,
    });
    expect(await counters.get('quota:{cons_c}:big')).toBe(0);
  });

  it('grants exactly `limit` of 500 concurrent calls', async () => {
    const key = 'quota:{cons_d}:p1';
    const limit = 137;
    const results = await Promise.all(
      Array.from({ length: 500 }, () => counters.incrementWithin(key, 1, limit, later())),
    );
    const applied = results.filter((result) => result.applied);
    expect(applied).toHaveLength(limit);
    expect(new Set(applied.map((result) => result.value)).size).toBe(limit);
    expect(results.filter((result) => !result.applied).every((result) => result.value === limit)).toBe(true);
    expect(await counters.get(key)).toBe(limit);
  });

  /** An admit request with only the quota set; tests add the limits they exercise. */
  const admitOf = (
    quotaKey: string,
    quotaLimit: number,
    extra: Partial<AdmitRequest> = {},
  ): AdmitRequest => ({
    quotaKey,
    cost: 1,
    quotaLimit,
    quotaExpiresAtMs: later(),
    rate: null,
    concurrency: null,
    ...extra,
  });

  it('admits rate then quota atomically: exactly the burst of 500 concurrent calls', async () => {
    const rate = { key: 'rate:{cons_g}', perSecond: 0.01, burst: 37 };
    const results = await Promise.all(
      Array.from({ length: 500 }, () => counters.admit(admitOf('quota:{cons_g}:p1', 400, { rate }))),
    );
    expect(results.filter((result) => result.admitted)).toHaveLength(37);
    const refused = results.filter((result) => !result.admitted);
    expect(refused.every((result) => result.refusedBy === 'rate' && result.rateRetryAfterMs > 0)).toBe(true);
    // A request refused by the rate takes nothing from the quota.
    expect(await counters.get('quota:{cons_g}:p1')).toBe(37);
  });

  it('admits exactly the quota of 500 concurrent calls and leaves the rate untouched when the quota refuses', async () => {
    const quotaKey = 'quota:{cons_h}:p1';
    const results = await Promise.all(
      Array.from({ length: 500 }, () => counters.admit(admitOf(quotaKey, 91))),
    );
    expect(results.filter((result) => result.admitted)).toHaveLength(91);
    expect(results.filter((result) => result.refusedBy === 'quota')).toHaveLength(409);
    expect(await counters.get(quotaKey)).toBe(91);

    const rate = { key: 'rate:{cons_h}', perSecond: 0.01, burst: 2 };
    expect(await counters.admit(admitOf(quotaKey, 91, { rate }))).toMatchObject({
      admitted: false,
      refusedBy: 'quota',
      quotaUsed: 91,
      rateRemaining: 2,
    });
    expect(await counters.admit(admitOf(quotaKey, 92, { rate }))).toMatchObject({
      admitted: true,
      quotaUsed: 92,
      rateRemaining: 1,
    });
  });

  it('refills the rate with time', async () => {
    const rate = { key: 'rate:{cons_i}', perSecond: 20, burst: 1 };
    const call = () => counters.admit(admitOf('quota:{cons_i}:p1', 100, { rate }));
    expect((await call()).admitted).toBe(true);
    const refused = await call();
    expect(refused.refusedBy).toBe('rate');
    expect(refused.rateRetryAfterMs).toBeLessThanOrEqual(50);
    await sleep(refused.rateRetryAfterMs + 10);
    expect((await call()).admitted).toBe(true);
  });

  it('holds exactly `limit` concurrency leases of 500 concurrent calls, frees them on release', async () => {
    const lease = (leaseId: string) => ({ key: 'conc:{cons_j}', leaseId, limit: 7, leaseMs: 60_000 });
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, index) =>
        counters.admit(admitOf('quota:{cons_j}:p1', 1000, { concurrency: lease(`l${index}`) })),
      ),
    );
    const admitted = results.flatMap((result, index) => (result.admitted ? [index] : []));
    expect(admitted).toHaveLength(7);
    expect(results.filter((result) => result.refusedBy === 'concurrency')).toHaveLength(493);
    expect(await counters.get('quota:{cons_j}:p1')).toBe(7); // refused leases took no quota
    await counters.releaseLease('conc:{cons_j}', `l${admitted[0]}`);
    await counters.releaseLease('conc:{cons_j}', 'never-held'); // harmless
    expect(
      (await counters.admit(admitOf('quota:{cons_j}:p1', 1000, { concurrency: lease('next') }))).admitted,
    ).toBe(true);
    expect(
      (await counters.admit(admitOf('quota:{cons_j}:p1', 1000, { concurrency: lease('over') }))).refusedBy,
    ).toBe('concurrency');
  });

  it('gives leases back before deciding the admissions sent in the same turn', async () => {
    const lease = (leaseId: string) => ({ key: 'conc:{cons_m}', leaseId, limit: 3, leaseMs: 60_000 });
    const quotaKey = 'quota:{cons_m}:p1';
    const first = await Promise.all(
      ['a', 'b', 'c', 'd'].map((id) => counters.admit(admitOf(quotaKey, 100, { concurrency: lease(id) }))),
    );
    expect(first.map((result) => result.admitted)).toEqual([true, true, true, false]);
    // Releases and admissions issued together: the two freed slots go to two of the three newcomers.
    const [, , ...second] = await Promise.all([
      counters.releaseLease('conc:{cons_m}', 'a'),
      counters.releaseLease('conc:{cons_m}', 'b'),
      ...['e', 'f', 'g'].map((id) => counters.admit(admitOf(quotaKey, 100, { concurrency: lease(id) }))),
    ]);
    expect(second.map((result) => (result as { admitted: boolean }).admitted)).toEqual([true, true, false]);
    expect(await counters.get(quotaKey)).toBe(5);
  });

  it('decides requests of different consumers and limits sent in one turn each on their own counters', async () => {
    const results = await Promise.all([
      ...Array.from({ length: 30 }, () => counters.admit(admitOf('quota:{cons_n}:p1', 10))),
      ...Array.from({ length: 30 }, () => counters.admit(admitOf('quota:{cons_o}:p1', 20))),
      // Same counter, a different limit (a plan change in flight): decided after the first group.
      ...Array.from({ length: 10 }, () => counters.admit(admitOf('quota:{cons_n}:p1', 15))),
    ]);
    const admitted = (from: number, to: number) =>
      results.slice(from, to).filter((result) => result.admitted).length;
    expect(admitted(0, 30)).toBe(10);
    expect(admitted(30, 60)).toBe(20);
    expect(admitted(60, 70)).toBe(5);
    expect(await counters.get('quota:{cons_n}:p1')).toBe(15);
    expect(await counters.get('quota:{cons_o}:p1')).toBe(20);
  });

  it('lets the lease of a node that never releases it lapse', async () => {
    const lease = (leaseId: string, leaseMs: number) => ({
      key: 'conc:{cons_k}',
      leaseId,
      limit: 1,
      leaseMs,
    });
    expect(
      (await counters.admit(admitOf('quota:{cons_k}:p1', 10, { concurrency: lease('dead', 150) }))).admitted,
    ).toBe(true);
    expect(
      (await counters.admit(admitOf('quota:{cons_k}:p1', 10, { concurrency: lease('live', 60_000) })))
        .refusedBy,
    ).toBe('concurrency');
    await sleep(200);
    expect(
      (await counters.admit(admitOf('quota:{cons_k}:p1', 10, { concurrency: lease('live', 60_000) })))
        .admitted,
    ).toBe(true);
  });

  it('refunds with a negative increment, which frees room under the limit', async () => {
    const key = 'concurrency:{cons_e}';
    await counters.incrementWithin(key, 3, 3, later());
    expect(await counters.increment(key, -2, later())).toBe(1);
    expect(await counters.get(key)).toBe(1);
    expect(await counters.incrementWithin(key, 2, 3, later())).toEqual({ applied: true, value: 3 });
    expect(await counters.increment(key, 4, later())).toBe(7);
  });

  it('lets a key vanish at its expiry, set when the key is created and never extended', async () => {
    const guarded = 'rate:{cons_f}:s1';
    const plain = 'rate:{cons_f}:s2';
    // Generous enough that the reads below land before it even on a loaded machine.
    const expiresAtMs = Date.now() + 300;
    expect(await counters.incrementWithin(guarded, 1, 10, expiresAtMs)).toEqual({ applied: true, value: 1 });
    expect(await counters.increment(plain, 2, expiresAtMs)).toBe(2);
    // A later call with a far expiry must not push the original expiry out.
    await counters.incrementWithin(guarded, 1, 10, later());
    await counters.increment(plain, 1, later());
    expect(await counters.get(guarded)).toBe(2);
    expect(await counters.get(plain)).toBe(3);

    await sleep(expiresAtMs + 100 - Date.now());
    expect(await counters.get(guarded)).toBe(0);
    expect(await counters.get(plain)).toBe(0);
    // After expiry the key starts again from zero with the new expiry.
    expect(await counters.incrementWithin(guarded, 1, 1, later())).toEqual({ applied: true, value: 1 });
  });

  it('reads a missing key as 0', async () => {
    expect(await counters.get('quota:{cons_g}:missing')).toBe(0);
  });

  it('rejects amounts that are not whole numbers', async () => {
    await expect(counters.incrementWithin('quota:{cons_h}', 0.5, 10, later())).rejects.toThrow(RangeError);
    await expect(counters.increment('quota:{cons_h}', Number.NaN, later())).rejects.toThrow(RangeError);
  });

  it('fails ping after close', async () => {
    await counters.close();
    await expect(counters.ping()).rejects.toThrow('unavailable');
  });
});

describe('Redis counters specifics', () => {
  it('stores keys under the prefix with the caller’s hash tag and the expiry as given', async () => {
    const keyPrefix = `tgtest:${randomUUID()}:`;
    const raw = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    const counters = createRedisCounters({ redis: raw, keyPrefix });
    try {
      const expiresAtMs = Date.now() + 30_000;
      await counters.incrementWithin('quota:{cons_x}:p1', 2, 5, expiresAtMs);
      expect(await raw.get(`${keyPrefix}quota:{cons_x}:p1`)).toBe('2');
      expect(await raw.pexpiretime(`${keyPrefix}quota:{cons_x}:p1`)).toBe(expiresAtMs);
      // The caller's connection stays open after close().
      await counters.close();
      expect(await raw.ping()).toBe('PONG');
    } finally {
      await raw.quit();
    }
  });

  it('fails fast, with an error, when Redis does not answer', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const counters = createRedisCounters({
      redis: `redis://127.0.0.1:${address.port}`,
      keyPrefix: 'tgtest:',
    });
    const started = Date.now();
    await expect(counters.incrementWithin('quota:{cons_y}', 1, 1, later())).rejects.toThrow(
      'redis is unavailable',
    );
    await expect(counters.ping()).rejects.toThrow('redis is unavailable');
    expect(Date.now() - started).toBeLessThan(2000);
    await counters.close();
  });
});
