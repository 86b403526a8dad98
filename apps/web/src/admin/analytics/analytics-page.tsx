import { AreaChart, BarChart, LineChart } from '@mantine/charts';
import {
  Anchor,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { type ReactNode, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, Page, ResourceView, useResource } from '../../shared';
import { UsageBar } from '../consumers/usage-bar';
import { type ConsumerConsumptionList, type Plan } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { formatDate, formatDateTime, formatNumber, formatQuotaPercent } from '../shared/format';

interface UsageSeries {
  granularity: 'hour' | 'day';
  points: { start: string; requests: number; totalRequests: number; activeConsumers: number }[];
}

interface EndpointAnalytics {
  endpoints: {
    apiId: string;
    endpoint: string;
    totalRequests: number;
    requests: number;
    errors: number;
    latencyMs: { p50: number | null; p90: number | null; p99: number | null };
  }[];
}

interface Distribution {
  planName: string;
  consumers: number;
  histogram: { label: string; consumers: number }[];
  percentOfQuota: { p50: number | null; p90: number | null; p99: number | null };
}

interface Anomalies {
  anomalies: {
    consumerId: string;
    name: string;
    hourStart: string;
    requests: number;
    baselineMedian: number;
    score: number;
  }[];
}

interface Conversion {
  points: { start: string; freeConsumers: number; conversions: number; conversionRate: number | null }[];
  totals: { conversions: number };
}

function Panel({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap="sm">
        <div>
          <Title order={2} size="h4">
            {title}
          </Title>
          {description ? (
            <Text size="sm" c="dimmed">
              {description}
            </Text>
          ) : null}
        </div>
        {children}
      </Stack>
    </Paper>
  );
}

function UsageOverTime() {
  const { api } = useAdminSession();
  const [granularity, setGranularity] = useState<'day' | 'hour'>('day');
  const series = useResource(`analytics-usage:${granularity}`, (signal) =>
    api.get<UsageSeries>('/analytics/usage', { signal, query: { granularity } }),
  );
  return (
    <Panel title="Usage over time" description="Requests through the gateway, every consumer (UTC).">
      <SegmentedControl
        size="xs"
        aria-label="Usage granularity"
        value={granularity}
        onChange={(value) => setGranularity(value as 'day' | 'hour')}
        data={[
          { value: 'day', label: 'Last 30 days' },
          { value: 'hour', label: 'Last 48 hours' },
        ]}
        style={{ alignSelf: 'flex-start' }}
      />
      <ResourceView resource={series}>
        {(data) => (
          <AreaChart
            h={260}
            data={data.points.map((point) => ({
              bucket:
                granularity === 'day'
                  ? formatDate(point.start)
                  : new Date(point.start).toLocaleTimeString(undefined, {
                      hour: '2-digit',
                      minute: '2-digit',
                    }),
              Counted: point.requests,
              All: point.totalRequests,
            }))}
            dataKey="bucket"
            series={[
              { name: 'Counted', color: 'indigo.6' },
              { name: 'All', color: 'gray.5' },
            ]}
            curveType="monotone"
            withLegend
          />
        )}
      </ResourceView>
    </Panel>
  );
}

function PerEndpoint() {
  const { api } = useAdminSession();
  const endpoints = useResource('analytics-endpoints', (signal) =>
    api.get<EndpointAnalytics>('/analytics/endpoints', { signal }),
  );
  return (
    <Panel title="Per endpoint" description="The last 24 hours: requests, errors and gateway latency.">
      <ResourceView
        resource={endpoints}
        isEmpty={(data) => data.endpoints.length === 0}
        empty={<EmptyState title="No requests in the last 24 hours" />}
      >
        {(data) => (
          <Stack>
            <BarChart
              h={Math.max(160, data.endpoints.slice(0, 10).length * 36)}
              data={data.endpoints.slice(0, 10).map((row) => ({
                endpoint: row.endpoint,
                Requests: row.totalRequests,
                Errors: row.errors,
              }))}
              dataKey="endpoint"
              orientation="vertical"
              yAxisProps={{ width: 180 }}
              series={[
                { name: 'Requests', color: 'indigo.6' },
                { name: 'Errors', color: 'red.6' },
              ]}
              withLegend
            />
            <Table.ScrollContainer minWidth={560}>
              <Table striped aria-label="Endpoints">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Endpoint</Table.Th>
                    <Table.Th ta="right">Requests</Table.Th>
                    <Table.Th ta="right">Errors</Table.Th>
                    <Table.Th ta="right">p50 / p99 ms</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.endpoints.map((row) => (
                    <Table.Tr key={`${row.apiId}:${row.endpoint}`}>
                      <Table.Td ff="monospace">{row.endpoint}</Table.Td>
                      <Table.Td ta="right">{formatNumber(row.totalRequests)}</Table.Td>
                      <Table.Td ta="right">{formatNumber(row.errors)}</Table.Td>
                      <Table.Td ta="right">
                        {row.latencyMs.p50 === null ? '—' : row.latencyMs.p50.toFixed(0)} /{' '}
                        {row.latencyMs.p99 === null ? '—' : row.latencyMs.p99.toFixed(0)}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        )}
      </ResourceView>
    </Panel>
  );
}

function PlanDistribution() {
  const { api } = useAdminSession();
  const plans = useResource('plans:active', (signal) =>
    api.get<Plan[]>('/plans', { signal, query: { includeArchived: false } }),
  );
  const [chosen, setChosen] = useState<string | null>(null);
  const planId = chosen ?? plans.data?.[0]?.id ?? null;
  const distribution = useResource(
    `distribution:${planId ?? ''}`,
    (signal) => api.get<Distribution>(`/analytics/plans/${planId}/distribution`, { signal }),
    { enabled: planId !== null },
  );
  return (
    <Panel
      title="Plan distribution"
      description="How much of their quota a plan's consumers use this period."
    >
      <Select
        label="Plan"
        data={(plans.data ?? []).map((plan) => ({ value: plan.id, label: plan.name }))}
        value={planId}
        allowDeselect={false}
        onChange={setChosen}
        w={260}
      />
      {planId === null && !plans.loading ? (
        <EmptyState title="No plans yet" />
      ) : (
        <ResourceView resource={distribution}>
          {(data) => (
            <Stack gap="xs">
              <BarChart
                h={220}
                data={data.histogram.map((bucket) => ({
                  bucket: `${bucket.label} %`,
                  Consumers: bucket.consumers,
                }))}
                dataKey="bucket"
                series={[{ name: 'Consumers', color: 'teal.6' }]}
              />
              <Text size="sm" c="dimmed">
                {formatNumber(data.consumers)} consumers · median{' '}
                {formatQuotaPercent(data.percentOfQuota.p50)} · p90{' '}
                {formatQuotaPercent(data.percentOfQuota.p90)}
              </Text>
            </Stack>
          )}
        </ResourceView>
      )}
    </Panel>
  );
}

function ConsumptionTable({ list, label }: { list: ConsumerConsumptionList; label: string }) {
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table striped aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Consumer</Table.Th>
            <Table.Th>Plan</Table.Th>
            <Table.Th ta="right">Used</Table.Th>
            <Table.Th>Of quota</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.consumers.map((row) => (
            <Table.Tr key={row.consumerId}>
              <Table.Td>
                <Anchor component={Link} to={`/admin/consumers/${row.consumerId}`}>
                  {row.name}
                </Anchor>
              </Table.Td>
              <Table.Td>{row.planName}</Table.Td>
              <Table.Td ta="right">
                {formatNumber(row.used)} / {formatNumber(row.quotaLimit)}
              </Table.Td>
              <Table.Td>
                <UsageBar percent={row.percentOfQuota} label={row.name} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function TopConsumers() {
  const { api } = useAdminSession();
  const top = useResource('top-consumers', (signal) =>
    api.get<ConsumerConsumptionList>('/analytics/top-consumers', { signal, query: { limit: 10 } }),
  );
  return (
    <Panel title="Top consumers" description="The most quota used in their current billing period.">
      <ResourceView
        resource={top}
        isEmpty={(data) => data.consumers.length === 0}
        empty={<EmptyState title="No usage this period yet" />}
      >
        {(data) => <ConsumptionTable list={data} label="Top consumers" />}
      </ResourceView>
    </Panel>
  );
}

function Upsell() {
  const { api } = useAdminSession();
  const upsell = useResource('upsell', (signal) =>
    api.get<ConsumerConsumptionList>('/analytics/upsell', { signal, query: { threshold: 80 } }),
  );
  return (
    <Panel
      title="Upsell candidates"
      description="Consumers at 80 % of their quota or more: offer them a bigger plan."
    >
      <ResourceView
        resource={upsell}
        isEmpty={(data) => data.consumers.length === 0}
        empty={<EmptyState title="Nobody is near their quota" />}
      >
        {(data) => <ConsumptionTable list={data} label="Upsell candidates" />}
      </ResourceView>
    </Panel>
  );
}

function AnomalyList() {
  const { api } = useAdminSession();
  const anomalies = useResource('anomalies', (signal) =>
    api.get<Anomalies>('/analytics/anomalies', { signal }),
  );
  return (
    <Panel title="Anomalies" description="Hours in the last day far above the consumer's usual week.">
      <ResourceView
        resource={anomalies}
        isEmpty={(data) => data.anomalies.length === 0}
        empty={<EmptyState title="No unusual hours" />}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={480}>
            <Table striped aria-label="Anomalies">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Consumer</Table.Th>
                  <Table.Th>Hour</Table.Th>
                  <Table.Th ta="right">Requests</Table.Th>
                  <Table.Th ta="right">Usual</Table.Th>
                  <Table.Th ta="right">Score</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.anomalies.map((row) => (
                  <Table.Tr key={`${row.consumerId}:${row.hourStart}`}>
                    <Table.Td>
                      <Anchor component={Link} to={`/admin/consumers/${row.consumerId}`}>
                        {row.name}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{formatDateTime(row.hourStart)}</Table.Td>
                    <Table.Td ta="right">{formatNumber(row.requests)}</Table.Td>
                    <Table.Td ta="right">{formatNumber(row.baselineMedian)}</Table.Td>
                    <Table.Td ta="right">{row.score.toFixed(1)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </ResourceView>
    </Panel>
  );
}

function ConversionChart() {
  const { api } = useAdminSession();
  const [granularity, setGranularity] = useState<'month' | 'week'>('month');
  const conversion = useResource(`conversion:${granularity}`, (signal) =>
    api.get<Conversion>('/analytics/conversion', { signal, query: { granularity } }),
  );
  return (
    <Panel title="Free → paid conversion" description="Consumers who moved from a free plan to a paid one.">
      <SegmentedControl
        size="xs"
        aria-label="Conversion granularity"
        value={granularity}
        onChange={(value) => setGranularity(value as 'month' | 'week')}
        data={[
          { value: 'month', label: 'Per month' },
          { value: 'week', label: 'Per week' },
        ]}
        style={{ alignSelf: 'flex-start' }}
      />
      <ResourceView resource={conversion}>
        {(data) => (
          <Stack gap="xs">
            <LineChart
              h={220}
              data={data.points.map((point) => ({
                period: formatDate(point.start),
                'Conversion %':
                  point.conversionRate === null ? 0 : Number((point.conversionRate * 100).toFixed(1)),
              }))}
              dataKey="period"
              series={[{ name: 'Conversion %', color: 'grape.6' }]}
              curveType="linear"
              unit=" %"
            />
            <Text size="sm" c="dimmed">
              {formatNumber(data.totals.conversions)} conversions in the range.
            </Text>
          </Stack>
        )}
      </ResourceView>
    </Panel>
  );
}

/** The business at a glance: usage, endpoints, plans, who to upsell, anomalies and conversion. */
export function AnalyticsPage() {
  return (
    <Page title="Analytics" description="From the usage rollups; every consumer, every plan.">
      <Stack>
        <UsageOverTime />
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <PlanDistribution />
          <ConversionChart />
          <TopConsumers />
          <Upsell />
        </SimpleGrid>
        <PerEndpoint />
        <AnomalyList />
      </Stack>
    </Page>
  );
}
