/**
 * The billing period containing an instant, from the subscription's anchor and the consumer's
 * time zone. Monthly periods start on the anchor's local day-of-month and local time, clamped to
 * the month's last day (a Jan 31 anchor gives Feb 28/29, then Mar 31). Daily periods run from
 * local midnight to local midnight, so a DST day is 23 or 25 hours long.
 */

export type PeriodUnit = 'month' | 'day';

export interface BillingPeriod {
  /** Inclusive start, epoch ms. */
  start: number;
  /** Exclusive end, epoch ms. */
  end: number;
}

interface LocalDateTime {
  year: number;
  month: number; // 1–12
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

function toLocal(instant: number, timeZone: string): LocalDateTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts['year'],
    month: parts['month'],
    day: parts['day'],
    hour: parts['hour'],
    minute: parts['minute'],
    second: parts['second'],
    millisecond: ((instant % 1000) + 1000) % 1000,
  };
}

function offsetAt(instant: number, timeZone: string): number {
  const local = toLocal(instant, timeZone);
  const asUtc = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
  return asUtc - instant;
}

/**
 * The instant of a local wall-clock time. In a DST gap (a time that does not exist) the result is
 * moved forward by the gap; in an overlap the earlier instant wins.
 */
function fromLocal(local: LocalDateTime, timeZone: string): number {
  const wall = Date.UTC(
    local.year,
    local.month - 1,
    local.day,
    local.hour,
    local.minute,
    local.second,
    local.millisecond,
  );
  const candidates = new Set<number>();
  for (const probe of [wall - 36 * 3_600_000, wall, wall + 36 * 3_600_000]) {
    candidates.add(wall - offsetAt(probe, timeZone));
  }
  const exact = [...candidates]
    .filter((instant) => instant + offsetAt(instant, timeZone) === wall)
    .sort((a, b) => a - b);
  if (exact.length > 0) return exact[0];
  // Gap: use the offset in force before the transition, which lands after the gap.
  return wall - offsetAt(wall - 36 * 3_600_000, timeZone);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function monthStart(anchor: LocalDateTime, year: number, month: number, timeZone: string): number {
  const normalizedYear = year + Math.floor((month - 1) / 12);
  const normalizedMonth = ((((month - 1) % 12) + 12) % 12) + 1;
  const day = Math.min(anchor.day, daysInMonth(normalizedYear, normalizedMonth));
  return fromLocal({ ...anchor, year: normalizedYear, month: normalizedMonth, day }, timeZone);
}

export function billingPeriodAt(
  instant: number,
  anchorInstant: number,
  timeZone: string,
  unit: PeriodUnit,
): BillingPeriod {
  const now = toLocal(instant, timeZone);
  if (unit === 'day') {
    const start = fromLocal({ ...now, hour: 0, minute: 0, second: 0, millisecond: 0 }, timeZone);
    const next = new Date(Date.UTC(now.year, now.month - 1, now.day + 1));
    const end = fromLocal(
      {
        year: next.getUTCFullYear(),
        month: next.getUTCMonth() + 1,
        day: next.getUTCDate(),
        hour: 0,
        minute: 0,
        second: 0,
        millisecond: 0,
      },
      timeZone,
    );
    return { start, end };
  }
  const anchor = toLocal(anchorInstant, timeZone);
  let start = monthStart(anchor, now.year, now.month, timeZone);
  let monthOffset = 0;
  if (start > instant) {
    monthOffset = -1;
    start = monthStart(anchor, now.year, now.month - 1, timeZone);
  }
  const end = monthStart(anchor, now.year, now.month + monthOffset + 1, timeZone);
  return { start, end };
}
