import { Anchor, Badge, Button, Group, Switch, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { Link } from 'react-router';
import { useResource } from '../../shared/use-resource';
import { type Plan } from '../shared/admin-types';
import { AdminPage } from '../shared/admin-page';
import { useAdminSession } from '../shared/admin-session';
import { formatNumber } from '../shared/format';
import { EmptyState, ResourceView } from '../../shared/states';
import { priceSummary } from './price-summary';

export function PlansPage() {
  const { api, canWrite } = useAdminSession();
  const [includeArchived, setIncludeArchived] = useState(false);
  const plans = useResource(`plans:${includeArchived}`, (signal) =>
    api.get<Plan[]>('/plans', { signal, query: { includeArchived } }),
  );

  return (
    <AdminPage
      title="Plans"
      description="What consumers can buy: quotas, limits, counting and prices."
      actions={
        <Group>
          <Switch
            label="Show archived"
            checked={includeArchived}
            onChange={(event) => setIncludeArchived(event.currentTarget.checked)}
          />
          {canWrite ? (
            <Button component={Link} to="/admin/plans/new">
              New plan
            </Button>
          ) : null}
        </Group>
      }
    >
      <ResourceView
        resource={plans}
        isEmpty={(data) => data.length === 0}
        empty={
          <EmptyState title="No plans yet" description="Create a plan to start selling access to your API." />
        }
      >
        {(data) => (
          <Table.ScrollContainer minWidth={720}>
            <Table striped highlightOnHover aria-label="Plans">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Tier</Table.Th>
                  <Table.Th ta="right">Quota</Table.Th>
                  <Table.Th>Price</Table.Th>
                  <Table.Th ta="right">Version</Table.Th>
                  <Table.Th>Visibility</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.map((plan) => (
                  <Table.Tr key={plan.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/admin/plans/${plan.id}`}>
                        {plan.name}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {plan.slug}
                      </Text>
                    </Table.Td>
                    <Table.Td>{plan.tier}</Table.Td>
                    <Table.Td ta="right">
                      {formatNumber(plan.quota.limit)} / {plan.quota.period}
                    </Table.Td>
                    <Table.Td>{priceSummary(plan)}</Table.Td>
                    <Table.Td ta="right">v{plan.version}</Table.Td>
                    <Table.Td>
                      {plan.archivedAt ? (
                        <Badge color="gray">Archived</Badge>
                      ) : plan.isPublic ? (
                        <Badge color="teal">Public</Badge>
                      ) : (
                        <Badge color="blue">Private</Badge>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </ResourceView>
    </AdminPage>
  );
}
