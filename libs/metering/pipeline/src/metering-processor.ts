import { correctionsFor, type UsageEventRow } from '@tollgate/metering-domain';
import { type Logger } from '@tollgate/observability';
import {
  type AnalyticsStore,
  type EventLogConsumer,
  type LogRecord,
  type RecordBatch,
  type TopicPartitions,
} from '@tollgate/ports';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { describeRejection, parseMeteredEvent, unstorableReason } from './metered-event.parser';
import { buildUsageEventRow } from './usage-event-row.builder';

/** Set by the gateway on a record that may repeat one already sent (access-log-emitter.ts). */
const resendHeader = 'tollgate-resend';

export interface MeteringProcessorOptions {
  store: AnalyticsStore;
  consumer: EventLogConsumer;
  /** The gateway's access-log topic; its rows are `source` = `gateway` unless the record says otherwise. */
  topic: string;
  /** The topic of business events from the ingest API; its rows default to `source` = `ingest`. */
  ingestTopic?: string;
  /** Insert a partition's rows once this many are buffered. */
  maxBatchRows: number;
  /** Insert a partition's rows at the latest this long after the oldest of them was appended. Default 1000. */
  flushIntervalMs?: number;
  /** Rows buffered over all partitions beyond which a partition is inserted at once. Default 4 × maxBatchRows. */
  maxBufferedRows?: number;
  logger: Logger;
  registry?: Registry;
  /** First retry delay of a failed insert, doubling up to 5 s. Default 100 ms. */
  retryBaseMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Rows stored more than this long after their own timestamp are late: each also gets a row in
   * `usage_corrections` (written first, idempotent by its deterministic id). Absent: not tracked.
   */
  lateEventGraceMs?: number;
}

/**
 * What one partition has taken in since its last insert. `next` is the offset after the last record
 * taken (rows and rejected records alike): the point to commit once the rows are in ClickHouse.
 */
interface PartitionBuffer {
  topic: string;
  partition: number;
  defaultSource: string;
  rows: UsageEventRow[];
  /** Rows of records marked as possible repeats (`tollgate-resend`): looked up before the insert. */
  suspects: UsageEventRow[];
  next: bigint | null;
  /**
   * When the oldest record taken in was appended to the log (capped at when it was taken, so a
   * producer clock ahead of ours cannot stretch the wait), epoch ms.
   */
  since: number;
}

/** A partition's delivery waiting for its rows to be due, which another partition's flush may take along. */
interface HeldPartition {
  buffer: PartitionBuffer;
  takeAlong: (flush: Promise<void>) => void;
}

/** `topic:partition:first-last` of the rows (in offset order) of one partition. */
function rangeToken(buffer: Pick<PartitionBuffer, 'topic' | 'partition' | 'rows'>): string {
  const { topic, partition, rows } = buffer;
  return `${topic}:${partition}:${rows[0].log_offset}-${rows[rows.length - 1].log_offset}`;
}

/** Partitions of one month grouped into inserts of about `maxRows` rows (a partition is never split). */
function inserts(buffers: PartitionBuffer[], maxRows: number): PartitionBuffer[][] {
  const groups: PartitionBuffer[][] = [];
  let rows = Number.POSITIVE_INFINITY;
  for (const buffer of buffers) {
    if (rows >= maxRows) {
      groups.push([]);
      rows = 0;
    }
    groups[groups.length - 1].push(buffer);
    rows += buffer.rows.length;
  }
  return groups;
}

/** More rows than ClickHouse squashes into one block: an insert this big would not be atomic. */
const MAX_ROWS_PER_INSERT = 1_000_000;
const MAX_RETRY_MS = 5000;
/** Partitions in a handler at once (Kafka: one fetch's batches are handled concurrently). */
const CONCURRENCY = 32;

