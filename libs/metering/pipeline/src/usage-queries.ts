import { toClickHouseDateTime } from '@tollgate/metering-domain';
import { type AnalyticsStore } from '@tollgate/ports';

export interface PeriodUsage {
  /** Requests counted against the quota. */
  requests: number;
  /** Every request recorded, counted or not. */
  totalRequests: number;
  units: Record<string, number>;
}

/** Usage reads over `usage_events`. Counts are uniqExact(id), so a duplicate row never inflates them. */
export class UsageQueries {
  constructor(private readonly store: AnalyticsStore) {}

  async periodUsage(consumerId: string, start: number, end: number): Promise<PeriodUsage> {
    const params = { consumerId, start: toClickHouseDateTime(start), end: toClickHouseDateTime(end) };
    const window =
      "consumer_id = {consumerId:String} AND ts >= toDateTime64({start:String}, 3, 'UTC') AND ts < toDateTime64({end:String}, 3, 'UTC')";
    const [counts] = await this.store.query<{ requests: string; total: string }>(
      `SELECT uniqExactIf(id, counted) AS requests, uniqExact(id) AS total FROM usage_events WHERE ${window}`,
      params,
    );
    const unitRows = await this.store.query<{ name: string; amount: number }>(
      `SELECT name, sum(amount) AS amount
         FROM (SELECT id, any(usage) AS usage FROM usage_events WHERE ${window} GROUP BY id)
         ARRAY JOIN mapKeys(usage) AS name, mapValues(usage) AS amount
        GROUP BY name ORDER BY name`,
      params,
    );
    return {
      requests: Number(counts?.requests ?? 0),
      totalRequests: Number(counts?.total ?? 0),
      units: Object.fromEntries(unitRows.map((row) => [row.name, Number(row.amount)])),
    };
  }
}
