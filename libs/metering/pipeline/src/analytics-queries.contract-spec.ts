import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClickHouseAnalyticsStore,
  createAnalyticsStore,
  defaultAnalyticsMigrationsDirectory,
  migrateAnalytics,
  readAnalyticsMigrations,
} from '@tollgate/analytics';
import { toClickHouseDateTime, type UsageEventRow } from '@tollgate/metering-domain';
import { AnalyticsQueries, type ConsumerRange } from './analytics-queries';

// Admin analytics reads against the real ClickHouse engine (chDB in process; a server too when
// CLICKHOUSE_URL is set): every figure must equal what the raw events give.
let chdbDataDirectory: string;

beforeAll(async () => {
  chdbDataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-analytics-queries-'));
});

afterAll(async () => {
  await rm(chdbDataDirectory, { recursive: true, force: true });
});

const serverUrl = process.env.CLICKHOUSE_URL;
const adapters = [
  { title: 'chDB', url: undefined as string | undefined },
  ...(serverUrl ? [{ title: `ClickHouse server at ${serverUrl}`, url: serverUrl }] : []),
];

function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const HOUR = 3_600_000;
const spanStart = Date.UTC(2026, 2, 1, 21, 17, 3, 250);
const spanEnd = spanStart + 60 * HOUR;
const consumers = ['cons_a', 'cons_b', 'cons_c', 'cons_d', 'cons_e'];
const endpoints = ['GET /v1/orders/:id', 'POST /v1/orders', 'GET /v1/health'];

interface TestEvent {
  ts: number;
  consumerId: string;
  apiId: string;
  endpoint: string;
  status: number;
  counted: boolean;
  source: string;
  latencyMs: number;
}

function makeEvents(count: number): TestEvent[] {
  const random = generator(99);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const events: TestEvent[] = [];
  const used = new Set<number>();
  while (events.length < count) {
    const ts =
      random() < 0.6
        ? spanStart + Math.floor(random() * (spanEnd - spanStart))
        : pick([spanStart, spanStart + 25 * HOUR, spanStart + 50 * HOUR]) + Math.floor(random() * 150_000);
    if (used.has(ts)) continue;
    used.add(ts);
    const status = pick([200, 200, 201, 302, 404, 429, 500, 503]);
    events.push({
      ts,
      consumerId: pick(consumers),
      apiId: pick(['api_x', 'api_y']),
      endpoint: pick(endpoints),
      status,
      counted: status < 500 && status !== 429,
      source: random() < 0.95 ? 'gateway' : 'signup',
      latencyMs: Math.floor(random() * 100),
    });
  }
  return events;
}

function rowOf(event: TestEvent, offset: number): UsageEventRow {
  return {
    id: randomUUID(),
    ts: toClickHouseDateTime(event.ts),
    consumer_id: event.consumerId,
    plan_id: 'plan_test',
    api_id: event.apiId,
    endpoint: event.endpoint,
    method: event.endpoint.split(' ')[0],
    status: event.status,
    request_bytes: 1,
    response_bytes: 2,
    latency_ms: event.latencyMs,
    upstream_latency_ms: 1,
    cached: false,
    counted: event.counted,
    usage: {},
    source: event.source,
    log_topic: 'analytics-test',
    log_partition: 0,
    log_offset: String(offset),
  };
}

const events = makeEvents(4000);