/**
 * Moves metered events (the access-log topic and the ingest topic) into ClickHouse `usage_events`,
 * exactly once, in large inserts. See docs/metering.md.
 *
 * - Each row carries its (topic, partition, offset). Whenever partitions are assigned (start, every
 *   rebalance), each restarts at the highest offset ClickHouse holds for it + 1: what is in ClickHouse
 *   is the consumer's position, so a crash anywhere neither loses nor repeats a row.
 * - Rows of a partition collect across deliveries. A delivery that reaches the end of what the log
 *   holds waits (up to `flushIntervalMs` after its oldest row, the partition stays ours meanwhile);
 *   one with more already waiting returns, and a later delivery inserts. What is buffered but not
 *   inserted is only a cache: dropped on every assignment and read again from the log.
 * - An insert holds one month (usage_events is partitioned by month; an insert is atomic only within
 *   one ClickHouse partition) and, for each partition in it, its whole buffered range in offset
 *   order, so ClickHouse always holds a prefix of every partition. Partitions whose deliveries are
 *   held at the same moment share an insert. A failed insert is retried with the same rows and
 *   deduplication token, so one that landed unacknowledged is dropped.
 * - Inserts run only while the deliveries of their partitions run, and the event log hands no
 *   partition to another consumer meanwhile. Kafka commits follow the inserts and only serve
 *   monitoring.
 */
export class MeteringProcessor {
  private readonly buffers = new Map<string, PartitionBuffer>();
  private readonly held = new Set<HeldPartition>();
  private bufferedRows = 0;
  private readonly flushIntervalMs: number;
  private readonly maxBufferedRows: number;
  private readonly now: () => number;
  private readonly metrics: ReturnType<typeof createMetrics> | undefined;

  constructor(private readonly options: MeteringProcessorOptions) {
    if (!Number.isInteger(options.maxBatchRows) || options.maxBatchRows < 1) {
      throw new Error(`maxBatchRows must be a positive integer, got ${options.maxBatchRows}`);
    }
    if (options.maxBatchRows > MAX_ROWS_PER_INSERT) {
      // ClickHouse squashes an insert into blocks of about a million rows; beyond that one insert
      // becomes several parts and is no longer all-or-nothing.
      throw new Error(`maxBatchRows must be at most ${MAX_ROWS_PER_INSERT}, got ${options.maxBatchRows}`);
    }
    if (options.ingestTopic === options.topic) {
      throw new Error(`the ingest topic must differ from the access-log topic (${options.topic})`);
    }
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxBufferedRows = options.maxBufferedRows ?? 4 * options.maxBatchRows;
    this.now = options.now ?? Date.now;
    this.metrics = options.registry ? createMetrics(options.registry, () => this.bufferedRows) : undefined;
  }

  /** The topics read, each with the `source` its rows get when the record names none. */
  get sources(): Map<string, string> {
    const sources = new Map([[this.options.topic, 'gateway']]);
    if (this.options.ingestTopic) sources.set(this.options.ingestTopic, 'ingest');
    return sources;
  }

  async start(): Promise<void> {
    const { consumer, store, maxBatchRows } = this.options;
    await consumer.run({
      topics: [...this.sources.keys()],
      commit: 'manual',
      concurrency: CONCURRENCY,
      maxBatchRecords: maxBatchRows,
      onAssignment: (assignment) => this.onAssignment(assignment),
      startPositions: async (topic, partitions) => {
        await this.repairLastInserts(topic, partitions);
        return storedPositions(store, topic);
      },
      eachBatch: (batch) => this.handle(batch),
    });
  }

  /**
   * Re-sends the last insert of each assigned partition with its own token. The raw rows are then a
   * duplicate (dropped), while a rollup whose view did not run before a crash receives them once;
   * when everything landed it is a no-op. Only the last insert of a partition can be incomplete:
   * inserts of one partition run one after another.
   */
  private async repairLastInserts(topic: string, partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const { store, logger } = this.options;
    const tokens = await store.query<{ insert_token: string }>(
      "SELECT DISTINCT insert_token FROM usage_events WHERE insert_token != '' AND " +
        '(log_partition, log_offset) IN (SELECT log_partition, max(log_offset) FROM usage_events ' +
        'WHERE log_topic = {topic:String} AND has({partitions:Array(UInt32)}, log_partition) GROUP BY log_partition) ' +
        'AND log_topic = {topic:String}',
      { topic, partitions },
    );
    for (const { insert_token: token } of tokens) {
      const rows = await store.query<UsageEventRow & { ingested_at: string }>(
        'SELECT * FROM usage_events WHERE insert_token = {token:String} ' +
          'ORDER BY log_topic, log_partition, log_offset',
        { token },
      );
      if (rows.length === 0) continue;
      await store.insert('usage_events', rows, { deduplicationToken: token });
      this.metrics?.repairs.inc();
      logger.info({ token, rows: rows.length }, 'metering: re-sent the last insert so every rollup holds it');
    }
  }

