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
import {
  type MeterDefinition,
  meterDefinitionSchema,
  type MeterDefinitionInput,
  requestsMeter,
  toClickHouseDateTime,
  type UsageEventRow,
  type UsageRange,
} from '@tollgate/metering-domain';
import { UsageQueries } from './usage-queries';

// The usage reads against the real ClickHouse engine (chDB in process; a server too when
// CLICKHOUSE_URL is set): rollups filled by the materialized views must give, for any range, what
// the raw events give.
let chdbDataDirectory: string;

beforeAll(async () => {
  chdbDataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-usage-queries-'));
});

afterAll(async () => {
  await rm(chdbDataDirectory, { recursive: true, force: true });
});

const serverUrl = process.env.CLICKHOUSE_URL;

const adapters = [
  { title: 'chDB', url: undefined as string | undefined },
  ...(serverUrl ? [{ title: `ClickHouse server at ${serverUrl}`, url: serverUrl }] : []),
];

/** Deterministic pseudo-random numbers, so a failure reproduces. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const consumerId = 'cons_usage';
const spanStart = Date.UTC(2026, 2, 1, 21, 17, 3, 250);
const spanEnd = spanStart + 50 * 3_600_000;

interface TestEvent {
  id: string;
  ts: number;
  consumerId: string;
  endpoint: string;
  method: string;
  status: number;
  counted: boolean;
  source: string;
  usage: Record<string, number>;
}

function rowOf(event: TestEvent, offset: number): UsageEventRow {
  return {
    id: event.id,
    ts: toClickHouseDateTime(event.ts),
    consumer_id: event.consumerId,
    plan_id: 'plan_test',
    api_id: 'api_test',
    endpoint: event.endpoint,
    method: event.method,
    status: event.status,
    request_bytes: 10,
    response_bytes: 20,
    latency_ms: 1,
    upstream_latency_ms: 1,
    cached: false,
    counted: event.counted,
    usage: event.usage,
    source: event.source,
    log_topic: 'usage-test',
    log_partition: 0,
    log_offset: String(offset),
  };
}

/** A mix of endpoints, statuses, counted flags, usage keys and sources; unique timestamps. */
function makeEvents(count: number): TestEvent[] {
  const random = generator(42);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const used = new Set<number>();
  const events: TestEvent[] = [];
  while (events.length < count) {
    // Dense around a few instants so that minute, hour and day edges all hold events.
    const ts =
      random() < 0.5
        ? spanStart + Math.floor(random() * (spanEnd - spanStart))
        : pick([spanStart, spanStart + 2_700_000, spanStart + 26 * 3_600_000]) +
          Math.floor(random() * 120_000);
    if (used.has(ts)) continue;
    used.add(ts);
    const status = pick([200, 200, 200, 201, 404, 429, 503]);
    const usage: Record<string, number> = {};
    if (random() < 0.4) usage['sms'] = pick([1, 2, 3]);
    if (random() < 0.3) usage['txn_value'] = pick([100, 12_550, 0.5, 999]);
    if (random() < 0.3) usage['seats'] = pick([1, 4, 9, 16]);
    events.push({
      id: randomUUID(),
      ts,
      consumerId: random() < 0.9 ? consumerId : 'cons_other',
      endpoint: pick(['GET /v1/orders/:id', 'POST /v1/orders', 'GET /v1/health']),
      method: pick(['GET', 'POST']),
      status,
      counted: status < 500 && status !== 429,
      source: random() < 0.95 ? 'gateway' : 'signup',
      usage,
    });
  }
  return events;
}

const meter = (input: MeterDefinitionInput): MeterDefinition => meterDefinitionSchema.parse(input);

