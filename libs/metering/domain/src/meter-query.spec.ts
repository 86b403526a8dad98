import { type MeterDefinitionInput, meterDefinitionSchema, requestsMeter } from './meter-definition';
import { meterQuery, reportedUnitsQuery, usageQuery } from './meter-query';

const meter = (input: MeterDefinitionInput) => meterDefinitionSchema.parse(input);
// 2026-11-01T18:15:30.250Z → 2026-11-04T05:45:10Z: raw, minute, hour, day, hour, minute, raw.
const range = { from: Date.parse('2026-11-01T18:15:30.250Z'), to: Date.parse('2026-11-04T05:45:10Z') };
const total = { kind: 'total' } as const;

/** The FROM tables of a statement, in order. */
const tablesOf = (sql: string) => [...sql.matchAll(/FROM (usage_[a-z_]+)/g)].map((match) => match[1]);

describe('meterQuery', () => {
  it('counts counted gateway requests from the request rollups, raw only at the sub-minute edges', () => {
    const { sql, params } = meterQuery({
      meter: requestsMeter,
      consumerId: 'cons_1',
      range,
      grouping: total,
    });
    expect(tablesOf(sql)).toEqual([
      'usage_requests_day',
      'usage_requests_hour',
      'usage_requests_minute',
      'usage_events',
    ]);
    expect(sql).toContain('sum(requests) AS partial');
    expect(sql).toContain('count() AS partial FROM usage_events');
    expect(sql).toMatch(/^SELECT grp, toFloat64\(sum\(partial\)\) AS value FROM \(/);
    expect(sql).toContain("source = 'gateway' AND counted");
    // Two ranges each for hour, minute and raw; one for day.
    expect(sql.match(/bucket >= toDateTime\(\{m_\d+:UInt32\}, 'UTC'\)/g)).toHaveLength(5);
    expect(sql.match(/ts >= fromUnixTimestamp64Milli\(\{m_\d+:Int64\}, 'UTC'\)/g)).toHaveLength(2);
    const values = Object.values(params);
    expect(values).toContain('cons_1');
    expect(values).toContain(range.from);
    expect(values).toContain(Date.parse('2026-11-02T00:00:00Z') / 1000);
  });

  it('passes every value from outside as a parameter, never as SQL', () => {
    const hostile = "x') OR 1=1 --";
    const { sql, params } = meterQuery({
      meter: meter({
        slug: 'hostile',
        aggregation: 'sum',
        valueKey: 'sms',
        eventType: hostile,
        filters: { endpoints: [hostile] },
      }),
      consumerId: hostile,
      range,
      grouping: total,
    });
    expect(sql).not.toContain(hostile);
    expect(Object.values(params).filter((value) => value === hostile)).toHaveLength(2);
    expect(Object.values(params)).toContainEqual([hostile]);
  });

  it.each([
    ['sum', 'sum(amount_sum)', 'sum(usage[', 'sum(partial)'],
    ['max', 'max(amount_max)', 'max(usage[', 'max(partial)'],
    ['latest', 'argMaxMergeState(amount_latest)', 'argMaxState(usage[', 'argMaxMerge(partial)'],
    [
      'unique_count',
      'uniqExactMergeState(amount_unique)',
      'uniqExactState(usage[',
      'uniqExactMerge(partial)',
    ],
  ] as const)('reads a %s meter from the unit rollups', (aggregation, rollup, raw, combine) => {
    const { sql, params } = meterQuery({
      meter: meter({ slug: 'm', aggregation, valueKey: 'txn_value' }),
      consumerId: 'c',
      range,
      grouping: total,
    });
    expect(tablesOf(sql)).toEqual([
      'usage_units_day',
      'usage_units_hour',
      'usage_units_minute',
      'usage_events',
    ]);
    expect(sql).toContain(`${rollup} AS partial`);
    expect(sql).toContain(raw);
    expect(sql).toContain(`toFloat64(${combine})`);
    expect(sql).toMatch(/usage_key = \{m_0:String\}/);
    expect(sql).toMatch(/mapContains\(usage, \{m_0:String\}\)/);
    expect(params['m_0']).toBe('txn_value');
  });

  it('counts the events that reported a key from the unit rollups', () => {
    const { sql } = meterQuery({
      meter: meter({ slug: 'sms_requests', aggregation: 'count', valueKey: 'sms' }),
      consumerId: 'c',
      range,
      grouping: total,
    });
    expect(sql).toContain('sum(events) AS partial FROM usage_units_day');
  });

  it('filters by endpoint, method, status code and status class', () => {
    const { sql, params } = meterQuery({
      meter: meter({
        slug: 'failures',
        aggregation: 'count',
        countedOnly: false,
        filters: { endpoints: ['GET /a'], methods: ['GET', 'POST'], statuses: [404, '5xx', 429, '2xx'] },
      }),
      consumerId: 'c',
      range,
      grouping: total,
    });
    expect(sql).not.toContain('counted');
    expect(sql).toMatch(/endpoint IN \{m_\d+:Array\(String\)\}/);
    expect(sql).toMatch(/method IN \{m_\d+:Array\(String\)\}/);
    expect(sql).toMatch(
      /\(status IN \{m_\d+:Array\(UInt16\)\} OR intDiv\(status, 100\) IN \{m_\d+:Array\(UInt16\)\}\)/,
    );
    const values = Object.values(params);
    expect(values).toContainEqual(['GET /a']);
    expect(values).toContainEqual(['GET', 'POST']);
    expect(values).toContainEqual([404, 429]);
    expect(values).toContainEqual([5, 2]);
  });

  it('selects nothing for an empty filter list', () => {
    const { sql } = meterQuery({
      meter: meter({ slug: 'none', aggregation: 'count', filters: { statuses: [], endpoints: [] } }),
      consumerId: 'c',
      range,
      grouping: total,
    });
    expect(sql.match(/ AND 0 AND 0 AND/g)?.length).toBeGreaterThan(0);
  });

  it('counts business events of a type by their source, without the counting policy', () => {
    const { sql, params } = meterQuery({
      meter: meter({ slug: 'signups', aggregation: 'count', eventType: 'signup' }),
      consumerId: 'c',
      range,
      grouping: total,
    });
    expect(sql).not.toContain("source = 'gateway'");
    expect(sql).not.toContain('counted');
    expect(sql).toMatch(/source = \{m_\d+:String\}/);
    expect(Object.values(params)).toContain('signup');
  });

  it('groups by time bucket without reading buckets coarser than the granularity', () => {
    const { sql } = meterQuery({
      meter: requestsMeter,
      consumerId: 'c',
      range,
      grouping: { kind: 'time', granularity: 'hour' },
    });
    expect(tablesOf(sql)).toEqual(['usage_requests_hour', 'usage_requests_minute', 'usage_events']);
    expect(sql).toContain('toString(toUnixTimestamp(toStartOfHour(bucket))) AS grp');
    expect(sql).toContain('toString(toUnixTimestamp(toStartOfHour(ts))) AS grp');
  });

  it.each([
    ['endpoint', 'toString(endpoint) AS grp'],
    ['status', 'toString(status) AS grp'],
  ] as const)('groups by %s', (kind, expression) => {
    const { sql } = meterQuery({ meter: requestsMeter, consumerId: 'c', range, grouping: { kind } });
    expect(sql).toContain(expression);
    expect(sql).toMatch(/GROUP BY grp$/);
  });

  it('reads an aligned range from rollups alone, and an empty range not at all', () => {
    const aligned = { from: Date.parse('2026-11-01T00:00:00Z'), to: Date.parse('2026-11-03T00:00:00Z') };
    expect(
      tablesOf(meterQuery({ meter: requestsMeter, consumerId: 'c', range: aligned, grouping: total }).sql),
    ).toEqual(['usage_requests_day']);
    const empty = meterQuery({
      meter: requestsMeter,
      consumerId: 'c',
      range: { from: 5, to: 5 },
      grouping: total,
    });
    expect(tablesOf(empty.sql)).toEqual([]);
    expect(empty.sql).toContain('WHERE 0');
  });
});

describe('reportedUnitsQuery and usageQuery', () => {
  it('sums every reported key of counted gateway requests', () => {
    const { sql } = reportedUnitsQuery({ consumerId: 'c', range, grouping: total });
    expect(tablesOf(sql)).toEqual([
      'usage_units_day',
      'usage_units_hour',
      'usage_units_minute',
      'usage_events',
    ]);
    expect(sql).toContain('ARRAY JOIN mapKeys(usage) AS usage_key, mapValues(usage) AS amount');
    expect(sql).toContain("source = 'gateway' AND counted");
    expect(sql).toMatch(/GROUP BY grp, usage_key$/);
  });

  it('labels each meter by its index and keeps parameter names apart', () => {
    const { sql, params } = usageQuery({
      consumerId: 'c',
      range,
      grouping: total,
      meters: [requestsMeter, meter({ slug: 'sms', aggregation: 'sum', valueKey: 'sms' })],
      reportedUnits: true,
    });
    expect(sql).toContain("SELECT '0' AS part");
    expect(sql).toContain("SELECT '1' AS part");
    expect(sql).toContain("SELECT 'reported' AS part");
    const names = Object.keys(params);
    expect(names.some((name) => name.startsWith('m0_'))).toBe(true);
    expect(names.some((name) => name.startsWith('m1_'))).toBe(true);
    expect(names.some((name) => name.startsWith('r_'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
  });
});