  /** Stops consuming; deliveries in progress end (rows not yet inserted are read again next time). */
  async stop(): Promise<void> {
    await this.options.consumer.stop();
    this.buffers.clear();
    this.bufferedRows = 0;
  }

  /** Every owned partition restarts from ClickHouse: whatever was buffered is read again. */
  private onAssignment(assignment: TopicPartitions[]): void {
    this.buffers.clear();
    this.bufferedRows = 0;
    this.options.logger.info({ assignment }, 'metering: partitions assigned');
  }

  private async handle(batch: RecordBatch): Promise<void> {
    const buffer = this.bufferOf(batch.topic, batch.partition);
    try {
      this.take(buffer, batch.records);
      // Unknown counts as caught up: the delivery then waits rather than risk rows waiting for long.
      const caughtUp = batch.remaining === undefined || batch.remaining === 0;
      if (!this.full(buffer)) {
        // More records of this partition are already in the log: the next delivery brings them.
        // (While behind, age alone does not insert, or a backlog would go in as small inserts.)
        if (!caughtUp) return;
        // Caught up: hold this delivery (the partition stays ours) until the oldest row is due, or
        // until another held partition inserts and takes these rows along.
        const taken = await this.holdUntilDue(buffer, batch.signal);
        if (taken) return await taken;
        if (batch.signal.aborted) throw abortError(batch);
      }
      await this.flushWithHeld(buffer, batch.signal);
    } catch (error) {
      // The event log restarts the partition from its last commit; what is buffered comes again.
      this.drop(buffer);
      throw error;
    }
  }

