import { type ConversionGranularity } from '@tollgate/metering-pipeline';

/**
 * Free → paid conversion from the subscription history. A plan change that moves a consumer to
 * another plan cancels its live subscription and creates a new one (same anchor), so the
 * subscriptions of a consumer, by creation time, are its plan history. A conversion is a
 * subscription on a paid-tier plan (any tier but `free`) created right after one on a free-tier
 * plan; a period's free consumers are those on a free-tier plan at any moment of it.
 */

export interface SubscriptionHistoryEntry {
  consumerId: string;
  planId: string;
  createdAt: number;
  /** null: still live. */
  canceledAt: number | null;
}

export interface ConversionPoint {
  /** Epoch ms. */
  start: number;
  end: number;
  /** Consumers on a free-tier plan at some moment of the period. */
  freeConsumers: number;
  /** Consumers who moved from a free-tier plan to a paid one in the period. */
  conversions: number;
  /** conversions ÷ freeConsumers; null without free consumers. */
  conversionRate: number | null;
}

const DAY_MS = 86_400_000;

/** Start of the UTC week (Monday 00:00) or month holding `instant`. */
export function conversionPeriodStart(instant: number, granularity: ConversionGranularity): number {
  const date = new Date(instant);
  if (granularity === 'month') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  const midnight = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  const sinceMonday = (date.getUTCDay() + 6) % 7;
  return midnight - sinceMonday * DAY_MS;
}

export function nextConversionPeriod(start: number, granularity: ConversionGranularity): number {
  if (granularity === 'week') return start + 7 * DAY_MS;
  const date = new Date(start);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** The UTC weeks or months from the one holding `from` to the one holding `to - 1`. */
export function conversionPeriods(
  range: { from: number; to: number },
  granularity: ConversionGranularity,
): Array<{ start: number; end: number }> {
  const periods: Array<{ start: number; end: number }> = [];
  for (let start = conversionPeriodStart(range.from, granularity); start < range.to;) {
    const end = nextConversionPeriod(start, granularity);
    periods.push({ start, end });
    start = end;
  }
  return periods;
}

export function conversionSeries(
  history: readonly SubscriptionHistoryEntry[],
  isFreePlan: (planId: string) => boolean,
  periods: ReadonlyArray<{ start: number; end: number }>,
): ConversionPoint[] {
  const byConsumer = new Map<string, SubscriptionHistoryEntry[]>();
  for (const entry of history) {
    const list = byConsumer.get(entry.consumerId) ?? [];
    list.push(entry);
    byConsumer.set(entry.consumerId, list);
  }
  const conversions: Array<{ consumerId: string; at: number }> = [];
  const freeSpans: Array<{ consumerId: string; from: number; to: number }> = [];
  for (const [consumerId, entries] of byConsumer) {
    entries.sort((a, b) => a.createdAt - b.createdAt);
    entries.forEach((entry, index) => {
      if (isFreePlan(entry.planId)) {
        freeSpans.push({
          consumerId,
          from: entry.createdAt,
          to: entry.canceledAt ?? Number.POSITIVE_INFINITY,
        });
      } else if (index > 0 && isFreePlan(entries[index - 1].planId)) {
        conversions.push({ consumerId, at: entry.createdAt });
      }
    });
  }
  return periods.map(({ start, end }) => {
    const free = new Set(
      freeSpans.filter((span) => span.from < end && span.to > start).map((span) => span.consumerId),
    );
    const converted = new Set(
      conversions.filter((event) => event.at >= start && event.at < end).map((event) => event.consumerId),
    );
    return {
      start,
      end,
      freeConsumers: free.size,
      conversions: converted.size,
      conversionRate: free.size === 0 ? null : converted.size / free.size,
    };
  });
}
