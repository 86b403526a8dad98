import { type ConsumerQuotaPeriod } from './consumer-quota-periods';

/**
 * Usage reconciliation: per consumer and current billing period, the gateway's quota counter
 * against the quota units metered into ClickHouse (counted requests × route weight). Both are
 * read as of one instant per consumer: the counter first, then, after a settle delay that lets the
 * events of the requests admitted before that instant reach ClickHouse, the metered units of the
 * events stamped before it. Pure comparison here; reading and storing in reconciliation-runner.ts
 * and reconciliation-store.ts.
 */

/** One consumer's comparison in a run. */
export interface ReconciliationRow {
  consumerId: string;
  planId: string;
  /** Epoch ms. */
  periodStart: number;
  periodEnd: number;
  gatewayCount: number;
  meteredCount: number;
  /** gatewayCount − meteredCount: positive when the gateway charged more than was metered. */
  drift: number;
  /** 1: agreed on the first comparison; 2: compared again after the settle delay. */
  checks: 1 | 2;
}

export interface ReconciliationRunSummary {
  runId: string;
  /** Epoch ms. */
  runAt: number;
  finishedAt: number;
  consumers: number;
  /** Consumers whose drift persisted through the recheck. */
  drifting: number;
  /** Sum of |drift|. */
  driftUnits: number;
  /** Consumers the gateway cannot place in a period either. */
  skipped: number;
}

export interface ReconciliationRun extends ReconciliationRunSummary {
  rows: ReconciliationRow[];
}

/** What was read for one consumer: its counter, when, and the units metered before then. */
export interface ConsumerReading {
  gatewayCount: number;
  /** Epoch ms just before the counter was read; the metered units are of events stamped before it. */
  readAt: number;
  meteredCount: number;
}

/** The metered range matching a counter read at `readAt`: the period up to the read, never past its end. */
export function meteredRangeFor(
  period: Pick<ConsumerQuotaPeriod, 'periodStart' | 'periodEnd'>,
  readAt: number,
): { from: number; to: number } {
  return { from: period.periodStart, to: Math.max(period.periodStart, Math.min(readAt, period.periodEnd)) };
}

export function reconciliationRow(
  period: ConsumerQuotaPeriod,
  reading: ConsumerReading,
  checks: 1 | 2,
): ReconciliationRow {
  return {
    consumerId: period.consumerId,
    planId: period.planId,
    periodStart: period.periodStart,
    periodEnd: period.periodEnd,
    gatewayCount: reading.gatewayCount,
    meteredCount: reading.meteredCount,
    drift: reading.gatewayCount - reading.meteredCount,
    checks,
  };
}

/**
 * The rows of a run: the first comparison where it agreed, the recheck where it did not (a drift
 * the recheck no longer shows was events in flight). Ordered by |drift| (largest first), then
 * consumer id.
 */
export function mergeComparisons(
  first: readonly ReconciliationRow[],
  recheck: readonly ReconciliationRow[],
): ReconciliationRow[] {
  const rechecked = new Map(recheck.map((row) => [row.consumerId, row]));
  return first
    .map((row) => (row.drift === 0 ? row : (rechecked.get(row.consumerId) ?? row)))
    .sort((a, b) => Math.abs(b.drift) - Math.abs(a.drift) || a.consumerId.localeCompare(b.consumerId));
}

export function summarizeRun(
  rows: readonly ReconciliationRow[],
  run: { runId: string; runAt: number; finishedAt: number; skipped: number },
): ReconciliationRunSummary {
  let drifting = 0;
  let driftUnits = 0;
  for (const row of rows) {
    if (row.drift !== 0) drifting += 1;
    driftUnits += Math.abs(row.drift);
  }
  return { ...run, consumers: rows.length, drifting, driftUnits };
}
