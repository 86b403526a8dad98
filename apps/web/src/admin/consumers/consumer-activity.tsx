import { Badge, Stack, Table, Text, Title } from '@mantine/core';
import { EmptyState, ResourceView, useResource } from '../../shared';
import { type WebhookDelivery } from '../../shared/api-types';
import { useAdminSession } from '../shared/admin-session';
import { formatDateTime, formatNumber } from '../shared/format';
import { listOf, OptionalEndpoint } from '../shared/optional-endpoint';

interface AlertRow {
  id: string;
  kind: string;
  threshold: number;
  usedUnits: number | null;
  limitUnits: number | null;
  periodStart: string;
  createdAt: string;
  dismissedAt: string | null;
}

const alertKinds: Record<string, string> = {
  quota_threshold: 'Quota threshold',
  quota_exhausted: 'Quota exhausted',
  spend_cap: 'Spend cap',
  payment_failed: 'Payment failed',
  grace_expired: 'Grace period over',
  payment_recovered: 'Payment recovered',
};

function AlertsTable({ consumerId }: { consumerId: string }) {
  const { api } = useAdminSession();
  const alerts = useResource(`alerts:${consumerId}`, async (signal) =>
    listOf<AlertRow>(await api.get<unknown>(`/consumers/${consumerId}/alerts`, { signal }), 'alerts'),
  );
  return (
    <ResourceView
      resource={alerts}
      isEmpty={(data) => data.length === 0}
      empty={<EmptyState title="No alerts sent" description="Alerts go out at the plan's thresholds." />}
    >
      {(data) => (
        <Table.ScrollContainer minWidth={560}>
          <Table striped aria-label="Alerts sent">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Alert</Table.Th>
                <Table.Th ta="right">Threshold</Table.Th>
                <Table.Th ta="right">Used / limit</Table.Th>
                <Table.Th>Sent</Table.Th>
                <Table.Th>Dismissed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.map((alert) => (
                <Table.Tr key={alert.id}>
                  <Table.Td>{alertKinds[alert.kind] ?? alert.kind}</Table.Td>
                  <Table.Td ta="right">{alert.threshold ? `${alert.threshold} %` : '—'}</Table.Td>
                  <Table.Td ta="right">
                    {alert.usedUnits === null ? '—' : formatNumber(alert.usedUnits)} /{' '}
                    {alert.limitUnits === null ? '—' : formatNumber(alert.limitUnits)}
                  </Table.Td>
                  <Table.Td>{formatDateTime(alert.createdAt)}</Table.Td>
                  <Table.Td>{formatDateTime(alert.dismissedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </ResourceView>
  );
}

const deliveryColor: Record<string, string> = { delivered: 'teal', failed: 'red', pending: 'yellow' };

function DeliveriesTable({ consumerId }: { consumerId: string }) {
  const { api } = useAdminSession();
  const deliveries = useResource(`deliveries:${consumerId}`, async (signal) =>
    listOf<WebhookDelivery>(
      await api.get<unknown>(`/consumers/${consumerId}/webhook-deliveries`, { signal }),
      'deliveries',
    ),
  );
  return (
    <ResourceView
      resource={deliveries}
      isEmpty={(data) => data.length === 0}
      empty={
        <EmptyState
          title="No webhook deliveries"
          description="Alerts are also POSTed to the consumer's webhook URL when it has one."
        />
      }
    >
      {(data) => (
        <Table.ScrollContainer minWidth={640}>
          <Table striped aria-label="Webhook deliveries">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Event</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th ta="right">Attempts</Table.Th>
                <Table.Th>Response</Table.Th>
                <Table.Th>Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.map((delivery) => (
                <Table.Tr key={delivery.id}>
                  <Table.Td>
                    {delivery.eventType}
                    <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                      {delivery.url}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Badge color={deliveryColor[delivery.status] ?? 'gray'} variant="light">
                      {delivery.status}
                    </Badge>
                  </Table.Td>
                  <Table.Td ta="right">{delivery.attempts}</Table.Td>
                  <Table.Td>
                    {delivery.responseStatus ?? '—'}
                    {delivery.error ? (
                      <Text size="xs" c="red">
                        {delivery.error}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{formatDateTime(delivery.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </ResourceView>
  );
}

/** Alerts sent to the consumer and the webhook deliveries that carried them. */
export function ConsumerActivity({ consumerId }: { consumerId: string }) {
  return (
    <Stack>
      <Title order={2} size="h4">
        Alerts sent
      </Title>
      <OptionalEndpoint pathTemplate="/api/admin/consumers/{id}/alerts" what="Alerts">
        <AlertsTable consumerId={consumerId} />
      </OptionalEndpoint>
      <Title order={2} size="h4">
        Webhook deliveries
      </Title>
      <OptionalEndpoint pathTemplate="/api/admin/consumers/{id}/webhook-deliveries" what="Webhook deliveries">
        <DeliveriesTable consumerId={consumerId} />
      </OptionalEndpoint>
    </Stack>
  );
}