  /**
   * Waits until the buffer's oldest row is `flushIntervalMs` old (resolves null: insert now), or
   * until the flush of another partition takes this one along (resolves that flush).
   */
  private holdUntilDue(buffer: PartitionBuffer, signal: AbortSignal): Promise<Promise<void> | null> {
    return new Promise((resolve) => {
      const finish = (taken: Promise<void> | null): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        this.held.delete(hold);
        resolve(taken);
      };
      const aborted = (): void => finish(null);
      const hold: HeldPartition = { buffer, takeAlong: (flush) => finish(flush) };
      const timer = setTimeout(
        () => finish(null),
        Math.max(0, buffer.since + this.flushIntervalMs - this.now()),
      );
      this.held.add(hold);
      signal.addEventListener('abort', aborted, { once: true });
      if (signal.aborted) aborted();
    });
  }

  /**
   * Inserts this partition's rows together with those of every partition held at this moment: each
   * of them is inside its own delivery, so every one still belongs to this consumer.
   */
  private flushWithHeld(buffer: PartitionBuffer, signal: AbortSignal): Promise<void> {
    const others = [...this.held];
    const flush = this.flush([buffer, ...others.map((hold) => hold.buffer)], signal);
    for (const hold of others) hold.takeAlong(flush);
    return flush;
  }

  private bufferOf(topic: string, partition: number): PartitionBuffer {
    const key = `${topic}\u0000${partition}`;
    let buffer = this.buffers.get(key);
    if (!buffer) {
      const defaultSource = this.sources.get(topic) ?? 'gateway';
      buffer = {
        topic,
        partition,
        defaultSource,
        rows: [],
        suspects: [],
        next: null,
        since: Number.POSITIVE_INFINITY,
      };
      this.buffers.set(key, buffer);
    }
    return buffer;
  }

  private take(buffer: PartitionBuffer, records: LogRecord[]): void {
    const { topic, partition, defaultSource } = buffer;
    // Never twice: a redelivery overlapping what is buffered (not expected) skips the overlap.
    let start = 0;
    if (buffer.next !== null) {
      while (start < records.length && BigInt(records[start].offset) < buffer.next) start += 1;
    }
    if (start === records.length) return;
    let rejected = 0;
    let firstRejected: { record: LogRecord; reason: unknown } | undefined;
    let oldest = this.now();
    for (let index = start; index < records.length; index += 1) {
      const record = records[index];
      if (record.timestamp < oldest) oldest = record.timestamp;
      const event = parseMeteredEvent(record.value);
      const unstorable = event ? unstorableReason(event) : null;
      if (event && unstorable === null) {
        const row = buildUsageEventRow(event, record, event.source ?? defaultSource);
        buffer.rows.push(row);
        if (record.headers[resendHeader] === '1') buffer.suspects.push(row);
        continue;
      }
      rejected += 1;
      firstRejected ??= { record, reason: unstorable ?? describeRejection(record.value) };
    }
    buffer.next = BigInt(records[records.length - 1].offset) + 1n;
    buffer.since = Math.min(buffer.since, oldest);
    this.bufferedRows += records.length - start - rejected;
    if (firstRejected) {
      // Not meterable; the partition moves on. One line per delivery, with the first exact position.
      this.metrics?.rejected.inc(rejected);
      this.options.logger.error(
        { topic, partition, offset: firstRejected.record.offset, rejected, reason: firstRejected.reason },
        'metering: records rejected: they are not metered events',
      );
    }
  }

  /** Enough rows for an insert of their own, or too many rows held over all partitions. */
  private full(buffer: PartitionBuffer): boolean {
    return buffer.rows.length >= this.options.maxBatchRows || this.bufferedRows >= this.maxBufferedRows;
  }

  /**
   * Inserts the buffered rows of these partitions and commits each partition after the insert that
   * holds its rows, so a commit (the restart point after a failure) never passes what ClickHouse
   * holds. Partitions whose rows all fall in one month share one insert per month: one insert is one
   * block in one ClickHouse partition, all or nothing, and holds each member's whole buffered range,
   * so what ClickHouse holds of every partition stays a prefix. A partition whose rows span months
   * inserts its month-runs alone, in offset order.
   */
  private async flush(buffers: PartitionBuffer[], signal: AbortSignal): Promise<void> {
    const members = buffers.filter((buffer) => buffer.next !== null);
    await this.dropRepeats(members);
    const byMonth = new Map<string, PartitionBuffer[]>();
    const spanning: PartitionBuffer[] = [];
    for (const buffer of members) {
      if (buffer.rows.length === 0) continue;
      const month = buffer.rows[0].ts.slice(0, 7);
      if (buffer.rows.every((row) => row.ts.startsWith(month))) {
        byMonth.set(month, [...(byMonth.get(month) ?? []), buffer]);
      } else {
        spanning.push(buffer);
      }
    }
    const oldest = Math.min(...members.map((buffer) => buffer.since));
    for (const sameMonth of byMonth.values()) {
      for (const group of inserts(sameMonth, this.options.maxBatchRows)) {
        const rows = group.length === 1 ? group[0].rows : group.flatMap((buffer) => buffer.rows);
        await this.insert(rows, group.map(rangeToken).join(','), signal);
        for (const buffer of group) await this.settle(buffer, buffer.rows.length);
      }
    }
    for (const buffer of spanning) {
      for (const run of monthRuns(buffer.rows)) {
        await this.insert(run, rangeToken({ ...buffer, rows: run }), signal);
        await this.settle(buffer, run.length);
      }
    }
    for (const buffer of members) {
      // Trailing rejected records need no insert, only the commit.
      if (buffer.next !== null) await this.commit(buffer, buffer.next.toString());
      buffer.next = null;
      buffer.since = Number.POSITIVE_INFINITY;
    }
    if (members.length > 0) this.metrics?.flushLag.observe(Math.max(0, this.now() - oldest) / 1000);
  }

  /**
   * Drops rows that repeat an event already stored or already taken: only rows of records the
   * gateway marked as possible repeats are candidates (a send retried after a failure, a spool
   * replay), so the lookup is rare. It reads `usage_events` by its sorting key (consumer, ts, id).
   * Deterministic for a given ClickHouse state, so a retried insert keeps its rows and token.
   */
  private async dropRepeats(buffers: PartitionBuffer[]): Promise<void> {
    const suspects = buffers.flatMap((buffer) => buffer.suspects);
    if (suspects.length === 0) return;
    const stored = new Set<string>();
    for (let index = 0; index < suspects.length; index += 10_000) {
      const chunk = suspects.slice(index, index + 10_000);
      const timestamps = chunk.map((row) => row.ts).sort();
      const found = await this.options.store.query<{ id: string }>(
        'SELECT DISTINCT toString(id) AS id FROM usage_events WHERE ' +
          'consumer_id IN {consumers:Array(String)} AND ' +
          "ts >= toDateTime64({from:String}, 3, 'UTC') AND ts <= toDateTime64({to:String}, 3, 'UTC') AND " +
          'has({ids:Array(String)}, toString(id))',
        {
          consumers: [...new Set(chunk.map((row) => row.consumer_id))],
          from: timestamps[0],
          to: timestamps[timestamps.length - 1],
          ids: chunk.map((row) => row.id),
        },
      );
      for (const { id } of found) stored.add(id);
    }
    const seen = new Set<string>();
    const suspect = new Set(suspects);
    let dropped = 0;
    for (const buffer of buffers) {
      if (buffer.suspects.length === 0 && stored.size === 0) {
        for (const row of buffer.rows) seen.add(row.id);
        continue;
      }
      buffer.rows = buffer.rows.filter((row) => {
        const repeat = suspect.has(row) && (stored.has(row.id) || seen.has(row.id));
        seen.add(row.id);
        if (repeat) dropped += 1;
        return !repeat;
      });
      buffer.suspects = [];
    }
    if (dropped > 0) {
      this.bufferedRows -= dropped;
      this.metrics?.repeats.inc(dropped);
      this.options.logger.info({ dropped }, 'metering: dropped repeated events (a gateway resend)');
    }
  }

  /** The first `count` rows of the buffer are in ClickHouse: forget them and commit past them. */
  private async settle(buffer: PartitionBuffer, count: number): Promise<void> {
    const last = buffer.rows[count - 1].log_offset;
    buffer.rows = buffer.rows.slice(count);
    this.bufferedRows -= count;
    this.metrics?.inserted.inc(count);
    await this.commit(buffer, (BigInt(last) + 1n).toString());
  }

  /** Until it succeeds: the same rows with the same token, so an unacknowledged success is dropped. */
  private async insert(
    rows: UsageEventRow[],
    deduplicationToken: string,
    signal: AbortSignal,
  ): Promise<void> {
    const base = this.options.retryBaseMs ?? 100;
    for (const row of rows) row.insert_token = deduplicationToken;
    for (let attempt = 1; ; attempt += 1) {
      const started = this.now();
      try {
        const grace = this.options.lateEventGraceMs;
        const corrections = grace === undefined ? [] : correctionsFor(rows, this.now(), grace);
        if (corrections.length > 0) {
          // Before the rows: a crash in between re-reads the rows and writes the same corrections,
          // which collapse by id (ReplacingMergeTree); the other order could lose them.
          await this.options.store.insert('usage_corrections', corrections, {
            deduplicationToken: `${deduplicationToken}:corrections`,
          });
          this.metrics?.lateRows.inc(corrections.length);
        }
        await this.options.store.insert('usage_events', rows, { deduplicationToken });
        this.metrics?.inserts.inc();
        this.metrics?.insertSeconds.observe((this.now() - started) / 1000);
        this.metrics?.insertRows.observe(rows.length);
        return;
      } catch (error) {
        this.metrics?.insertFailures.inc();
        const delay = Math.min(base * 2 ** (attempt - 1), MAX_RETRY_MS);
        this.options.logger.warn(
          { err: error, token: deduplicationToken, rows: rows.length, attempt, retryInMs: delay },
          'metering: insert into usage_events failed; retrying the same rows',
        );
        // Aborted: the partition is leaving. Its next owner re-reads from what ClickHouse holds.
        if (signal.aborted) throw error;
        await sleep(delay, signal);
        if (signal.aborted) throw error;
      }
    }
  }

  private async commit(buffer: PartitionBuffer, nextOffset: string): Promise<void> {
    try {
      await this.options.consumer.commit(buffer.topic, buffer.partition, nextOffset);
    } catch (error) {
      // Only monitoring suffers (consumer lag); the position lives in ClickHouse.
      this.options.logger.debug(
        { err: error, topic: buffer.topic, partition: buffer.partition, nextOffset },
        'metering: offset commit failed',
      );
    }
  }

  private drop(buffer: PartitionBuffer): void {
    this.bufferedRows -= buffer.rows.length;
    buffer.rows = [];
    buffer.suspects = [];
    buffer.next = null;
    buffer.since = Number.POSITIVE_INFINITY;
  }
}

