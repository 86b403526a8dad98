import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DependencyUnavailableError } from '@tollgate/errors';
import { Redis } from 'ioredis';
import { type ConfigBus } from './config-bus.port';
import { InProcessConfigBus } from './in-process-config-bus.adapter';
import { RedisConfigBus } from './redis-config-bus.adapter';

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Two nodes of one bus (the publisher's and a gateway's), and a bus of another installation. */
interface BusUnderTest {
  publisherNode: ConfigBus;
  gatewayNode: ConfigBus;
  otherInstallation: ConfigBus;
}

const adapters: Array<[string, () => BusUnderTest]> = [
  [
    'in-process',
    () => {
      const bus = new InProcessConfigBus();
      return { publisherNode: bus, gatewayNode: bus, otherInstallation: new InProcessConfigBus() };
    },
  ],
  [
    'redis',
    () => {
      // Each test gets its own prefix (so its own channel): suites can share one Redis in parallel.
      const keyPrefix = `tgtest:${randomUUID()}:`;
      return {
        publisherNode: new RedisConfigBus({ redis: redisUrl, keyPrefix }),
        gatewayNode: new RedisConfigBus({ redis: redisUrl, keyPrefix }),
        otherInstallation: new RedisConfigBus({ redis: redisUrl, keyPrefix: `tgtest:${randomUUID()}:` }),
      };
    },
  ],
];

