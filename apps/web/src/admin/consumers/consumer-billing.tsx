import { Badge, Code, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { EmptyState, ResourceView, useResource } from '../../shared';
import { type ReconciliationReport, type Subscription } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { formatDate, formatDateTime, formatMoney, formatNumber } from '../shared/format';
import { useApiCapabilities } from '../shared/api-capabilities';
import { OptionalEndpoint } from '../shared/optional-endpoint';

interface BillingView {
  stripeCustomerId: string | null;
  subscriptions: {
    id: string;
    planId: string;
    status: string;
    stripeSubscriptionId: string | null;
    spendCapMinor: number | null;
  }[];
  ledger: {
    id: string;
    meterId: string;
    periodStart: string;
    periodEnd: string;
    metered: string;
    reported: string;
    acknowledged: string;
    pushes: number;
    closedAt: string | null;
  }[];
  pushesCount: number;
  stripeObjects: { kind: string; localId: string; stripeId: string; syncedAt: string }[];
}

function StripeId({ label, value }: { label: string; value: string | null | undefined }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {value ? <Code>{value}</Code> : <Text c="dimmed">Not linked</Text>}
    </Paper>
  );
}

function Ledger({ consumerId, currency }: { consumerId: string; currency: string }) {
  const { api } = useAdminSession();
  const billing = useResource(`billing:${consumerId}`, (signal) =>
    api.get<BillingView>(`/consumers/${consumerId}/billing`, { signal }),
  );
  return (
    <ResourceView resource={billing}>
      {(data) => (
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <StripeId label="Stripe customer" value={data.stripeCustomerId} />
            <StripeId
              label="Stripe subscription"
              value={
                data.subscriptions.find((subscription) => subscription.stripeSubscriptionId)
                  ?.stripeSubscriptionId
              }
            />
          </SimpleGrid>
          {data.subscriptions.some((subscription) => subscription.spendCapMinor !== null) ? (
            <Text size="sm">
              Spend cap:{' '}
              {formatMoney(
                data.subscriptions.find((subscription) => subscription.spendCapMinor !== null)
                  ?.spendCapMinor ?? 0,
                currency,
              )}
            </Text>
          ) : null}
          <Text size="sm" c="dimmed">
            Usage ledger: {formatNumber(data.pushesCount)} meter events sent to Stripe.
          </Text>
          {data.ledger.length === 0 ? (
            <EmptyState title="No usage reported to Stripe yet" />
          ) : (
            <Table.ScrollContainer minWidth={640}>
              <Table striped aria-label="Usage ledger">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Period</Table.Th>
                    <Table.Th>Meter</Table.Th>
                    <Table.Th ta="right">Metered</Table.Th>
                    <Table.Th ta="right">Reported</Table.Th>
                    <Table.Th ta="right">Acknowledged</Table.Th>
                    <Table.Th ta="right">Pushes</Table.Th>
                    <Table.Th>Closed</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.ledger.map((row) => (
                    <Table.Tr key={row.id}>
                      <Table.Td>
                        {formatDate(row.periodStart)} – {formatDate(row.periodEnd)}
                      </Table.Td>
                      <Table.Td>{row.meterId}</Table.Td>
                      <Table.Td ta="right">{row.metered}</Table.Td>
                      <Table.Td ta="right">{row.reported}</Table.Td>
                      <Table.Td ta="right">{row.acknowledged}</Table.Td>
                      <Table.Td ta="right">{row.pushes}</Table.Td>
                      <Table.Td>{formatDateTime(row.closedAt)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      )}
    </ResourceView>
  );
}

function Reconciliation({ consumerId }: { consumerId: string }) {
  const { api } = useAdminSession();
  const report = useResource(`reconciliation:${consumerId}`, (signal) =>
    api.get<ReconciliationReport>('/reconciliation', { signal, query: { consumerId } }),
  );
  return (
    <ResourceView resource={report}>
      {(data) => {
        const row = data.rows[0];
        if (!data.run || !row) {
          return (
            <EmptyState
              title="Not reconciled yet"
              description="The reconciliation compares the gateway's counter with metered usage on a schedule."
            />
          );
        }
        return (
          <Stack gap="xs">
            <Text size="sm" c="dimmed">
              Run of {formatDateTime(data.run.runAt)}, period {formatDate(row.periodStart)} –{' '}
              {formatDate(row.periodEnd)}
            </Text>
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <Paper withBorder p="sm">
                <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                  Gateway counter
                </Text>
                <Text fw={700}>{formatNumber(row.gatewayCount)}</Text>
              </Paper>
              <Paper withBorder p="sm">
                <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                  Metered
                </Text>
                <Text fw={700}>{formatNumber(row.meteredCount)}</Text>
              </Paper>
              <Paper withBorder p="sm">
                <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
                  Drift
                </Text>
                <Group gap="xs">
                  <Text fw={700}>{formatNumber(row.drift)}</Text>
                  <Badge color={row.drift === 0 ? 'teal' : 'orange'} variant="light">
                    {row.drift === 0 ? 'In agreement' : 'Drifting'}
                  </Badge>
                </Group>
              </Paper>
            </SimpleGrid>
          </Stack>
        );
      }}
    </ResourceView>
  );
}

/** Stripe links, the usage ledger and the reconciliation figures of one consumer. */
export function ConsumerBilling({
  consumerId,
  subscription,
  currency,
}: {
  consumerId: string;
  subscription: Subscription | null;
  currency: string;
}) {
  const { has, loaded } = useApiCapabilities();
  return (
    <Stack>
      <Title order={2} size="h4">
        Billing
      </Title>
      {loaded && !has('GET', '/api/admin/consumers/{id}/billing') ? (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <StripeId label="Stripe customer" value={subscription?.stripeCustomerId} />
          <StripeId label="Stripe subscription" value={subscription?.stripeSubscriptionId} />
        </SimpleGrid>
      ) : (
        <OptionalEndpoint pathTemplate="/api/admin/consumers/{id}/billing" what="Billing details">
          <Ledger consumerId={consumerId} currency={currency} />
        </OptionalEndpoint>
      )}
      <Title order={2} size="h4">
        Reconciliation
      </Title>
      <Reconciliation consumerId={consumerId} />
    </Stack>
  );
}
