import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type UsageSummary } from '@tollgate/metering-domain';
import { type DemoInfo } from '@tollgate/plans-data';
import { type AppProcess, eventually, freePort, startApp } from './support/app-process';

jest.setTimeout(300_000);

type Demo = DemoInfo;
type Usage = UsageSummary;

/** `npm start`: every app in one process on PGlite, chDB, the in-process log and memory counters. */
describe('embedded mode (npm start)', () => {
  let dataDirectory: string;
  let platform: AppProcess | undefined;
  let environment: Record<string, string>;

  const startPlatform = async () => {
    platform = startApp('apps/platform/src/main.ts', environment);
    await platform.waitForOutput(/Tollgate is ready/, 240_000);
    return JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
  };

  const usageOf = async (demo: Demo): Promise<Usage> => {
    const response = await fetch(`${demo.apiUrl}/api/admin/consumers/${demo.demoConsumerId}/usage`, {
      headers: { authorization: `Bearer ${demo.adminToken}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Usage;
  };

  beforeAll(async () => {
    dataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-embedded-'));
    environment = {
      TOLLGATE_DATA_DIR: dataDirectory,
      PORT: String(await freePort()),
      GATEWAY_PORT: String(await freePort()),
      DEMO_ECHO_PORT: '0',
      SNAPSHOT_POLL_MS: '500',
    };
  });

  afterAll(async () => {
    await platform?.stop('SIGKILL');
    await rm(dataDirectory, { recursive: true, force: true });
  });

  it('meters one request end to end: gateway → event log → metering → ClickHouse → usage API', async () => {
    const demo = await startPlatform();
    expect((await stat(join(dataDirectory, 'demo.json'))).mode & 0o777).toBe(0o600);
    expect(demo.demoPath).toBe('/echo/hello');

    const before = await usageOf(demo);
    expect(before).toMatchObject({ consumerId: demo.demoConsumerId, requests: 0, quota: { limit: 1000 } });
    expect(Date.parse(before.periodStart)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(before.periodEnd)).toBeGreaterThan(Date.now());

    const response = await fetch(`${demo.gatewayUrl}${demo.demoPath}?usage=sms%3D2`, {
      headers: { 'x-api-key': demo.demoKey },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('tollgate-usage')).toBeNull();
    expect(response.headers.get('x-ratelimit-remaining')).toBe('999');
    const echoed = (await response.json()) as { path: string; headers: Record<string, string> };
    expect(echoed.path).toBe('/hello');
    expect(echoed.headers['x-api-key']).toBeUndefined();

    const after = await eventually(
      () => usageOf(demo),
      (usage) => usage.requests >= 1,
      30_000,
      'usage after one request',
    );
    expect(after.requests).toBe(1);
    expect(after.units).toEqual({ sms: 2 });
    expect(after.quota).toMatchObject({ used: 1, remaining: 999 });
    // Still exactly one a moment later: nothing is metered twice.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await usageOf(demo)).requests).toBe(1);
  });

  it('answers 401 problem+json without a key and with an unknown key, and meters neither', async () => {
    const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-api-key': 'tg_live_not_a_real_key_000000000000' },
    ];
    for (const headers of attempts) {
      const response = await fetch(`${demo.gatewayUrl}${demo.demoPath}`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await usageOf(demo)).toMatchObject({ requests: 1, totalRequests: 1 });
  });

  it('does not count an upstream 5xx under the default counting policy, but records it', async () => {
    const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
    const response = await fetch(`${demo.gatewayUrl}${demo.demoPath}?status=503`, {
      headers: { 'x-api-key': demo.demoKey },
    });
    expect(response.status).toBe(503);
    const usage = await eventually(
      () => usageOf(demo),
      (value) => value.totalRequests >= 2,
      30_000,
      '5xx recorded',
    );
    expect(usage).toMatchObject({ requests: 1, totalRequests: 2 });
  });

  it('serves health, readiness, metrics, the OpenAPI document, and rejects a bad admin token', async () => {
    const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
    expect((await fetch(`${demo.apiUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${demo.apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { database: { status: 'ok' }, clickhouse: { status: 'ok' } },
    });
    const metrics = await (await fetch(`${demo.apiUrl}/metrics`)).text();
    expect(metrics).toContain('tollgate_metering_rows_inserted_total');
    const openApi = (await (await fetch(`${demo.apiUrl}/api/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(openApi.paths)).toContain('/api/admin/consumers/{id}/usage');
    const denied = await fetch(`${demo.apiUrl}/api/admin/consumers/${demo.demoConsumerId}/usage`, {
      headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
    const missing = await fetch(`${demo.apiUrl}/api/admin/consumers/cons_missing/usage`, {
      headers: { authorization: `Bearer ${demo.adminToken}` },
    });
    expect(missing.status).toBe(404);
  });

  it('drains on Ctrl-C, and a second start reuses the data, the key and the usage', async () => {
    const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
    // A slow request in flight when the signal arrives still completes and is metered.
    const inFlight = fetch(`${demo.gatewayUrl}${demo.demoPath}?delay=1000`, {
      headers: { 'x-api-key': demo.demoKey },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exitCode = await platform!.stop('SIGINT');
    expect((await inFlight).status).toBe(200);
    expect(exitCode).toBe(0);

    const again = await startPlatform();
    expect(again.demoKey).toBe(demo.demoKey);
    expect(again.demoConsumerId).toBe(demo.demoConsumerId);
    expect(again.adminToken).toBe(demo.adminToken);
    expect(again.developerPassword).toBe(demo.developerPassword);
    const usage = await eventually(
      () => usageOf(again),
      (value) => value.requests >= 2,
      30_000,
      'usage after restart',
    );
    expect(usage).toMatchObject({ requests: 2, totalRequests: 3 });
  });

  it('seeds a portal login for the demo consumer, kept only in demo.json, and serves the portal and admin pages', async () => {
    const demo = JSON.parse(await readFile(join(dataDirectory, 'demo.json'), 'utf8')) as Demo;
    expect(demo.developerEmail).toBe('demo@example.com');
    expect(demo.developerPassword).toMatch(/^[A-Za-z0-9_-]{20}$/);
    const login = await fetch(`${demo.apiUrl}/api/portal/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.developerEmail, password: demo.developerPassword }),
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const me = (await (await fetch(`${demo.apiUrl}/api/portal/me`, { headers: { cookie } })).json()) as {
      consumer: { id: string } | null;
    };
    expect(me.consumer?.id).toBe(demo.demoConsumerId);
    const wrong = await fetch(`${demo.apiUrl}/api/portal/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demo.developerEmail, password: `${demo.developerPassword}x` }),
    });
    expect(wrong.status).toBe(401);
    for (const page of ['/', '/portal', '/admin']) {
      const response = await fetch(`${demo.apiUrl}${page}`, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<div id="root">');
    }
  });

  it('refuses to start on a malformed variable, naming it', async () => {
    const broken = startApp('apps/platform/src/main.ts', {
      ...environment,
      PORT: 'eighty',
      KAFKA_BROKERS: '',
    });
    expect(await broken.exited).toBe(78);
    expect(broken.output()).toContain('PORT: an integer port between 0 and 65535');
  });
});