const meters: MeterDefinition[] = [
  requestsMeter,
  meter({ slug: 'every_request', aggregation: 'count', countedOnly: false }),
  meter({ slug: 'sms', aggregation: 'sum', valueKey: 'sms' }),
  meter({ slug: 'sms_all', aggregation: 'sum', valueKey: 'sms', countedOnly: false }),
  meter({ slug: 'largest_txn', aggregation: 'max', valueKey: 'txn_value' }),
  meter({ slug: 'seats', aggregation: 'latest', valueKey: 'seats' }),
  meter({ slug: 'seat_sizes', aggregation: 'unique_count', valueKey: 'seats' }),
  meter({ slug: 'sms_requests', aggregation: 'count', valueKey: 'sms' }),
  meter({
    slug: 'order_failures',
    aggregation: 'count',
    countedOnly: false,
    filters: {
      endpoints: ['GET /v1/orders/:id', 'POST /v1/orders'],
      methods: ['GET'],
      statuses: [404, '5xx'],
    },
  }),
  meter({ slug: 'signups', aggregation: 'count', eventType: 'signup' }),
];

/** What a meter measures, computed from the events themselves. */
function expectedValue(definition: MeterDefinition, events: TestEvent[], range: UsageRange): number {
  const selected = events.filter((event) => {
    if (event.consumerId !== consumerId || event.ts < range.from || event.ts >= range.to) return false;
    if (definition.eventType !== undefined) {
      if (event.source !== definition.eventType) return false;
    } else if (event.source !== 'gateway' || (definition.countedOnly && !event.counted)) {
      return false;
    }
    const { endpoints, methods, statuses } = definition.filters;
    if (endpoints && !endpoints.includes(event.endpoint)) return false;
    if (methods && !methods.includes(event.method as never)) return false;
    if (
      statuses &&
      !statuses.some((status) =>
        typeof status === 'number'
          ? status === event.status
          : Number(status[0]) === Math.floor(event.status / 100),
      )
    ) {
      return false;
    }
    return definition.valueKey === undefined || definition.valueKey in event.usage;
  });
  const values = selected.map((event) => event.usage[definition.valueKey ?? ''] ?? 0);
  switch (definition.aggregation) {
    case 'count':
      return selected.length;
    case 'sum':
      return values.reduce((total, value) => total + value, 0);
    case 'max':
      return values.length === 0 ? 0 : Math.max(...values);
    case 'latest': {
      const latest = selected.reduce<TestEvent | undefined>(
        (found, event) => (found === undefined || event.ts > found.ts ? event : found),
        undefined,
      );
      return latest?.usage[definition.valueKey ?? ''] ?? 0;
    }
    case 'unique_count':
      return new Set(values).size;
  }
}

