import { type EmbeddedPlatform, eventually, startEmbeddedPlatform } from './support/app-process';

jest.setTimeout(300_000);

interface Problem {
  status: number;
  errors?: Array<{ field: string; message: string }>;
}

interface Consumption {
  consumerId: string;
  name: string;
  planId: string;
  planTier: string;
  quotaLimit: number;
  used: number;
  requests: number;
  percentOfQuota: number | null;
}

interface ReconciliationReport {
  run: { runId: string; consumers: number; drifting: number; driftUnits: number } | null;
  rows: Array<{
    consumerId: string;
    gatewayCount: number;
    meteredCount: number;
    drift: number;
    checks: number;
  }>;
}

/**
 * Admin analytics and the usage reconciliation against the real embedded platform: consumers on
 * two plans send known traffic through the gateway to the demo echo upstream; the distribution,
 * top consumers, upsell list, time series and per-endpoint figures give the expected numbers, and
 * the reconciliation finds the gateway's counters equal to what was metered.
 */
describe('admin analytics and usage reconciliation (embedded platform)', () => {
  let embedded: EmbeddedPlatform;
  let smallPlanId: string;
  let largePlanId: string;
  const consumers: Record<'full' | 'light' | 'idle' | 'large', { id: string; key: string }> = {
    full: { id: '', key: '' },
    light: { id: '', key: '' },
    idle: { id: '', key: '' },
    large: { id: '', key: '' },
  };

  const admin = async <T = unknown>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string } = {},
  ): Promise<{ status: number; body: T; contentType: string }> => {
    const response = await fetch(`${embedded.demo.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? embedded.demo.adminToken}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : undefined) as T,
      contentType: response.headers.get('content-type') ?? '',
    };
  };

  const get = async <T>(path: string, token?: string): Promise<T> => {
    const answer = await admin<T>('GET', path, { token });
    expect({ path, status: answer.status }).toEqual({ path, status: 200 });
    return answer.body;
  };

  const send = async (key: string, count: number) => {
    for (let index = 0; index < count; index += 1) {
      const response = await fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}?status=200`, {
        headers: { 'x-api-key': key },
      });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    }
  };

  beforeAll(async () => {
    embedded = await startEmbeddedPlatform('metering-analytics', {
      RECONCILIATION_SETTLE_MS: '1500',
      // Runs once at start; the test runs it on demand after that.
      RECONCILIATION_INTERVAL_MS: '3600000',
    });
    const plan = async (name: string, tier: string, limit: number) => {
      const created = await admin<{ id: string }>('POST', '/api/admin/plans', {
        body: { name, tier, quota: { limit, period: 'month' } },
      });
      expect(created.status).toBe(201);
      return created.body.id;
    };
    smallPlanId = await plan('Analytics Small', 'free', 10);
    largePlanId = await plan('Analytics Large', 'subscription', 100);
    const zones = { full: 'Asia/Tokyo', light: 'America/New_York', idle: 'Europe/Paris', large: 'UTC' };
    for (const name of Object.keys(consumers) as Array<keyof typeof consumers>) {
      const created = await admin<{ id: string }>('POST', '/api/admin/consumers', {
        body: {
          name: `Analytics ${name}`,
          email: `${name}@analytics.test`,
          planId: name === 'large' ? largePlanId : smallPlanId,
          timeZone: zones[name],
        },
      });
      expect(created.status).toBe(201);
      const key = await admin<{ key: string }>('POST', `/api/admin/consumers/${created.body.id}/keys`, {
        body: {},
      });
      expect(key.status).toBe(201);
      consumers[name] = { id: created.body.id, key: key.body.key };
    }
    // The gateway picks the new keys up with the next snapshot.
    await eventually(
      async () =>
        (
          await fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}`, {
            headers: { 'x-api-key': 'tg_live_unknown' },
          })
        ).status,
      (status) => status === 401,
      10_000,
      'gateway up',
    );
    await eventually(
      async () => {
        const response = await fetch(`${embedded.demo.gatewayUrl}${embedded.demo.demoPath}?status=200`, {
          headers: { 'x-api-key': consumers.idle.key },
        });
        await response.arrayBuffer();
        return response.status;
      },
      (status) => status !== 401,
      10_000,
      'new keys known to the gateway',
    );
    // That probe was a counted request of the idle consumer; the figures below include it.
    await send(consumers.full.key, 9);
    await send(consumers.light.key, 2);
    await send(consumers.large.key, 30);
    await eventually(
      () => get<{ consumers: Consumption[] }>('/api/admin/analytics/top-consumers?limit=100'),
      (top) =>
        top.consumers
          .filter((entry) => entry.name.startsWith('Analytics'))
          .reduce((sum, entry) => sum + entry.used, 0) === 42,
      30_000,
      'all 42 requests metered',
    );
  });

  afterAll(async () => {
    await embedded?.dispose();
  });

  it("gives a plan's distribution of current-period usage: histogram by tenth of quota and percentiles", async () => {
    const distribution = await get<{
      planId: string;
      consumers: number;
      histogram: Array<{ label: string; consumers: number }>;
      used: { p50: number; p90: number; p99: number };
      percentOfQuota: { p50: number; p90: number; p99: number };
    }>(`/api/admin/analytics/plans/${smallPlanId}/distribution`);
    // full 9/10, light 2/10, idle 1/10 (the probe).
    expect(distribution).toMatchObject({
      planId: smallPlanId,
      consumers: 3,
      used: { p50: 2, p90: 9, p99: 9 },
      percentOfQuota: { p50: 20, p90: 90, p99: 90 },
    });
    expect(distribution.histogram.filter((bucket) => bucket.consumers > 0)).toEqual([
      expect.objectContaining({ label: '10-20', consumers: 1 }),
      expect.objectContaining({ label: '20-30', consumers: 1 }),
      expect.objectContaining({ label: '90-100', consumers: 1 }),
    ]);
    expect(distribution.histogram).toHaveLength(11);
    const large = await get<{ consumers: number; used: { p50: number } }>(
      `/api/admin/analytics/plans/${largePlanId}/distribution`,
    );
    expect(large).toMatchObject({ consumers: 1, used: { p50: 30 } });
    expect((await admin('GET', '/api/admin/analytics/plans/plan_missing/distribution')).status).toBe(404);
  });

  it('lists the top consumers and the upsell candidates with their share of the quota', async () => {
    const top = await get<{ consumers: Consumption[] }>('/api/admin/analytics/top-consumers?limit=2');
    expect(top.consumers.map((entry) => [entry.consumerId, entry.used, entry.percentOfQuota])).toEqual([
      [consumers.large.id, 30, 30],
      [consumers.full.id, 9, 90],
    ]);
    expect(top.consumers[1]).toMatchObject({
      name: 'Analytics full',
      planId: smallPlanId,
      planTier: 'free',
      quotaLimit: 10,
      requests: 9,
    });
    const upsell = await get<{ threshold: number; consumers: Consumption[] }>('/api/admin/analytics/upsell');
    expect(upsell.threshold).toBe(80);
    expect(upsell.consumers.map((entry) => entry.consumerId)).toEqual([consumers.full.id]);
    const lower = await get<{ consumers: Consumption[] }>('/api/admin/analytics/upsell?threshold=15');
    expect(lower.consumers.map((entry) => entry.consumerId)).toEqual([
      consumers.full.id,
      consumers.large.id,
      consumers.light.id,
    ]);
  });

  it('gives requests over time for everyone and for one plan, per endpoint figures, and no anomaly for a first day', async () => {
    type Series = { points: Array<{ requests: number; totalRequests: number; activeConsumers: number }> };
    const sum = (series: Series) => series.points.reduce((total, point) => total + point.totalRequests, 0);
    const hourly = await get<Series>('/api/admin/analytics/usage?granularity=hour');
    expect(hourly.points).toHaveLength(48);
    expect(sum(hourly)).toBeGreaterThanOrEqual(42);
    const small = await get<Series>(`/api/admin/analytics/usage?planId=${smallPlanId}`);
    expect(small.points).toHaveLength(30);
    expect(sum(small)).toBe(12);
    expect(Math.max(...small.points.map((point) => point.activeConsumers))).toBeGreaterThanOrEqual(1);

    const endpoints = await get<{
      endpoints: Array<{
        totalRequests: number;
        statusClasses: Record<string, number>;
        latencyMs: { p50: number | null };
      }>;
    }>('/api/admin/analytics/endpoints');
    expect(endpoints.endpoints.reduce((total, row) => total + row.totalRequests, 0)).toBeGreaterThanOrEqual(
      42,
    );
    expect(endpoints.endpoints[0].statusClasses['2xx']).toBeGreaterThanOrEqual(42);
    expect(endpoints.endpoints[0].latencyMs.p50).toEqual(expect.any(Number));

    // Every consumer started today: no hour has a day of history to be judged against.
    const anomalies = await get<{ anomalies: unknown[]; minCount: number }>(
      '/api/admin/analytics/anomalies?minCount=1',
    );
    expect(anomalies).toMatchObject({ anomalies: [], minCount: 1 });
  });

  it('finds zero drift between the gateway counters and metered usage once traffic has settled', async () => {
    const run = await admin<ReconciliationReport>('POST', '/api/admin/reconciliation/run');
    expect(run.status).toBe(200);
    expect(run.body.run).toMatchObject({ drifting: 0, driftUnits: 0 });
    expect(run.body.rows).toEqual([]);
    const full = await get<ReconciliationReport>(`/api/admin/reconciliation?consumerId=${consumers.full.id}`);
    expect(full.run?.runId).toBe(run.body.run?.runId);
    expect(full.rows).toEqual([
      expect.objectContaining({
        consumerId: consumers.full.id,
        gatewayCount: 9,
        meteredCount: 9,
        drift: 0,
        checks: 1,
      }),
    ]);
    const all = await get<ReconciliationReport>('/api/admin/reconciliation');
    expect(all.rows.find((row) => row.consumerId === consumers.large.id)).toMatchObject({
      gatewayCount: 30,
      meteredCount: 30,
    });
    expect((await get<ReconciliationReport>('/api/admin/reconciliation?onlyDrift=true')).rows).toEqual([]);
    const metrics = await (await fetch(`${embedded.demo.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tollgate_reconciliation_drifting_consumers(\{[^}]*\})? 0$/m);
    expect(metrics).toMatch(/^tollgate_reconciliation_runs_total(\{[^}]*\})? [1-9]/m);
  });

  it('counts a move from a free-tier plan to a paid one as a conversion of this week', async () => {
    const moved = await admin('PATCH', `/api/admin/consumers/${consumers.light.id}`, {
      body: { planId: largePlanId },
    });
    expect(moved.status).toBe(200);
    const report = await get<{
      points: Array<{ freeConsumers: number; conversions: number; conversionRate: number | null }>;
      totals: { conversions: number };
    }>('/api/admin/analytics/conversion?granularity=week');
    expect(report.points).toHaveLength(12);
    const current = report.points[report.points.length - 1];
    expect(current.conversions).toBe(1);
    expect(current.freeConsumers).toBeGreaterThanOrEqual(3);
    expect(current.conversionRate).toBeCloseTo(1 / current.freeConsumers);
    expect(report.totals.conversions).toBe(1);
  });

  it('lets a viewer read the analytics but not start a reconciliation', async () => {
    const password = 'correct horse battery';
    expect(
      (
        await admin('POST', '/api/admin/admin-users', {
          body: { email: 'analyst@analytics.test', name: 'Analyst', role: 'viewer', password },
        })
      ).status,
    ).toBe(201);
    const login = await fetch(`${embedded.demo.apiUrl}/api/admin/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'analyst@analytics.test', password }),
    });
    const viewer = ((await login.json()) as { token: string }).token;
    await get('/api/admin/analytics/top-consumers', viewer);
    await get('/api/admin/reconciliation', viewer);
    expect((await admin('POST', '/api/admin/reconciliation/run', { token: viewer })).status).toBe(403);
  });

  it.each([
    ['/api/admin/analytics/usage?granularity=minute', 'granularity'],
    ['/api/admin/analytics/usage?granularity=hour&from=2020-01-01T00:00:00Z', 'granularity'],
    ['/api/admin/analytics/usage?from=yesterday', 'from'],
    ['/api/admin/analytics/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['/api/admin/analytics/endpoints?to=soon', 'to'],
    ['/api/admin/analytics/endpoints?from=2020-01-01T00:00:00Z', 'from'],
    ['/api/admin/analytics/top-consumers?limit=0', 'limit'],
    ['/api/admin/analytics/top-consumers?limit=many', 'limit'],
    ['/api/admin/analytics/upsell?threshold=abc', 'threshold'],
    ['/api/admin/analytics/anomalies?minCount=0', 'minCount'],
    ['/api/admin/analytics/anomalies?from=2020-01-01T00:00:00Z', 'from'],
    ['/api/admin/analytics/conversion?granularity=day', 'granularity'],
    ['/api/admin/reconciliation?onlyDrift=maybe', 'onlyDrift'],
    ['/api/admin/reconciliation?limit=-1', 'limit'],
  ])('answers %s with a 400 problem naming %s', async (path, field) => {
    const answer = await admin<Problem>('GET', path);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain('application/problem+json');
    expect(answer.body.errors?.map((issue) => issue.field)).toEqual([field]);
  });

  it('answers 404 for the usage of an unknown plan', async () => {
    expect((await admin('GET', '/api/admin/analytics/usage?planId=plan_missing')).status).toBe(404);
  });
});
