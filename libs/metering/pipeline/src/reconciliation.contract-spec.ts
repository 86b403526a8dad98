import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseAnalyticsStore, createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { createMemoryCounters } from '@tollgate/counters';
import { type GatewaySnapshot, type SnapshotConsumer } from '@tollgate/gateway-snapshot';
import { toClickHouseDateTime, type UsageEventRow } from '@tollgate/metering-domain';
import { type AnalyticsStore, type Counters } from '@tollgate/ports';
import { Registry } from 'prom-client';
import { consumerQuotaPeriods } from './consumer-quota-periods';
import { UsageReconciliation } from './reconciliation-runner';

// The reconciliation job against the real ClickHouse engine (chDB; a server too when
// CLICKHOUSE_URL is set) and in-memory gateway counters: agreement, a drift injected into a
// counter, events that arrive during the settle delay, and route cost weights.
let chdbDataDirectory: string;

beforeAll(async () => {
  chdbDataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-reconciliation-'));
});

afterAll(async () => {
  await rm(chdbDataDirectory, { recursive: true, force: true });
});

const serverUrl = process.env.CLICKHOUSE_URL;
const adapters = [
  { title: 'chDB', url: undefined as string | undefined },
  ...(serverUrl ? [{ title: `ClickHouse server at ${serverUrl}`, url: serverUrl }] : []),
];

/** The run's clock: every counter read happens "at" this instant. */
const now = Date.parse('2026-03-20T12:34:56.789Z');
/** Monthly periods from the 15th, 10:30:00.250 in Paris: 2026-03-15T09:30:00.250Z onwards. */
const periodStart = Date.parse('2026-03-15T09:30:00.250Z');

const consumer = (id: string): SnapshotConsumer => ({
  id,
  status: 'active',
  suspendedReason: null,
  planId: 'plan_pro',
  planVersion: 1,
  periodAnchor: '2026-01-15T09:30:00.250Z',
  timeZone: 'Europe/Paris',
});

const snapshot: GatewaySnapshot = {
  version: 'v1',
  generatedAt: now,
  apis: [
    {
      id: 'api_orders',
      name: 'Orders',
      pathPrefix: '/orders',
      upstreamUrl: 'http://127.0.0.1:1',
      stripPrefix: true,
      routes: [
        { method: 'GET', pathTemplate: '/v1/orders', endpoint: 'GET /v1/orders', costWeight: 1 },
        { method: 'POST', pathTemplate: '/v1/reports', endpoint: 'POST /v1/reports', costWeight: 5 },
      ],
    },
  ],
  plans: [
    {
      id: 'plan_pro',
      version: 1,
      name: 'Pro',
      quota: { limit: 100_000, period: 'month' },
      rateLimit: null,
      concurrency: null,
      allowedEndpoints: null,
      countPolicy: { count4xx: true, count5xx: false },
    },
  ],
  consumers: ['cons_agree', 'cons_drift', 'cons_idle', 'cons_late', 'cons_weighted'].map(consumer),
  keys: [],
};

let offset = 0;
function event(consumerId: string, ts: number, fields: Partial<UsageEventRow> = {}): UsageEventRow {
  offset += 1;
  return {
    id: randomUUID(),
    ts: toClickHouseDateTime(ts),
    consumer_id: consumerId,
    plan_id: 'plan_pro',
    api_id: 'api_orders',
    endpoint: 'GET /v1/orders',
    method: 'GET',
    status: 200,
    request_bytes: 1,
    response_bytes: 1,
    latency_ms: 1,
    upstream_latency_ms: 1,
    cached: false,
    counted: true,
    usage: {},
    source: 'gateway',
    log_topic: 'reconciliation-test',
    log_partition: 0,
    log_offset: String(offset),
    ...fields,
  };
}

const counterKey = (consumerId: string): string =>
  consumerQuotaPeriods(snapshot, now).periods.find((period) => period.consumerId === consumerId)
    ?.counterKey ?? '';

