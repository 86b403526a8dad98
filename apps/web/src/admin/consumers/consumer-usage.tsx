import { AreaChart } from '@mantine/charts';
import { Group, Paper, SegmentedControl, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { ErrorState, LoadingState, ResourceView, useResource } from '../../shared';
import { type UsageSummary, type UsageTimeseries } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { formatDate, formatNumber } from '../shared/format';
import { UsageBar } from './usage-bar';

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <Paper withBorder p="sm">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fw={700} size="lg">
        {value}
      </Text>
    </Paper>
  );
}

const bucketLabel = (start: string, granularity: string) =>
  new Date(start).toLocaleString(
    undefined,
    granularity === 'day'
      ? { month: 'short', day: 'numeric' }
      : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
  );

/** The consumer's current billing period: quota use and requests over time. */
export function ConsumerUsage({ consumerId }: { consumerId: string }) {
  const { api } = useAdminSession();
  const [granularity, setGranularity] = useState<'hour' | 'day'>('day');
  const summary = useResource(`usage:${consumerId}`, (signal) =>
    api.get<UsageSummary>(`/consumers/${consumerId}/usage`, { signal }),
  );
  const series = useResource(`usage-series:${consumerId}:${granularity}`, (signal) =>
    api.get<UsageTimeseries>(`/consumers/${consumerId}/usage/timeseries`, {
      signal,
      query: { granularity },
    }),
  );

  return (
    <Stack>
      <ResourceView resource={summary}>
        {(usage) => {
          const percent = usage.quota.limit > 0 ? (usage.quota.used / usage.quota.limit) * 100 : null;
          return (
            <Stack gap="sm">
              <Text size="sm" c="dimmed">
                Billing period {formatDate(usage.periodStart)} – {formatDate(usage.periodEnd)}
              </Text>
              <UsageBar percent={percent} label="Quota used" />
              <SimpleGrid cols={{ base: 2, sm: 4 }}>
                <Figure
                  label="Quota used"
                  value={`${formatNumber(usage.quota.used)} / ${formatNumber(usage.quota.limit)}`}
                />
                <Figure label="Remaining" value={formatNumber(usage.quota.remaining)} />
                <Figure label="Overage" value={formatNumber(usage.quota.overage)} />
                <Figure label="All requests" value={formatNumber(usage.totalRequests)} />
              </SimpleGrid>
            </Stack>
          );
        }}
      </ResourceView>
      <Group justify="space-between">
        <Title order={2} size="h4">
          Requests over time
        </Title>
        <SegmentedControl
          size="xs"
          aria-label="Chart granularity"
          value={granularity}
          onChange={(value) => setGranularity(value as 'hour' | 'day')}
          data={[
            { value: 'day', label: 'Per day' },
            { value: 'hour', label: 'Per hour' },
          ]}
        />
      </Group>
      {series.error !== undefined ? (
        <ErrorState error={series.error} onRetry={series.reload} />
      ) : series.data === undefined ? (
        <LoadingState />
      ) : (
        <AreaChart
          h={260}
          aria-label="Requests over time"
          data={series.data.points.map((point) => ({
            bucket: bucketLabel(point.start, series.data!.granularity),
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
          tickLine="y"
        />
      )}
    </Stack>
  );
}
