import { deterministicUuid } from './ingest-event';
import { clickHouseDateTimeMs, correctionsFor, isLate, lateCorrection } from './late-events';
import { toClickHouseDateTime, type UsageEventRow } from './usage-event-row';

const hour = 3_600_000;
const now = Date.parse('2026-11-28T10:00:00.000Z');

function row(tsMs: number, overrides: Partial<UsageEventRow> = {}): UsageEventRow {
  return {
    id: `0190f0e0-0000-7000-8000-${String(tsMs % 1e12).padStart(12, '0')}`,
    ts: toClickHouseDateTime(tsMs),
    consumer_id: 'cons_1',
    plan_id: 'plan_1',
    api_id: 'api_1',
    endpoint: 'GET /v1/orders/:id',
    method: 'GET',
    status: 200,
    request_bytes: 10,
    response_bytes: 20,
    latency_ms: 3,
    upstream_latency_ms: 2,
    cached: false,
    counted: true,
    usage: { sms: 2 },
    source: 'gateway',
    log_topic: 'tollgate.access-log.v1',
    log_partition: 0,
    log_offset: '7',
    ...overrides,
  };
}

describe('late events', () => {
  it('reads the stored timestamp text back to the instant', () => {
    expect(clickHouseDateTimeMs('2026-11-28 09:05:01.042')).toBe(Date.parse('2026-11-28T09:05:01.042Z'));
    expect(clickHouseDateTimeMs(toClickHouseDateTime(now - 1))).toBe(now - 1);
  });

  it('is late only when stored more than the grace after its timestamp', () => {
    expect(isLate(now - hour, now, hour)).toBe(false);
    expect(isLate(now - hour - 1, now, hour)).toBe(true);
    expect(isLate(now + 5000, now, 0)).toBe(false);
    expect(isLate(now - 1, now, 0)).toBe(true);
  });

  it('builds the correction of a late row: the same id for the same event, its units and delay', () => {
    const late = row(now - 3 * hour - 250);
    const correction = lateCorrection(late, now, hour);
    expect(correction).toEqual({
      id: deterministicUuid(['late', late.id]),
      event_id: late.id,
      consumer_id: 'cons_1',
      plan_id: 'plan_1',
      api_id: 'api_1',
      source: 'gateway',
      endpoint: 'GET /v1/orders/:id',
      counted: true,
      ts: '2026-11-28 06:59:59.750',
      ingested_at: '2026-11-28 10:00:00.000',
      delay_ms: 3 * hour + 250,
      requests: 1,
      units: { sms: 2 },
      reason: 'late',
    });
    expect(lateCorrection(late, now + 60_000, hour)?.id).toBe(correction?.id);
    expect(correction?.units).not.toBe(late.usage);
    expect(lateCorrection(row(now - hour), now, hour)).toBeNull();
  });

  it('keeps business events with their type and counted flag', () => {
    const event = row(now - 2 * hour, {
      source: 'sms.sent',
      endpoint: 'sms.sent',
      counted: false,
      usage: {},
    });
    expect(lateCorrection(event, now, hour)).toMatchObject({
      source: 'sms.sent',
      counted: false,
      requests: 1,
      units: {},
    });
  });

  it('lists one correction per late row, in row order, exactly at the boundary', () => {
    const rows = [
      row(now - hour), // exactly the grace: on time
      row(now - hour - 1), // 1 ms beyond: late
      row(now),
      row(now - 40 * 24 * hour), // a month back
      row(now + 10_000), // ahead of the clock
    ];
    const corrections = correctionsFor(rows, now, hour);
    expect(corrections.map((correction) => correction.event_id)).toEqual([rows[1].id, rows[3].id]);
    expect(corrections.map((correction) => correction.delay_ms)).toEqual([hour + 1, 40 * 24 * hour]);
    // The fast text comparison agrees with isLate on every row.
    for (const candidate of rows) {
      expect(corrections.some((correction) => correction.event_id === candidate.id)).toBe(
        isLate(clickHouseDateTimeMs(candidate.ts), now, hour),
      );
    }
    expect(correctionsFor([], now, hour)).toEqual([]);
    expect(() => correctionsFor(rows, now, -1)).toThrow(RangeError);
  });

  it('agrees with isLate across many timestamps and graces', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed;
    };
    for (let index = 0; index < 500; index += 1) {
      const grace = next() % (3 * hour);
      const ts = now - (next() % (6 * hour)) + 30_000;
      const candidate = row(ts);
      expect(correctionsFor([candidate], now, grace).length === 1).toBe(isLate(ts, now, grace));
    }
  });
});
