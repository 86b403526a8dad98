import {
  Anchor,
  Badge,
  Button,
  Group,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, ErrorState, LoadingState, Page, useResource } from '../../shared';
import {
  type Consumer,
  type ConsumerConsumptionList,
  type ConsumerPage,
  type Plan,
} from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { formatDate } from '../shared/format';
import { UsageBar } from './usage-bar';

type SortKey = 'name' | 'plan' | 'status' | 'usage' | 'created';
const pageSize = 25;

interface Row {
  consumer: Consumer;
  usagePercent: number | null;
}

function compare(a: Row, b: Row, key: SortKey): number {
  switch (key) {
    case 'name':
      return a.consumer.name.localeCompare(b.consumer.name);
    case 'plan':
      return (a.consumer.subscription?.planName ?? '').localeCompare(b.consumer.subscription?.planName ?? '');
    case 'status':
      return a.consumer.status.localeCompare(b.consumer.status);
    case 'usage':
      return (a.usagePercent ?? -1) - (b.usagePercent ?? -1);
    case 'created':
      return a.consumer.createdAt.localeCompare(b.consumer.createdAt);
  }
}

function SortHeader({
  label,
  column,
  sort,
  onSort,
  align,
}: {
  label: string;
  column: SortKey;
  sort: { key: SortKey; ascending: boolean };
  onSort: (key: SortKey) => void;
  align?: 'right';
}) {
  const active = sort.key === column;
  return (
    <Table.Th ta={align} aria-sort={active ? (sort.ascending ? 'ascending' : 'descending') : 'none'}>
      <UnstyledButton onClick={() => onSort(column)} fw={600} fz="sm">
        {label} {active ? (sort.ascending ? '▲' : '▼') : ''}
      </UnstyledButton>
    </Table.Th>
  );
}