describe.each(adapters)('usage queries over the rollups: $title', ({ url }) => {
  let keeper: ClickHouseAnalyticsStore;
  const opened: ClickHouseAnalyticsStore[] = [];
  const databases: string[] = [];

  async function freshStore(): Promise<ClickHouseAnalyticsStore> {
    const database = `usage_queries_${process.pid}_${randomBytes(4).toString('hex')}`;
    const store = await createAnalyticsStore({ url, database, dataDirectory: chdbDataDirectory });
    opened.push(store);
    databases.push(database);
    return store;
  }

  beforeAll(async () => {
    keeper = await createAnalyticsStore({ url, database: 'default', dataDirectory: chdbDataDirectory });
  });
  afterAll(async () => {
    await keeper.close();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
    for (const database of databases.splice(0)) {
      await keeper.command(`DROP DATABASE IF EXISTS \`${database}\``);
    }
  });

  const totalOf = async (store: ClickHouseAnalyticsStore, table: string, column: string) => {
    const [row] = await store.query<{ total: string }>(
      `SELECT toString(sum(${column})) AS total FROM ${table}`,
    );
    return Number(row.total);
  };

  describe('with 3,000 events metered in batches', () => {
    const events = makeEvents(3_000);
    let store: ClickHouseAnalyticsStore;
    let usage: UsageQueries;

    beforeAll(async () => {
      const database = `usage_queries_${process.pid}_${randomBytes(4).toString('hex')}`;
      store = await createAnalyticsStore({ url, database, dataDirectory: chdbDataDirectory });
      await migrateAnalytics(store);
      const rows = events.map((event, index) => rowOf(event, index));
      for (let first = 0; first < rows.length; first += 250) {
        await store.insert('usage_events', rows.slice(first, first + 250), {
          deduplicationToken: `usage-test:0:${first}`,
        });
      }
      usage = new UsageQueries(store);
    });
    afterAll(async () => {
      await keeper.command(`DROP DATABASE IF EXISTS \`${store.database}\``);
      await store.close();
    });

    const random = generator(7);
    const randomInstant = () =>
      spanStart - 3_600_000 + Math.floor(random() * (spanEnd - spanStart + 7_200_000));
    const ranges: Array<[string, UsageRange]> = [
      ['the whole span', { from: spanStart - 86_400_000, to: spanEnd + 86_400_000 }],
      ['a span with unaligned edges', { from: spanStart + 1, to: spanEnd - 1 }],
      ['whole UTC days', { from: Date.UTC(2026, 2, 2), to: Date.UTC(2026, 2, 3) }],
      ['less than a minute', { from: spanStart + 2_700_000 + 5_000, to: spanStart + 2_700_000 + 50_000 }],
      ['a +05:45 local day', { from: Date.UTC(2026, 2, 1, 18, 15), to: Date.UTC(2026, 2, 2, 18, 15) }],
      ['nothing', { from: spanStart, to: spanStart }],
      ...Array.from({ length: 12 }, (_, index): [string, UsageRange] => {
        const [a, b] = [randomInstant(), randomInstant()].sort((x, y) => x - y);
        return [`random range ${index + 1}`, { from: a, to: b + 1 }];
      }),
    ];

    it.each(ranges)('gives every meter the value of the raw events over %s', async (_title, range) => {
      const figures = await usage.totals(consumerId, range, meters);
      const expected = Object.fromEntries(
        meters.slice(1).map((definition) => [definition.slug, expectedValue(definition, events, range)]),
      );
      expect(figures.requests).toBe(expectedValue(requestsMeter, events, range));
      expect(figures.totalRequests).toBe(expectedValue(meters[1], events, range));
      expect(figures.units).toEqual(expect.objectContaining(expected));
    });

    it('lists reported usage keys no meter names as sums', async () => {
      const range = { from: spanStart, to: spanEnd };
      const figures = await usage.totals(consumerId, range, [requestsMeter]);
      const sum = (key: string) =>
        events
          .filter((e) => e.consumerId === consumerId && e.source === 'gateway' && e.counted && key in e.usage)
          .reduce((total, e) => total + e.usage[key], 0);
      expect(figures.units).toEqual({ seats: sum('seats'), sms: sum('sms'), txn_value: sum('txn_value') });
    });

    it.each(['minute', 'hour', 'day'] as const)(
      'splits a range into %s points that add up to its totals',
      async (granularity) => {
        const range =
          granularity === 'minute'
            ? { from: spanStart + 2_700_000 - 1_234, to: spanStart + 2_700_000 + 600_000 + 4_321 }
            : { from: spanStart + 1, to: spanEnd - 1 };
        const points = await usage.timeseries(consumerId, range, meters, granularity);
        const totals = await usage.totals(consumerId, range, meters);
        expect(points[0].start).toBe(new Date(range.from).toISOString());
        expect(points[points.length - 1].end).toBe(new Date(range.to).toISOString());
        const add = (pick: (point: (typeof points)[number]) => number) =>
          points.reduce((total, point) => total + pick(point), 0);
        expect(add((point) => point.requests)).toBe(totals.requests);
        expect(add((point) => point.totalRequests)).toBe(totals.totalRequests);
        expect(add((point) => point.units['sms'])).toBe(totals.units['sms']);
        expect(add((point) => point.units['signups'])).toBe(totals.units['signups']);
        // Every point is the value of its own clipped bucket.
        for (const point of points.filter((_, index) => index % 7 === 0)) {
          const bucket = { from: Date.parse(point.start), to: Date.parse(point.end) };
          expect(point.units['largest_txn']).toBe(expectedValue(meters[4], events, bucket));
          expect(point.units['seats']).toBe(expectedValue(meters[5], events, bucket));
        }
      },
    );

    it.each(['endpoint', 'status'] as const)(
      'breaks a range down by %s, adding up to its totals',
      async (by) => {
        const range = { from: spanStart + 1, to: spanEnd - 1 };
        const rows = await usage.breakdown(consumerId, range, meters, by);
        const totals = await usage.totals(consumerId, range, meters);
        const add = (pick: (row: (typeof rows)[number]) => number) =>
          rows.reduce((total, row) => total + pick(row), 0);
        expect(add((row) => row.requests)).toBe(totals.requests);
        expect(add((row) => row.totalRequests)).toBe(totals.totalRequests);
        expect(add((row) => row.units['sms'])).toBe(totals.units['sms']);
        expect(rows.map((row) => row.key)).toEqual(
          by === 'status'
            ? ['200', '201', '404', '429', '503']
            : ['GET /v1/health', 'GET /v1/orders/:id', 'POST /v1/orders'],
        );
        const notFound = by === 'status' ? rows.find((row) => row.key === '404') : undefined;
        if (notFound) {
          expect(notFound.totalRequests).toBe(
            expectedValue(
              meter({ slug: 'n', aggregation: 'count', countedOnly: false, filters: { statuses: [404] } }),
              events,
              range,
            ),
          );
        }
      },
    );
  });

  it('reads whole minutes, hours and days from the rollups alone', async () => {
    const store = await freshStore();
    await migrateAnalytics(store);
    const events = makeEvents(500);
    await store.insert(
      'usage_events',
      events.map((event, index) => rowOf(event, index)),
      { deduplicationToken: 'rollups-alone' },
    );
    const usage = new UsageQueries(store);
    // Minute-aligned edges: nothing to read raw, so emptying usage_events changes no figure.
    const range = { from: Math.ceil(spanStart / 60_000) * 60_000, to: Math.floor(spanEnd / 60_000) * 60_000 };
    const before = await usage.totals(consumerId, range, meters);
    expect(before.requests).toBeGreaterThan(100);
    await store.command('TRUNCATE TABLE usage_events');
    expect(await usage.totals(consumerId, range, meters)).toEqual(before);
    // An unaligned edge reads its sub-minute remainder raw: now empty.
    const edge = events.filter(
      (event) =>
        event.consumerId === consumerId &&
        event.source === 'gateway' &&
        event.ts >= range.from &&
        event.ts < range.from + 60_000,
    );
    expect(edge.length).toBeGreaterThan(0);
    const shifted = await usage.totals(consumerId, { from: range.from + 1, to: range.to }, [requestsMeter]);
    expect(shifted.totalRequests).toBe(before.totalRequests - edge.length);
  });

  it('fills each rollup once when a batch is retried, even after a retry whose views had not run', async () => {
    const store = await freshStore();
    await migrateAnalytics(store);
    const at = Date.UTC(2026, 5, 1, 10, 0, 0, 500);
    const batch = (first: number) =>
      [0, 1, 2].map((index) =>
        rowOf(
          {
            id: randomUUID(),
            ts: at + first + index,
            consumerId,
            endpoint: 'GET /a',
            method: 'GET',
            status: 200,
            counted: true,
            source: 'gateway',
            usage: { sms: 2 },
          },
          first + index,
        ),
      );
    const first = batch(0);
    await store.insert('usage_events', first, { deduplicationToken: 'retry:0:0-2' });
    await store.insert('usage_events', first, { deduplicationToken: 'retry:0:0-2' });
    expect(await totalOf(store, 'usage_requests_minute', 'requests')).toBe(3);
    expect(await totalOf(store, 'usage_units_hour', 'amount_sum')).toBe(6);

    // The raw insert lands but the rollup views do not run (they stand detached here, as a view
    // insert that failed): the retry must fill the rollups, and a further retry must not again.
    const second = batch(3);
    await store.command('DETACH TABLE usage_requests_minute_mv');
    await store.command('DETACH TABLE usage_units_day_mv');
    await store.insert('usage_events', second, { deduplicationToken: 'retry:0:3-5' });
    await store.command('ATTACH TABLE usage_requests_minute_mv');
    await store.command('ATTACH TABLE usage_units_day_mv');
    expect(await totalOf(store, 'usage_requests_minute', 'requests')).toBe(3);
    await store.insert('usage_events', second, { deduplicationToken: 'retry:0:3-5' });
    await store.insert('usage_events', second, { deduplicationToken: 'retry:0:3-5' });

    const [raw] = await store.query<{ rows: string }>('SELECT count() AS rows FROM usage_events');
    expect(raw.rows).toBe('6');
    expect(await totalOf(store, 'usage_requests_minute', 'requests')).toBe(6);
    expect(await totalOf(store, 'usage_requests_hour', 'requests')).toBe(6);
    expect(await totalOf(store, 'usage_units_day', 'amount_sum')).toBe(12);
    const figures = await new UsageQueries(store).totals(consumerId, { from: at - 1, to: at + 60_000 }, [
      requestsMeter,
    ]);
    expect(figures).toEqual({ requests: 6, totalRequests: 6, units: { sms: 12 } });
  });

  it('backfills rows stored before the rollups existed, once, however often the migration runs', async () => {
    const store = await freshStore();
    const migrations = await readAnalyticsMigrations(defaultAnalyticsMigrationsDirectory);
    const run = async (version: string) => {
      const migration = migrations.find((candidate) => candidate.version === version);
      for (const statement of migration?.statements ?? []) {
        await store.command(statement.replaceAll('{database}', `\`${store.database}\``));
      }
    };
    await run('0001_usage_events');
    await run('0002_usage_offsets');
    const events = makeEvents(200);
    await store.insert(
      'usage_events',
      events.map((event, index) => rowOf(event, index)),
      { deduplicationToken: 'before-rollups' },
    );
    await run('0003_usage_request_rollups');
    await run('0004_usage_unit_rollups');
    // A file that failed half-way is run again from its first statement.
    await run('0003_usage_request_rollups');
    await run('0004_usage_unit_rollups');
    for (const table of ['usage_requests_minute', 'usage_requests_hour', 'usage_requests_day']) {
      expect(await totalOf(store, table, 'requests')).toBe(events.length);
    }
    const range = { from: spanStart - 86_400_000, to: spanEnd + 86_400_000 };
    const figures = await new UsageQueries(store).totals(consumerId, range, meters);
    expect(figures.units['sms']).toBe(expectedValue(meters[2], events, range));
    expect(figures.units['seat_sizes']).toBe(expectedValue(meters[6], events, range));
  });

  it('keeps raw events 400 days after they were stored; the rollups have no TTL', async () => {
    const store = await freshStore();
    await migrateAnalytics(store);
    const tables = await store.query<{ name: string; create_table_query: string }>(
      "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() AND name IN ('usage_events', 'usage_requests_day')",
    );
    const ddl = Object.fromEntries(tables.map((table) => [table.name, table.create_table_query]));
    expect(ddl['usage_events']).toMatch(/TTL toDateTime\(ingested_at\) \+ toIntervalDay\(400\)/);
    expect(ddl['usage_requests_day']).not.toMatch(/TTL/);
    // An event whose own time is older than the TTL is still stored when it arrives.
    const old = { ...rowOf(makeEvents(1)[0], 0), ts: toClickHouseDateTime(Date.UTC(2020, 0, 1)) };
    await store.insert('usage_events', [old], { deduplicationToken: 'old' });
    const [row] = await store.query<{ rows: string }>('SELECT count() AS rows FROM usage_events');
    expect(row.rows).toBe('1');
  });
});
