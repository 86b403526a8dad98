import { type QuotaEvent, thresholdUnits } from '@tollgate/access-log';

/** The Alert kinds; with (subscription, period start, threshold) each is raised at most once. */
export const alertKinds = [
  'quota_threshold',
  'quota_exhausted',
  'spend_cap',
  'payment_failed',
  'grace_expired',
  'payment_recovered',
] as const;
export type AlertKind = (typeof alertKinds)[number];

/** Where an alert came from: the gateway's real-time event, the periodic recheck, Stripe, a test. */
export type AlertSource = 'gateway' | 'recheck' | 'stripe' | 'test';

/** Which notice a usage alert sends. */
export type UsageNoticeKind = 'threshold' | 'overage' | 'hard_stop' | 'spend_cap';

/** Event types of the consumer webhooks that usage alerts send. */
export const usageWebhookEventTypes = {
  quota_threshold: 'usage.threshold_reached',
  quota_exhausted: 'usage.quota_exhausted',
  spend_cap: 'usage.spend_cap_reached',
} as const;

export type UsageAlertKind = keyof typeof usageWebhookEventTypes;

/**
 * The alert a quota event raises, or null when it raises none. `quota.exhausted` on a plan without
 * overage says nothing new: the 100 % threshold already sent the hard-stop notice. With an overage
 * buffer it is the hard stop after the overage, which has its own notice.
 */
export function alertForQuotaEvent(
  event: Pick<QuotaEvent, 'type' | 'threshold'>,
  hasOverage: boolean,
): { kind: UsageAlertKind; threshold: number } | null {
  if (event.type === 'quota.threshold_crossed')
    return { kind: 'quota_threshold', threshold: event.threshold };
  return hasOverage ? { kind: 'quota_exhausted', threshold: event.threshold } : null;
}

/**
 * The notice of a usage alert: 100 % is the hard stop on a plan without overage and the overage
 * notice on a plan with it; the exhausted alert is the hard stop after the overage.
 */
export function usageNoticeKind(
  kind: UsageAlertKind,
  threshold: number,
  hasOverage: boolean,
): UsageNoticeKind {
  if (kind === 'spend_cap') return 'spend_cap';
  if (kind === 'quota_exhausted') return 'hard_stop';
  if (threshold === 100) return hasOverage ? 'overage' : 'hard_stop';
  return 'threshold';
}

/**
 * The plan's thresholds that `used` units of a `limit` quota have reached, as the gateway counts
 * them (a threshold is reached at ceil(limit × threshold / 100) units).
 */
export function reachedQuotaThresholds(used: number, limit: number, thresholds: readonly number[]): number[] {
  if (limit <= 0) return [];
  return thresholds.filter((threshold) => used >= thresholdUnits(limit, threshold));
}

/** The thresholds (percent of the cap) that `spentMinor` has reached; exact integer arithmetic. */
export function reachedSpendCapThresholds(
  spentMinor: number,
  capMinor: number,
  thresholds: readonly number[],
): number[] {
  if (capMinor <= 0) return [];
  return thresholds.filter((threshold) => BigInt(spentMinor) * 100n >= BigInt(capMinor) * BigInt(threshold));
}
