import { rangeSegments, type UsageRange, type UsageSource } from '@tollgate/metering-domain';
import { type AnalyticsStore, type QueryParams } from '@tollgate/ports';
import { type AnalyticsUsageGranularity } from './analytics-query-input';
import { type EndpointRequests } from './consumer-quota-periods';

/**
 * Admin analytics over many consumers, from the rollups (migrations 0003 and 0006). Ranges of
 * time series and endpoint figures are whole UTC buckets (callers widen them); a set of billing
 * periods — one per consumer, each starting at its own instant — is read exactly, whole buckets
 * from the rollups and only the sub-minute edges from raw events, in one statement for the set.
 */

/** One consumer's half-open `[from, to)`, epoch ms. */
export interface ConsumerRange {
  consumerId: string;
  from: number;
  to: number;
}

export interface RequestsOverTimePoint {
  /** Bucket start, epoch ms. */
  start: number;
  end: number;
  /** Counted requests (what quotas count). */
  requests: number;
  /** Every gateway request. */
  totalRequests: number;
  /** Consumers with at least one request in the bucket. */
  activeConsumers: number;
}

export interface EndpointAnalyticsRow {
  apiId: string;
  endpoint: string;
  totalRequests: number;
  /** Counted requests. */
  requests: number;
  statusClasses: { '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Responses with status ≥ 400. */
  errors: number;
  /** End-to-end latency at the gateway in ms (t-digest estimates); null without any request. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null };
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const rollupTable: Readonly<Record<Exclude<UsageSource, 'raw'>, string>> = {
  minute: 'usage_requests_minute',
  hour: 'usage_requests_hour',
  day: 'usage_requests_day',
};

/** Consumers per statement: bounds the size of the array parameters. */
const DEFAULT_CONSUMERS_PER_STATEMENT = 2000;

const seconds = (instant: number): number => Math.floor(instant / 1000);

export class AnalyticsQueries {
  private readonly consumersPerStatement: number;

  constructor(
    private readonly store: AnalyticsStore,
    options: { consumersPerStatement?: number } = {},
  ) {
    this.consumersPerStatement = options.consumersPerStatement ?? DEFAULT_CONSUMERS_PER_STATEMENT;
  }

  /**
   * Gateway requests per UTC hour or day over every consumer (or only `consumerIds`), zero-filled.
   * `range` must be whole buckets of `granularity`.
   */
  async requestsOverTime(
    range: UsageRange,
    granularity: AnalyticsUsageGranularity,
    consumerIds?: readonly string[],
  ): Promise<RequestsOverTimePoint[]> {
    const size = granularity === 'hour' ? HOUR_MS : DAY_MS;
    assertAligned(range, size);
    const points = new Map<number, RequestsOverTimePoint>();
    for (let start = range.from; start < range.to; start += size) {
      points.set(start, { start, end: start + size, requests: 0, totalRequests: 0, activeConsumers: 0 });
    }
    if (consumerIds !== undefined && consumerIds.length === 0) return [...points.values()];
    const params: QueryParams = { from: seconds(range.from), to: seconds(range.to) };
    const conditions = [
      "source = 'gateway'",
      'bucket >= toDateTime({from:UInt32})',
      'bucket < toDateTime({to:UInt32})',
    ];
    if (consumerIds !== undefined) {
      conditions.push('consumer_id IN {consumers:Array(String)}');
      params['consumers'] = consumerIds;
    }
    const rows = await this.store.query<{
      bucket_start: number;
      counted_requests: string;
      all_requests: string;
      active_consumers: string;
    }>(
      'SELECT toUInt32(toUnixTimestamp(bucket)) AS bucket_start, sumIf(requests, counted) AS counted_requests, ' +
        'sum(requests) AS all_requests, uniqExact(consumer_id) AS active_consumers ' +
        `FROM ${granularity === 'hour' ? 'usage_requests_hour' : 'usage_requests_day'} ` +
        `WHERE ${conditions.join(' AND ')} GROUP BY bucket_start`,
      params,
    );
    for (const row of rows) {
      const point = points.get(Number(row.bucket_start) * 1000);
      if (point === undefined) continue;
      point.requests = Number(row.counted_requests);
      point.totalRequests = Number(row.all_requests);
      point.activeConsumers = Number(row.active_consumers);
    }
    return [...points.values()];
  }

  /**
   * Requests, status classes and latency percentiles per API endpoint over whole UTC hours, read
   * from the hour rollups (requests) and the hour latency rollup (t-digest states).
   */
  async endpoints(range: UsageRange): Promise<EndpointAnalyticsRow[]> {
    assertAligned(range, HOUR_MS);
    const params = { from: seconds(range.from), to: seconds(range.to) };
    const window = 'bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})';
    const counts = await this.store.query<{
      api: string;
      endpoint_name: string;
      all_requests: string;
      counted_requests: string;
      c1: string;
      c2: string;
      c3: string;
      c4: string;
      c5: string;
    }>(
      'SELECT toString(api_id) AS api, toString(endpoint) AS endpoint_name, sum(requests) AS all_requests, ' +
        'sumIf(requests, counted) AS counted_requests, ' +
        [1, 2, 3, 4, 5]
          .map((digit) => `sumIf(requests, intDiv(status, 100) = ${digit}) AS c${digit}`)
          .join(', ') +
        ` FROM usage_requests_hour WHERE source = 'gateway' AND ${window} GROUP BY api, endpoint_name`,
      params,
    );
    const latencies = await this.store.query<{ api: string; endpoint_name: string; q: number[] }>(
      'SELECT toString(api_id) AS api, toString(endpoint) AS endpoint_name, ' +
        'quantilesTDigestMerge(0.5, 0.9, 0.99)(latency_ms) AS q ' +
        `FROM usage_latency_hour WHERE ${window} GROUP BY api, endpoint_name`,
      params,
    );
    const latencyOf = new Map(latencies.map((row) => [`${row.api}\u0000${row.endpoint_name}`, row.q]));
    return counts
      .map((row): EndpointAnalyticsRow => {
        const quantiles = latencyOf.get(`${row.api}\u0000${row.endpoint_name}`);
        const latency = (index: number): number | null =>
          quantiles === undefined ? null : Math.round(Number(quantiles[index]) * 1000) / 1000;
        const classes = {
          '1xx': Number(row.c1),
          '2xx': Number(row.c2),
          '3xx': Number(row.c3),
          '4xx': Number(row.c4),
          '5xx': Number(row.c5),
        };
        return {
          apiId: row.api,
          endpoint: row.endpoint_name,
          totalRequests: Number(row.all_requests),
          requests: Number(row.counted_requests),
          statusClasses: classes,
          errors: classes['4xx'] + classes['5xx'],
          latencyMs: { p50: latency(0), p90: latency(1), p99: latency(2) },
        };
      })
      .sort((a, b) => b.totalRequests - a.totalRequests || a.endpoint.localeCompare(b.endpoint));
  }

  /**
   * Counted gateway requests per consumer, API and endpoint, each consumer over its own range
   * (typically its current billing period, which starts at an arbitrary millisecond). Exact: whole
   * days, hours and minutes from the rollups, sub-minute edges from raw events; one statement per
   * `consumersPerStatement` consumers. A consumer with nothing counted is absent from the map.
   */
  async countedRequestsByEndpoint(
    ranges: readonly ConsumerRange[],
  ): Promise<Map<string, EndpointRequests[]>> {
    const result = new Map<string, EndpointRequests[]>();
    for (let offset = 0; offset < ranges.length; offset += this.consumersPerStatement) {
      const chunk = ranges.slice(offset, offset + this.consumersPerStatement);
      const statement = countedRequestsStatement(chunk);
      if (statement === null) continue;
      const rows = await this.store.query<{
        consumer: string;
        api: string;
        endpoint_name: string;
        counted_requests: string;
      }>(statement.sql, statement.params);
      for (const row of rows) {
        const list = result.get(row.consumer) ?? [];
        list.push({ apiId: row.api, endpoint: row.endpoint_name, requests: Number(row.counted_requests) });
        result.set(row.consumer, list);
      }
    }
    return result;
  }

  /**
   * Consumers (among `consumerIds` when given) with at least `minCount` gateway requests in one UTC
   * hour of `range` (whole hours): the candidates of the anomaly search.
   */
  async busyConsumers(
    range: UsageRange,
    minCount: number,
    consumerIds?: readonly string[],
  ): Promise<string[]> {
    assertAligned(range, HOUR_MS);
    const params: QueryParams = { from: seconds(range.from), to: seconds(range.to), min: minCount };
    const filter = consumerIds === undefined ? '' : ' AND consumer_id IN {consumers:Array(String)}';
    if (consumerIds !== undefined) params['consumers'] = consumerIds;
    const rows = await this.store.query<{ consumer: string }>(
      'SELECT DISTINCT consumer FROM (' +
        'SELECT toString(consumer_id) AS consumer, bucket, sum(requests) AS hourly FROM usage_requests_hour ' +
        `WHERE source = 'gateway' AND bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32})${filter} ` +
        'GROUP BY consumer, bucket HAVING hourly >= {min:UInt64}) ORDER BY consumer',
      params,
    );
    return rows.map((row) => row.consumer);
  }

  /** Gateway requests per consumer and UTC hour over `range` (whole hours); hours without any are absent. */
  async hourlyRequests(
    range: UsageRange,
    consumerIds: readonly string[],
  ): Promise<Map<string, Map<number, number>>> {
    assertAligned(range, HOUR_MS);
    const result = new Map<string, Map<number, number>>();
    for (let offset = 0; offset < consumerIds.length; offset += this.consumersPerStatement) {
      const rows = await this.store.query<{ consumer: string; hour_start: number; hourly: string }>(
        'SELECT toString(consumer_id) AS consumer, toUInt32(toUnixTimestamp(bucket)) AS hour_start, ' +
          'sum(requests) AS hourly FROM usage_requests_hour ' +
          "WHERE source = 'gateway' AND consumer_id IN {consumers:Array(String)} " +
          'AND bucket >= toDateTime({from:UInt32}) AND bucket < toDateTime({to:UInt32}) ' +
          'GROUP BY consumer, hour_start',
        {
          consumers: consumerIds.slice(offset, offset + this.consumersPerStatement),
          from: seconds(range.from),
          to: seconds(range.to),
        },
      );
      for (const row of rows) {
        const series = result.get(row.consumer) ?? new Map<number, number>();
        series.set(Number(row.hour_start) * 1000, Number(row.hourly));
        result.set(row.consumer, series);
      }
    }
    return result;
  }

  /** Each consumer's first day with a gateway request (UTC day start, epoch ms); absent: none. */
  async firstActiveDay(consumerIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (let offset = 0; offset < consumerIds.length; offset += this.consumersPerStatement) {
      const rows = await this.store.query<{ consumer: string; first_day: number }>(
        'SELECT toString(consumer_id) AS consumer, toUInt32(toUnixTimestamp(min(bucket))) AS first_day ' +
          "FROM usage_requests_day WHERE source = 'gateway' AND consumer_id IN {consumers:Array(String)} " +
          'GROUP BY consumer',
        { consumers: consumerIds.slice(offset, offset + this.consumersPerStatement) },
      );
      for (const row of rows) result.set(row.consumer, Number(row.first_day) * 1000);
    }
    return result;
  }
}

function assertAligned(range: UsageRange, size: number): void {
  if (range.from % size !== 0 || range.to % size !== 0 || range.to < range.from) {
    throw new RangeError(
      `analytics range must be whole buckets of ${size} ms, got ${range.from}–${range.to}`,
    );
  }
}

/**
 * The segments of every range, grouped by where they are read, as one UNION ALL whose branches
 * join their source with a table of `(consumer, from, to)` built from array parameters.
 */
function countedRequestsStatement(
  ranges: readonly ConsumerRange[],
): { sql: string; params: QueryParams } | null {
  const bySource = new Map<UsageSource, { consumers: string[]; from: number[]; to: number[] }>();
  const consumers = new Set<string>();
  for (const range of ranges) {
    for (const segment of rangeSegments({ from: range.from, to: range.to }, 'day')) {
      const arrays = bySource.get(segment.source) ?? { consumers: [], from: [], to: [] };
      arrays.consumers.push(range.consumerId);
      arrays.from.push(segment.source === 'raw' ? segment.from : seconds(segment.from));
      arrays.to.push(segment.source === 'raw' ? segment.to : seconds(segment.to));
      bySource.set(segment.source, arrays);
      consumers.add(range.consumerId);
    }
  }
  if (bySource.size === 0) return null;
  const params: QueryParams = { consumers: [...consumers] };
  const branches: string[] = [];
  for (const [source, arrays] of bySource) {
    const raw = source === 'raw';
    const bound = raw ? 'Int64' : 'UInt32';
    params[`${source}_c`] = arrays.consumers;
    params[`${source}_f`] = arrays.from;
    params[`${source}_t`] = arrays.to;
    const segments =
      `(SELECT s.1 AS consumer_id, s.2 AS seg_from, s.3 AS seg_to FROM (SELECT arrayJoin(arrayZip(` +
      `{${source}_c:Array(String)}, {${source}_f:Array(${bound})}, {${source}_t:Array(${bound})})) AS s))`;
    const time = raw
      ? "r.ts >= fromUnixTimestamp64Milli(g.seg_from, 'UTC') AND r.ts < fromUnixTimestamp64Milli(g.seg_to, 'UTC')"
      : "r.bucket >= toDateTime(g.seg_from, 'UTC') AND r.bucket < toDateTime(g.seg_to, 'UTC')";
    const aggregate = raw ? 'count()' : 'sum(r.requests)';
    branches.push(
      'SELECT toString(r.consumer_id) AS consumer, toString(r.api_id) AS api, ' +
        `toString(r.endpoint) AS endpoint_name, ${aggregate} AS partial ` +
        `FROM ${raw ? 'usage_events' : rollupTable[source]} AS r INNER JOIN ${segments} AS g ON r.consumer_id = g.consumer_id ` +
        `WHERE r.consumer_id IN {consumers:Array(String)} AND r.source = 'gateway' AND r.counted AND ${time} ` +
        'GROUP BY consumer, api, endpoint_name',
    );
  }
  return {
    sql:
      'SELECT consumer, api, endpoint_name, sum(partial) AS counted_requests ' +
      `FROM (${branches.join(' UNION ALL ')}) GROUP BY consumer, api, endpoint_name`,
    params,
  };
}
