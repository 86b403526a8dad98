import { type BillingPeriod, type PeriodUnit } from './billing-period';

/**
 * A deliberately slow reference for the property tests (not exported from the lib): it finds the
 * instant of a local wall-clock time by walking the time line and reading the clock with Intl,
 * instead of doing offset arithmetic like `billingPeriodAt`. Minute resolution is exact because
 * every zone offset and transition after 1972 falls on a whole minute.
 */

const MINUTE = 60_000;
const STEP = 15 * MINUTE;
const HOUR = 60 * MINUTE;

export interface ReferenceWall {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

function clock(timeZone: string): Intl.DateTimeFormat {
  let formatter = clocks.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    clocks.set(timeZone, formatter);
  }
  return formatter;
}

/** What a wall clock in `timeZone` shows at `instant`. */
export function referenceWall(instant: number, timeZone: string): ReferenceWall {
  const fields = new Map<string, number>();
  for (const part of clock(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields.set(part.type, Number(part.value));
  }
  const field = (name: string): number => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`Intl gave no ${name}`);
    return value;
  };
  return {
    year: field('year'),
    month: field('month'),
    day: field('day'),
    hour: field('hour'),
    minute: field('minute'),
    second: field('second'),
    millisecond: ((instant % 1000) + 1000) % 1000,
  };
}

/** The wall clock as a comparable number (epoch ms of the same fields read as UTC). */
function wallValue(instant: number, timeZone: string): number {
  const wall = referenceWall(instant, timeZone);
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second, wall.millisecond);
}

export function referenceDaysInMonth(year: number, month: number): number {
  let days = 28;
  while (new Date(Date.UTC(year, month - 1, days + 1)).getUTCMonth() === month - 1) days += 1;
  return days;
}

/**
 * The first instant at which the clock shows `wall` (the earlier one when the clock is turned
 * back). When the clock skips it (spring forward), the instant the same distance past the jump,
 * i.e. the time moved forward by the length of the gap.
 */
export function referenceInstantOfWall(
  date: { year: number; month: number; day: number },
  timeOfDayMs: number,
  timeZone: string,
): number {
  const subMinute = timeOfDayMs % MINUTE;
  const target = Date.UTC(date.year, date.month - 1, date.day) + timeOfDayMs - subMinute;
  // Offsets lie within ±14 h, so the instant is within 15 h of the wall time read as UTC.
  const from = target - 15 * HOUR;
  const to = target + 15 * HOUR;
  let previous = from;
  let previousWall = wallValue(from, timeZone);
  for (let coarse = from + STEP; coarse <= to; coarse += STEP) {
    const coarseWall = wallValue(coarse, timeZone);
    // Walk minute by minute where the target is passed or the clock jumped (so a first pass that
    // the clock then repeats is never stepped over).
    if (coarseWall >= target || coarseWall - previousWall !== STEP) {
      for (let fine = previous + MINUTE; fine <= coarse; fine += MINUTE) {
        const fineWall = wallValue(fine, timeZone);
        if (fineWall === target) return fine + subMinute;
        if (fineWall > target) {
          const beforeJump = wallValue(fine - MINUTE, timeZone) + MINUTE;
          return fine + (target - beforeJump) + subMinute;
        }
      }
    }
    previous = coarse;
    previousWall = coarseWall;
  }
  throw new Error(`no instant found for ${JSON.stringify(date)} + ${timeOfDayMs} ms in ${timeZone}`);
}

function shiftMonth(year: number, month: number, by: number): { year: number; month: number } {
  const index = year * 12 + (month - 1) + by;
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

export function referenceBillingPeriod(
  instant: number,
  anchorInstant: number,
  timeZone: string,
  unit: PeriodUnit,
): BillingPeriod {
  const now = referenceWall(instant, timeZone);
  if (unit === 'day') {
    const tomorrow = new Date(Date.UTC(now.year, now.month - 1, now.day + 1));
    return {
      start: referenceInstantOfWall(now, 0, timeZone),
      end: referenceInstantOfWall(
        { year: tomorrow.getUTCFullYear(), month: tomorrow.getUTCMonth() + 1, day: tomorrow.getUTCDate() },
        0,
        timeZone,
      ),
    };
  }
  const anchor = referenceWall(anchorInstant, timeZone);
  const timeOfDay = ((anchor.hour * 60 + anchor.minute) * 60 + anchor.second) * 1000 + anchor.millisecond;
  const startOf = (month: { year: number; month: number }): number =>
    referenceInstantOfWall(
      { ...month, day: Math.min(anchor.day, referenceDaysInMonth(month.year, month.month)) },
      timeOfDay,
      timeZone,
    );
  const thisMonth = startOf(now);
  if (thisMonth <= instant) return { start: thisMonth, end: startOf(shiftMonth(now.year, now.month, 1)) };
  return { start: startOf(shiftMonth(now.year, now.month, -1)), end: thisMonth };
}

const transitionsCache = new Map<string, number[]>();

/** The instants in `year` (UTC) at which the zone's offset changes, found by bisection. */
export function referenceTransitions(year: number, timeZone: string): number[] {
  const key = `${timeZone}:${year}`;
  const cached = transitionsCache.get(key);
  if (cached) return cached;
  const offset = (instant: number): number => wallValue(instant, timeZone) - instant;
  const transitions: number[] = [];
  const day = 24 * HOUR;
  for (let from = Date.UTC(year, 0, 1); from < Date.UTC(year + 1, 0, 1); from += day) {
    const after = offset(from + day);
    if (offset(from) === after) continue;
    let low = from / MINUTE; // offset(low) is the old one
    let high = (from + day) / MINUTE; // offset(high) is the new one
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offset(middle * MINUTE) === after) high = middle;
      else low = middle;
    }
    transitions.push(high * MINUTE);
  }
  transitionsCache.set(key, transitions);
  return transitions;
}
