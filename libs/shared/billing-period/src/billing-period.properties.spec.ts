import fc from 'fast-check';
import { billingPeriodAt, type PeriodUnit } from './billing-period';
import {
  referenceBillingPeriod,
  referenceDaysInMonth,
  referenceInstantOfWall,
  referenceTransitions,
  referenceWall,
} from './billing-period.reference';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Zones with 1 h DST north and south, 30 min DST (Lord Howe), a :45 offset (Chatham), none (Kolkata). */
const zones = [
  'UTC',
  'America/New_York',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Pacific/Chatham',
  'America/Sao_Paulo', // until 2019 its clocks jumped at midnight, so some days had no 00:00
] as const;

/** Day lengths a zone can produce, in hours (1990 on: Lord Howe's DST has been 30 min since 1986). */
const dayLengths: Record<(typeof zones)[number], number[]> = {
  UTC: [24],
  'America/New_York': [23, 24, 25],
  'Europe/Berlin': [23, 24, 25],
  'Australia/Lord_Howe': [23.5, 24, 24.5],
  'Asia/Kolkata': [24],
  'Pacific/Chatham': [23, 24, 25],
  'America/Sao_Paulo': [23, 24, 25],
};

const instant = fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2099, 11, 1) });
const zone = fc.constantFrom(...zones);
const unit = fc.constantFrom<PeriodUnit>('month', 'day');

/** Instants near DST changes and month ends, where bugs live, mixed with uniform ones. */
const interestingInstant = fc.oneof(
  instant,
  fc
    .record({
      year: fc.integer({ min: 1990, max: 2098 }),
      month: fc.constantFrom(1, 2, 3, 4, 9, 10, 11, 12),
      day: fc.integer({ min: 1, max: 31 }),
      hour: fc.integer({ min: -14, max: 38 }),
      minute: fc.constantFrom(0, 15, 29, 30, 44, 45, 59),
      ms: fc.integer({ min: 0, max: 59_999 }),
    })
    .map(({ year, month, day, hour, minute, ms }) => Date.UTC(year, month - 1, day, hour, minute) + ms),
);

/** A DST change (or other offset change) of a zone that has them, in a random year. */
const offsetChange = fc
  .constantFrom(...zones.filter((name) => name !== 'UTC' && name !== 'Asia/Kolkata'))
  .chain((timeZone) =>
    fc.record({
      timeZone: fc.constant(timeZone),
      // Brazil abolished DST in 2019.
      year: fc.integer({ min: 1990, max: timeZone === 'America/Sao_Paulo' ? 2018 : 2098 }),
      pick: fc.nat(),
    }),
  )
  .map(({ timeZone, year, pick }) => {
    const changes = referenceTransitions(year, timeZone);
    if (changes.length === 0) throw new Error(`${timeZone} has no offset change in ${year}`);
    return { timeZone, at: changes[pick % changes.length] };
  });

