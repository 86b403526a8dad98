import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type ConfigBus, type ConfigVersionListener, InProcessConfigBus } from '@tollgate/config-bus';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { HttpSnapshotSource } from './http-snapshot-source';
import { SnapshotStore } from './snapshot-store';
import { apiFixture, snapshotFixture } from './testing';

/** A stand-in for the plans service's snapshot endpoint, over real HTTP. */
class FakePlansService {
  snapshot: GatewaySnapshot | null = null;
  /** When set, every request is answered with this status. */
  failWith: number | null = null;
  /** Answer this much later, with the snapshot current when the request arrived. */
  delayMs = 0;
  readonly requests: IncomingHttpHeaders[] = [];
  /** The `version` query parameter of each request (null when absent). */
  readonly announced: Array<string | null> = [];
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://plans.test');
      this.requests.push(request.headers);
      this.announced.push(url.searchParams.get('version'));
      if (
        url.pathname !== '/api/internal/gateway-snapshot' ||
        request.headers.authorization !== 'Bearer gw-token'
      ) {
        response.writeHead(url.pathname === '/api/internal/gateway-snapshot' ? 401 : 404).end();
        return;
      }
      const snapshot = this.snapshot;
      const failWith = this.failWith;
      setTimeout(() => {
        if (failWith !== null || snapshot === null) {
          response.writeHead(failWith ?? 503).end();
          return;
        }
        if (request.headers['if-none-match'] === snapshot.version) {
          response.writeHead(304).end();
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json', etag: `"${snapshot.version}"` });
        response.end(JSON.stringify(snapshot));
      }, this.delayMs);
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.server = null;
  }
}

function capturingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('HttpSnapshotSource', () => {
  const plans = new FakePlansService();
  const sources: HttpSnapshotSource[] = [];

  function sourceFor(
    store: SnapshotStore,
    logger = capturingLogger().logger,
    extra: { bus?: ConfigBus; pollMs?: number } = {},
  ) {
    const source = new HttpSnapshotSource({
      plansUrl: `http://127.0.0.1:${plans.port}/`,
      token: 'gw-token',
      pollMs: extra.pollMs ?? 20,
      retryBaseMs: 10,
      maxBackoffMs: 40,
      store,
      logger,
      bus: extra.bus,
    });
    sources.push(source);
    return source;
  }

  beforeEach(async () => {
    plans.snapshot = null;
    plans.failWith = null;
    plans.requests.length = 0;
    plans.announced.length = 0;
    plans.delayMs = 0;
    await plans.start();
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.stop()));
    await plans.stop();
  });

  it('loads the snapshot with the gateway token, then polls with If-None-Match and keeps it on 304', async () => {
    plans.snapshot = snapshotFixture({
      apis: [apiFixture({ id: 'echo', upstreamUrl: 'http://127.0.0.1:1' })],
    });
    const store = new SnapshotStore();
    const source = sourceFor(store);
    await source.ready();
    const loaded = store.current;
    expect(loaded?.version).toBe(plans.snapshot.version);
    expect(loaded?.findApi('/echo/x')?.record.id).toBe('echo');
    expect(plans.requests[0]?.authorization).toBe('Bearer gw-token');

    await until(() => plans.requests.length >= 3, 'more polls');
    expect(plans.requests[2]?.['if-none-match']).toBe(plans.snapshot.version);
    expect(store.current).toBe(loaded); // 304: nothing was rebuilt
  });

  it('installs a new version when the plans service has one', async () => {
    plans.snapshot = snapshotFixture({});
    const store = new SnapshotStore();
    await sourceFor(store).ready();
    const next = snapshotFixture({ apis: [apiFixture({ id: 'added', upstreamUrl: 'http://127.0.0.1:1' })] });
    plans.snapshot = next;
    await until(() => store.version === next.version, 'the new version');
    expect(store.current?.findApi('/added')).not.toBeNull();
  });

  it('keeps the last good snapshot while the plans service is down, with a warning', async () => {
    plans.snapshot = snapshotFixture({});
    const store = new SnapshotStore();
    const { logger, lines } = capturingLogger();
    await sourceFor(store, logger).ready();
    const good = store.current;

    plans.failWith = 500;
    await until(() => lines.some((line) => line.level === 40), 'a warning');
    expect(store.current).toBe(good);

    await plans.stop(); // connection refused now
    const warningsBefore = lines.filter((line) => line.level === 40).length;
    await until(() => lines.filter((line) => line.level === 40).length > warningsBefore, 'another warning');
    expect(store.current).toBe(good);
    expect(lines.find((line) => line.level === 40)?.msg).toContain('keeping the last good snapshot');
  });

  it('becomes ready only once a snapshot could be loaded', async () => {
    const store = new SnapshotStore();
    const source = sourceFor(store);
    let ready = false;
    const readiness = source.ready().then(() => {
      ready = true;
    });
    await until(() => plans.requests.length >= 2, 'failed polls');
    expect(ready).toBe(false);
    plans.snapshot = snapshotFixture({});
    await readiness;
    expect(store.version).toBe(plans.snapshot.version);
  });

  describe('with a config bus', () => {
    const buses: ConfigBus[] = [];
    const newBus = () => {
      const bus = new InProcessConfigBus();
      buses.push(bus);
      return bus;
    };

    afterEach(async () => {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
    });

    it('pulls an announced version at once, long before the next poll, naming it to the plans service', async () => {
      const bus = newBus();
      plans.snapshot = snapshotFixture({});
      const store = new SnapshotStore();
      await sourceFor(store, undefined, { bus, pollMs: 60_000 }).ready();
      await until(() => plans.requests.length === 1, 'the first pull');
      const next = snapshotFixture({
        apis: [apiFixture({ id: 'added', upstreamUrl: 'http://127.0.0.1:1' })],
      });
      plans.snapshot = next;
      const announcedAt = Date.now();
      await bus.publish(next.version);
      await until(() => store.version === next.version, 'the announced version');
      expect(Date.now() - announcedAt).toBeLessThan(1000);
      expect(plans.announced).toEqual([null, next.version]);
    });

    it('ignores an announcement of the version it already holds', async () => {
      const bus = newBus();
      plans.snapshot = snapshotFixture({});
      const store = new SnapshotStore();
      await sourceFor(store, undefined, { bus, pollMs: 60_000 }).ready();
      await bus.publish(plans.snapshot.version);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(plans.requests).toHaveLength(1);
    });

    it('pulls again after a pull that was in flight when a newer version was announced', async () => {
      const bus = newBus();
      plans.snapshot = snapshotFixture({});
      const store = new SnapshotStore();
      await sourceFor(store, undefined, { bus, pollMs: 60_000 }).ready();
      const second = snapshotFixture({});
      const third = snapshotFixture({});
      plans.delayMs = 100;
      plans.snapshot = second;
      await bus.publish(second.version);
      await until(() => plans.requests.length === 2, 'the pull for the second version');
      plans.snapshot = third; // written while the pull for `second` is on its way
      await bus.publish(third.version);
      await until(() => store.version === third.version, 'the latest version');
      expect(plans.announced).toEqual([null, second.version, third.version]);
    });

    it('stops listening when stopped', async () => {
      const bus = newBus();
      plans.snapshot = snapshotFixture({});
      const source = sourceFor(new SnapshotStore(), undefined, { bus, pollMs: 60_000 });
      await source.ready();
      await source.stop();
      await bus.publish('v-after-stop');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(plans.requests).toHaveLength(1);
    });

    it('keeps the last good snapshot when an announced version cannot be pulled', async () => {
      const bus = newBus();
      plans.snapshot = snapshotFixture({});
      const store = new SnapshotStore();
      const { logger, lines } = capturingLogger();
      await sourceFor(store, logger, { bus, pollMs: 60_000 }).ready();
      const good = store.current;
      plans.failWith = 503; // e.g. the plans service lost its database
      await bus.publish('v-unreachable');
      await until(() => lines.some((line) => line.level === 40), 'a warning');
      expect(store.current).toBe(good);
      // It keeps asking for the announced version until the plans service answers.
      plans.failWith = null;
      const recovered = snapshotFixture({});
      plans.snapshot = recovered;
      await until(() => store.version === recovered.version, 'recovery');
      expect(plans.announced).toContain('v-unreachable');
    });

    it('subscribes again after the bus was unavailable, and meanwhile keeps polling', async () => {
      /** A bus whose first subscription fails, like Redis down at the gateway's start. */
      class FlakyBus extends InProcessConfigBus {
        failures = 1;
        override async subscribe(listener: ConfigVersionListener): Promise<() => Promise<void>> {
          if (this.failures > 0) {
            this.failures -= 1;
            throw new Error('redis is down');
          }
          return super.subscribe(listener);
        }
      }
      const bus = new FlakyBus();
      buses.push(bus);
      plans.snapshot = snapshotFixture({});
      const store = new SnapshotStore();
      const { logger, lines } = capturingLogger();
      await sourceFor(store, logger, { bus, pollMs: 20 }).ready();
      await until(
        () => lines.some((line) => line.msg === 'listening to the config bus again'),
        'resubscription',
      );
      const next = snapshotFixture({});
      plans.snapshot = next;
      await bus.publish(next.version);
      await until(() => store.version === next.version, 'the announced version');
      expect(lines.filter((line) => line.msg.startsWith('cannot listen to the config bus'))).toHaveLength(1);
    });
  });
});