describe.each(adapters)('usage reconciliation: $title', ({ url }) => {
  let store: ClickHouseAnalyticsStore;
  let counters: Counters;
  const logged: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const logger = {
    info: (fields: object, message: string) =>
      logged.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    warn: (fields: object, message: string) =>
      logged.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
  };

  beforeEach(async () => {
    store = await createAnalyticsStore({
      url,
      database: `tollgate_reconciliation_${randomBytes(4).toString('hex')}`,
      dataDirectory: chdbDataDirectory,
    });
    await migrateAnalytics(store);
    counters = createMemoryCounters();
    logged.length = 0;
  });

  afterEach(async () => {
    await store.command(`DROP DATABASE IF EXISTS ${store.database}`).catch(() => undefined);
    await store.close();
    await counters.close();
  });

  /** What the gateway did: the counter charged `units`. */
  const charge = (consumerId: string, units: number) =>
    counters.increment(counterKey(consumerId), units, Date.now() + 3_600_000);

  it('reports zero drift where the counters match, the drift injected into a counter, and stores the run', async () => {
    const rows = [
      // 6 counted requests in the period, 200 ms after its start (a sub-minute edge read raw).
      ...Array.from({ length: 6 }, (_, index) => event('cons_agree', periodStart + 200 + index)),
      // Not counted (5xx), before the period, and after the counter was read: none is metered here.
      event('cons_agree', periodStart + 5_000, { status: 503, counted: false }),
      event('cons_agree', periodStart - 1),
      event('cons_agree', now + 500),
      ...Array.from({ length: 4 }, (_, index) => event('cons_drift', now - 60_000 - index)),
    ];
    await store.insert('usage_events', rows, { deduplicationToken: 'reconciliation:1' });
    await charge('cons_agree', 6);
    // A refund that never reached the counter: the gateway charged 3 units more than it metered.
    await charge('cons_drift', 4 + 3);

    const registry = new Registry();
    const reconciliation = new UsageReconciliation({
      store,
      counters,
      snapshot: async () => snapshot,
      logger,
      registry,
      settleMs: 0,
      now: () => now,
    });
    const run = await reconciliation.run();
    expect(run).toMatchObject({ consumers: 5, drifting: 1, driftUnits: 3, skipped: 0, runAt: now });
    expect(run.rows[0]).toEqual({
      consumerId: 'cons_drift',
      planId: 'plan_pro',
      periodStart,
      periodEnd: Date.parse('2026-04-15T08:30:00.250Z'),
      gatewayCount: 7,
      meteredCount: 4,
      drift: 3,
      checks: 2,
    });
    expect(run.rows.find((row) => row.consumerId === 'cons_agree')).toMatchObject({
      gatewayCount: 6,
      meteredCount: 6,
      drift: 0,
      checks: 1,
    });
    expect(run.rows.find((row) => row.consumerId === 'cons_idle')).toMatchObject({
      gatewayCount: 0,
      drift: 0,
    });

    // Stored: the latest run, its rows, filtered.
    const latest = await reconciliation.latest({ limit: 100 });
    expect(latest?.run).toEqual({
      runId: run.runId,
      runAt: run.runAt,
      finishedAt: run.finishedAt,
      consumers: 5,
      drifting: 1,
      driftUnits: 3,
      skipped: 0,
    });
    expect(latest?.rows).toEqual(run.rows);
    expect(
      (await reconciliation.latest({ onlyDrift: true, limit: 100 }))?.rows.map((row) => row.consumerId),
    ).toEqual(['cons_drift']);
    expect((await reconciliation.latest({ consumerId: 'cons_agree', limit: 100 }))?.rows).toHaveLength(1);
    expect(
      (await reconciliation.latest({ consumerId: 'cons_agree', onlyDrift: true, limit: 100 }))?.rows,
    ).toEqual([]);

    // Alerted: a warning naming the consumer, and the metrics.
    expect(
      logged.filter((entry) => entry.level === 'warn').map((entry) => entry.fields['consumerId']),
    ).toContain('cons_drift');
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((metric) => metric.name === name)?.values[0]?.value;
    expect(value('tollgate_reconciliation_drifting_consumers')).toBe(1);
    expect(value('tollgate_reconciliation_drift_units')).toBe(3);
    expect(value('tollgate_reconciliation_drift_detected_total')).toBe(1);
    expect(value('tollgate_reconciliation_runs_total')).toBe(1);

    // Fixing the counter clears the drift in the next run; the gauge follows, the counter stays.
    await charge('cons_drift', -3);
    const next = await reconciliation.run();
    expect(next.drifting).toBe(0);
    expect((await reconciliation.latest({ limit: 10 }))?.run.runId).toBe(next.runId);
    const after = await registry.getMetricsAsJSON();
    expect(
      after.find((metric) => metric.name === 'tollgate_reconciliation_drifting_consumers')?.values[0]?.value,
    ).toBe(0);
    expect(
      after.find((metric) => metric.name === 'tollgate_reconciliation_drift_detected_total')?.values[0]
        ?.value,
    ).toBe(1);
    expect(logged.at(-1)).toMatchObject({ level: 'info' });
  });

  it('does not report events that reach ClickHouse during the settle delay (events lag the counter)', async () => {
    await charge('cons_late', 3);
    const late = Array.from({ length: 3 }, (_, index) => event('cons_late', now - 1_000 - index));
    // The events land after the first comparison read ClickHouse and before the recheck does.
    let statements = 0;
    const lagging: AnalyticsStore = {
      database: store.database,
      query: async <Row>(sql: string, params?: Record<string, unknown>) => {
        const rows = await store.query<Row>(sql, params);
        if (sql.includes('INNER JOIN') && ++statements === 1) {
          await store.insert('usage_events', late, { deduplicationToken: 'late' });
        }
        return rows;
      },
      command: (sql, params) => store.command(sql, params),
      insert: (table, rows, options) => store.insert(table, rows, options),
      ping: () => store.ping(),
      close: async () => undefined,
    };
    const run = await new UsageReconciliation({
      store: lagging,
      counters,
      snapshot: async () => snapshot,
      logger,
      settleMs: 10,
      now: () => now,
    }).run();
    expect(run.rows.find((row) => row.consumerId === 'cons_late')).toMatchObject({
      gatewayCount: 3,
      meteredCount: 3,
      drift: 0,
      checks: 2,
    });
    expect(run.drifting).toBe(0);
    expect(logged.some((entry) => entry.level === 'warn')).toBe(false);
  });

  it("weighs each request by its route's cost, as the gateway charges it", async () => {
    await store.insert(
      'usage_events',
      [
        event('cons_weighted', now - 10_000, { endpoint: 'POST /v1/reports', method: 'POST' }),
        event('cons_weighted', now - 9_000, { endpoint: 'POST /v1/reports', method: 'POST' }),
        event('cons_weighted', now - 8_000),
      ],
      { deduplicationToken: 'weighted' },
    );
    await charge('cons_weighted', 5 + 5 + 1);
    const run = await new UsageReconciliation({
      store,
      counters,
      snapshot: async () => snapshot,
      logger,
      settleMs: 0,
      now: () => now,
    }).run();
    expect(run.rows.find((row) => row.consumerId === 'cons_weighted')).toMatchObject({
      gatewayCount: 11,
      meteredCount: 11,
      drift: 0,
    });
  });

  it('joins a run in progress instead of starting a second one, and has no latest run before the first', async () => {
    const reconciliation = new UsageReconciliation({
      store,
      counters,
      snapshot: async () => snapshot,
      logger,
      settleMs: 50,
      now: () => now,
    });
    expect(await reconciliation.latest({ limit: 10 })).toBeNull();
    const [first, second] = await Promise.all([reconciliation.run(), reconciliation.run()]);
    expect(second.runId).toBe(first.runId);
    const [runs] = await store.query<{ n: string }>(
      'SELECT toString(count()) AS n FROM usage_reconciliation_runs',
    );
    expect(runs.n).toBe('1');
  });
});
