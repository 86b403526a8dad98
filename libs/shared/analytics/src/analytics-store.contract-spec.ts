import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  analyticsMigrationChecksum,
  AnalyticsMigrationError,
  AnalyticsStoreError,
  type AnalyticsStoreOptions,
  type ClickHouseAnalyticsStore,
  createAnalyticsStore,
  createAnalyticsStoreFromConfig,
  defaultAnalyticsMigrationsDirectory,
  lastConsumedOffsets,
  migrateAnalytics,
} from './index';

// One chDB data directory for this file: libchdb binds one directory per process, and Jest runs
// other files in this worker after this one, so every store is closed after each test.
let chdbDataDirectory: string;
let scratch: string;

beforeAll(async () => {
  chdbDataDirectory = await mkdtemp(join(tmpdir(), 'tollgate-analytics-contract-'));
  scratch = await mkdtemp(join(tmpdir(), 'tollgate-analytics-migrations-'));
});

afterAll(async () => {
  await rm(chdbDataDirectory, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

interface AdapterUnderTest {
  title: string;
  adapter: ClickHouseAnalyticsStore['adapter'];
  options: (database: string) => AnalyticsStoreOptions;
}

const serverUrl = process.env.CLICKHOUSE_URL;

const adapters: AdapterUnderTest[] = [
  {
    title: 'chDB (embedded ClickHouse engine, in process)',
    adapter: 'chdb',
    options: (database) => ({ database, dataDirectory: chdbDataDirectory }),
  },
  // Only when a server is configured; without one this entry does not exist (nothing is skipped).
  ...(serverUrl
    ? [
        {
          title: `ClickHouse server at ${serverUrl}`,
          adapter: 'clickhouse-server' as const,
          options: (database: string) => ({
            url: serverUrl,
            database,
            username: process.env.CLICKHOUSE_USER ?? 'default',
            password: process.env.CLICKHOUSE_PASSWORD,
            dataDirectory: chdbDataDirectory,
          }),
        },
      ]
    : []),
];

const topic = 'tollgate.access-log.v1';

/** The versions of the migration files shipped with the lib, in order. */
const shippedVersions = readdirSync(defaultAnalyticsMigrationsDirectory)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => file.slice(0, -'.sql'.length));

interface UsageEventInput {
  id: string;
  ts: number | string;
  consumer_id: string;
  plan_id: string;
  api_id: string;
  endpoint: string;
  method: string;
  status: number;
  request_bytes: string;
  response_bytes: string;
  latency_ms: number;
  upstream_latency_ms: number;
  cached: boolean;
  counted: boolean;
  usage: Record<string, number>;
  log_topic: string;
  log_partition: number;
  log_offset: string;
}

function usageEvent(overrides: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    id: randomUUID(),
    ts: Date.UTC(2024, 4, 1, 12, 0, 0, 123),
    consumer_id: 'con_alice',
    plan_id: 'plan_pro',
    api_id: 'api_orders',
    endpoint: 'GET /v1/orders/:id',
    method: 'GET',
    status: 200,
    request_bytes: '512',
    response_bytes: '2048',
    latency_ms: 12.5,
    upstream_latency_ms: 10.25,
    cached: false,
    counted: true,
    usage: {},
    log_topic: topic,
    log_partition: 0,
    log_offset: '0',
    ...overrides,
  };
}

describe.each(adapters)('AnalyticsStore contract: $title', ({ adapter, options }) => {
  const opened: ClickHouseAnalyticsStore[] = [];
  const databases: string[] = [];

  function freshDatabaseName(): string {
    return `analytics_contract_${process.pid}_${randomBytes(5).toString('hex')}`;
  }

  async function open(database = freshDatabaseName()): Promise<ClickHouseAnalyticsStore> {
    const store = await createAnalyticsStore(options(database));
    opened.push(store);
    if (!databases.includes(database)) databases.push(database);
    return store;
  }

  async function migrated(): Promise<ClickHouseAnalyticsStore> {
    const store = await open();
    await migrateAnalytics(store);
    return store;
  }

  async function countRows(store: ClickHouseAnalyticsStore, table = 'usage_events'): Promise<string> {
    const [row] = await store.query<{ rows: string }>(`SELECT count() AS rows FROM ${table}`);
    return row.rows;
  }

  // Held open for the whole block: it drops the test databases, and on chDB it keeps the engine up
  // (closing the last connection shuts the engine down; restarting it costs 100-400 ms).
  let keeper: ClickHouseAnalyticsStore;
  beforeAll(async () => {
    keeper = await createAnalyticsStore(options('default'));
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

  it(`opens the ${adapter} adapter, creates its database and pings`, async () => {
    const database = freshDatabaseName();
    const store = await open(database);
    expect(store.adapter).toBe(adapter);
    expect(store.database).toBe(database);
    await expect(store.ping()).resolves.toBeUndefined();
    const [row] = await store.query<{ current: string }>('SELECT currentDatabase() AS current');
    expect(row.current).toBe(database);
  });

  it('selects the adapter from config: CLICKHOUSE_URL set means a server', async () => {
    const database = freshDatabaseName();
    const base = options(database);
    const store = await createAnalyticsStoreFromConfig({
      CLICKHOUSE_URL: base.url,
      CLICKHOUSE_DATABASE: database,
      CLICKHOUSE_USER: base.username ?? 'default',
      CLICKHOUSE_PASSWORD: base.password,
      TOLLGATE_DATA_DIR: base.dataDirectory,
    });
    opened.push(store);
    databases.push(database);
    expect(store.adapter).toBe(adapter);
    expect(store.database).toBe(database);
  });

  describe('migrations', () => {
    it('apply on an empty database, in order, and create the tables', async () => {
      const store = await open();
      await expect(migrateAnalytics(store)).resolves.toEqual({ applied: shippedVersions });
      const tables = await store.query<{ name: string }>(
        'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name',
      );
      expect(tables.map((table) => table.name)).toEqual([
        'schema_migrations',
        'usage_corrections',
        'usage_events',
        'usage_latency_hour',
        'usage_latency_hour_mv',
        'usage_offsets',
        'usage_offsets_mv',
        'usage_reconciliation',
        'usage_reconciliation_runs',
        ...['requests', 'units'].flatMap((kind) =>
          ['day', 'hour', 'minute'].flatMap((grain) => [
            `usage_${kind}_${grain}`,
            `usage_${kind}_${grain}_mv`,
          ]),
        ),
      ]);
    });

    it('are recorded with the sha256 of each file', async () => {
      const store = await migrated();
      const rows = await store.query<{ version: string; checksum: string; recent: number }>(
        'SELECT version, checksum, applied_at > now64(3) - INTERVAL 1 HOUR AS recent FROM schema_migrations ORDER BY version',
      );
      const expected = await Promise.all(
        shippedVersions.map(async (version) => ({
          version,
          checksum: analyticsMigrationChecksum(
            await readFile(join(defaultAnalyticsMigrationsDirectory, `${version}.sql`), 'utf8'),
          ),
          recent: 1,
        })),
      );
      expect(rows).toEqual(expected);
      expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    });

    it('are idempotent: a second run applies nothing and records nothing new', async () => {
      const store = await migrated();
      await expect(migrateAnalytics(store)).resolves.toEqual({ applied: [] });
      expect(await countRows(store, 'schema_migrations')).toBe(String(shippedVersions.length));
    });

    it('refuse an applied file whose content changed, and apply a new file after the applied ones', async () => {
      const directory = join(scratch, randomBytes(4).toString('hex'));
      await cp(defaultAnalyticsMigrationsDirectory, directory, { recursive: true });
      const store = await open();
      await migrateAnalytics(store, { directory });

      await writeFile(
        join(directory, '9999_extra.sql'),
        'CREATE TABLE IF NOT EXISTS extra (n UInt8) ENGINE = MergeTree ORDER BY n;\n',
      );
      await expect(migrateAnalytics(store, { directory })).resolves.toEqual({ applied: ['9999_extra'] });

      await appendFile(join(directory, '0001_usage_events.sql'), '\n-- edited after it was applied\n');
      const attempt = migrateAnalytics(store, { directory });
      await expect(attempt).rejects.toThrow(AnalyticsMigrationError);
      await expect(attempt).rejects.toThrow(/0001_usage_events was changed after it was applied/);
    });

    it('0002 backfills usage_offsets from rows stored before it', async () => {
      const directory = join(scratch, randomBytes(4).toString('hex'));
      await cp(defaultAnalyticsMigrationsDirectory, directory, { recursive: true });
      await rm(join(directory, '0002_usage_offsets.sql'));
      const store = await open();
      await migrateAnalytics(store, { directory });
      await store.insert('usage_events', [usageEvent({ log_partition: 3, log_offset: '41' })]);

      await expect(migrateAnalytics(store)).resolves.toEqual({ applied: ['0002_usage_offsets'] });
      expect(await lastConsumedOffsets(store, topic)).toEqual(new Map([[3, '42']]));
    });
  });

  describe('usage_events', () => {
    it('round-trips every column type', async () => {
      const store = await migrated();
      const event = usageEvent({
        consumer_id: 'con_bob',
        status: 404,
        request_bytes: '18446744073709551615',
        latency_ms: 1.5,
        upstream_latency_ms: 0.25,
        cached: true,
        counted: false,
        usage: { sms: 2, txn_value: 125.5 },
        log_partition: 7,
        log_offset: '9007199254740993',
      });
      const asText = usageEvent({ ts: '2024-05-01 12:00:00.456', consumer_id: 'con_carol' });
      await store.insert('usage_events', [event, asText]);

      const rows = await store.query<Record<string, unknown>>(
        'SELECT * EXCEPT (ingested_at), ingested_at > now64(3) - INTERVAL 1 HOUR AS ingested_recently FROM usage_events ORDER BY consumer_id',
      );
      expect(rows).toEqual([
        {
          ...event,
          ts: '2024-05-01 12:00:00.123',
          source: 'gateway',
          insert_token: '',
          ingested_recently: 1,
        },
        {
          ...asText,
          ts: '2024-05-01 12:00:00.456',
          source: 'gateway',
          insert_token: '',
          ingested_recently: 1,
        },
      ]);
      const [types] = await store.query<Record<string, string>>(
        'SELECT toTypeName(id) AS id, toTypeName(ts) AS ts, toTypeName(usage) AS usage, toTypeName(cached) AS cached FROM usage_events LIMIT 1',
      );
      expect(types).toEqual({
        id: 'UUID',
        ts: "DateTime64(3, 'UTC')",
        usage: 'Map(LowCardinality(String), Float64)',
        cached: 'Bool',
      });
    });

    it('returns UInt64 and Int64 above 2^53 exactly, as strings', async () => {
      const store = await migrated();
      await store.insert('usage_events', [
        usageEvent({ response_bytes: '9007199254740993', log_offset: '18446744073709551614' }),
      ]);
      const [stored] = await store.query<{ response_bytes: string; log_offset: string; rows: string }>(
        'SELECT response_bytes, log_offset, count() OVER () AS rows FROM usage_events',
      );
      expect(stored).toEqual({
        response_bytes: '9007199254740993',
        log_offset: '18446744073709551614',
        rows: '1',
      });
      const [computed] = await store.query<{ big: string; negative: string; small: string }>(
        'SELECT toUInt64({big:UInt64}) + 1 AS big, toInt64(-9223372036854775807) - 1 AS negative, toUInt64(5) AS small',
        { big: '18446744073709551614' },
      );
      expect(computed).toEqual({ big: '18446744073709551615', negative: '-9223372036854775808', small: '5' });
    });

    it('drops a retried insert with the same token, inserts again with another, and never reuses a stale token', async () => {
      const store = await migrated();
      const batch = [usageEvent({ log_offset: '10' }), usageEvent({ log_offset: '11' })];
      await store.insert('usage_events', batch, { deduplicationToken: `${topic}:0:10-11` });
      await store.insert('usage_events', batch, { deduplicationToken: `${topic}:0:10-11` });
      expect(await countRows(store)).toBe('2');

      await store.insert('usage_events', batch, { deduplicationToken: `${topic}:0:10-11:again` });
      expect(await countRows(store)).toBe('4');

      // chDB keeps per-request settings on its session: without an explicit empty token this insert
      // would carry the previous one and be dropped as a duplicate.
      await store.insert('usage_events', [usageEvent({ log_offset: '12' })]);
      expect(await countRows(store)).toBe('5');
      await store.insert('usage_events', [usageEvent({ log_offset: '13' })]);
      expect(await countRows(store)).toBe('6');
    });
  });

  it('lastConsumedOffsets returns the next offset to read (max + 1) per partition of the topic', async () => {
    const store = await migrated();
    await expect(lastConsumedOffsets(store, topic)).resolves.toEqual(new Map());
    await store.insert('usage_events', [
      usageEvent({ log_partition: 0, log_offset: '40' }),
      usageEvent({ log_partition: 0, log_offset: '42' }),
      usageEvent({ log_partition: 1, log_offset: '7' }),
      usageEvent({ log_topic: 'another.topic', log_partition: 0, log_offset: '1000' }),
    ]);
    await store.insert('usage_events', [
      usageEvent({ log_partition: 0, log_offset: '41' }),
      usageEvent({ log_partition: 2, log_offset: '9007199254740993' }),
    ]);
    await expect(lastConsumedOffsets(store, topic)).resolves.toEqual(
      new Map([
        [0, '43'],
        [1, '8'],
        [2, '9007199254740994'],
      ]),
    );
    await expect(lastConsumedOffsets(store, 'another.topic')).resolves.toEqual(new Map([[0, '1001']]));
    await expect(lastConsumedOffsets(store, 'unknown.topic')).resolves.toEqual(new Map());
  });

  it('binds query parameters as values, never as SQL', async () => {
    const store = await migrated();
    const hostile = `o'brien"); DROP TABLE usage_events; --\\`;
    await store.insert('usage_events', [usageEvent({ consumer_id: hostile }), usageEvent()]);
    const rows = await store.query<{ consumer_id: string }>(
      'SELECT consumer_id FROM usage_events WHERE consumer_id = {consumer:String}',
      { consumer: hostile },
    );
    expect(rows).toEqual([{ consumer_id: hostile }]);
    await store.command(
      'CREATE TABLE probe ENGINE = MergeTree ORDER BY tuple() AS SELECT {consumer:String} AS value',
      {
        consumer: hostile,
      },
    );
    await expect(store.query('SELECT value FROM probe')).resolves.toEqual([{ value: hostile }]);
    expect(await countRows(store)).toBe('2');
  });

  it('keeps the current database per store when two stores are open', async () => {
    const first = await migrated();
    const second = await migrated();
    await first.insert('usage_events', [usageEvent()]);
    expect(await countRows(first)).toBe('1');
    expect(await countRows(second)).toBe('0');
  });

  describe('errors', () => {
    it('name the statement and table of a failed query or command', async () => {
      const store = await open();
      const query = store.query('SELECT * FROM missing_table');
      await expect(query).rejects.toThrow(AnalyticsStoreError);
      await expect(query).rejects.toThrow(
        /query failed: SELECT FROM missing_table: UNKNOWN_TABLE \(code 60\)/,
      );
      await expect(store.command('DROP TABLE missing_table')).rejects.toMatchObject({
        operation: 'command',
        statement: 'DROP TABLE missing_table',
        clickhouseType: 'UNKNOWN_TABLE',
      });
    });

    it('name the table and column of a failed insert without echoing the row data', async () => {
      const store = await migrated();
      const secret = `secret-${randomBytes(6).toString('hex')}`;
      const failure = await store
        .insert('usage_events', [usageEvent(), { ...usageEvent(), id: secret }])
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failure).toBeInstanceOf(AnalyticsStoreError);
      const error = failure as AnalyticsStoreError;
      expect(error.message).toMatch(
        /^ClickHouse insert failed: INSERT INTO usage_events \(2 rows\): \w+ \(code \d+\) at column id, row 2$/,
      );
      expect(
        JSON.stringify({ message: error.message, stack: error.stack, cause: error.cause }),
      ).not.toContain(secret);
      await expect(store.insert('usage_events; DROP TABLE x', [usageEvent()])).rejects.toThrow(
        /is not a table name/,
      );
    });

    it('refuse every call after close, and close twice is harmless', async () => {
      const store = await open();
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.query('SELECT 1')).rejects.toThrow(/query refused: the analytics store is closed/);
      await expect(store.command('SELECT 1')).rejects.toThrow(AnalyticsStoreError);
      await expect(store.insert('usage_events', [usageEvent()])).rejects.toThrow(AnalyticsStoreError);
      await expect(store.ping()).rejects.toThrow(AnalyticsStoreError);
    });
  });
});

describe('chDB engine (embedded): one data directory per process', () => {
  it('refuses a second data directory while a store is open, and opens it once all are closed', async () => {
    const database = `analytics_contract_${process.pid}_${randomBytes(5).toString('hex')}`;
    const otherDirectory = await mkdtemp(join(tmpdir(), 'tollgate-analytics-other-'));
    const store = await createAnalyticsStore({ database, dataDirectory: chdbDataDirectory });
    try {
      await expect(createAnalyticsStore({ database, dataDirectory: otherDirectory })).rejects.toThrow(
        /chDB is already open at .* binds one data directory per process/,
      );
    } finally {
      await store.command(`DROP DATABASE IF EXISTS \`${database}\``);
      await store.close();
    }
    const other = await createAnalyticsStore({ database, dataDirectory: otherDirectory });
    await expect(other.ping()).resolves.toBeUndefined();
    await other.close();
    await rm(otherDirectory, { recursive: true, force: true });
  });
});
