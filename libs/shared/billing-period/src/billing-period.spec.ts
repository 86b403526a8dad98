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
