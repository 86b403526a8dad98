import { accessLogEventSchema } from '@tollgate/access-log';
import { lastConsumedOffsets } from '@tollgate/analytics';
import { toUsageEventRow, type UsageEventRow } from '@tollgate/metering-domain';
import { type Logger } from '@tollgate/observability';
import { type AnalyticsStore, type EventLogConsumer, type RecordBatch } from '@tollgate/ports';
import { Counter, type Registry } from 'prom-client';

export interface MeteringProcessorOptions {
  store: AnalyticsStore;
  consumer: EventLogConsumer;
  topic: string;
  maxBatchRows: number;
  logger: Logger;
  registry?: Registry;
}

/**
 * Moves access-log events into ClickHouse `usage_events`, exactly once.
 *
 * Each row carries its (topic, partition, offset). On start and after every rebalance, reading
 * resumes from ClickHouse's max offset + 1 per partition, not from the group's committed offset, so
 * a crash between the insert and the offset commit neither loses nor repeats a row. One batch is one
 * insert (atomic in ClickHouse), and its deduplication token (topic:partition:first-last) makes a
 * retry of the same batch a no-op.
 */
export class MeteringProcessor {
  private readonly inserted: Counter | undefined;
  private readonly rejected: Counter | undefined;

  constructor(private readonly options: MeteringProcessorOptions) {
    const registers = options.registry ? [options.registry] : [];
    this.inserted = options.registry
      ? new Counter({
          name: 'tollgate_metering_rows_inserted_total',
          help: 'usage_events rows inserted',
          registers,
        })
      : undefined;
    this.rejected = options.registry
      ? new Counter({
          name: 'tollgate_metering_events_rejected_total',
          help: 'access-log records that failed validation and were not metered',
          registers,
        })
      : undefined;
  }

  async start(): Promise<void> {
    const { consumer, topic, store, maxBatchRows } = this.options;
    await consumer.run({
      topic,
      maxBatchRecords: maxBatchRows,
      startPositions: (positionsTopic) => lastConsumedOffsets(store, positionsTopic),
      eachBatch: (batch) => this.handle(batch),
    });
  }

  async stop(): Promise<void> {
    await this.options.consumer.stop();
  }

  private async handle(batch: RecordBatch): Promise<void> {
    const rows: UsageEventRow[] = [];
    for (const record of batch.records) {
      const position = { topic: record.topic, partition: record.partition, offset: record.offset };
      let parsed: unknown;
      try {
        parsed = JSON.parse(record.value);
      } catch {
        parsed = undefined;
      }
      const result = accessLogEventSchema.safeParse(parsed);
      if (!result.success) {
        // Not meterable; keep the partition moving and leave a trace with the exact position.
        this.rejected?.inc();
        this.options.logger.error(
          { position, issues: result.error?.issues.slice(0, 5) },
          'access-log record rejected: it does not match the event schema',
        );
        continue;
      }
      rows.push(toUsageEventRow(result.data, position));
    }
    // One insert per run of consecutive rows in the same month: usage_events is partitioned by
    // month, and an insert is atomic only within one partition. Runs go in offset order, so after a
    // crash the max stored offset still marks a prefix of the batch that is fully written.
    for (const run of monthRuns(rows)) {
      const first = run[0].log_offset;
      const last = run[run.length - 1].log_offset;
      await this.options.store.insert('usage_events', run, {
        deduplicationToken: `${batch.topic}:${batch.partition}:${first}-${last}`,
      });
    }
    this.inserted?.inc(rows.length);
  }
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