/** Collects the versions a listener hears. */
function recorder() {
  const heard: string[] = [];
  return {
    heard,
    listener: (version: string) => {
      heard.push(version);
    },
    async until(count: number, timeoutMs = 2000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (heard.length < count) {
        if (Date.now() > deadline)
          throw new Error(`heard ${JSON.stringify(heard)}, expected ${count} versions`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return heard;
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 100));

describe.each(adapters)('ConfigBus contract (%s)', (_adapter, create) => {
  let bus: BusUnderTest;

  beforeEach(() => {
    bus = create();
  });

  afterEach(async () => {
    await Promise.all([bus.publisherNode.close(), bus.gatewayNode.close(), bus.otherInstallation.close()]);
  });

  it('delivers a published version to every subscriber, in publish order', async () => {
    const first = recorder();
    const second = recorder();
    // An unreachable Redis fails here, so the suite fails rather than skips.
    await bus.gatewayNode.subscribe(first.listener);
    await bus.gatewayNode.subscribe(second.listener);
    const versions = Array.from({ length: 20 }, (_, index) => `v${index}`);
    for (const version of versions) await bus.publisherNode.publish(version);
    expect(await first.until(20)).toEqual(versions);
    expect(await second.until(20)).toEqual(versions);
  });

  it('reaches a subscriber on the publishing node itself', async () => {
    const local = recorder();
    await bus.publisherNode.subscribe(local.listener);
    await bus.publisherNode.publish('v-local');
    expect(await local.until(1)).toEqual(['v-local']);
  });

  it('stops delivering to a listener once it unsubscribes, and only to that one', async () => {
    const leaving = recorder();
    const staying = recorder();
    const unsubscribe = await bus.gatewayNode.subscribe(leaving.listener);
    await bus.gatewayNode.subscribe(staying.listener);
    await bus.publisherNode.publish('v1');
    await leaving.until(1);
    await unsubscribe();
    await bus.publisherNode.publish('v2');
    expect(await staying.until(2)).toEqual(['v1', 'v2']);
    await settle();
    expect(leaving.heard).toEqual(['v1']);
  });

  it('keeps installations apart', async () => {
    const ours = recorder();
    const theirs = recorder();
    await bus.gatewayNode.subscribe(ours.listener);
    await bus.otherInstallation.subscribe(theirs.listener);
    await bus.publisherNode.publish('ours');
    await ours.until(1);
    await settle();
    expect(theirs.heard).toEqual([]);
  });

  it('keeps delivering to the other listeners when one throws', async () => {
    const healthy = recorder();
    await bus.gatewayNode.subscribe(() => {
      throw new Error('listener bug');
    });
    await bus.gatewayNode.subscribe(healthy.listener);
    await bus.publisherNode.publish('v1');
    await bus.publisherNode.publish('v2');
    expect(await healthy.until(2)).toEqual(['v1', 'v2']);
  });

  it('rejects publish and subscribe after close', async () => {
    await bus.publisherNode.close();
    await expect(bus.publisherNode.publish('v1')).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(bus.publisherNode.subscribe(() => undefined)).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});

describe('RedisConfigBus', () => {
  const buses: RedisConfigBus[] = [];
  const track = (bus: RedisConfigBus): RedisConfigBus => {
    buses.push(bus);
    return bus;
  };

  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  /** A port nothing listens on. */
  async function deadPort(): Promise<number> {
    return new Promise((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
  }

  it('publishes on `${prefix}config`', async () => {
    const keyPrefix = `tgtest:${randomUUID()}:`;
    const raw = new Redis(redisUrl);
    try {
      const heard: string[] = [];
      raw.on('message', (_channel: string, message: string) => heard.push(message));
      await raw.subscribe(`${keyPrefix}config`);
      await track(new RedisConfigBus({ redis: redisUrl, keyPrefix })).publish('v-raw');
      const deadline = Date.now() + 2000;
      while (heard.length === 0 && Date.now() < deadline) await settle();
      expect(heard).toEqual(['v-raw']);
    } finally {
      raw.disconnect();
    }
  });

  it('fails fast with DependencyUnavailableError when Redis is unreachable', async () => {
    const bus = track(
      new RedisConfigBus({
        redis: `redis://127.0.0.1:${await deadPort()}`,
        keyPrefix: 'tgtest:dead:',
        timeoutMs: 500,
      }),
    );
    const started = Date.now();
    await expect(bus.publish('v1')).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(bus.publish('v2')).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(bus.subscribe(() => undefined)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('subscribes once Redis is reachable again after a subscription that failed', async () => {
    // A TCP relay to the real Redis that the test can take down and bring back on the same port.
    const target = new URL(redisUrl);
    const sockets = new Set<Socket>();
    let relay: Server | undefined;
    const port = await deadPort();
    const openRelay = () =>
      new Promise<void>((resolve) => {
        relay = createServer((client) => {
          const upstream = connect(Number(target.port || 6379), target.hostname);
          for (const socket of [client, upstream]) {
            sockets.add(socket);
            socket.on('error', () => socket.destroy());
            socket.on('close', () => sockets.delete(socket));
          }
          client.pipe(upstream).pipe(client);
        }).listen(port, '127.0.0.1', () => resolve());
      });
    try {
      const keyPrefix = `tgtest:${randomUUID()}:`;
      const gateway = track(
        new RedisConfigBus({ redis: `redis://127.0.0.1:${port}`, keyPrefix, timeoutMs: 300 }),
      );
      const heard: string[] = [];
      const listener = (version: string): void => {
        heard.push(version);
      };
      await expect(gateway.subscribe(listener)).rejects.toBeInstanceOf(DependencyUnavailableError);

      await openRelay();
      const deadline = Date.now() + 5000;
      for (;;) {
        try {
          await gateway.subscribe(listener);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await settle();
        }
      }
      await track(new RedisConfigBus({ redis: redisUrl, keyPrefix })).publish('v-back');
      while (heard.length === 0 && Date.now() < deadline) await settle();
      expect(heard).toEqual(['v-back']);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    }
  });

  it('resubscribes by itself after the subscriber connection drops', async () => {
    const keyPrefix = `tgtest:${randomUUID()}:`;
    const connectionName = `tgtest-bus-${randomUUID().slice(0, 8)}`;
    const publisher = track(new RedisConfigBus({ redis: redisUrl, keyPrefix }));
    const gateway = track(new RedisConfigBus({ redis: redisUrl, keyPrefix, connectionName }));
    const heard: string[] = [];
    await gateway.subscribe((version) => heard.push(version));

    const admin = new Redis(redisUrl);
    try {
      const clients = (await admin.client('LIST')) as string;
      const ids = clients
        .split('\n')
        .filter((line) => line.includes(` name=${connectionName} `))
        .map((line) => /\bid=(\d+)/.exec(line)?.[1]);
      expect(ids).toHaveLength(1);
      await admin.client('KILL', 'ID', ids[0] as string);
    } finally {
      admin.disconnect();
    }

    // Versions published while it reconnects are lost by design; keep publishing until one lands.
    const deadline = Date.now() + 5000;
    let attempt = 0;
    while (heard.length === 0) {
      if (Date.now() > deadline) throw new Error('the subscriber never came back');
      await publisher.publish(`after-${attempt}`);
      attempt += 1;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(heard[0]).toMatch(/^after-\d+$/);
  });
});