function wallMs(instant: number, timeZone: string): number {
  const wall = referenceWall(instant, timeZone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
}

function sameDate(a: { year: number; month: number; day: number }, b: typeof a): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/** True when no instant in the two hours before `instant` shows this wall time (it fell in a gap). */
function wallIsSkipped(
  date: { year: number; month: number; day: number },
  hour: number,
  minute: number,
  before: number,
  timeZone: string,
): boolean {
  for (let probe = before - 2 * HOUR; probe <= before; probe += 60_000) {
    const wall = referenceWall(probe, timeZone);
    if (sameDate(wall, date) && wall.hour === hour && wall.minute === minute) return false;
  }
  return true;
}

describe('billingPeriodAt (properties)', () => {
  it('agrees with the wall-clock-walking reference', () => {
    fc.assert(
      fc.property(interestingInstant, instant, zone, unit, (now, anchor, timeZone, periodUnit) => {
        expect(billingPeriodAt(now, anchor, timeZone, periodUnit)).toEqual(
          referenceBillingPeriod(now, anchor, timeZone, periodUnit),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the reference around DST changes, for anchors whose local time is skipped or repeated', () => {
    fc.assert(
      fc.property(
        offsetChange,
        fc.integer({ min: -HOUR, max: 2 * HOUR }),
        fc.integer({ min: -2 * DAY, max: 20 * DAY }),
        unit,
        ({ timeZone, at }, timeShift, nowShift, periodUnit) => {
          // The wall time at which the clock changes, e.g. 02:00 on the last Sunday of March in Berlin.
          const changeWall = new Date(wallMs(at - 1, timeZone) + 1);
          const timeOfDay = Math.min(DAY - 1, Math.max(0, (changeWall.getTime() % DAY) + timeShift));
          // An anchor a year earlier on the same day of the month, at a local time near the change's, so
          // the period that starts on the change's day starts at a skipped or repeated wall time.
          const anchor = referenceInstantOfWall(
            {
              year: changeWall.getUTCFullYear() - 1,
              month: changeWall.getUTCMonth() + 1,
              day: changeWall.getUTCDate(),
            },
            timeOfDay,
            timeZone,
          );
          const now = at + (periodUnit === 'day' ? Math.trunc(nowShift / 16) : nowShift);
          expect(billingPeriodAt(now, anchor, timeZone, periodUnit)).toEqual(
            referenceBillingPeriod(now, anchor, timeZone, periodUnit),
          );
        },
      ),
      { numRuns: 400 },
    );
  });

  it('returns a non-empty period that contains the instant', () => {
    fc.assert(
      fc.property(interestingInstant, instant, zone, unit, (now, anchor, timeZone, periodUnit) => {
        const period = billingPeriodAt(now, anchor, timeZone, periodUnit);
        expect(period.start).toBeLessThanOrEqual(now);
        expect(now).toBeLessThan(period.end);
        expect(period.start).toBeLessThan(period.end);
      }),
      { numRuns: 1000 },
    );
  });

  it('tiles time: each period ends where the next one starts', () => {
    fc.assert(
      fc.property(interestingInstant, instant, zone, unit, (now, anchor, timeZone, periodUnit) => {
        const period = billingPeriodAt(now, anchor, timeZone, periodUnit);
        expect(billingPeriodAt(period.end, anchor, timeZone, periodUnit).start).toBe(period.end);
        expect(billingPeriodAt(period.end - 1, anchor, timeZone, periodUnit)).toEqual(period);
        expect(billingPeriodAt(period.start - 1, anchor, timeZone, periodUnit).end).toBe(period.start);
        expect(billingPeriodAt(period.start, anchor, timeZone, periodUnit)).toEqual(period);
      }),
      { numRuns: 500 },
    );
  });

  it("starts a month on min(anchor day, days in month) at the anchor's local time", () => {
    fc.assert(
      fc.property(interestingInstant, instant, zone, (now, anchor, timeZone) => {
        const { start, end } = billingPeriodAt(now, anchor, timeZone, 'month');
        const anchorWall = referenceWall(anchor, timeZone);
        for (const boundary of [start, end]) {
          const wall = referenceWall(boundary, timeZone);
          const expectedDay = Math.min(anchorWall.day, referenceDaysInMonth(wall.year, wall.month));
          const sameTime =
            wall.day === expectedDay &&
            wall.hour === anchorWall.hour &&
            wall.minute === anchorWall.minute &&
            wall.second === anchorWall.second &&
            wall.millisecond === anchorWall.millisecond;
          if (!sameTime) {
            // Only allowed when the clock skipped the anchor's time that day (spring forward).
            const date = { year: wall.year, month: wall.month, day: expectedDay };
            expect(wallIsSkipped(date, anchorWall.hour, anchorWall.minute, boundary, timeZone)).toBe(true);
            expect(wall.day).toBe(expectedDay);
          }
        }
        const startWall = referenceWall(start, timeZone);
        const endWall = referenceWall(end, timeZone);
        expect((endWall.year - startWall.year) * 12 + endWall.month - startWall.month).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it('gives an anchor on the 29th–31st the last day of February, the 29th in leap years', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1990, max: 2098 }),
        fc.integer({ min: 29, max: 31 }),
        fc.integer({ min: 0, max: 24 * HOUR - 1 }),
        zone,
        (year, anchorDay, timeOfDay, timeZone) => {
          const anchor = referenceInstantOfWall(
            { year: 2020, month: 1, day: anchorDay },
            timeOfDay,
            timeZone,
          );
          // The last millisecond of February, local time.
          const lastOfFebruary = referenceInstantOfWall({ year, month: 3, day: 1 }, 0, timeZone) - 1;
          const { start, end } = billingPeriodAt(lastOfFebruary, anchor, timeZone, 'month');
          const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
          expect(referenceWall(start, timeZone)).toMatchObject({ year, month: 2, day: leap ? 29 : 28 });
          expect(referenceWall(end, timeZone)).toMatchObject({ year, month: 3, day: anchorDay });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('runs a day from local midnight to local midnight, 23–25 h long (23.5/24.5 on Lord Howe)', () => {
    fc.assert(
      fc.property(interestingInstant, zone, (now, timeZone) => {
        const { start, end } = billingPeriodAt(now, 0, timeZone, 'day');
        const today = referenceWall(now, timeZone);
        const next = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
        const tomorrow = {
          year: next.getUTCFullYear(),
          month: next.getUTCMonth() + 1,
          day: next.getUTCDate(),
        };
        for (const [boundary, date] of [
          [start, today],
          [end, tomorrow],
        ] as const) {
          const wall = referenceWall(boundary, timeZone);
          expect(sameDate(wall, date)).toBe(true);
          if (wall.hour !== 0 || wall.minute !== 0 || wall.second !== 0 || wall.millisecond !== 0) {
            expect(wallIsSkipped(date, 0, 0, boundary, timeZone)).toBe(true);
          }
        }
        expect(referenceWall(start - 1, timeZone).day).not.toBe(today.day);
        expect(dayLengths[timeZone]).toContain((end - start) / HOUR);
      }),
      { numRuns: 500 },
    );
  });
});
