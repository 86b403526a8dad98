import { setTimeout as sleep } from 'node:timers/promises';
import { type GatewaySnapshot } from '@tollgate/gateway-snapshot';
import { uuidv7 } from '@tollgate/ids';
import { type AnalyticsStore, type Counters } from '@tollgate/ports';
import { Counter, Gauge, type Registry } from 'prom-client';
import { AnalyticsQueries } from './analytics-queries';
import {
  type ConsumerQuotaPeriod,
  consumerQuotaPeriods,
  quotaUnits,
  type RouteCostWeights,
  routeCostWeights,
} from './consumer-quota-periods';
import {
  type ConsumerReading,
  meteredRangeFor,
  mergeComparisons,
  type ReconciliationRow,
  type ReconciliationRun,
  type ReconciliationRunSummary,
  reconciliationRow,
  summarizeRun,
} from './reconciliation';
import { ReconciliationStore } from './reconciliation-store';

/** What the reconciliation logs through (a pino logger fits). */
export interface ReconciliationLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface UsageReconciliationOptions {
  store: AnalyticsStore;
  /** The gateway's quota counters (the same Redis, or the same in-memory instance when embedded). */
  counters: Counters;
  /** The configuration the gateway enforces: consumers, their plan versions and periods, routes. */
  snapshot: () => Promise<GatewaySnapshot>;
  logger: ReconciliationLogger;
  registry?: Registry;
  /** How long events of requests admitted before a counter read get to reach ClickHouse (default 5000 ms). */
  settleMs?: number;
  /** Counter reads in flight at once (default 32). */
  readConcurrency?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Drifting consumers logged one by one per run; the rest are in the stored rows. */
const LOGGED_DRIFTS = 20;

export interface LatestReconciliation {
  run: ReconciliationRunSummary;
  rows: ReconciliationRow[];
}

/**
 * Runs the usage reconciliation (reconciliation.ts): reads every consumer's gateway counter, waits
 * the settle delay, reads the metered units up to each read, and compares; consumers that disagree
 * are compared once more after another settle delay, and only a drift that persists is reported
 * (a warning log per consumer, Prometheus gauges and a counter). Every run is stored. Calls while a
 * run is in progress join it.
 */
export class UsageReconciliation {
  private readonly analytics: AnalyticsQueries;
  private readonly results: ReconciliationStore;
  private readonly settleMs: number;
  private readonly readConcurrency: number;
  private readonly now: () => number;
  private readonly metrics: ReturnType<typeof createMetrics> | undefined;
  private running: Promise<ReconciliationRun> | null = null;

  constructor(private readonly options: UsageReconciliationOptions) {
    this.analytics = new AnalyticsQueries(options.store);
    this.results = new ReconciliationStore(options.store);
    this.settleMs = options.settleMs ?? 5000;
    this.readConcurrency = options.readConcurrency ?? 32;
    this.now = options.now ?? Date.now;
    this.metrics = options.registry ? createMetrics(options.registry) : undefined;
  }

