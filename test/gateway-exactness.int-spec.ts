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

interface Outcome {
  status: number; // 0: the connection failed (the gateway died)
  body: string;
}

/**
 * Exactness across nodes: three standalone gateway processes on one Redis (one key prefix), fed by
 * one plans app. Every scenario has its own plan and consumer, so the counters never mix.
 */
describe('gateway exactness (3 gateway processes on one Redis)', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_it_exact_${suffix}`;
  const keyPrefix = `tg-it-exact-${suffix}:`;
  const adminToken = `tg_admin_it_${randomBytes(16).toString('hex')}`;
  const gatewayToken = `tg_gateway_it_${randomBytes(16).toString('hex')}`;
  const directories: string[] = [];
  const processes: AppProcess[] = [];
  const gatewayPorts: number[] = [];
  const gateways: AppProcess[] = [];
  let demo: DemoInfo;

  const directory = async (name: string) => {
    const path = await mkdtemp(join(tmpdir(), `tollgate-${name}-`));
    directories.push(path);
    return path;
  };

  const admin = adminClient(() => demo.apiUrl, adminToken);
  const consumerOn = (name: string, plan: Record<string, unknown>) => consumerOnNewPlan(admin, name, plan);

  const call = async (gateway: number, key: string, query = ''): Promise<Outcome> => {
    try {
      const response = await fetch(`http://127.0.0.1:${gatewayPorts[gateway]}${demo.demoPath}${query}`, {
        headers: { 'x-api-key': key },
      });
      return { status: response.status, body: await response.text() };
    } catch {
      return { status: 0, body: '' };
    }
  };

  const count = (outcomes: Outcome[], status: number): number =>
    outcomes.filter((outcome) => outcome.status === status).length;

  /** `total` calls at once, round-robin over the gateways in `over`. */
  const burst = (key: string, total: number, over: number[], query = '') =>
    Promise.all(Array.from({ length: total }, (_, index) => call(over[index % over.length], key, query)));

  /** Makes sure every gateway has a snapshot with all consumers created so far. */
  const propagated = async () => {
    const probe = await consumerOn(`Probe ${randomBytes(3).toString('hex')}`, {
      quota: { limit: 1000, period: 'month' },
    });
    for (let gateway = 0; gateway < gatewayPorts.length; gateway += 1) {
      if (gateways[gateway].child.exitCode !== null || gateways[gateway].child.signalCode !== null) continue;
      await eventually(
        async () => (await call(gateway, probe.key)).status,
        (status) => status === 200,
        10_000,
        `gateway ${gateway} knowing the new consumers`,
      );
    }
  };

  beforeAll(async () => {
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
    const plansDirectory = await directory('exact-plans');
    const plansPort = await freePort();
    const shared = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: keyPrefix, GATEWAY_TOKEN: gatewayToken };
    const databaseUrl = new URL(postgresUrl);
    databaseUrl.pathname = `/${database}`;
    const plans = startApp('apps/plans/src/main.ts', {
      ...shared,
      DATABASE_URL: databaseUrl.toString(),
      TOLLGATE_DATA_DIR: plansDirectory,
      PORT: String(plansPort),
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
        ...shared,
        PLANS_URL: demo.apiUrl,
        GATEWAY_PORT: String(port),
        GATEWAY_OPS_PORT: String(opsPort),
        SNAPSHOT_POLL_MS: '500',
        KAFKA_BROKERS: kafkaBrokers,
        ACCESS_LOG_TOPIC: `tollgate.access-log.it-exact-${suffix}`,
        ACCESS_LOG_PARTITIONS: '1',
        TOLLGATE_DATA_DIR: await directory(`exact-gateway-${index}`),
      });
      processes.push(gateway);
      gateways.push(gateway);
      gatewayPorts.push(port);
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status,
        (status) => status === 200,
        120_000,
        `gateway ${index} ready`,
      );
    }
  });

  afterAll(async () => {
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('admits exactly the quota: 30 sequential calls on 20, and 200 concurrent calls on 50 across 3 nodes', async () => {
    const sequential = await consumerOn('Sequential 20', { quota: { limit: 20, period: 'month' } });
    const concurrent = await consumerOn('Concurrent 50', { quota: { limit: 50, period: 'month' } });
    await propagated();

    const outcomes: Outcome[] = [];
    for (let index = 0; index < 30; index += 1) outcomes.push(await call(index % 3, sequential.key));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      ...Array<number>(20).fill(200),
      ...Array<number>(10).fill(429),
    ]);
    expect(JSON.parse(outcomes[29].body)).toMatchObject({ limit: 'quota', upgradeUrl: expect.any(String) });

    const flood = await burst(concurrent.key, 200, [0, 1, 2]);
    expect(count(flood, 200)).toBe(50);
    expect(count(flood, 429)).toBe(150);
  });

  it('admits the burst plus the refill over a fixed interval, across 3 nodes', async () => {
    const rated = await consumerOn('Rated', {
      quota: { limit: 100_000, period: 'month' },
      rateLimit: { perSecond: 4, burst: 6 },
    });
    await propagated();

    const statuses: number[] = [];
    const startedAt = Date.now();
    const intervalMs = 2000;
    // Six closed loops (two per gateway) for a fixed interval.
    await Promise.all(
      Array.from({ length: 6 }, async (_, loop) => {
        while (Date.now() - startedAt < intervalMs) {
          statuses.push((await call(loop % 3, rated.key)).status);
        }
      }),
    );
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const admitted = statuses.filter((status) => status === 200).length;
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    // GCRA from a full bucket: the burst, then one request per emission interval.
    expect(admitted).toBeGreaterThanOrEqual(6 + Math.floor((intervalMs / 1000) * 4) - 1);
    expect(admitted).toBeLessThanOrEqual(6 + Math.ceil(elapsedSeconds * 4));
    expect(statuses.length).toBeGreaterThan(admitted); // the limit was actually reached
  });

  it('admits exactly the concurrency limit of slow requests across 3 nodes, and frees it afterwards', async () => {
    const parallel = await consumerOn('Parallel 3', {
      quota: { limit: 100_000, period: 'month' },
      concurrency: 3,
    });
    await propagated();

    const first = await burst(parallel.key, 30, [0, 1, 2], '?delay=1500');
    expect(count(first, 200)).toBe(3);
    expect(count(first, 429)).toBe(27);
    expect(
      first.filter((outcome) => outcome.status === 429).map((outcome) => JSON.parse(outcome.body).limit),
    ).toEqual(Array<string>(27).fill('concurrency'));
    const second = await burst(parallel.key, 9, [0, 1, 2], '?delay=1000');
    expect(count(second, 200)).toBe(3);
  });

  it('never admits more than the quota when a node is SIGKILLed mid-load, and reaches it with the survivors', async () => {
    const limit = 60;
    const killed = await consumerOn('Killed 60', { quota: { limit, period: 'month' } });
    await propagated();

    const load = burst(killed.key, 45, [0, 1, 2], '?delay=400');
    await sleep(150);
    await gateways[2].stop('SIGKILL');
    const during = await load;
    const after = await burst(killed.key, 150, [0, 1]);
    const admitted = count(during, 200) + count(after, 200);
    const lost = count(during, 0); // calls to the dead node that got no answer
    expect(admitted).toBeLessThanOrEqual(limit);
    // Charged but never answered: requests the dead node had admitted before it died.
    expect(admitted + lost).toBeGreaterThanOrEqual(limit);

    const redis = new Redis(redisUrl);
    try {
      const [quotaKey] = await redis.keys(`${keyPrefix}q:{${killed.consumerId}}:*`);
      expect(Number(await redis.get(quotaKey))).toBe(limit);
    } finally {
      await redis.quit();
    }
  });
});
