import {
  allRequestsMeter,
  bucketStart,
  type EvaluatedUsage,
  type MeterDefinition,
  rangeBuckets,
  usageFigures,
  type UsageBreakdownDimension,
  type UsageBreakdownRow,
  type UsageFigures,
  type UsageGranularity,
  type UsageGrouping,
  usageQuery,
  type UsageRange,
  type UsageTimeseriesPoint,
} from '@tollgate/metering-domain';
import { type AnalyticsStore } from '@tollgate/ports';

interface UsageRow {
  part: string;
  grp: string;
  usage_key: string;
  value: number;
}

interface MutableEvaluation {
  meterValues: number[];
  reported: Map<string, number>;
}

/** A late event, as billing reads it to adjust a window it already reported. */
export interface UsageCorrection {
  eventId: string;
  source: string;
  endpoint: string;
  counted: boolean;
  /** The event's own time: the window it belongs to (ISO 8601, UTC). */
  ts: string;
  ingestedAt: string;
  delayMs: number;
  requests: number;
  units: Record<string, number>;
  reason: string;
}

/**
 * Usage reads for the usage API: every figure comes from the rollups (migrations 0003 and 0004),
 * raw `usage_events` only for the sub-minute edges of a range, in one statement per call.
 * `meters` are the plan's meters (`planMeters`): `requests` is its `requests` meter, `units` every
 * other meter plus the reported usage keys no meter names; `totalRequests` counts every request.
 */
export class UsageQueries {
  constructor(private readonly store: AnalyticsStore) {}

  /**
   * A consumer's late events (usage_corrections), newest first: what billing turns into adjustments
   * of windows it already reported. Replayed events collapse into one row (FINAL).
   */
  async corrections(consumerId: string, limit = 200): Promise<UsageCorrection[]> {
    const rows = await this.store.query<{
      event_id: string;
      source: string;
      endpoint: string;
      counted: boolean | number;
      ts: string;
      ingested_at: string;
      delay_ms: number | string;
      requests: number | string;
      units: Record<string, number>;
      reason: string;
    }>(
      'SELECT event_id, source, endpoint, counted, ts, ingested_at, delay_ms, requests, units, reason ' +
        'FROM usage_corrections FINAL WHERE consumer_id = {consumerId:String} ' +
        'ORDER BY ingested_at DESC, event_id LIMIT {limit:UInt32}',
      { consumerId, limit },
    );
    return rows.map((row) => ({
      eventId: row.event_id,
      source: row.source,
      endpoint: row.endpoint,
      counted: row.counted === true || row.counted === 1,
      ts: `${row.ts.replace(' ', 'T')}Z`,
      ingestedAt: `${row.ingested_at.replace(' ', 'T')}Z`,
      delayMs: Number(row.delay_ms),
      requests: Number(row.requests),
      units: row.units,
      reason: row.reason,
    }));
  }

  /** The figures of `range` as a whole. */
  async totals(
    consumerId: string,
    range: UsageRange,
    meters: readonly MeterDefinition[],
  ): Promise<UsageFigures> {
    const evaluated = await this.evaluate(consumerId, range, meters, { kind: 'total' });
    return usageFigures(
      [...meters, allRequestsMeter],
      meters.length,
      evaluated.get('') ?? emptyEvaluation(meters),
    );
  }

  /**
   * One point per UTC bucket of `granularity` that `range` touches (the first and last clipped to
   * the range), zero-filled; every point lists the same unit names.
   */
  async timeseries(
    consumerId: string,
    range: UsageRange,
    meters: readonly MeterDefinition[],
    granularity: UsageGranularity,
  ): Promise<UsageTimeseriesPoint[]> {
    const evaluated = await this.evaluate(consumerId, range, meters, { kind: 'time', granularity });
    const reportedKeys = new Set([...evaluated.values()].flatMap((entry) => [...entry.reported.keys()]));
    return rangeBuckets(range, granularity).map((bucket) => {
      const bucketKey = String(Math.floor(bucketStart(bucket.from, granularity) / 1000));
      const entry = evaluated.get(bucketKey) ?? emptyEvaluation(meters);
      for (const key of reportedKeys) if (!entry.reported.has(key)) entry.reported.set(key, 0);
      return {
        start: new Date(bucket.from).toISOString(),
        end: new Date(bucket.to).toISOString(),
        ...usageFigures([...meters, allRequestsMeter], meters.length, entry),
      };
    });
  }

  /** One row per endpoint or status code that has any usage in `range`, ordered by key. */
  async breakdown(
    consumerId: string,
    range: UsageRange,
    meters: readonly MeterDefinition[],
    by: UsageBreakdownDimension,
  ): Promise<UsageBreakdownRow[]> {
    const evaluated = await this.evaluate(consumerId, range, meters, { kind: by });
    const keys = [...evaluated.keys()].sort((a, b) =>
      by === 'status' ? Number(a) - Number(b) : a.localeCompare(b),
    );
    return keys.map((key) => ({
      key,
      ...usageFigures([...meters, allRequestsMeter], meters.length, evaluated.get(key) as EvaluatedUsage),
    }));
  }

  private async evaluate(
    consumerId: string,
    range: UsageRange,
    meters: readonly MeterDefinition[],
    grouping: UsageGrouping,
  ): Promise<Map<string, MutableEvaluation>> {
    const statement = usageQuery({
      consumerId,
      range,
      grouping,
      meters: [...meters, allRequestsMeter],
      reportedUnits: true,
    });
    const rows = await this.store.query<UsageRow>(statement.sql, statement.params);
    const byGroup = new Map<string, MutableEvaluation>();
    for (const row of rows) {
      let entry = byGroup.get(row.grp);
      if (!entry) {
        entry = emptyEvaluation(meters);
        byGroup.set(row.grp, entry);
      }
      const value = Number(row.value);
      if (row.part === 'reported') entry.reported.set(row.usage_key, value);
      else entry.meterValues[Number(row.part)] = value;
    }
    return byGroup;
  }
}

function emptyEvaluation(meters: readonly MeterDefinition[]): MutableEvaluation {
  return { meterValues: new Array<number>(meters.length + 1).fill(0), reported: new Map() };
}