/**
 * Where each partition of `topic` resumes: the highest offset stored in `usage_events` + 1. Read from
 * the raw table, not from the `usage_offsets` view: a view is written as a separate part, so a crash
 * between the two writes would leave the view behind (rows repeated) or ahead (rows skipped).
 */
export async function storedPositions(store: AnalyticsStore, topic: string): Promise<Map<number, string>> {
  const rows = await store.query<{ log_partition: number; next_offset: string }>(
    'SELECT log_partition, toString(max(log_offset) + 1) AS next_offset FROM usage_events ' +
      'WHERE log_topic = {topic:String} GROUP BY log_partition ORDER BY log_partition',
    { topic },
  );
  return new Map(rows.map((row) => [Number(row.log_partition), row.next_offset]));
}

/** Splits rows (in offset order) into maximal runs whose timestamps fall in one calendar month. */
export function monthRuns(rows: UsageEventRow[]): UsageEventRow[][] {
  const runs: UsageEventRow[][] = [];
  let month = '';
  for (const row of rows) {
    const rowMonth = row.ts.slice(0, 7);
    if (rowMonth !== month || runs.length === 0) {
      runs.push([]);
      month = rowMonth;
    }
    runs[runs.length - 1].push(row);
  }
  return runs;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function abortError(batch: RecordBatch): Error {
  return new Error(`metering: partition ${batch.topic}/${batch.partition} is leaving this consumer`);
}

function createMetrics(registry: Registry, buffered: () => number) {
  const registers = [registry];
  return {
    repeats: new Counter({
      name: 'tollgate_metering_repeats_dropped_total',
      help: 'events a gateway sent again (after a failed send or from its spool) that were already stored',
      registers,
    }),
    repairs: new Counter({
      name: 'tollgate_metering_insert_repairs_total',
      help: 'last inserts re-sent on partition assignment so that every rollup holds them',
      registers,
    }),
    lateRows: new Counter({
      name: 'tollgate_metering_late_rows_total',
      help: 'rows stored later than LATE_EVENT_GRACE_MS after their timestamp (each has a usage_corrections row)',
      registers,
    }),
    inserted: new Counter({
      name: 'tollgate_metering_rows_inserted_total',
      help: 'usage_events rows inserted',
      registers,
    }),
    rejected: new Counter({
      name: 'tollgate_metering_events_rejected_total',
      help: 'records that failed validation and were not metered',
      registers,
    }),
    inserts: new Counter({
      name: 'tollgate_metering_inserts_total',
      help: 'inserts into usage_events (one per partition month-run)',
      registers,
    }),
    insertFailures: new Counter({
      name: 'tollgate_metering_insert_failures_total',
      help: 'failed inserts into usage_events (each is retried with the same rows and token)',
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'tollgate_metering_insert_seconds',
      help: 'duration of one insert into usage_events',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    insertRows: new Histogram({
      name: 'tollgate_metering_insert_rows',
      help: 'rows per insert into usage_events',
      buckets: [10, 100, 1000, 5000, 10_000, 25_000, 50_000, 100_000, 250_000],
      registers,
    }),
    flushLag: new Histogram({
      name: 'tollgate_metering_flush_lag_seconds',
      help: 'age of the oldest row of a partition when its rows were in ClickHouse',
      buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers,
    }),
    buffered: new Gauge({
      name: 'tollgate_metering_buffered_rows',
      help: 'rows taken from the event log and not yet inserted',
      registers,
      collect() {
        this.set(buffered());
      },
    }),
  };
}
