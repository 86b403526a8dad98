import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DemoInfo } from '@tollgate/plans-data';
import { Redis } from 'ioredis';
import { adminClient, consumerOnNewPlan } from './support/admin-client';
import { type AppProcess, eventually, freePort, startApp } from './support/app-process';
import { kafkaBrokers, postgresUrl, redisUrl, withPostgres } from './support/services';

jest.setTimeout(300_000);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Redis of the test's own (append-only file, fsync always), so stopping it touches nobody else. */
function startRedis(port: number, directory: string): { child: ChildProcess; exited: Promise<void> } {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--appendonly', 'yes'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, exited };
}

/**
 * Redis down, both ways: three gateway processes share a Redis that the test stops and restarts.
 * A plan that fails closed answers 503 meanwhile; a plan that fails open is limited on each node at
 * its remaining quota ÷ 3, and what the nodes admitted alone is carried over once Redis is back.
 */
describe('gateway with Redis down (3 gateway processes)', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_it_redis_down_${suffix}`;
  const keyPrefix = `tg-it-down-${suffix}:`;
  const adminToken = `tg_admin_it_${randomBytes(16).toString('hex')}`;
  const gatewayToken = `tg_gateway_it_${randomBytes(16).toString('hex')}`;
  const directories: string[] = [];
  const processes: AppProcess[] = [];
  const gatewayPorts: number[] = [];
  let demo: DemoInfo;
  let redisPort: number;
  let redisDirectory: string;
  let redis: ReturnType<typeof startRedis>;

  const directory = async (name: string) => {
    const path = await mkdtemp(join(tmpdir(), `tollgate-${name}-`));
    directories.push(path);
    return path;
  };

  const admin = adminClient(() => demo.apiUrl, adminToken);
  const consumerOn = (name: string, plan: Record<string, unknown>) => consumerOnNewPlan(admin, name, plan);

  const call = async (gateway: number, key: string) => {
    const response = await fetch(`http://127.0.0.1:${gatewayPorts[gateway]}${demo.demoPath}`, {
      headers: { 'x-api-key': key },
    });
    return { status: response.status, body: await response.text() };
  };

  const withRedis = async <T>(work: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis(`redis://127.0.0.1:${redisPort}`, { maxRetriesPerRequest: 1 });
    try {
      return await work(client);
    } finally {
      client.disconnect();
    }
  };

  beforeAll(async () => {
    redisPort = await freePort();
    redisDirectory = await directory('redis-down-redis');
    redis = startRedis(redisPort, redisDirectory);
    await eventually(
      () => withRedis((client) => client.ping()).catch(() => 'down'),
      (reply) => reply === 'PONG',
      10_000,
      'the test Redis answering',
    );

    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
    const plansDirectory = await directory('redis-down-plans');
    const databaseUrl = new URL(postgresUrl);
    databaseUrl.pathname = `/${database}`;
    const plans = startApp('apps/plans/src/main.ts', {
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      GATEWAY_TOKEN: gatewayToken,
      DATABASE_URL: databaseUrl.toString(),
      TOLLGATE_DATA_DIR: plansDirectory,
      PORT: String(await freePort()),
      GATEWAY_PORT: String(await freePort()),
      DEMO_ECHO_PORT: '0',
      ADMIN_TOKEN: adminToken,
    });
    processes.push(plans);
    await plans.waitForOutput(/plans is listening/, 240_000);
    demo = JSON.parse(await readFile(join(plansDirectory, 'demo.json'), 'utf8')) as DemoInfo;

    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      const opsPort = await freePort();
      const gateway = startApp('apps/gateway/src/main.ts', {
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        REDIS_KEY_PREFIX: keyPrefix,
        GATEWAY_TOKEN: gatewayToken,
        PLANS_URL: demo.apiUrl,
        GATEWAY_PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
        SNAPSHOT_POLL_MS: '500',
        KAFKA_BROKERS: kafkaBrokers,
        ACCESS_LOG_TOPIC: `tollgate.access-log.it-down-${suffix}`,
        ACCESS_LOG_PARTITIONS: '1',
        QUOTA_EVENTS_TOPIC: `tollgate.quota-events.it-down-${suffix}`,
        TOLLGATE_DATA_DIR: await directory(`redis-down-gateway-${index}`),
      });
      processes.push(gateway);
      gatewayPorts.push(port);
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => null))?.status,
        (status) => status === 200,
        120_000,
        `gateway ${index} ready`,
      );
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    redis.child.kill('SIGKILL');
    await redis.exited;
    await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('fails closed with 503 or limits each node to its share, then carries the local admissions over', async () => {
    const closed = await consumerOn('Fail Closed', {
      quota: { limit: 1000, period: 'month' },
      countersUnavailable: 'reject',
    });
    const open = await consumerOn('Fail Open', {
      quota: { limit: 90, period: 'month' },
      countersUnavailable: 'local_limit',
    });
    for (let gateway = 0; gateway < 3; gateway += 1) {
      await eventually(
        async () => (await call(gateway, closed.key)).status,
        (status) => status === 200,
        10_000,
        `gateway ${gateway} knowing the new consumers`,
      );
    }
    // Every node has seen the three heartbeats (they beat every second).
    await eventually(
      () => withRedis((client) => client.zcard(`${keyPrefix}gateway-nodes`)),
      (members) => members === 3,
      10_000,
      'three gateway heartbeats',
    );
    await sleep(1500);

    // 30 sequential calls round-robin: the nodes last saw 28, 29 and 30 units used.
    for (let index = 0; index < 30; index += 1) expect((await call(index % 3, open.key)).status).toBe(200);

    redis.child.kill('SIGTERM');
    await redis.exited;

    for (let gateway = 0; gateway < 3; gateway += 1) {
      const refused = await call(gateway, closed.key);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toMatchObject({ detail: 'Quota counters are unavailable' });
    }
    // Each node admits its third of what it saw remaining: ⌊62/3⌋, ⌊61/3⌋, ⌊60/3⌋ = 20 each.
    for (let gateway = 0; gateway < 3; gateway += 1) {
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => call(gateway, open.key)));
      expect(outcomes.filter((outcome) => outcome.status === 200)).toHaveLength(20);
      expect(outcomes.filter((outcome) => outcome.status === 429)).toHaveLength(10);
    }

    redis = startRedis(redisPort, redisDirectory);
    const quotaKeyOf = async (consumerId: string) =>
      withRedis(async (client) => (await client.keys(`${keyPrefix}q:{${consumerId}}:*`))[0]);
    // 30 before the outage + 60 admitted locally = the whole quota, in Redis again.
    await eventually(
      async () => {
        const key = await quotaKeyOf(open.consumerId).catch(() => undefined);
        return key === undefined ? null : withRedis((client) => client.get(key));
      },
      (value) => value === '90',
      30_000,
      'the local admissions carried over to Redis',
    );
    await eventually(
      async () => (await call(0, closed.key)).status,
      (status) => status === 200,
      30_000,
      'the fail-closed plan admitted again',
    );
    expect((await call(1, open.key)).status).toBe(429);
  });
});
