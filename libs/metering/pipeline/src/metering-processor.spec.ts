import { type UsageEventRow } from '@tollgate/metering-domain';
import { type Logger } from '@tollgate/observability';
import {
  type AnalyticsStore,
  type ConsumeOptions,
  type EventLogConsumer,
  type InsertOptions,
  type LogRecord,
  type QueryParams,
} from '@tollgate/ports';
import { pino } from 'pino';
import { MeteringProcessor, monthRuns, storedPositions } from './metering-processor';

const row = (offset: number, ts: string) => ({ log_offset: String(offset), ts }) as UsageEventRow;

describe('monthRuns', () => {
  it('keeps a batch within one month as one run', () => {
    expect(monthRuns([row(1, '2026-11-01 00:00:00.000'), row(2, '2026-11-30 23:59:59.999')])).toHaveLength(1);
  });

  it('splits at every change of month, keeping offset order', () => {
    const runs = monthRuns([
      row(1, '2026-10-31 23:59:59.999'),
      row(2, '2026-11-01 00:00:00.000'),
      row(3, '2026-10-31 23:59:59.000'),
      row(4, '2026-10-31 23:59:59.500'),
    ]);
    expect(runs.map((run) => run.map((r) => r.log_offset))).toEqual([['1'], ['2'], ['3', '4']]);
  });

  it('returns no run for no rows', () => {
    expect(monthRuns([])).toEqual([]);
  });
});

/** Records inserts; fails the next `failures` inserts. */
class FakeStore implements AnalyticsStore {
  readonly database = 'tollgate';
  readonly inserts: Array<{ table: string; rows: UsageEventRow[]; token: string | undefined }> = [];
  readonly queries: Array<{ sql: string; params: QueryParams | undefined }> = [];
  failures = 0;
  queryRows: unknown[] = [];
  /** Answers by statement when set (else queryRows). */
  respond: ((sql: string) => unknown[]) | null = null;

  async query<Row>(sql: string, params?: QueryParams): Promise<Row[]> {
    this.queries.push({ sql, params });
    return (this.respond?.(sql) ?? this.queryRows) as Row[];
  }
  async command(): Promise<void> {}
  async insert<Row extends object>(table: string, rows: Row[], options?: InsertOptions): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('insert failed (expected by the test)');
    }
    this.inserts.push({
      table,
      rows: rows as unknown as UsageEventRow[],
      token: options?.deduplicationToken,
    });
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Captures what the processor asks of the event log, so a test can deliver batches by hand. */
class FakeConsumer implements EventLogConsumer {
  options: ConsumeOptions | null = null;
  readonly commits: string[] = [];
  readonly controller = new AbortController();

  async run(options: ConsumeOptions): Promise<void> {
    this.options = options;
  }
  pause(): void {}
  resume(): void {}
  async commit(topic: string, partition: number, nextOffset: string): Promise<void> {
    this.commits.push(`${topic}/${partition}@${nextOffset}`);
  }
  async stop(): Promise<void> {
    this.controller.abort();
  }

  deliver(topic: string, partition: number, records: LogRecord[], remaining: number): Promise<void> {
    if (!this.options) throw new Error('not running');
    return this.options.eachBatch({ topic, partition, records, remaining, signal: this.controller.signal });
  }
}

const ACCESS_LOG = 'tollgate.access-log.v1';
const INGEST = 'tollgate.ingest.v1';

function event(index: number, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: `0190a8d4-7e2f-7b3c-8a1d-${String(index).padStart(12, '0')}`,
    ts: Date.UTC(2026, 10, 28, 12, 0, 0) + index,
    consumerId: 'cons_1',
    planId: 'plan_1',
    apiId: 'api_1',
    endpoint: 'GET /v1/orders/:id',
    method: 'GET',
    status: 200,
    requestBytes: 1,
    responseBytes: 2,
    latencyMs: 1,
    upstreamLatencyMs: 1,
    cached: false,
    counted: true,
    usage: {},
    ...overrides,
  });
}

