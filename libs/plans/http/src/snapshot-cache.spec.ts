import { InProcessConfigBus } from '@tollgate/config-bus';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { type PrismaClient } from '@tollgate/relational';
import { SnapshotCache } from './snapshot-cache';

function snapshot(version: string): GatewaySnapshot {
  return { version, generatedAt: 0, apis: [], plans: [], consumers: [], keys: [] };
}

/**
 * A stand-in for the database read: each build returns the "database" version as of its start and
 * finishes only when the test releases it, so the tests decide how builds and writes interleave.
 */
class ControlledBuilds {
  database = 'v1';
  readonly started: Array<{ sawVersion: string; finish: () => void; fail: (error: Error) => void }> = [];
  readonly build = (): Promise<GatewaySnapshot> =>
    new Promise((resolve, reject) => {
      const sawVersion = this.database;
      this.started.push({ sawVersion, finish: () => resolve(snapshot(sawVersion)), fail: reject });
    });

  async finishAll(): Promise<void> {
    for (let index = 0; index < 10; index += 1) {
      for (const build of this.started.splice(0)) build.finish();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

const noDatabase = {} as unknown as PrismaClient; // never touched: every test passes `build`

describe('SnapshotCache', () => {
  it('answers refresh() with a build that started after the call, even while one is running', async () => {
    const builds = new ControlledBuilds();
    const cache = new SnapshotCache(noDatabase, { build: builds.build });
    const first = cache.refresh();
    builds.database = 'v2'; // a write commits while the first build is reading
    const afterWrite = cache.refresh();
    const alsoAfterWrite = cache.refresh();
    expect(builds.started).toHaveLength(1); // the follow-up waits for the running build
    await builds.finishAll();
    expect((await first).version).toBe('v1');
    expect((await afterWrite).version).toBe('v2');
    expect(alsoAfterWrite).toBe(afterWrite); // refreshes queued behind one build share the next
  });

  it('announces each new version once on the bus and to listeners, not unchanged rebuilds', async () => {
    const builds = new ControlledBuilds();
    const bus = new InProcessConfigBus();
    const heard: string[] = [];
    await bus.subscribe((version) => heard.push(version));
    const cache = new SnapshotCache(noDatabase, { build: builds.build, bus });
    const pushed: string[] = [];
    cache.subscribe((next) => pushed.push(next.version));

    for (const version of ['v1', 'v1', 'v2', 'v2', 'v3']) {
      builds.database = version;
      const refreshed = cache.refresh();
      await builds.finishAll();
      await refreshed;
    }
    expect(heard).toEqual(['v1', 'v2', 'v3']);
    expect(pushed).toEqual(['v1', 'v2', 'v3']);
  });

  it('has published the version by the time refresh() resolves', async () => {
    const builds = new ControlledBuilds();
    const bus = new InProcessConfigBus();
    const heard: string[] = [];
    await bus.subscribe((version) => heard.push(version));
    const cache = new SnapshotCache(noDatabase, { build: builds.build, bus });
    const refreshed = cache.refresh();
    await builds.finishAll();
    await refreshed;
    expect(heard).toEqual(['v1']);
  });

  it('does not fail a refresh when the bus is down, nor when the database read fails after a first snapshot', async () => {
    const builds = new ControlledBuilds();
    const bus = new InProcessConfigBus();
    await bus.close(); // publish now rejects
    const cache = new SnapshotCache(noDatabase, { build: builds.build, bus });
    const first = cache.refresh();
    await builds.finishAll();
    expect((await first).version).toBe('v1');

    const second = cache.refresh();
    builds.started.splice(0).forEach((build) => build.fail(new Error('database down')));
    expect((await second).version).toBe('v1'); // the last good snapshot
  });

  it('fails when the very first read fails (there is nothing to serve)', async () => {
    const builds = new ControlledBuilds();
    const cache = new SnapshotCache(noDatabase, { build: builds.build });
    const first = cache.refresh();
    builds.started.splice(0).forEach((build) => build.fail(new Error('database down')));
    await expect(first).rejects.toThrow('database down');
  });

  it('serves get() from the cache while fresh, and rebuilds for an announced version it does not hold', async () => {
    const builds = new ControlledBuilds();
    const cache = new SnapshotCache(noDatabase, { build: builds.build, maxAgeMs: 60_000 });
    const first = cache.get();
    await builds.finishAll();
    expect((await first).version).toBe('v1');

    builds.database = 'v2'; // written through another replica, which announced v2
    expect((await cache.get()).version).toBe('v1');
    expect((await cache.get('v1')).version).toBe('v1');
    expect(builds.started).toHaveLength(0);
    const announced = cache.get('v2');
    await builds.finishAll();
    expect((await announced).version).toBe('v2');
  });

  it('rebuilds on get() once the snapshot is older than maxAgeMs', async () => {
    const builds = new ControlledBuilds();
    const cache = new SnapshotCache(noDatabase, { build: builds.build, maxAgeMs: 20 });
    const first = cache.get();
    await builds.finishAll();
    await first;
    builds.database = 'v2';
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stale = cache.get();
    await builds.finishAll();
    expect((await stale).version).toBe('v2');
  });
});
