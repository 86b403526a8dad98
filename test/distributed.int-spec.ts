import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalyticsStore } from '@tollgate/analytics';
import { type DemoInfo } from '@tollgate/plans-data';
import { startTestSmtpServer, type TestSmtpServer } from '@tollgate/mail/testing';
import { type AppProcess, eventually, freePort, startApp } from './support/app-process';
import { databaseUrl, kafkaBrokers, redisUrl, withPostgres } from './support/services';

jest.setTimeout(420_000);

/**
 * Distributed mode against the real services: PostgreSQL, Kafka, Redis and SMTP. Each app runs as
 * its own process. ClickHouse runs as chDB inside the process that owns it (there is no ClickHouse
 * server here), so the usage API is served by a control plane that also meters (the platform with
 * production URLs), while the standalone gateway, metering, plans and billing-worker apps run beside it.
 */
describe('distributed mode (PostgreSQL, Kafka, Redis, SMTP)', () => {
  const suffix = randomBytes(4).toString('hex');
  const database = `tollgate_it_${suffix}`;
  const plansDatabase = `tollgate_it_plans_${suffix}`;
  const topic = `tollgate.access-log.it-${suffix}`;
  const adminToken = `tg_admin_it_${randomBytes(16).toString('hex')}`;
  const gatewayToken = `tg_gateway_it_${randomBytes(16).toString('hex')}`;
  const directories: string[] = [];
  const processes: AppProcess[] = [];
  let smtp: TestSmtpServer;

  const directory = async (name: string) => {
    const path = await mkdtemp(join(tmpdir(), `tollgate-${name}-`));
    directories.push(path);
    return path;
  };
  const launch = (entry: string, environment: Record<string, string>) => {
    const app = startApp(entry, environment);
    processes.push(app);
    return app;
  };
  const shared = () => ({
    KAFKA_BROKERS: kafkaBrokers,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `tg-it-${suffix}:`,
    ACCESS_LOG_TOPIC: topic,
    ACCESS_LOG_PARTITIONS: '3',
    INGEST_TOPIC: `${topic}.ingest`,
    QUOTA_EVENTS_TOPIC: `${topic}.quota-events`,
    SMTP_URL: smtp.url,
    JOBS_QUEUE_PREFIX: `tg-it-${suffix}`,
  });

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    await withPostgres(async (client) => {
      await client.query(`CREATE DATABASE ${database}`);
      await client.query(`CREATE DATABASE ${plansDatabase}`);
    });
  });

  afterAll(async () => {
    await Promise.all(processes.map((app) => app.stop('SIGKILL')));
    await smtp.close();
    await withPostgres(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.query(`DROP DATABASE IF EXISTS ${plansDatabase} WITH (FORCE)`);
    });
    await Promise.all(directories.map((path) => rm(path, { recursive: true, force: true })));
  });

  it('meters a request through a standalone gateway on Redis and Kafka into the usage API, and every app is ready', async () => {
    const controlDirectory = await directory('control');
    const meteringDirectory = await directory('metering');
    const ports = {
      control: await freePort(),
      controlGateway: await freePort(),
      gateway: await freePort(),
      gatewayOps: await freePort(),
      metering: await freePort(),
      plans: await freePort(),
      plansGateway: await freePort(),
      billing: await freePort(),
    };

    const control = launch('apps/platform/src/main.ts', {
      ...shared(),
      DATABASE_URL: databaseUrl(database),
      TOLLGATE_DATA_DIR: controlDirectory,
      PORT: String(ports.control),
      GATEWAY_PORT: String(ports.controlGateway),
      DEMO_ECHO_PORT: '0',
      ADMIN_TOKEN: adminToken,
      GATEWAY_TOKEN: gatewayToken,
      METERING_GROUP_ID: `tollgate-metering-control-it-${suffix}`,
    });
    await control.waitForOutput(/Tollgate is ready/, 240_000);
    const demo = JSON.parse(await readFile(join(controlDirectory, 'demo.json'), 'utf8')) as DemoInfo;
    expect(demo.adminToken).toBe(adminToken);

    const gateway = launch('apps/gateway/src/main.ts', {
      ...shared(),
      PLANS_URL: demo.apiUrl,
      GATEWAY_TOKEN: gatewayToken,
      GATEWAY_PORT: String(ports.gateway),
      GATEWAY_OPS_PORT: String(ports.gatewayOps),
      SNAPSHOT_POLL_MS: '500',
    });
    const metering = launch('apps/metering/src/main.ts', {
      ...shared(),
      TOLLGATE_DATA_DIR: meteringDirectory,
      OPS_PORT: String(ports.metering),
      METERING_GROUP_ID: `tollgate-metering-it-${suffix}`,
    });
    const plans = launch('apps/plans/src/main.ts', {
      DATABASE_URL: databaseUrl(plansDatabase),
      TOLLGATE_DATA_DIR: await directory('plans'),
      PORT: String(ports.plans),
      GATEWAY_PORT: String(ports.plansGateway),
      DEMO_ECHO_PORT: '0',
      ADMIN_TOKEN: adminToken,
      GATEWAY_TOKEN: gatewayToken,
    });
    const billing = launch('apps/billing-worker/src/main.ts', {
      ...shared(),
      TOLLGATE_DATA_DIR: await directory('billing'),
      OPS_PORT: String(ports.billing),
    });

    const ready = async (url: string) => {
      const response = await fetch(url);
      return { status: response.status, body: await response.text() };
    };
    for (const url of [
      `http://127.0.0.1:${ports.gatewayOps}/readyz`,
      `http://127.0.0.1:${ports.metering}/readyz`,
      `http://127.0.0.1:${ports.plans}/readyz`,
      `http://127.0.0.1:${ports.billing}/readyz`,
    ]) {
      await eventually(
        () => ready(url),
        (result) => result.status === 200,
        180_000,
        `${url} ready`,
      );
    }
    for (const app of [gateway, metering, plans, billing]) expect(app.child.exitCode).toBeNull();

    // The standalone plans app hands its snapshot only to gateways that present the token.
    expect((await fetch(`http://127.0.0.1:${ports.plans}/api/internal/gateway-snapshot`)).status).toBe(401);
    const snapshot = await fetch(`http://127.0.0.1:${ports.plans}/api/internal/gateway-snapshot`, {
      headers: { authorization: `Bearer ${gatewayToken}` },
    });
    expect(snapshot.status).toBe(200);
    expect(((await snapshot.json()) as { plans: unknown[] }).plans).toHaveLength(3);

    const gatewayUrl = `http://127.0.0.1:${ports.gateway}`;
    const unauthenticated = await fetch(`${gatewayUrl}${demo.demoPath}`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('content-type')).toContain('application/problem+json');

    const response = await fetch(`${gatewayUrl}${demo.demoPath}?usage=sms%3D1`, {
      headers: { authorization: `Bearer ${demo.demoKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-ratelimit-remaining')).toBe('999');

    const usageUrl = `${demo.apiUrl}/api/admin/consumers/${demo.demoConsumerId}/usage`;
    const usage = await eventually(
      async () =>
        (await (await fetch(usageUrl, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as {
          requests: number;
          units: Record<string, number>;
        },
      (value) => value.requests >= 1,
      60_000,
      'usage through Kafka',
    );
    expect(usage).toMatchObject({ requests: 1, units: { sms: 1 } });

    // The standalone metering app (its own consumer group) wrote the same event into its ClickHouse.
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${ports.metering}/metrics`)).text(),
      (text) => /tollgate_metering_rows_inserted_total\{[^}]*\} 1\b/.test(text),
      60_000,
      'standalone metering inserted the row',
    );
    expect(await metering.stop('SIGTERM')).toBe(0);
    const store = await createAnalyticsStore({ dataDirectory: meteringDirectory, database: 'tollgate' });
    try {
      const rows = await store.query<{ consumer_id: string; counted: boolean; log_topic: string }>(
        'SELECT consumer_id, counted, log_topic FROM usage_events',
      );
      expect(rows).toEqual([{ consumer_id: demo.demoConsumerId, counted: true, log_topic: topic }]);
    } finally {
      await store.close();
    }

    for (const app of [gateway, plans, billing, control]) expect(await app.stop('SIGTERM')).toBe(0);
  });
});