describe.each(adapters)('admin analytics over the rollups: $title', ({ url }) => {
  let store: ClickHouseAnalyticsStore;
  const databases: string[] = [];

  beforeAll(async () => {
    const database = `tollgate_analytics_${randomBytes(4).toString('hex')}`;
    databases.push(database);
    store = await createAnalyticsStore({ url, database, dataDirectory: chdbDataDirectory });
    await migrateAnalytics(store);
    for (let offset = 0; offset < events.length; offset += 1000) {
      await store.insert(
        'usage_events',
        events.slice(offset, offset + 1000).map((event, index) => rowOf(event, offset + index)),
        { deduplicationToken: `analytics:${offset}` },
      );
    }
  });

  afterAll(async () => {
    for (const database of databases)
      await store?.command(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await store?.close();
  });

  it('reads each consumer over its own unaligned range exactly, in chunks, as the raw events give', async () => {
    const random = generator(5);
    const ranges: ConsumerRange[] = consumers.map((consumerId) => {
      const from = spanStart + Math.floor(random() * 20 * HOUR);
      return { consumerId, from, to: from + Math.floor(random() * 38 * HOUR) + 1 };
    });
    // A consumer whose range is empty, and one that never had traffic.
    ranges.push(
      { consumerId: 'cons_b', from: spanEnd + HOUR, to: spanEnd + HOUR },
      { consumerId: 'cons_none', from: spanStart, to: spanEnd },
    );
    const queries = new AnalyticsQueries(store, { consumersPerStatement: 2 });
    const measured = await queries.countedRequestsByEndpoint(ranges.filter((range) => range.to > range.from));
    for (const range of ranges.slice(0, consumers.length)) {
      const expected = new Map<string, number>();
      for (const event of events) {
        if (event.consumerId !== range.consumerId || event.ts < range.from || event.ts >= range.to) continue;
        if (event.source !== 'gateway' || !event.counted) continue;
        const key = `${event.apiId} ${event.endpoint}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const got = new Map(
        (measured.get(range.consumerId) ?? []).map((row) => [`${row.apiId} ${row.endpoint}`, row.requests]),
      );
      expect({ consumer: range.consumerId, rows: Object.fromEntries(got) }).toEqual({
        consumer: range.consumerId,
        rows: Object.fromEntries(expected),
      });
    }
    expect(measured.has('cons_none')).toBe(false);
    expect(await queries.countedRequestsByEndpoint([])).toEqual(new Map());
  });

  it('gives requests over time per hour and per day, for everyone or a set of consumers', async () => {
    const queries = new AnalyticsQueries(store);
    const from = Math.floor(spanStart / (24 * HOUR)) * 24 * HOUR;
    const to = from + 4 * 24 * HOUR;
    const gateway = events.filter((event) => event.source === 'gateway');
    for (const granularity of ['hour', 'day'] as const) {
      const size = granularity === 'hour' ? HOUR : 24 * HOUR;
      const points = await queries.requestsOverTime({ from, to }, granularity);
      expect(points).toHaveLength((to - from) / size);
      expect(points.reduce((total, point) => total + point.totalRequests, 0)).toBe(gateway.length);
      expect(points.reduce((total, point) => total + point.requests, 0)).toBe(
        gateway.filter((event) => event.counted).length,
      );
      const busiest = points.reduce((best, point) =>
        point.totalRequests > best.totalRequests ? point : best,
      );
      const inBusiest = gateway.filter((event) => event.ts >= busiest.start && event.ts < busiest.end);
      expect(busiest.activeConsumers).toBe(new Set(inBusiest.map((event) => event.consumerId)).size);
    }
    const some = await queries.requestsOverTime({ from, to }, 'day', ['cons_a', 'cons_b']);
    expect(some.reduce((total, point) => total + point.totalRequests, 0)).toBe(
      gateway.filter((event) => event.consumerId === 'cons_a' || event.consumerId === 'cons_b').length,
    );
    const none = await queries.requestsOverTime({ from, to }, 'day', []);
    expect(none.every((point) => point.totalRequests === 0)).toBe(true);
    await expect(queries.requestsOverTime({ from: from + 1, to }, 'day')).rejects.toThrow(RangeError);
  });

  it('gives per-endpoint requests, status classes and latency percentiles', async () => {
    const queries = new AnalyticsQueries(store);
    const from = Math.floor(spanStart / HOUR) * HOUR;
    const to = Math.ceil(spanEnd / HOUR) * HOUR + 2 * HOUR;
    const rows = await queries.endpoints({ from, to });
    const gateway = events.filter((event) => event.source === 'gateway');
    expect(rows).toHaveLength(6);
    for (const row of rows) {
      const selected = gateway.filter(
        (event) => event.apiId === row.apiId && event.endpoint === row.endpoint,
      );
      const classOf = (digit: number) =>
        selected.filter((event) => Math.floor(event.status / 100) === digit).length;
      expect(row).toMatchObject({
        totalRequests: selected.length,
        requests: selected.filter((event) => event.counted).length,
        statusClasses: {
          '1xx': 0,
          '2xx': classOf(2),
          '3xx': classOf(3),
          '4xx': classOf(4),
          '5xx': classOf(5),
        },
        errors: classOf(4) + classOf(5),
      });
      // Latencies are uniform on 0–99 ms: a t-digest median lands near 50.
      expect(row.latencyMs.p50).toBeGreaterThan(40);
      expect(row.latencyMs.p50).toBeLessThan(60);
      expect(row.latencyMs.p99).toBeGreaterThan(90);
    }
    expect(rows.map((row) => row.totalRequests)).toEqual(
      [...rows.map((row) => row.totalRequests)].sort((a, b) => b - a),
    );
  });

  it('finds the consumers with a busy hour, their hourly series and their first day', async () => {
    const queries = new AnalyticsQueries(store);
    const from = Math.floor(spanStart / HOUR) * HOUR;
    const to = Math.ceil(spanEnd / HOUR) * HOUR + HOUR;
    const hourly = new Map<string, Map<number, number>>();
    for (const event of events) {
      if (event.source !== 'gateway') continue;
      const series = hourly.get(event.consumerId) ?? new Map<number, number>();
      const hour = Math.floor(event.ts / HOUR) * HOUR;
      series.set(hour, (series.get(hour) ?? 0) + 1);
      hourly.set(event.consumerId, series);
    }
    const threshold = Math.max(...[...hourly.values()].map((series) => Math.max(...series.values())));
    const busiest = [...hourly.entries()]
      .filter(([, series]) => Math.max(...series.values()) >= threshold)
      .map(([consumer]) => consumer)
      .sort();
    expect(await queries.busyConsumers({ from, to }, threshold)).toEqual(busiest);
    expect(await queries.busyConsumers({ from, to }, threshold, ['cons_zzz'])).toEqual([]);
    expect(await queries.busyConsumers({ from, to }, 1)).toEqual([...consumers].sort());

    const series = await queries.hourlyRequests({ from, to }, ['cons_a', 'cons_c']);
    expect(Object.fromEntries(series.get('cons_a') ?? [])).toEqual(
      Object.fromEntries(hourly.get('cons_a') ?? []),
    );
    expect(Object.fromEntries(series.get('cons_c') ?? [])).toEqual(
      Object.fromEntries(hourly.get('cons_c') ?? []),
    );
    expect(series.has('cons_b')).toBe(false);

    const first = await queries.firstActiveDay(['cons_a', 'cons_none']);
    const firstA = Math.min(
      ...events
        .filter((event) => event.consumerId === 'cons_a' && event.source === 'gateway')
        .map((event) => event.ts),
    );
    expect(first.get('cons_a')).toBe(Math.floor(firstA / (24 * HOUR)) * 24 * HOUR);
    expect(first.has('cons_none')).toBe(false);
  });

  it('backfills the latency rollup from rows stored before it, once, however often the migration runs', async () => {
    const database = `tollgate_latency_${randomBytes(4).toString('hex')}`;
    databases.push(database);
    const fresh = await createAnalyticsStore({ url, database, dataDirectory: chdbDataDirectory });
    try {
      const migrations = await readAnalyticsMigrations(defaultAnalyticsMigrationsDirectory);
      const run = async (version: string) => {
        const migration = migrations.find((candidate) => candidate.version.startsWith(version));
        expect(migration).toBeDefined();
        for (const statement of migration?.statements ?? []) {
          await fresh.command(statement.replaceAll('{database}', `\`${fresh.database}\``));
        }
      };
      for (const version of ['0001', '0002', '0003', '0004', '0005']) await run(version);
      const sample = events.slice(0, 500);
      await fresh.insert(
        'usage_events',
        sample.map((event, index) => rowOf(event, index)),
        { deduplicationToken: 'before-latency' },
      );
      await run('0006');
      await run('0006');
      const from = Math.floor(spanStart / HOUR) * HOUR;
      const rows = await new AnalyticsQueries(fresh).endpoints({ from, to: from + 100 * HOUR });
      const withLatency = rows.filter((entry) => entry.latencyMs.p50 !== null);
      expect(withLatency).toHaveLength(rows.length);
      // One state per hour × endpoint: the second run of the file added nothing.
      const [states] = await fresh.query<{ rows: string }>(
        'SELECT toString(count()) AS rows FROM usage_latency_hour',
      );
      const groups = new Set(
        sample
          .filter((event) => event.source === 'gateway')
          .map((event) => `${Math.floor(event.ts / HOUR)} ${event.apiId} ${event.endpoint}`),
      );
      expect(Number(states.rows)).toBe(groups.size);
    } finally {
      await fresh.close();
    }
  });
});