  run(): Promise<ReconciliationRun> {
    this.running ??= this.runOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** The latest stored run with its rows (filtered), or null before the first run. */
  async latest(filter: {
    consumerId?: string;
    onlyDrift?: boolean;
    limit: number;
  }): Promise<LatestReconciliation | null> {
    const run = await this.results.latestRun();
    if (run === null) return null;
    return { run, rows: await this.results.rows(run, filter) };
  }

  private async runOnce(): Promise<ReconciliationRun> {
    const runAt = this.now();
    const runId = uuidv7(runAt);
    const snapshot = await this.options.snapshot();
    const { periods, skipped } = consumerQuotaPeriods(snapshot, runAt);
    const weights = routeCostWeights(snapshot);

    const first = await this.compare(periods, weights, 1);
    const disagreeing = new Set(first.filter((row) => row.drift !== 0).map((row) => row.consumerId));
    const recheck =
      disagreeing.size === 0
        ? []
        : await this.compare(
            periods.filter((period) => disagreeing.has(period.consumerId)),
            weights,
            2,
          );
    const rows = mergeComparisons(first, recheck);
    const run: ReconciliationRun = {
      ...summarizeRun(rows, { runId, runAt, finishedAt: this.now(), skipped: skipped.length }),
      rows,
    };
    await this.results.save(run);
    this.report(run);
    return run;
  }

  /** Reads each consumer's counter, waits the settle delay, then the metered units up to each read. */
  private async compare(
    periods: readonly ConsumerQuotaPeriod[],
    weights: RouteCostWeights,
    checks: 1 | 2,
  ): Promise<ReconciliationRow[]> {
    const counts = new Map<string, { count: number; readAt: number }>();
    for (let offset = 0; offset < periods.length; offset += this.readConcurrency) {
      await Promise.all(
        periods.slice(offset, offset + this.readConcurrency).map(async (period) => {
          const readAt = this.now();
          counts.set(period.consumerId, {
            count: await this.options.counters.get(period.counterKey),
            readAt,
          });
        }),
      );
    }
    if (periods.length > 0 && this.settleMs > 0) await sleep(this.settleMs);
    const metered = await this.analytics.countedRequestsByEndpoint(
      periods.map((period) => ({
        consumerId: period.consumerId,
        ...meteredRangeFor(period, counts.get(period.consumerId)?.readAt ?? period.periodStart),
      })),
    );
    return periods.map((period) => {
      const read = counts.get(period.consumerId) ?? { count: 0, readAt: period.periodStart };
      const reading: ConsumerReading = {
        gatewayCount: read.count,
        readAt: read.readAt,
        meteredCount: quotaUnits(metered.get(period.consumerId) ?? [], weights),
      };
      return reconciliationRow(period, reading, checks);
    });
  }

  private report(run: ReconciliationRun): void {
    this.metrics?.runs.inc();
    this.metrics?.lastRun.set(run.finishedAt / 1000);
    this.metrics?.drifting.set(run.drifting);
    this.metrics?.driftUnits.set(run.driftUnits);
    const drifts = run.rows.filter((row) => row.drift !== 0);
    if (drifts.length === 0) {
      this.options.logger.info(
        { runId: run.runId, consumers: run.consumers, skipped: run.skipped },
        'usage reconciliation: gateway counters and metered usage agree',
      );
      return;
    }
    this.metrics?.detected.inc(drifts.length);
    for (const row of drifts.slice(0, LOGGED_DRIFTS)) {
      this.options.logger.warn(
        {
          runId: run.runId,
          consumerId: row.consumerId,
          periodStart: new Date(row.periodStart).toISOString(),
          gatewayCount: row.gatewayCount,
          meteredCount: row.meteredCount,
          drift: row.drift,
        },
        'usage reconciliation: the gateway counter and metered usage disagree',
      );
    }
    this.options.logger.warn(
      { runId: run.runId, consumers: run.consumers, drifting: run.drifting, driftUnits: run.driftUnits },
      'usage reconciliation found drift',
    );
  }
}

function createMetrics(registry: Registry) {
  const registers = [registry];
  return {
    runs: new Counter({
      name: 'tollgate_reconciliation_runs_total',
      help: 'usage reconciliation runs completed',
      registers,
    }),
    detected: new Counter({
      name: 'tollgate_reconciliation_drift_detected_total',
      help: 'consumer periods whose gateway counter and metered usage still disagreed after the recheck, summed over runs',
      registers,
    }),
    drifting: new Gauge({
      name: 'tollgate_reconciliation_drifting_consumers',
      help: 'consumers whose gateway counter and metered usage disagree in the latest reconciliation run',
      registers,
    }),
    driftUnits: new Gauge({
      name: 'tollgate_reconciliation_drift_units',
      help: 'sum of |gateway counter - metered units| over consumers in the latest reconciliation run',
      registers,
    }),
    lastRun: new Gauge({
      name: 'tollgate_reconciliation_last_run_timestamp_seconds',
      help: 'when the latest usage reconciliation run finished (unix seconds)',
      registers,
    }),
  };
}
