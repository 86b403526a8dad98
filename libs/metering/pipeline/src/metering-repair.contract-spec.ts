import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalyticsStore, migrateAnalytics } from '@tollgate/analytics';
import { toUsageEventRow, type UsageEventRow } from '@tollgate/metering-domain';
import { type Logger } from '@tollgate/observability';
import { type ConsumeOptions, type EventLogConsumer, type LogRecord } from '@tollgate/ports';
import { pino } from 'pino';
import { MeteringProcessor } from './metering-processor';

// A metering process killed after ClickHouse stored the raw rows of an insert but before the
// rollup views ran leaves those rows out of the rollups; resuming from the stored offsets never
// sends them again. On assignment the processor re-sends each partition's last insert with its
// token: against the real engine (chDB), the rollup must then hold the rows exactly once.
const TOPIC = 'repair-spec.access-log';
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'tollgate-metering-repair-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

class CapturingConsumer implements EventLogConsumer {
  options: ConsumeOptions | null = null;
  async run(options: ConsumeOptions): Promise<void> {
    this.options = options;
  }
  pause(): void {}
  resume(): void {}
  async commit(): Promise<void> {}
  async stop(): Promise<void> {}
}

function rows(count: number, firstOffset: number, token: string): UsageEventRow[] {
  return Array.from({ length: count }, (_, index) => ({
    ...toUsageEventRow(
      {
        id: randomUUID(),
        ts: Date.UTC(2026, 10, 28, 5, 0, 0, index),
        consumerId: 'cons_repair',
        planId: 'plan_1',
        apiId: 'api_1',
        endpoint: 'GET /a',
        method: 'GET',
        status: 200,
        requestBytes: 1,
        responseBytes: 2,
        latencyMs: 1,
        upstreamLatencyMs: 1,
        cached: false,
        counted: true,
        usage: { sms: 1 },
      },
      { topic: TOPIC, partition: 0, offset: String(firstOffset + index) },
    ),
    insert_token: token,
  }));
}

it('re-sends the last insert of a partition so a rollup missed by a crash holds it exactly once', async () => {
  const store = await createAnalyticsStore({ database: 'repair_spec', dataDirectory: directory });
  try {
    await migrateAnalytics(store);
    const total = async (table: string) =>
      Number(
        (await store.query<{ total: string }>(`SELECT toString(sum(requests)) AS total FROM ${table}`))[0]
          ?.total ?? 0,
      );
    await store.insert('usage_events', rows(4, 0, `${TOPIC}:0:0-3`), {
      deduplicationToken: `${TOPIC}:0:0-3`,
    });
    // The crash: the raw block of the next insert landed, the minute view never ran.
    await store.command('DETACH TABLE usage_requests_minute_mv');
    await store.insert('usage_events', rows(3, 4, `${TOPIC}:0:4-6`), {
      deduplicationToken: `${TOPIC}:0:4-6`,
    });
    await store.command('ATTACH TABLE usage_requests_minute_mv');
    expect(await total('usage_requests_minute')).toBe(4);
    expect(await total('usage_requests_hour')).toBe(7);

    const consumer = new CapturingConsumer();
    const logger = pino({ level: 'silent' }) as unknown as Logger;
    const processor = new MeteringProcessor({ store, consumer, topic: TOPIC, maxBatchRows: 100, logger });
    await processor.start();
    for (let assignment = 0; assignment < 2; assignment += 1) {
      const positions = await consumer.options?.startPositions?.(TOPIC, [0]);
      expect(positions).toEqual(new Map([[0, '7']]));
    }

    const [raw] = await store.query<{ rows: string }>('SELECT toString(count()) AS rows FROM usage_events');
    expect(raw.rows).toBe('7');
    expect(await total('usage_requests_minute')).toBe(7);
    expect(await total('usage_requests_hour')).toBe(7);
    expect(await total('usage_requests_day')).toBe(7);
  } finally {
    await store.close();
  }
});

it('drops a resent event that is already stored, and stores a resent one that is not', async () => {
  const store = await createAnalyticsStore({ database: 'repeats_spec', dataDirectory: directory });
  try {
    await migrateAnalytics(store);
    const stored = rows(2, 0, `${TOPIC}:0:0-1`);
    await store.insert('usage_events', stored, { deduplicationToken: `${TOPIC}:0:0-1` });
    const consumer = new CapturingConsumer();
    const logger = pino({ level: 'silent' }) as unknown as Logger;
    const processor = new MeteringProcessor({
      store,
      consumer,
      topic: TOPIC,
      maxBatchRows: 100,
      flushIntervalMs: 1,
      logger,
    });
    await processor.start();
    const eventOf = (row: UsageEventRow) =>
      JSON.stringify({
        id: row.id,
        ts: Date.parse(`${row.ts.replace(' ', 'T')}Z`),
        consumerId: row.consumer_id,
        planId: row.plan_id,
        apiId: row.api_id,
        endpoint: row.endpoint,
        method: row.method,
        status: row.status,
        requestBytes: 1,
        responseBytes: 2,
        latencyMs: 1,
        upstreamLatencyMs: 1,
        cached: false,
        counted: true,
        usage: row.usage,
      });
    const fresh = rows(1, 0, '')[0];
    const records: LogRecord[] = [stored[1], fresh].map((row, index) => ({
      topic: TOPIC,
      partition: 0,
      offset: String(2 + index),
      key: row.consumer_id,
      value: eventOf(row),
      headers: { 'tollgate-resend': '1' },
      timestamp: Date.now(),
    }));
    await consumer.options?.eachBatch({
      topic: TOPIC,
      partition: 0,
      records,
      remaining: 0,
      signal: new AbortController().signal,
    } as Parameters<ConsumeOptions['eachBatch']>[0]);
    const [counts] = await store.query<{ rows: string; ids: string }>(
      'SELECT toString(count()) AS rows, toString(uniqExact(id)) AS ids FROM usage_events',
    );
    expect(counts).toEqual({ rows: '3', ids: '3' });
    const [rolled] = await store.query<{ requests: string }>(
      'SELECT toString(sum(requests)) AS requests FROM usage_requests_minute',
    );
    expect(rolled.requests).toBe('3');
  } finally {
    await store.close();
  }
});
