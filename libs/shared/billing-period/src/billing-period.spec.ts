import { billingPeriodAt } from './billing-period';

const iso = (ms: number) => new Date(ms).toISOString();

describe('billingPeriodAt', () => {
  it('runs a monthly period from the anchor day to the same day next month (UTC)', () => {
    const period = billingPeriodAt(
      Date.parse('2026-03-20T00:00:00Z'),
      Date.parse('2026-01-15T10:00:00Z'),
      'UTC',
      'month',
    );
    expect(iso(period.start)).toBe('2026-03-15T10:00:00.000Z');
    expect(iso(period.end)).toBe('2026-04-15T10:00:00.000Z');
  });

  it('clamps a Jan 31 anchor to the end of February and returns to the 31st in March', () => {
    const anchor = Date.parse('2026-01-31T00:00:00Z');
    const february = billingPeriodAt(Date.parse('2026-03-01T00:00:00Z'), anchor, 'UTC', 'month');
    expect(iso(february.start)).toBe('2026-02-28T00:00:00.000Z');
    expect(iso(february.end)).toBe('2026-03-31T00:00:00.000Z');
    const leap = billingPeriodAt(Date.parse('2028-02-29T12:00:00Z'), anchor, 'UTC', 'month');
    expect(iso(leap.start)).toBe('2028-02-29T00:00:00.000Z');
  });

  it('starts the period at local time in the consumer time zone', () => {
    // Anchor is local midnight on the 1st in New York (05:00Z in winter, 04:00Z in summer).
    const anchor = Date.parse('2026-01-01T05:00:00Z');
    const april = billingPeriodAt(Date.parse('2026-04-10T00:00:00Z'), anchor, 'America/New_York', 'month');
    expect(iso(april.start)).toBe('2026-04-01T04:00:00.000Z');
    expect(iso(april.end)).toBe('2026-05-01T04:00:00.000Z');
  });

  it('makes a day period 23 hours long on a spring-forward day', () => {
    const period = billingPeriodAt(Date.parse('2026-03-29T12:00:00Z'), 0, 'Europe/Berlin', 'day');
    expect(iso(period.start)).toBe('2026-03-28T23:00:00.000Z');
    expect(period.end - period.start).toBe(23 * 3_600_000);
  });

  it('starts the day when the clock jumps over midnight (Sao Paulo, 2018) and makes the fall-back day 25 h', () => {
    const spring = billingPeriodAt(Date.parse('2018-11-04T12:00:00Z'), 0, 'America/Sao_Paulo', 'day');
    expect(iso(spring.start)).toBe('2018-11-04T03:00:00.000Z'); // 01:00 local: 00:00 never happened
    expect(spring.end - spring.start).toBe(23 * 3_600_000);
    const fall = billingPeriodAt(Date.parse('2019-02-16T12:00:00Z'), 0, 'America/Sao_Paulo', 'day');
    expect(iso(fall.start)).toBe('2019-02-16T02:00:00.000Z');
    expect(fall.end - fall.start).toBe(25 * 3_600_000);
  });

  it('makes Lord Howe days 23.5 and 24.5 hours long (30-minute DST)', () => {
    const spring = billingPeriodAt(Date.parse('2026-10-04T06:00:00Z'), 0, 'Australia/Lord_Howe', 'day');
    expect(iso(spring.start)).toBe('2026-10-03T13:30:00.000Z');
    expect(spring.end - spring.start).toBe(23.5 * 3_600_000);
    const fall = billingPeriodAt(Date.parse('2026-04-05T06:00:00Z'), 0, 'Australia/Lord_Howe', 'day');
    expect(fall.end - fall.start).toBe(24.5 * 3_600_000);
  });

  it('moves a month start whose local time the clock skips forward by the gap', () => {
    // 02:30 in Berlin on 2025-03-29; on 2026-03-29 the clock jumps from 02:00 to 03:00.
    const anchor = Date.parse('2025-03-29T01:30:00Z');
    const period = billingPeriodAt(Date.parse('2026-04-10T00:00:00Z'), anchor, 'Europe/Berlin', 'month');
    expect(iso(period.start)).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(iso(period.end)).toBe('2026-04-29T00:30:00.000Z'); // 02:30 CEST
  });

  it('always contains the instant', () => {
    const anchor = Date.parse('2025-05-31T22:30:00Z');
    for (
      let instant = Date.parse('2026-01-01T00:00:00Z');
      instant < Date.parse('2027-01-01T00:00:00Z');
      instant += 7 * 3_600_000 + 13_000
    ) {
      const period = billingPeriodAt(instant, anchor, 'Australia/Adelaide', 'month');
      expect(period.start <= instant && instant < period.end).toBe(true);
    }
  });
});
