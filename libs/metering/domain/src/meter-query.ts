import { type MeterDefinition } from './meter-definition';
import {
  rangeSegments,
  type RangeSegment,
  type UsageGranularity,
  type UsageRange,
  type UsageSource,
} from './usage-range';

/**
 * ClickHouse SQL for meters over the usage rollups (migrations 0003 and 0004).
 *
 * A meter's value over a range is the aggregate, across the range's segments (usage-range.ts), of
 * each segment's partial aggregate: `sum(requests)` of the request rollups for a `count`, the
 * `amount_*` columns of the unit rollups for the other aggregations, and the same aggregate over
 * raw `usage_events` for the sub-minute edges. `latest` and `unique_count` merge aggregate-function
 * states (`argMax` by `(ts, id)`, `uniqExact`), so a state read from a rollup and one computed from
 * raw rows combine exactly.
 *
 * The plan's counting policy is applied by the gateway when it admits a request and recorded in
 * `counted` (what it charged against the quota: 5xx under the default policy, gateway failures and
 * refusals are not), so a `countedOnly` meter selects `counted` rows: the quota, the usage API and
 * billing read the same figure. Meters over ingested business events (`eventType`) read rows whose
 * `source` is that type; every other meter reads gateway rows (`source = 'gateway'`).
 *
 * Every value from outside (consumer, filters, usage key) is a query parameter, never SQL text.
 */

export interface SqlStatement {
  sql: string;
  params: Record<string, unknown>;
}

/** How a query's rows are grouped: one row, per time bucket, per endpoint or per status code. */
export type UsageGrouping =
  | { kind: 'total' }
  | { kind: 'time'; granularity: UsageGranularity }
  | { kind: 'endpoint' }
  | { kind: 'status' };

export interface MeterQueryInput {
  meter: MeterDefinition;
  consumerId: string;
  range: UsageRange;
  grouping: UsageGrouping;
}

const rollupTables: Readonly<Record<UsageGranularity, { requests: string; units: string }>> = {
  minute: { requests: 'usage_requests_minute', units: 'usage_units_minute' },
  hour: { requests: 'usage_requests_hour', units: 'usage_units_hour' },
  day: { requests: 'usage_requests_day', units: 'usage_units_day' },
};

const startOf: Readonly<Record<UsageGranularity, string>> = {
  minute: 'toStartOfMinute',
  hour: 'toStartOfHour',
  day: 'toStartOfDay',
};

/** Collects query parameters under unique names (`<prefix>_<n>`) and returns their placeholders. */
class Parameters {
  readonly values: Record<string, unknown> = {};
  #next = 0;

  constructor(private readonly prefix: string) {}

