import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { type PortalAlert, type UsageSummary } from '../portal-types';
import { billingAlerts, otherAlertText, quotaBannerContent } from './quota-status';

export interface QuotaBannerProps {
  usage: UsageSummary | undefined;
  alerts: PortalAlert[];
  period: 'month' | 'day' | undefined;
  onDismiss: (alert: PortalAlert) => void;
}

/**
 * Quota warnings at 80, 95 and 100 %: computed from the usage figures (so the banner appears as
 * soon as the dashboard's numbers cross a threshold) and from the alerts the platform raised;
 * billing alerts (payment failed, spend cap, …) are shown with a dismiss button.
 */
export function QuotaBanner({ usage, alerts, period, onDismiss }: QuotaBannerProps) {
  const quota = quotaBannerContent(usage, alerts, period);
  const others = billingAlerts(alerts);

  if (!quota && others.length === 0) return null;
  return (
    <Stack gap="sm" mb="md">
      {quota ? (
        <Alert
          color={quota.color}
          variant="light"
          role="alert"
          title={quota.title}
          data-testid="quota-banner"
        >
          <Text size="sm">{quota.text}</Text>
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
