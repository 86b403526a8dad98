import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { formatDate, formatNumber } from '../../shared';
import { type PortalAlert, type UsageSummary } from '../portal-types';

/** The thresholds at which the portal warns, in percent of the quota. */
export const quotaThresholds = [80, 95, 100] as const;

function periodWord(period: 'month' | 'day' | undefined): string {
  return period === 'day' ? 'daily' : 'monthly';
}

export interface QuotaStatus {
  percent: number;
  threshold: (typeof quotaThresholds)[number];
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

const colorOf = { 80: 'yellow', 95: 'orange', 100: 'red' } as const;

export interface QuotaBannerProps {
  usage: UsageSummary | undefined;
  alerts: PortalAlert[];
  period: 'month' | 'day' | undefined;
  onDismiss: (alert: PortalAlert) => void;
}

const otherAlertText: Record<string, { title: string; color: string; text: (alert: PortalAlert) => string }> =
  {
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

/**
 * Quota warnings at 80, 95 and 100 %: computed from the usage figures (so the banner appears as
 * soon as the dashboard's numbers cross a threshold) and from the alerts the platform raised;
 * billing alerts (payment failed, spend cap, …) are shown with a dismiss button.
 */
export function QuotaBanner({ usage, alerts, period, onDismiss }: QuotaBannerProps) {
  const fromUsage = usage ? quotaStatus(usage.quota.used, usage.quota.limit) : undefined;
  const quotaAlerts = alerts.filter(
    (alert) => alert.kind === 'quota_threshold' || alert.kind === 'quota_exhausted',
  );
  const fromAlerts = quotaAlerts
    .map((alert) =>
      alert.kind === 'quota_exhausted'
        ? quotaStatus(alert.limitUnits ?? 1, alert.limitUnits ?? 1)
        : alert.usedUnits !== null && alert.limitUnits !== null
          ? quotaStatus(alert.usedUnits, alert.limitUnits)
          : alert.threshold !== null
            ? quotaStatus(alert.threshold, 100)
            : undefined,
    )
    .filter((status): status is QuotaStatus => status !== undefined)
    .sort((a, b) => b.percent - a.percent)[0];
  const quota =
    fromUsage && (!fromAlerts || fromUsage.percent >= fromAlerts.percent) ? fromUsage : fromAlerts;
  const others = alerts.filter((alert) => alert.kind in otherAlertText);

  if (!quota && others.length === 0) return null;
  return (
    <Stack gap="sm" mb="md">
      {quota ? (
        <Alert
          color={colorOf[quota.threshold]}
          variant="light"
          role="alert"
          title={quota.threshold >= 100 ? 'Quota used up' : 'Quota warning'}
          data-testid="quota-banner"
        >
          <Text size="sm">
            You have used {quota.percent} % of your {periodWord(period)} quota
            {quota === fromUsage
              ? ` (${formatNumber(quota.used)} of ${formatNumber(quota.limit)} requests)`
              : ''}
            .
            {quota.threshold >= 100
              ? ' Requests beyond the quota are refused or billed as overage, depending on your plan.'
              : ' Consider upgrading before you reach the limit.'}
            {usage ? ` The quota resets on ${formatDate(usage.periodEnd)}.` : ''}
          </Text>
        </Alert>
      ) : null}
      {others.map((alert) => {
        const describe = otherAlertText[alert.kind];
        return (
          <Alert key={alert.id} color={describe.color} variant="light" role="alert" title={describe.title}>
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Text size="sm">{describe.text(alert)}</Text>
              <Button
                size="xs"
                variant="subtle"
                onClick={() => onDismiss(alert)}
                aria-label={`Dismiss: ${describe.title}`}
              >
                Dismiss
              </Button>
            </Group>
          </Alert>
        );
      })}
    </Stack>
  );
}
