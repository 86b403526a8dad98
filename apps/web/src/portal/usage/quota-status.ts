import { formatDate, formatNumber } from '../../shared/format';
import { type PortalAlert, type UsageSummary } from '../portal-types';

/** The thresholds at which the portal warns, in percent of the quota. */
export const quotaThresholds = [80, 95, 100] as const;

export type QuotaThreshold = (typeof quotaThresholds)[number];

export interface QuotaStatus {
  percent: number;
  threshold: QuotaThreshold;
  used: number;
  limit: number;
}

/** The highest threshold reached by these figures, if any. */
export function quotaStatus(used: number, limit: number): QuotaStatus | undefined {
  if (!(limit > 0)) return undefined;
  const percent = Math.floor((used / limit) * 100);
  const threshold = [...quotaThresholds].reverse().find((value) => percent >= value);
  return threshold === undefined ? undefined : { percent, threshold, used, limit };
}

/** The quota status an alert the platform raised stands for, if it is a quota alert. */
export function alertQuotaStatus(alert: PortalAlert): QuotaStatus | undefined {
  if (alert.kind === 'quota_exhausted') {
    // Exhausted means 100 %, whatever limit the alert carries (even a zero quota).
    const limit = alert.limitUnits ?? 0;
    return { percent: 100, threshold: 100, used: alert.usedUnits ?? limit, limit };
  }
  if (alert.kind !== 'quota_threshold') return undefined;
  if (alert.usedUnits !== null && alert.limitUnits !== null) {
    return quotaStatus(alert.usedUnits, alert.limitUnits);
  }
  return alert.threshold !== null ? quotaStatus(alert.threshold, 100) : undefined;
}

const colorOf = { 80: 'yellow', 95: 'orange', 100: 'red' } as const;

function periodWord(period: 'month' | 'day' | undefined): string {
  return period === 'day' ? 'daily' : 'monthly';
}

export interface QuotaBannerContent {
  status: QuotaStatus;
  /** True when the figures come from the usage summary (then the text quotes them). */
  fromUsage: boolean;
  color: (typeof colorOf)[QuotaThreshold];
  title: string;
  text: string;
}

/**
 * The quota banner: the higher of the status computed from the usage figures (so the banner
 * appears as soon as the dashboard's numbers cross a threshold) and the highest quota alert the
 * platform raised; on a tie the usage figures win, as they are quoted. Undefined below 80 %.
 */
export function quotaBannerContent(
  usage: UsageSummary | undefined,
  alerts: readonly PortalAlert[],
  period: 'month' | 'day' | undefined,
): QuotaBannerContent | undefined {
  const fromUsage = usage ? quotaStatus(usage.quota.used, usage.quota.limit) : undefined;
  const fromAlerts = alerts
    .map(alertQuotaStatus)
    .filter((status): status is QuotaStatus => status !== undefined)
    .sort((a, b) => b.percent - a.percent)[0];
  const status =
    fromUsage && (!fromAlerts || fromUsage.percent >= fromAlerts.percent) ? fromUsage : fromAlerts;
  if (!status) return undefined;
  const usedUp = status.threshold >= 100;
  const figures =
    status === fromUsage ? ` (${formatNumber(status.used)} of ${formatNumber(status.limit)} requests)` : '';
  const advice = usedUp
    ? ' Requests beyond the quota are refused or billed as overage, depending on your plan.'
    : ' Consider upgrading before you reach the limit.';
  const reset = usage ? ` The quota resets on ${formatDate(usage.periodEnd)}.` : '';
  return {
    status,
    fromUsage: status === fromUsage,
    color: colorOf[status.threshold],
    title: usedUp ? 'Quota used up' : 'Quota warning',
    text: `You have used ${status.percent} % of your ${periodWord(period)} quota${figures}.${advice}${reset}`,
  };
}

export interface BillingAlertText {
  title: string;
  color: string;
  text: (alert: PortalAlert) => string;
}

/** Billing alerts shown as their own banners (with a Dismiss button), by alert kind. */
export const otherAlertText: Record<string, BillingAlertText> = {
  spend_cap: {
    title: 'Spend cap reached',
    color: 'red',
    text: () =>
      'Your spend cap is reached: further billable requests are refused until the next period or a higher cap.',
  },
  payment_failed: {
    title: 'Payment failed',
    color: 'red',
    text: () =>
      'Your last payment failed. Update your payment method in the billing page to keep your access.',
  },
  grace_expired: {
    title: 'Access paused',
    color: 'red',
    text: () => 'The grace period after a failed payment is over. Pay the open invoice to resume.',
  },
  payment_recovered: {
    title: 'Payment received',
    color: 'teal',
    text: () => 'Thanks: your payment went through and your access is back to normal.',
  },
};

/** The alerts that get a banner of their own (billing alerts), in the order given. */
export function billingAlerts<A extends PortalAlert>(alerts: readonly A[]): A[] {
  return alerts.filter((alert) => Object.hasOwn(otherAlertText, alert.kind));
}
