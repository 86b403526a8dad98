import { dunningAuditActions } from '../dunning/dunning-audit-actions';

/** A half-open time range in epoch milliseconds: [from, to). */
export interface TimeRange {
  from: number;
  to: number;
}

/** The part of an audit log entry of a subscription that dates its plan changes. */
export interface PlanChangeEntry {
  action: string;
  createdAt: Date;
  after: unknown;
}

/** Audit actions that may end a dunning downgrade in place (besides dunning's restore). */
export const stripePlanMoveAction = 'subscription.stripe.customer.subscription.updated';

function movesPlan(entry: PlanChangeEntry): boolean {
  const after = entry.after;
  return (
    typeof after === 'object' && after !== null && typeof (after as { planId?: unknown }).planId === 'string'
  );
}

/**
 * When a subscription was downgraded for non-payment, from its audit entries in time order: each
 * window starts at a dunning downgrade and ends at the restore or at a plan change that followed
 * Stripe; a downgrade still in force has no end (`to` is +Infinity).
 */
export function downgradeWindows(entries: readonly PlanChangeEntry[]): TimeRange[] {
  const windows: TimeRange[] = [];
  let openedAt: number | null = null;
  for (const entry of entries) {
    const at = entry.createdAt.getTime();
    if (entry.action === dunningAuditActions.downgrade) {
      openedAt ??= at;
    } else if (
      openedAt !== null &&
      (entry.action === dunningAuditActions.restore ||
        (entry.action === stripePlanMoveAction && movesPlan(entry)))
    ) {
      windows.push({ from: openedAt, to: at });
      openedAt = null;
    }
  }
  if (openedAt !== null) windows.push({ from: openedAt, to: Number.POSITIVE_INFINITY });
  return windows;
}

/** `range` without the excluded windows, as the disjoint ranges that remain (in order; none empty). */
export function rangesOutside(range: TimeRange, excluded: readonly TimeRange[]): TimeRange[] {
  let remaining: TimeRange[] = range.to > range.from ? [range] : [];
  for (const window of excluded) {
    remaining = remaining.flatMap((part) => {
      if (window.to <= part.from || window.from >= part.to) return [part];
      const pieces: TimeRange[] = [];
      if (window.from > part.from) pieces.push({ from: part.from, to: window.from });
      if (window.to < part.to) pieces.push({ from: window.to, to: part.to });
      return pieces;
    });
  }
  return remaining;
}