  add(type: string, value: unknown): string {
    const name = `${this.prefix}_${this.#next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/** A partial aggregate per source, and how the partials combine. */
interface AggregationSql {
  rollup: string;
  raw: (key: string) => string;
  combine: (partial: string) => string;
}

function aggregationSql(meter: MeterDefinition): AggregationSql {
  switch (meter.aggregation) {
    case 'count':
      return meter.valueKey === undefined
        ? { rollup: 'sum(requests)', raw: () => 'count()', combine: (v) => `sum(${v})` }
        : { rollup: 'sum(events)', raw: () => 'count()', combine: (v) => `sum(${v})` };
    case 'sum':
      return { rollup: 'sum(amount_sum)', raw: (key) => `sum(usage[${key}])`, combine: (v) => `sum(${v})` };
    case 'max':
      return { rollup: 'max(amount_max)', raw: (key) => `max(usage[${key}])`, combine: (v) => `max(${v})` };
    case 'latest':
      return {
        rollup: 'argMaxMergeState(amount_latest)',
        raw: (key) => `argMaxState(usage[${key}], (ts, id))`,
        combine: (v) => `argMaxMerge(${v})`,
      };
    case 'unique_count':
      return {
        rollup: 'uniqExactMergeState(amount_unique)',
        raw: (key) => `uniqExactState(usage[${key}])`,
        combine: (v) => `uniqExactMerge(${v})`,
      };
  }
}

function groupExpression(grouping: UsageGrouping, timeColumn: string): string {
  switch (grouping.kind) {
    case 'total':
      return "''";
    case 'time':
      return `toString(toUnixTimestamp(${startOf[grouping.granularity]}(${timeColumn})))`;
    case 'endpoint':
      return 'toString(endpoint)';
    case 'status':
      return 'toString(status)';
  }
}

/** Conditions every source shares: consumer, source, counting policy and the meter's filters. */
function meterConditions(meter: MeterDefinition, consumerId: string, parameters: Parameters): string[] {
  const conditions = [`consumer_id = ${parameters.add('String', consumerId)}`];
  if (meter.eventType === undefined) {
    conditions.push("source = 'gateway'");
    if (meter.countedOnly) conditions.push('counted');
  } else {
    conditions.push(`source = ${parameters.add('String', meter.eventType)}`);
  }
  const { endpoints, methods, statuses } = meter.filters;
  // An empty list selects nothing, as an empty IN would.
  if (endpoints !== undefined) {
    conditions.push(endpoints.length > 0 ? `endpoint IN ${parameters.add('Array(String)', endpoints)}` : '0');
  }
  if (methods !== undefined) {
    conditions.push(methods.length > 0 ? `method IN ${parameters.add('Array(String)', methods)}` : '0');
  }
  if (statuses !== undefined) {
    const codes: number[] = [];
    const classes: number[] = [];
    for (const status of statuses) {
      if (typeof status === 'number') codes.push(status);
      else classes.push(Number(status.charAt(0)));
    }
    const alternatives = [
      ...(codes.length > 0 ? [`status IN ${parameters.add('Array(UInt16)', codes)}`] : []),
      ...(classes.length > 0 ? [`intDiv(status, 100) IN ${parameters.add('Array(UInt16)', classes)}`] : []),
    ];
    conditions.push(alternatives.length > 0 ? `(${alternatives.join(' OR ')})` : '0');
  }
  return conditions;
}

function timeCondition(segments: RangeSegment[], source: UsageSource, parameters: Parameters): string {
  const column = source === 'raw' ? 'ts' : 'bucket';
  const bound = (instant: number) =>
    source === 'raw'
      ? `fromUnixTimestamp64Milli(${parameters.add('Int64', instant)}, 'UTC')`
      : `toDateTime(${parameters.add('UInt32', instant / 1000)}, 'UTC')`;
  const ranges = segments.map(
    (segment) => `(${column} >= ${bound(segment.from)} AND ${column} < ${bound(segment.to)})`,
  );
  return ranges.length === 1 ? ranges[0] : `(${ranges.join(' OR ')})`;
}

/** The segments of a range per source, in a fixed order (coarsest first). */
function segmentsBySource(range: UsageRange, grouping: UsageGrouping): Map<UsageSource, RangeSegment[]> {
  const coarsest = grouping.kind === 'time' ? grouping.granularity : 'day';
  const bySource = new Map<UsageSource, RangeSegment[]>();
  for (const source of ['day', 'hour', 'minute', 'raw'] as const) {
    const segments = rangeSegments(range, coarsest).filter((segment) => segment.source === source);
    if (segments.length > 0) bySource.set(source, segments);
  }
  return bySource;
}

/**
 * One meter over one range: rows `(grp String, value Float64)`, one per group that has data. `grp`
 * is `''` for a total, the bucket start in epoch seconds for a time series, else the endpoint or
 * the status code. A range with no data yields no row (the value is 0).
 */
export function meterQuery(input: MeterQueryInput, parameterPrefix = 'm'): SqlStatement {
  const { meter, grouping } = input;
  const parameters = new Parameters(parameterPrefix);
  const aggregation = aggregationSql(meter);
  const usesUnits = meter.valueKey !== undefined;
  const key = usesUnits ? parameters.add('String', meter.valueKey) : '';
  const conditions = meterConditions(meter, input.consumerId, parameters);

  const partials: string[] = [];
  for (const [source, segments] of segmentsBySource(input.range, grouping)) {
    const where = [...conditions, timeCondition(segments, source, parameters)];
    if (source === 'raw') {
      if (usesUnits) where.push(`mapContains(usage, ${key})`);
      partials.push(
        `SELECT ${groupExpression(grouping, 'ts')} AS grp, ${aggregation.raw(key)} AS partial ` +
          `FROM usage_events WHERE ${where.join(' AND ')} GROUP BY grp`,
      );
    } else {
      const table = usesUnits ? rollupTables[source].units : rollupTables[source].requests;
      if (usesUnits) where.unshift(`usage_key = ${key}`);
      partials.push(
        `SELECT ${groupExpression(grouping, 'bucket')} AS grp, ${aggregation.rollup} AS partial ` +
          `FROM ${table} WHERE ${where.join(' AND ')} GROUP BY grp`,
      );
    }
  }
  if (partials.length === 0) {
    // An empty range: the same columns, no row.
    return { sql: "SELECT '' AS grp, toFloat64(0) AS value WHERE 0", params: parameters.values };
  }
  return {
    sql:
      `SELECT grp, toFloat64(${aggregation.combine('partial')}) AS value ` +
      `FROM (${partials.join(' UNION ALL ')}) GROUP BY grp`,
    params: parameters.values,
  };
}

export interface ReportedUnitsQueryInput {
  consumerId: string;
  range: UsageRange;
  grouping: UsageGrouping;
}

/**
 * The sum of every usage key the upstream reported on counted gateway requests, per key: rows
 * `(grp String, usage_key String, value Float64)`. Lists keys no meter of the plan names yet,
 * as if each had a default `sum` meter.
 */
export function reportedUnitsQuery(input: ReportedUnitsQueryInput, parameterPrefix = 'r'): SqlStatement {
  const parameters = new Parameters(parameterPrefix);
  const conditions = [
    `consumer_id = ${parameters.add('String', input.consumerId)}`,
    "source = 'gateway'",
    'counted',
  ];
  const partials: string[] = [];
  for (const [source, segments] of segmentsBySource(input.range, input.grouping)) {
    const where = [...conditions, timeCondition(segments, source, parameters)];
    if (source === 'raw') {
      partials.push(
        `SELECT ${groupExpression(input.grouping, 'ts')} AS grp, toString(usage_key) AS usage_key, ` +
          'sum(amount) AS partial FROM usage_events ' +
          'ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount ' +
          `WHERE ${where.join(' AND ')} GROUP BY grp, usage_key`,
      );
    } else {
      partials.push(
        `SELECT ${groupExpression(input.grouping, 'bucket')} AS grp, toString(usage_key) AS usage_key, ` +
          `sum(amount_sum) AS partial FROM ${rollupTables[source].units} ` +
          `WHERE ${where.join(' AND ')} GROUP BY grp, usage_key`,
      );
    }
  }
  if (partials.length === 0) {
    return {
      sql: "SELECT '' AS grp, '' AS usage_key, toFloat64(0) AS value WHERE 0",
      params: parameters.values,
    };
  }
  return {
    sql:
      'SELECT grp, usage_key, toFloat64(sum(partial)) AS value ' +
      `FROM (${partials.join(' UNION ALL ')}) GROUP BY grp, usage_key`,
    params: parameters.values,
  };
}

/** One statement evaluating several meters (and the reported units) at once. */
export interface UsageQueryInput {
  consumerId: string;
  range: UsageRange;
  grouping: UsageGrouping;
  meters: readonly MeterDefinition[];
  /** Also list the sums of reported usage keys (`reportedUnitsQuery`). */
  reportedUnits: boolean;
}

/**
 * Rows `(part String, grp String, usage_key String, value Float64)`: `part` is the index of the
 * meter in `meters` as a decimal string, or `'reported'` for a reported-units row (then
 * `usage_key` names the key; it is `''` on meter rows).
 */
export function usageQuery(input: UsageQueryInput): SqlStatement {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  input.meters.forEach((meter, index) => {
    const statement = meterQuery(
      { meter, consumerId: input.consumerId, range: input.range, grouping: input.grouping },
      `m${index}`,
    );
    parts.push(`SELECT '${index}' AS part, grp, '' AS usage_key, value FROM (${statement.sql})`);
    Object.assign(params, statement.params);
  });
  if (input.reportedUnits) {
    const statement = reportedUnitsQuery(input, 'r');
    parts.push(`SELECT 'reported' AS part, grp, usage_key, value FROM (${statement.sql})`);
    Object.assign(params, statement.params);
  }
  if (parts.length === 0) {
    return { sql: "SELECT '' AS part, '' AS grp, '' AS usage_key, toFloat64(0) AS value WHERE 0", params };
  }
  return { sql: parts.join(' UNION ALL '), params };
}