function records(topic: string, partition: number, from: number, values: string[]): LogRecord[] {
  return values.map((value, index) => ({
    topic,
    partition,
    offset: String(from + index),
    key: 'cons_1',
    value,
    headers: {},
    timestamp: Date.now(),
  }));
}

const silent = pino({ level: 'silent' }) as unknown as Logger;

async function started(
  options: { maxBatchRows?: number; flushIntervalMs?: number; lateEventGraceMs?: number } = {},
) {
  const store = new FakeStore();
  const consumer = new FakeConsumer();
  const processor = new MeteringProcessor({
    store,
    consumer,
    topic: ACCESS_LOG,
    ingestTopic: INGEST,
    maxBatchRows: options.maxBatchRows ?? 1000,
    flushIntervalMs: options.flushIntervalMs ?? 60,
    retryBaseMs: 5,
    logger: silent,
    lateEventGraceMs: options.lateEventGraceMs,
  });
  await processor.start();
  return { store, consumer, processor };
}

describe('MeteringProcessor', () => {
  it('subscribes to both topics with manual commits and resumes from usage_events', async () => {
    const { store, consumer } = await started();
    expect(consumer.options?.topics).toEqual([ACCESS_LOG, INGEST]);
    expect(consumer.options?.commit).toBe('manual');
    store.respond = (sql) => (sql.includes('insert_token') ? [] : [{ log_partition: 2, next_offset: '41' }]);
    await expect(consumer.options?.startPositions?.(ACCESS_LOG, [0, 1, 2])).resolves.toEqual(
      new Map([[2, '41']]),
    );
    expect(store.queries[1].sql).toContain('FROM usage_events');
    expect(store.queries[1].params).toEqual({ topic: ACCESS_LOG });
    expect(store.inserts).toEqual([]); // nothing stored yet: nothing to re-send
  });

  it('re-sends the last insert of each assigned partition with its own token before resuming', async () => {
    const { store, consumer } = await started();
    const stored = [{ id: 'a', log_offset: '40', insert_token: `${ACCESS_LOG}:2:39-40` }];
    store.respond = (sql) =>
      sql.includes('DISTINCT insert_token')
        ? [{ insert_token: `${ACCESS_LOG}:2:39-40` }]
        : sql.startsWith('SELECT *')
          ? stored
          : [{ log_partition: 2, next_offset: '41' }];
    await consumer.options?.startPositions?.(ACCESS_LOG, [2]);
    expect(store.queries[0].params).toEqual({ topic: ACCESS_LOG, partitions: [2] });
    expect(store.inserts).toEqual([{ table: 'usage_events', rows: stored, token: `${ACCESS_LOG}:2:39-40` }]);
  });

  it('holds a caught-up delivery until the flush interval, then inserts it once and commits past it', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 80 });
    const before = Date.now();
    await consumer.deliver(ACCESS_LOG, 3, records(ACCESS_LOG, 3, 10, [event(1), event(2), event(3)]), 0);
    expect(Date.now() - before).toBeGreaterThanOrEqual(60);
    expect(store.inserts).toHaveLength(1);
    expect(store.inserts[0].token).toBe(`${ACCESS_LOG}:3:10-12`);
    expect(store.inserts[0].rows.map((r) => [r.log_offset, r.log_partition, r.source])).toEqual([
      ['10', 3, 'gateway'],
      ['11', 3, 'gateway'],
      ['12', 3, 'gateway'],
    ]);
    expect(consumer.commits.at(-1)).toBe(`${ACCESS_LOG}/3@13`);
  });

  it('collects a partition across deliveries while more is waiting, and inserts at maxBatchRows', async () => {
    const { store, consumer } = await started({ maxBatchRows: 5, flushIntervalMs: 10_000 });
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 0, [event(0), event(1)]), 100);
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 2, [event(2), event(3)]), 98);
    expect(store.inserts).toHaveLength(0);
    expect(consumer.commits).toEqual([]);
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 4, [event(4), event(5)]), 96);
    expect(store.inserts.map((insert) => [insert.token, insert.rows.length])).toEqual([
      [`${ACCESS_LOG}:0:0-5`, 6],
    ]);
    expect(consumer.commits).toContain(`${ACCESS_LOG}/0@6`);
  });

  it('inserts one run per month in offset order and commits after each run', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1 });
    const october = Date.UTC(2026, 9, 31, 23, 59, 59);
    const november = Date.UTC(2026, 10, 1, 0, 0, 1);
    await consumer.deliver(
      ACCESS_LOG,
      1,
      records(ACCESS_LOG, 1, 0, [
        event(0, { ts: october }),
        event(1, { ts: november }),
        event(2, { ts: november }),
        event(3, { ts: october }),
      ]),
      0,
    );
    expect(store.inserts.map((insert) => insert.token)).toEqual([
      `${ACCESS_LOG}:1:0-0`,
      `${ACCESS_LOG}:1:1-2`,
      `${ACCESS_LOG}:1:3-3`,
    ]);
    expect(consumer.commits).toEqual([
      `${ACCESS_LOG}/1@1`,
      `${ACCESS_LOG}/1@3`,
      `${ACCESS_LOG}/1@4`,
      `${ACCESS_LOG}/1@4`,
    ]);
  });

  it('inserts the partitions held at the same time together, one insert per month', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 80 });
    const october = Date.UTC(2026, 9, 31, 23, 59, 59);
    const first = consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 0, [event(0), event(1)]), 0);
    const second = consumer.deliver(INGEST, 2, records(INGEST, 2, 5, [event(5)]), 0);
    // This one spans two months: its runs go in on their own, in offset order.
    const third = consumer.deliver(
      ACCESS_LOG,
      4,
      records(ACCESS_LOG, 4, 0, [event(10, { ts: october }), event(11)]),
      0,
    );
    await Promise.all([first, second, third]);
    expect(store.inserts.map((insert) => [insert.token, insert.rows.length])).toEqual([
      [`${ACCESS_LOG}:0:0-1,${INGEST}:2:5-5`, 3],
      [`${ACCESS_LOG}:4:0-0`, 1],
      [`${ACCESS_LOG}:4:1-1`, 1],
    ]);
    expect(store.inserts[0].rows.map((r) => [r.log_topic, r.log_offset, r.source])).toEqual([
      [ACCESS_LOG, '0', 'gateway'],
      [ACCESS_LOG, '1', 'gateway'],
      [INGEST, '5', 'ingest'],
    ]);
    expect(consumer.commits).toEqual(
      expect.arrayContaining([
        `${ACCESS_LOG}/0@2`,
        `${INGEST}/2@6`,
        `${ACCESS_LOG}/4@1`,
        `${ACCESS_LOG}/4@2`,
      ]),
    );
  });

  it('retries a failed insert with the very same rows and token', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1 });
    store.failures = 2;
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 7, [event(7), event(8)]), 0);
    expect(store.inserts).toHaveLength(1);
    expect(store.inserts[0].token).toBe(`${ACCESS_LOG}:0:7-8`);
    expect(store.inserts[0].rows.map((r) => r.log_offset)).toEqual(['7', '8']);
  });

  it('writes a correction for each late row before the rows themselves, with a token of its own', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1, lateEventGraceMs: 3_600_000 });
    const now = Date.now();
    await consumer.deliver(
      ACCESS_LOG,
      1,
      records(ACCESS_LOG, 1, 0, [event(0, { ts: now - 1000 }), event(1, { ts: now - 2 * 3_600_000 })]),
      0,
    );
    expect(store.inserts.map((insert) => [insert.table, insert.token, insert.rows.length])).toEqual([
      ['usage_corrections', `${ACCESS_LOG}:1:0-1:corrections`, 1],
      ['usage_events', `${ACCESS_LOG}:1:0-1`, 2],
    ]);
    expect(store.inserts[0].rows[0]).toMatchObject({ event_id: expect.stringMatching(/000000000001$/) });
  });

  it('drops a resent event already stored or already taken, looking up only the marked records', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1 });
    const resent = (values: LogRecord[]) =>
      values.map((record) => ({ ...record, headers: { 'tollgate-resend': '1' } }));
    store.respond = (sql) =>
      sql.includes('has({ids') ? [{ id: '0190a8d4-7e2f-7b3c-8a1d-000000000002' }] : [];
    await consumer.deliver(
      ACCESS_LOG,
      4,
      [
        ...records(ACCESS_LOG, 4, 0, [event(1)]),
        ...resent(records(ACCESS_LOG, 4, 1, [event(1), event(2), event(3)])),
      ],
      0,
    );
    const lookups = store.queries.filter((query) => query.sql.includes('has({ids'));
    expect(lookups).toHaveLength(1);
    expect(lookups[0].params?.['ids']).toHaveLength(3);
    // event 1 again (taken just before), event 2 (already stored): dropped; event 3 is new.
    expect(store.inserts.map((insert) => insert.rows.map((row) => row.log_offset))).toEqual([['0', '3']]);
    expect(consumer.commits.at(-1)).toBe(`${ACCESS_LOG}/4@4`);
  });

  it('gives ingest rows the source of the record, else `ingest`', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1 });
    await consumer.deliver(
      INGEST,
      0,
      records(INGEST, 0, 0, [event(0), event(1, { source: 'crm-import' })]),
      0,
    );
    expect(store.inserts[0].rows.map((r) => [r.log_topic, r.source])).toEqual([
      [INGEST, 'ingest'],
      [INGEST, 'crm-import'],
    ]);
  });

  it('meters valid records, skips invalid ones and still commits past them', async () => {
    const { store, consumer } = await started({ flushIntervalMs: 1 });
    await consumer.deliver(
      ACCESS_LOG,
      0,
      records(ACCESS_LOG, 0, 0, [
        event(0),
        'not json',
        event(2, { status: 99 }),
        event(3),
        '{}',
        // Valid by the schema, but ClickHouse would refuse them (and the insert would hold the partition).
        event(5, { consumerId: 'cons_\ud800' }),
        event(6, { ts: Date.UTC(2300, 0, 1) }),
      ]),
      0,
    );
    expect(store.inserts[0].rows.map((r) => r.log_offset)).toEqual(['0', '3']);
    expect(consumer.commits.at(-1)).toBe(`${ACCESS_LOG}/0@7`);
  });

  it('lets go of a held delivery on stop without inserting, and forgets what it held', async () => {
    const { store, consumer, processor } = await started({ flushIntervalMs: 10_000 });
    const delivery = consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 0, [event(0)]), 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await processor.stop();
    await expect(delivery).rejects.toThrow(/leaving this consumer/);
    expect(store.inserts).toEqual([]);
    expect(consumer.commits).toEqual([]);
  });

  it('drops what it buffered when partitions are assigned again', async () => {
    const { store, consumer } = await started({ maxBatchRows: 3, flushIntervalMs: 10_000 });
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 0, [event(0), event(1)]), 50);
    consumer.options?.onAssignment?.([{ topic: ACCESS_LOG, partitions: [0] }]);
    // Restarted from what ClickHouse holds (offset 0 here): the same records come again, once each.
    await consumer.deliver(ACCESS_LOG, 0, records(ACCESS_LOG, 0, 0, [event(0), event(1), event(2)]), 47);
    expect(store.inserts.map((insert) => insert.rows.map((r) => r.log_offset))).toEqual([['0', '1', '2']]);
  });

  it('refuses settings that would break the design', () => {
    const store = new FakeStore();
    const consumer = new FakeConsumer();
    const base = { store, consumer, topic: ACCESS_LOG, logger: silent };
    expect(() => new MeteringProcessor({ ...base, maxBatchRows: 2_000_000 })).toThrow(/at most/);
    expect(() => new MeteringProcessor({ ...base, maxBatchRows: 10, ingestTopic: ACCESS_LOG })).toThrow(
      /must differ/,
    );
  });
});

describe('storedPositions', () => {
  it('answers the next offset per partition from usage_events', async () => {
    const store = new FakeStore();
    store.queryRows = [
      { log_partition: 0, next_offset: '18446744073709551615' },
      { log_partition: 4, next_offset: '7' },
    ];
    const positions = await storedPositions(store, 'topic-a');
    expect([...positions]).toEqual([
      [0, '18446744073709551615'],
      [4, '7'],
    ]);
  });
});