/** Consumers with their plan, status and quota use; search, filters and pages run on the server. */
export function ConsumersPage() {
  const { api } = useAdminSession();
  const [search, setSearch] = useState('');
  const [debouncedSearch] = useDebouncedValue(search.trim(), 300);
  const [status, setStatus] = useState<string | null>(null);
  const [planId, setPlanId] = useState<string | null>(null);
  // The cursors of the pages seen so far: going back pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [sort, setSort] = useState<{ key: SortKey; ascending: boolean }>({
    key: 'created',
    ascending: false,
  });
  const cursor = cursors[cursors.length - 1];

  const filterKey = `${debouncedSearch}|${status ?? ''}|${planId ?? ''}`;
  const [lastFilterKey, setLastFilterKey] = useState(filterKey);
  if (lastFilterKey !== filterKey) {
    setLastFilterKey(filterKey);
    setCursors([undefined]);
  }

  const plans = useResource('plans', (signal) => api.get<Plan[]>('/plans', { signal }));
  const page = useResource(`consumers:${filterKey}:${cursor ?? ''}`, (signal) =>
    api.get<ConsumerPage>('/consumers', {
      signal,
      query: {
        limit: pageSize,
        cursor,
        search: debouncedSearch || undefined,
        status: status ?? undefined,
        planId: planId ?? undefined,
      },
    }),
  );
  // Quota use of every consumer in its current period (the fullest 1000).
  const usage = useResource(
    'consumers-usage',
    (signal) =>
      api.get<ConsumerConsumptionList>('/analytics/top-consumers', { signal, query: { limit: 1000 } }),
    { refreshMs: 15_000 },
  );

  const rows = useMemo(() => {
    const percents = new Map(
      (usage.data?.consumers ?? []).map((entry) => [entry.consumerId, entry.percentOfQuota]),
    );
    const list: Row[] = (page.data?.items ?? []).map((consumer) => ({
      consumer,
      // Consumers absent from the list used nothing this period.
      usagePercent: consumer.subscription ? (percents.get(consumer.id) ?? (usage.data ? 0 : null)) : null,
    }));
    return list.sort((a, b) => (sort.ascending ? 1 : -1) * compare(a, b, sort.key));
  }, [page.data, usage.data, sort]);

  const onSort = (key: SortKey) =>
    setSort((current) => ({ key, ascending: current.key === key ? !current.ascending : key !== 'usage' }));

  return (
    <Page
      title="Consumers"
      description="Everyone with access to your API, their plan and how much of it they use."
    >
      <Stack>
        <Group align="flex-end" wrap="wrap">
          <TextInput
            label="Search"
            placeholder="Name or email"
            value={search}
            onChange={(event) => setSearch(event.currentTarget.value)}
            w={{ base: '100%', sm: 260 }}
          />
          <Select
            label="Status"
            placeholder="Any"
            clearable
            data={[
              { value: 'active', label: 'Active' },
              { value: 'suspended', label: 'Suspended' },
            ]}
            value={status}
            onChange={setStatus}
            w={{ base: '100%', sm: 160 }}
          />
          <Select
            label="Plan"
            placeholder="Any"
            clearable
            searchable
            data={(plans.data ?? []).map((plan) => ({ value: plan.id, label: plan.name }))}
            value={planId}
            onChange={setPlanId}
            w={{ base: '100%', sm: 220 }}
          />
        </Group>
        {page.error !== undefined ? (
          <ErrorState error={page.error} onRetry={page.reload} />
        ) : page.data === undefined ? (
          <LoadingState label="Loading consumers…" />
        ) : rows.length === 0 ? (
          <EmptyState
            title="No consumers found"
            description={
              filterKey === '||'
                ? 'Consumers appear here when developers sign up or you add them.'
                : 'Try another search or filter.'
            }
          />
        ) : (
          <Table.ScrollContainer minWidth={760}>
            <Table striped highlightOnHover aria-label="Consumers" aria-busy={page.loading}>
              <Table.Thead>
                <Table.Tr>
                  <SortHeader label="Name" column="name" sort={sort} onSort={onSort} />
                  <SortHeader label="Plan" column="plan" sort={sort} onSort={onSort} />
                  <SortHeader label="Status" column="status" sort={sort} onSort={onSort} />
                  <SortHeader label="Usage" column="usage" sort={sort} onSort={onSort} />
                  <SortHeader label="Created" column="created" sort={sort} onSort={onSort} />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map(({ consumer, usagePercent }) => (
                  <Table.Tr key={consumer.id}>
                    <Table.Td>
                      <Anchor component={Link} to={`/admin/consumers/${consumer.id}`}>
                        {consumer.name}
                      </Anchor>
                      <Text size="xs" c="dimmed">
                        {consumer.email}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      {consumer.subscription ? (
                        <>
                          {consumer.subscription.planName}{' '}
                          <Text span size="xs" c="dimmed">
                            v{consumer.subscription.planVersion}
                          </Text>
                        </>
                      ) : (
                        <Text size="sm" c="dimmed">
                          No plan
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      <ConsumerStatusBadge consumer={consumer} />
                    </Table.Td>
                    <Table.Td>
                      <UsageBar percent={usagePercent} label={consumer.name} />
                    </Table.Td>
                    <Table.Td>{formatDate(consumer.createdAt)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        <Group justify="space-between">
          <Text size="sm" c="dimmed">
            Page {cursors.length}
            {usage.error !== undefined ? ' · usage figures unavailable' : ''}
          </Text>
          <Group gap="xs">
            <Button
              variant="default"
              size="xs"
              disabled={cursors.length === 1}
              onClick={() => setCursors((current) => current.slice(0, -1))}
            >
              Previous page
            </Button>
            <Button
              variant="default"
              size="xs"
              disabled={!page.data?.nextCursor}
              onClick={() => {
                const next = page.data?.nextCursor;
                if (next) setCursors((current) => [...current, next]);
              }}
            >
              Next page
            </Button>
          </Group>
        </Group>
      </Stack>
    </Page>
  );
}

export function ConsumerStatusBadge({ consumer }: { consumer: Consumer }) {
  if (consumer.status === 'suspended') return <Badge color="red">Suspended</Badge>;
  const subscription = consumer.subscription?.status;
  if (subscription === 'past_due') return <Badge color="orange">Past due</Badge>;
  if (subscription === 'trialing') return <Badge color="blue">Trialing</Badge>;
  return <Badge color="teal">Active</Badge>;
}
