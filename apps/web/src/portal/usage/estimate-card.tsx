import { Group, Stack, Table, Text } from '@mantine/core';
import { formatCount, formatDate, formatMoney } from '../../shared';
import { type UsageSummary } from '../portal-types';
import { readEstimate } from './read-estimate';

export interface EstimateCardProps {
  usage: UsageSummary;
  /** The answer of GET /api/portal/estimate, when the installation offers it. */
  estimate: unknown;
}

/** What this period costs so far and where usage is heading at the current pace. */
export function EstimateCard({ usage, estimate }: EstimateCardProps) {
  const start = new Date(usage.periodStart).getTime();
  const end = new Date(usage.periodEnd).getTime();
  const elapsed = Math.min(1, Math.max(0, (Date.now() - start) / Math.max(1, end - start)));
  const paceForecast = elapsed > 0.01 ? Math.round(usage.quota.used / elapsed) : usage.quota.used;
  const read = estimate === undefined ? undefined : readEstimate(estimate);
  return (
    <Stack gap="xs" data-testid="estimate">
      <Group justify="space-between">
        <Text size="sm" c="dimmed">
          Forecast at the current pace
        </Text>
        <Text fw={600}>
          {formatCount(paceForecast, 'request')} by {formatDate(usage.periodEnd)}
        </Text>
      </Group>
      {read?.soFarMinor !== undefined ? (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            Charges so far
          </Text>
          <Text fw={600}>{formatMoney(read.soFarMinor, read.currency)}</Text>
        </Group>
      ) : null}
      {read?.projectedMinor !== undefined ? (
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            Projected for the period
          </Text>
          <Text fw={600}>{formatMoney(read.projectedMinor, read.currency)}</Text>
        </Group>
      ) : null}
      {read?.quotaReachedAt ? (
        <Text size="sm" c="orange">
          At the recent rate the quota runs out on {formatDate(read.quotaReachedAt)}.
        </Text>
      ) : null}
      {read && read.lines.length > 0 ? (
        <Table aria-label="Estimated invoice lines">
          <Table.Tbody>
            {read.lines.map((line, index) => (
              <Table.Tr key={index}>
                <Table.Td>{line.description ?? line.label ?? 'Line'}</Table.Td>
                <Table.Td ta="right">{formatMoney(line.amountMinor ?? 0, read.currency)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {estimate === undefined ? (
        <Text size="xs" c="dimmed">
          Price estimates appear here when your plan is billed by usage.
        </Text>
      ) : null}
    </Stack>
  );
}
