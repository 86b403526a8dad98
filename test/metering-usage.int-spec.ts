import { listOutbox, outboxDirectory, readOutboxMessage } from '@tollgate/mail';
import {
  type UsageBreakdown,
  type UsageFigures,
  type UsageSummary,
  type UsageTimeseries,
} from '@tollgate/metering-domain';
import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

interface Problem {
  status: number;
  errors?: Array<{ field: string; message: string }>;
}

/**
 * Usage from the rollups against the real embedded platform: traffic through the gateway to the
 * demo echo upstream, metered into chDB, read back through the usage API as a period total, a
 * time series and a breakdown that all agree.
 */
describe('usage API over the rollups (embedded platform)', () => {
  let embedded: EmbeddedPlatform;

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('metering-usage');
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  const admin = (path: string) =>
    fetch(`${embedded.demo.apiUrl}/api/admin/consumers/${embedded.demo.demoConsumerId}${path}`, {
      headers: { authorization: `Bearer ${embedded.demo.adminToken}` },
    });

  const adminJson = async <T>(path: string): Promise<T> => {
    const response = await admin(path);
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    return (await response.json()) as T;
  };

  /** Sends one request through the gateway with the demo key; the echo upstream answers as asked. */
  const send = async (query: string, key = embedded.demo.demoKey) => {
    const response = await fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}?${query}`, {
      headers: { 'x-api-key': key },
    });
    await response.arrayBuffer();
    return response;
  };

  const sumOf = (slices: UsageFigures[], pick: (slice: UsageFigures) => number | undefined) =>
    slices.reduce((total, slice) => total + (pick(slice) ?? 0), 0);

  it('gives requests = 10 and units.sms = 4 for 5 × 200, 3 × 404, 2 × 503 and 2 × 200 with sms=2, in every view', async () => {
    const plan: Array<[string, number]> = [
      ...Array.from({ length: 5 }, (): [string, number] => ['status=200', 200]),
      ...Array.from({ length: 3 }, (): [string, number] => ['status=404', 404]),
      ...Array.from({ length: 2 }, (): [string, number] => ['status=503', 503]),
      ...Array.from({ length: 2 }, (): [string, number] => ['usage=sms%3D2', 200]),
    ];
    for (const [query, status] of plan) {
      const response = await send(query);
      expect({ query, status: response.status }).toEqual({ query, status });
      // The Free plan allows 5 requests a second: stay under it so no request is refused.
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const usage = await eventually(
      () => adminJson<UsageSummary>('/usage'),
      (value) => value.totalRequests >= 12,
      30_000,
      'all 12 requests metered',
    );
    expect(usage).toMatchObject({
      consumerId: embedded.demo.demoConsumerId,
      requests: 10,
      totalRequests: 12,
      units: { sms: 4 },
      quota: { limit: 1000, used: 10, remaining: 990, overage: 0 },
    });
    expect(Object.keys(usage.units)).toEqual(['sms']);

    // A time series over the billing period, per hour and per day, and per minute around now.
    for (const query of ['?granularity=hour', '?granularity=day', '']) {
      const series = await adminJson<UsageTimeseries>(`/usage/timeseries${query}`);
      expect(series.from).toBe(usage.periodStart);
      expect(series.to).toBe(usage.periodEnd);
      expect(series.points[0].start).toBe(usage.periodStart);
      expect(series.points[series.points.length - 1].end).toBe(usage.periodEnd);
      expect({
        query,
        requests: sumOf(series.points, (point) => point.requests),
        totalRequests: sumOf(series.points, (point) => point.totalRequests),
        sms: sumOf(series.points, (point) => point.units['sms']),
      }).toEqual({ query, requests: 10, totalRequests: 12, sms: 4 });
    }
    const now = Date.now();
    const from = new Date(Math.max(now - 3_600_000, Date.parse(usage.periodStart))).toISOString();
    const to = new Date(now + 60_000).toISOString();
    const minutes = await adminJson<UsageTimeseries>(
      `/usage/timeseries?granularity=minute&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    expect(minutes.granularity).toBe('minute');
    expect(minutes.points.length).toBeLessThanOrEqual(62);
    expect(sumOf(minutes.points, (point) => point.requests)).toBe(10);
    expect(sumOf(minutes.points, (point) => point.units['sms'])).toBe(4);
    expect(minutes.points.every((point) => 'sms' in point.units)).toBe(true);

    const byStatus = await adminJson<UsageBreakdown>('/usage/breakdown?by=status');
    expect(byStatus.rows).toEqual([
      { key: '200', requests: 7, totalRequests: 7, units: { sms: 4 } },
      { key: '404', requests: 3, totalRequests: 3, units: {} },
      { key: '503', requests: 0, totalRequests: 2, units: {} },
    ]);
    const byEndpoint = await adminJson<UsageBreakdown>('/usage/breakdown?by=endpoint');
    expect(byEndpoint.rows).toHaveLength(1);
    expect(byEndpoint.rows[0]).toMatchObject({ requests: 10, totalRequests: 12, units: { sms: 4 } });
    for (const breakdown of [byStatus, byEndpoint]) {
      expect(sumOf(breakdown.rows, (row) => row.requests)).toBe(usage.requests);
      expect(sumOf(breakdown.rows, (row) => row.units['sms'])).toBe(usage.units['sms']);
    }
  });

  it.each([
    ['/usage/timeseries?granularity=week', 'granularity'],
    ['/usage/timeseries?granularity=minute', 'granularity'],
    ['/usage/timeseries?from=yesterday', 'from'],
    ['/usage/timeseries?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['/usage/breakdown', 'by'],
    ['/usage/breakdown?by=country', 'by'],
    ['/usage/breakdown?by=status&to=soon', 'to'],
  ])('answers %s with a 400 problem naming %s', async (path, field) => {
    const response = await admin(path);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem.errors?.map((issue) => issue.field)).toEqual([field]);
  });

  it('answers 404 for an unknown consumer and 401 without a token', async () => {
    const unknown = await fetch(
      `${embedded.demo.apiUrl}/api/admin/consumers/cons_missing/usage/breakdown?by=status`,
      {
        headers: { authorization: `Bearer ${embedded.demo.adminToken}` },
      },
    );
    expect(unknown.status).toBe(404);
    const anonymous = await fetch(
      `${embedded.demo.apiUrl}/api/admin/consumers/${embedded.demo.demoConsumerId}/usage/timeseries`,
    );
    expect(anonymous.status).toBe(401);
  });

  it('serves a developer their own time series and breakdown in the portal', async () => {
    const { apiUrl } = embedded.demo;
    const portal = (path: string, init: { cookie?: string; json?: unknown; method?: string } = {}) =>
      fetch(`${apiUrl}/api/portal${path}`, {
        method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
        headers: {
          ...(init.cookie ? { cookie: init.cookie } : {}),
          ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.json === undefined ? undefined : JSON.stringify(init.json),
      });
    const email = 'usage-dev@example.com';
    const password = 'correct horse battery staple';
    expect((await portal('/signup', { json: { email, password, name: 'Usage Dev' } })).status).toBe(201);
    const mail = await eventually(
      async () => {
        const directory = outboxDirectory({ TOLLGATE_DATA_DIR: embedded.dataDirectory });
        const entry = (await listOutbox(directory)).find((candidate) => candidate.to.includes(email));
        return entry ? readOutboxMessage(directory, entry.file) : undefined;
      },
      (found) => found !== undefined,
      10_000,
      'verification mail',
    );
    const link = /http\S+\/api\/portal\/verify\?token=\S+/.exec(mail?.text ?? '')?.[0] ?? '';
    expect((await fetch(link)).status).toBe(200);
    const login = await portal('/login', { json: { email, password } });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const key = ((await (await portal('/keys', { cookie, json: {} })).json()) as { key: string }).key;

    expect((await send('usage=sms%3D3', key)).status).toBe(200);
    expect((await send('status=404', key)).status).toBe(404);
    const own = await eventually(
      async () => (await (await portal('/usage', { cookie })).json()) as UsageSummary,
      (value) => value.totalRequests >= 2,
      30_000,
      "the developer's requests metered",
    );
    expect(own).toMatchObject({ requests: 2, units: { sms: 3 } });
    const series = (await (
      await portal('/usage/timeseries?granularity=hour', { cookie })
    ).json()) as UsageTimeseries;
    expect(series.consumerId).toBe(own.consumerId);
    expect(sumOf(series.points, (point) => point.requests)).toBe(2);
    const breakdown = (await (
      await portal('/usage/breakdown?by=status', { cookie })
    ).json()) as UsageBreakdown;
    expect(breakdown.rows.map((row) => [row.key, row.requests, row.units['sms'] ?? 0])).toEqual([
      ['200', 1, 3],
      ['404', 1, 0],
    ]);
    // The demo consumer's figures are not the developer's.
    expect(own.consumerId).not.toBe(embedded.demo.demoConsumerId);
    const invalid = await portal('/usage/breakdown?by=plan', { cookie });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as Problem).errors?.map((issue) => issue.field)).toEqual(['by']);
  });
});
