import {
  type LatestReconciliation,
  type ReconciliationLogger,
  type ReconciliationQuery,
  type ReconciliationRow,
  type ReconciliationRunSummary,
  UsageReconciliation,
} from '@tollgate/metering-pipeline';
import { type AnalyticsStore, type Counters, type Jobs } from '@tollgate/ports';
import { type PrismaClient } from '@tollgate/relational';
import { type Registry } from 'prom-client';
import { buildGatewaySnapshot } from './gateway-snapshot.builder';

/** The repeatable job that runs the usage reconciliation. */
export const usageReconciliationJob = 'usage-reconciliation';

export interface UsageReconciliationDependencies {
  prisma: PrismaClient;
  /** The analytics store metering writes (reconciliation runs are stored there too). */
  store: AnalyticsStore;
  /** The gateway's quota counters. */
  counters: Counters;
  logger: ReconciliationLogger;
  registry?: Registry;
  settleMs?: number;
}

/**
 * The usage reconciliation of this installation: the consumers, periods and route weights of the
 * snapshot the gateway enforces, built from the control plane's database at each run. One per
 * process (it registers its metrics).
 */
export function createUsageReconciliation(deps: UsageReconciliationDependencies): UsageReconciliation {
  return new UsageReconciliation({
    store: deps.store,
    counters: deps.counters,
    snapshot: () => buildGatewaySnapshot(deps.prisma),
    logger: deps.logger,
    registry: deps.registry,
    settleMs: deps.settleMs,
  });
}

/** Runs the reconciliation every `everyMs` on the job runner; call before `jobs.start()`. */
export async function scheduleUsageReconciliation(
  jobs: Jobs,
  reconciliation: UsageReconciliation,
  everyMs: number,
): Promise<void> {
  jobs.define(usageReconciliationJob, async () => {
    await reconciliation.run();
  });
  await jobs.schedule(usageReconciliationJob, everyMs, {});
}

export interface ReconciliationRunView {
  runId: string;
  runAt: string;
  finishedAt: string;
  consumers: number;
  drifting: number;
  driftUnits: number;
  skipped: number;
}

export interface ReconciliationRowView {
  consumerId: string;
  planId: string;
  periodStart: string;
  periodEnd: string;
  gatewayCount: number;
  meteredCount: number;
  drift: number;
  checks: number;
}

export interface ReconciliationReport {
  /** null before the first run. */
  run: ReconciliationRunView | null;
  rows: ReconciliationRowView[];
}

const iso = (instant: number): string => new Date(instant).toISOString();

function runView(run: ReconciliationRunSummary): ReconciliationRunView {
  return {
    runId: run.runId,
    runAt: iso(run.runAt),
    finishedAt: iso(run.finishedAt),
    consumers: run.consumers,
    drifting: run.drifting,
    driftUnits: run.driftUnits,
    skipped: run.skipped,
  };
}

function rowView(row: ReconciliationRow): ReconciliationRowView {
  return {
    consumerId: row.consumerId,
    planId: row.planId,
    periodStart: iso(row.periodStart),
    periodEnd: iso(row.periodEnd),
    gatewayCount: row.gatewayCount,
    meteredCount: row.meteredCount,
    drift: row.drift,
    checks: row.checks,
  };
}

/** The latest run and its rows (one consumer's, or only those that drift). */
export async function latestUsageReconciliation(
  reconciliation: UsageReconciliation,
  query: ReconciliationQuery,
): Promise<ReconciliationReport> {
  const latest: LatestReconciliation | null = await reconciliation.latest(query);
  return latest === null
    ? { run: null, rows: [] }
    : { run: runView(latest.run), rows: latest.rows.map(rowView) };
}

/** Runs a reconciliation now (or joins the one in progress): the run and the rows that drift. */
export async function runUsageReconciliation(
  reconciliation: UsageReconciliation,
): Promise<ReconciliationReport> {
  const run = await reconciliation.run();
  return { run: runView(run), rows: run.rows.filter((row) => row.drift !== 0).map(rowView) };
}
