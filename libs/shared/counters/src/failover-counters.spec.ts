import { DependencyUnavailableError } from '@tollgate/errors';
import { type AdmitRequest, type Counters } from '@tollgate/ports';
import { createFailoverCounters, type FailoverCounters } from './failover-counters';
import { createMemoryCounters } from './memory-counters.adapter';

/** A shared store that can be switched off, as a stopped Redis would be. */
function switchableStore(): { store: Counters; setDown: (down: boolean) => void } {
  const inner = createMemoryCounters();
  let down = false;
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (down) throw new DependencyUnavailableError('redis', new Error('connection refused'));
      return call(...args);
    };
  return {
    setDown: (value) => {
      down = value;
    },
    store: {
      admit: guard(inner.admit),
      releaseLease: guard(inner.releaseLease),
      incrementWithin: guard(inner.incrementWithin),
      increment: guard(inner.increment),
      heartbeat: guard(inner.heartbeat),
      get: guard(inner.get),
      ping: guard(inner.ping),
      close: async () => undefined, // outlives the failover wrapper so the test can read it
    },
  };
}

const later = Date.now() + 3_600_000;
const request = (overrides: Partial<AdmitRequest> = {}): AdmitRequest => ({
  quotaKey: 'q:{cons_1}:p',
  cost: 1,
  quotaLimit: 100,
  quotaExpiresAtMs: later,
  rate: null,
  concurrency: null,
  whenUnavailable: 'local_limit',
  ...overrides,
});

describe('failover counters', () => {
  let shared: ReturnType<typeof switchableStore>;
  let counters: FailoverCounters;
  const modes: boolean[] = [];

  beforeEach(async () => {
    shared = switchableStore();
    modes.length = 0;
    // Two other gateway nodes are alive: this one makes three.
    await shared.store.heartbeat('gateway-nodes', 'node-b', 60_000);
    await shared.store.heartbeat('gateway-nodes', 'node-c', 60_000);
    counters = createFailoverCounters({
      primary: shared.store,
      nodeId: 'node-a',
      heartbeatMs: 60_000,
      onModeChange: (local) => modes.push(local),
    });
    await counters.start();
  });

  afterEach(async () => {
    shared.setDown(false);
    await counters.close();
  });

  it('counts the live nodes from the heartbeat', () => {
    expect(counters.nodes).toBe(3);
  });

  it('fails a request whose plan rejects while the store is down', async () => {
    shared.setDown(true);
    await expect(counters.admit(request({ whenUnavailable: 'reject' }))).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
    await expect(counters.admit(request({ whenUnavailable: undefined }))).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });

  it('admits a third of the remaining quota locally, then carries it over when the store is back', async () => {
    for (let index = 0; index < 40; index += 1) expect((await counters.admit(request())).admitted).toBe(true);
    shared.setDown(true);
    const outage = await Promise.all(Array.from({ length: 50 }, () => counters.admit(request())));
    expect(outage.every((decision) => decision.local === true)).toBe(true);
    expect(outage.filter((decision) => decision.admitted)).toHaveLength(20); // (100 − 40) ÷ 3
    expect(outage.filter((decision) => decision.refusedBy === 'quota')).toHaveLength(30);
    expect(counters.pendingUnits).toBe(20);
    expect(modes).toEqual([true]);

    shared.setDown(false);
    await counters.close(); // a final carry-over
    expect(await shared.store.get('q:{cons_1}:p')).toBe(60);
    expect(counters.pendingUnits).toBe(0);
  });

  it('keeps a refund the store cannot take and carries it over', async () => {
    await counters.admit(request());
    shared.setDown(true);
    expect((await counters.admit(request())).local).toBe(true);
    await counters.increment('q:{cons_1}:p', -1, later); // the local one answered 503: refunded
    await counters.increment('q:{cons_1}:p', -1, later); // and the first one's refund, during the outage
    expect(counters.pendingUnits).toBe(-1);
    shared.setDown(false);
    await counters.close();
    expect(await shared.store.get('q:{cons_1}:p')).toBe(0);
  });

  it('divides the rate burst and the concurrency among the nodes', async () => {
    shared.setDown(true);
    const rated = await Promise.all(
      Array.from({ length: 10 }, () =>
        counters.admit(
          request({ quotaKey: 'q:{cons_2}:p', rate: { key: 'r:{cons_2}', perSecond: 0.3, burst: 9 } }),
        ),
      ),
    );
    expect(rated.filter((decision) => decision.admitted)).toHaveLength(3);
    expect(rated.filter((decision) => decision.refusedBy === 'rate')).toHaveLength(7);

    const lease = (leaseId: string) => ({ key: 'c:{cons_3}', leaseId, limit: 7, leaseMs: 60_000 });
    const held = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        counters.admit(request({ quotaKey: 'q:{cons_3}:p', concurrency: lease(id) })),
      ),
    );
    expect(held.map((decision) => decision.admitted)).toEqual([true, true, false]); // floor(7 ÷ 3)
    await counters.releaseLease('c:{cons_3}', 'a'); // given back to the local limiter, not the store
    expect(
      (await counters.admit(request({ quotaKey: 'q:{cons_3}:p', concurrency: lease('d') }))).admitted,
    ).toBe(true);
  });

  it('goes back to the store as soon as it answers', async () => {
    shared.setDown(true);
    expect((await counters.admit(request())).local).toBe(true);
    shared.setDown(false);
    const decision = await counters.admit(request());
    expect(decision.local).toBeUndefined();
    expect(modes).toEqual([true, false]);
  });
});
