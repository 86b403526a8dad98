import { toClickHouseDateTime } from '@tollgate/metering-domain';
import { type AnalyticsStore, type QueryParams } from '@tollgate/ports';
import {
  type ReconciliationRow,
  type ReconciliationRun,
  type ReconciliationRunSummary,
} from './reconciliation';

/** The runs and rows of the usage reconciliation in ClickHouse (migration 0007). */
export class ReconciliationStore {
  constructor(private readonly store: AnalyticsStore) {}

  /** Stores a run; a retry of the same run (same id) stores nothing more. */
  async save(run: ReconciliationRun): Promise<void> {
    const runAt = toClickHouseDateTime(run.runAt);
    await this.store.insert(
      'usage_reconciliation',
      run.rows.map((row) => ({
        run_id: run.runId,
        run_at: runAt,
        consumer_id: row.consumerId,
        plan_id: row.planId,
        period_start: toClickHouseDateTime(row.periodStart),
        period_end: toClickHouseDateTime(row.periodEnd),
        gateway_count: row.gatewayCount,
        metered_count: row.meteredCount,
        drift: row.drift,
        checks: row.checks,
      })),
      { deduplicationToken: `reconciliation:${run.runId}` },
    );
    // The summary last: a run is visible only once its rows are stored.
    await this.store.insert(
      'usage_reconciliation_runs',
      [
        {
          run_id: run.runId,
          run_at: runAt,
          finished_at: toClickHouseDateTime(run.finishedAt),
          consumers: run.consumers,
          drifting: run.drifting,
          drift_units: run.driftUnits,
          skipped: run.skipped,
        },
      ],
      { deduplicationToken: `reconciliation-run:${run.runId}` },
    );
  }

  /** The latest stored run, or null before the first. */
  async latestRun(): Promise<ReconciliationRunSummary | null> {
    const [row] = await this.store.query<SummaryRow>(
      `SELECT ${summaryColumns} FROM usage_reconciliation_runs ORDER BY run_at DESC, run_id DESC LIMIT 1`,
    );
    return row === undefined ? null : summaryOf(row);
  }

  /** The latest `limit` runs, newest first. */
  async recentRuns(limit: number): Promise<ReconciliationRunSummary[]> {
    const rows = await this.store.query<SummaryRow>(
      `SELECT ${summaryColumns} FROM usage_reconciliation_runs ORDER BY run_at DESC, run_id DESC LIMIT {limit:UInt32}`,
      { limit },
    );
    return rows.map(summaryOf);
  }

  /** A run's rows, largest |drift| first, optionally for one consumer or only those that drift. */
  async rows(
    run: Pick<ReconciliationRunSummary, 'runId' | 'runAt'>,
    filter: { consumerId?: string; onlyDrift?: boolean; limit: number },
  ): Promise<ReconciliationRow[]> {
    const conditions = ["run_at = fromUnixTimestamp64Milli({run_at:Int64}, 'UTC')", 'run_id = {run_id:UUID}'];
    const params: QueryParams = {
      run_at: run.runAt,
      run_id: run.runId,
      limit: filter.limit,
    };
    if (filter.consumerId !== undefined) {
      conditions.push('consumer_id = {consumer:String}');
      params['consumer'] = filter.consumerId;
    }
    if (filter.onlyDrift === true) conditions.push('drift != 0');
    const rows = await this.store.query<{
      consumer_id: string;
      plan_id: string;
      period_start: string;
      period_end: string;
      gateway_count: string;
      metered_count: string;
      drift: string;
      checks: number;
    }>(
      'SELECT toString(consumer_id) AS consumer_id, toString(plan_id) AS plan_id, ' +
        'toUnixTimestamp64Milli(period_start) AS period_start, toUnixTimestamp64Milli(period_end) AS period_end, ' +
        'gateway_count, metered_count, drift, checks FROM usage_reconciliation ' +
        `WHERE ${conditions.join(' AND ')} ORDER BY abs(drift) DESC, consumer_id LIMIT {limit:UInt32}`,
      params,
    );
    return rows.map((row) => ({
      consumerId: row.consumer_id,
      planId: row.plan_id,
      periodStart: Number(row.period_start),
      periodEnd: Number(row.period_end),
      gatewayCount: Number(row.gateway_count),
      meteredCount: Number(row.metered_count),
      drift: Number(row.drift),
      checks: Number(row.checks) === 2 ? 2 : 1,
    }));
  }
}

interface SummaryRow {
  run_id: string;
  run_at: string;
  finished_at: string;
  consumers: number;
  drifting: number;
  drift_units: string;
  skipped: number;
}

const summaryColumns =
  'toString(run_id) AS run_id, toString(toUnixTimestamp64Milli(run_at)) AS run_at, ' +
  'toString(toUnixTimestamp64Milli(finished_at)) AS finished_at, consumers, drifting, drift_units, skipped';

function summaryOf(row: SummaryRow): ReconciliationRunSummary {
  return {
    runId: row.run_id,
    runAt: Number(row.run_at),
    finishedAt: Number(row.finished_at),
    consumers: Number(row.consumers),
    drifting: Number(row.drifting),
    driftUnits: Number(row.drift_units),
    skipped: Number(row.skipped),
  };
}
