import { deterministicUuid } from './ingest-event';
import { toClickHouseDateTime, type UsageEventRow } from './usage-event-row';

/**
 * Late events (docs/ingest.md, "Late events and corrections").
 *
 * An event is late when it is stored more than `grace` after its own timestamp
 * (`ingestedAt − ts > grace`): by then the hour it belongs to may already have been read for
 * billing or alerts. A late event is still stored in `usage_events` as usual (the usage API always
 * shows it); in addition it yields one row in `usage_corrections`, which billing reads to adjust
 * what it already reported instead of reporting the window again.
 */

export const LATE_EVENT_REASON = 'late';

/** A row of ClickHouse `usage_corrections` (analytics migration 0008). */
export interface UsageCorrectionRow {
  /** Determined by the event id and the reason: a replayed event gives the same row. */
  id: string;
  /** `usage_events.id` of the late event. */
  event_id: string;
  consumer_id: string;
  plan_id: string;
  api_id: string;
  /** `gateway`, or the event type of a business event (what a meter's `eventType` selects). */
  source: string;
  endpoint: string;
  /** Whether the gateway charged the request against the quota (false for business events). */
  counted: boolean;
  /** The event's own timestamp, `YYYY-MM-DD hh:mm:ss.sss` UTC. */
  ts: string;
  /** When metering stored it, same format. */
  ingested_at: string;
  /** `ingested_at − ts`, ms. */
  delay_ms: number;
  /** Events this row adds to its window (one per late event). */
  requests: number;
  /** The event's usage units, added to its window. */
  units: Record<string, number>;
  reason: string;
}

/** The epoch ms of a `usage_events.ts` text (`YYYY-MM-DD hh:mm:ss.sss`, UTC). */
export function clickHouseDateTimeMs(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/** True when an event stored at `ingestedAtMs` arrived more than `graceMs` after its timestamp. */
export function isLate(tsMs: number, ingestedAtMs: number, graceMs: number): boolean {
  return ingestedAtMs - tsMs > graceMs;
}

/** The correction of one row stored at `ingestedAtMs`, or null when it is not late. */
export function lateCorrection(
  row: UsageEventRow,
  ingestedAtMs: number,
  graceMs: number,
): UsageCorrectionRow | null {
  const tsMs = clickHouseDateTimeMs(row.ts);
  if (!isLate(tsMs, ingestedAtMs, graceMs)) return null;
  return correctionOf(row, tsMs, ingestedAtMs);
}

function correctionOf(row: UsageEventRow, tsMs: number, ingestedAtMs: number): UsageCorrectionRow {
  return {
    id: deterministicUuid([LATE_EVENT_REASON, row.id]),
    event_id: row.id,
    consumer_id: row.consumer_id,
    plan_id: row.plan_id,
    api_id: row.api_id,
    source: row.source,
    endpoint: row.endpoint,
    counted: row.counted,
    ts: row.ts,
    ingested_at: toClickHouseDateTime(ingestedAtMs),
    delay_ms: ingestedAtMs - tsMs,
    requests: 1,
    units: { ...row.usage },
    reason: LATE_EVENT_REASON,
  };
}

/**
 * The corrections for rows stored at `nowMs`, in row order: one per late row. Cheap on the hot
 * path: a row is compared with the cutoff as text (the timestamp format sorts like the instant),
 * and only late rows are parsed.
 */
export function correctionsFor(
  rows: readonly UsageEventRow[],
  nowMs: number,
  graceMs: number,
): UsageCorrectionRow[] {
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new RangeError(`graceMs must be a non-negative number, got ${graceMs}`);
  }
  // ts < now − grace ⟺ now − ts > grace. Both texts are fixed-width with four-digit years.
  const cutoff = toClickHouseDateTime(nowMs - graceMs);
  const corrections: UsageCorrectionRow[] = [];
  for (const row of rows) {
    if (row.ts < cutoff) corrections.push(correctionOf(row, clickHouseDateTimeMs(row.ts), nowMs));
  }
  return corrections;
}
