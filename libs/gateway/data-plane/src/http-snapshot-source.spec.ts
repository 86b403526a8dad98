import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { HttpSnapshotSource } from './http-snapshot-source';
import { SnapshotStore } from './snapshot-store';
import { apiFixture, snapshotFixture } from './testing';

/** A stand-in for the plans service's snapshot endpoint, over real HTTP. */
class FakePlansService {
  snapshot: GatewaySnapshot | null = null;
  /** When set, every request is answered with this status. */
  failWith: number | null = null;
  readonly requests: IncomingHttpHeaders[] = [];
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push(request.headers);
      if (
        request.url !== '/api/internal/gateway-snapshot' ||
        request.headers.authorization !== 'Bearer gw-token'
      ) {
        response.writeHead(request.url === '/api/internal/gateway-snapshot' ? 401 : 404).end();
        return;
      }
      if (this.failWith !== null || this.snapshot === null) {
        response.writeHead(this.failWith ?? 503).end();
        return;
      }
      if (request.headers['if-none-match'] === this.snapshot.version) {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', etag: `"${this.snapshot.version}"` });
      response.end(JSON.stringify(this.snapshot));
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

  function sourceFor(store: SnapshotStore, logger = capturingLogger().logger) {
    const source = new HttpSnapshotSource({
      plansUrl: `http://127.0.0.1:${plans.port}/`,
      token: 'gw-token',
      pollMs: 20,
      retryBaseMs: 10,
      maxBackoffMs: 40,
      store,
      logger,
    });
    sources.push(source);
    return source;
  }

  beforeEach(async () => {
    plans.snapshot = null;
    plans.failWith = null;
    plans.requests.length = 0;
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
});
