import { Card, Grid, Group, Progress, SimpleGrid, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import {
  EmptyState,
  formatCount,
  formatDate,
  formatNumber,
  notifyError,
  Page,
  ResourceView,
  useResource,
} from '../../shared';
import { listOf, portalApi } from '../portal-api';
import { useProfile } from '../portal-session';
import {
  type PortalAlert,
  type UsageBreakdown,
  type UsageSummary,
  type UsageTimeseries,
} from '../portal-types';
import { BreakdownTable } from './breakdown-table';
import { EstimateCard } from './estimate-card';
import { QuotaBanner } from './quota-banner';
import { UsageChart } from './usage-chart';

/** Dashboard figures refresh on their own, so a call made elsewhere shows up without a reload. */
const refreshMs = 5_000;

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text fz={24} fw={700} mt={4}>
        {value}
      </Text>
      {hint ? (
        <Text size="xs" c="dimmed">
          {hint}
        </Text>
      ) : null}
    </Card>
  );
}

export function UsagePage() {
  const profile = useProfile();
  const hasConsumer = Boolean(profile.consumer);
  const period = profile.plan?.quota.period;
  const usage = useResource('usage', (signal) => portalApi.get<UsageSummary>('/usage', { signal }), {
    enabled: hasConsumer,
    refreshMs,
  });
  const granularity = period === 'day' ? 'hour' : 'day';
  const series = useResource(
    `timeseries-${granularity}`,
    (signal) => portalApi.get<UsageTimeseries>('/usage/timeseries', { signal, query: { granularity } }),
    { enabled: hasConsumer, refreshMs },
  );
  const byEndpoint = useResource(
    'by-endpoint',
    (signal) => portalApi.get<UsageBreakdown>('/usage/breakdown', { signal, query: { by: 'endpoint' } }),
    { enabled: hasConsumer, refreshMs },
  );
  const byStatus = useResource(
    'by-status',
    (signal) => portalApi.get<UsageBreakdown>('/usage/breakdown', { signal, query: { by: 'status' } }),
    { enabled: hasConsumer, refreshMs },
  );
  const alerts = useResource(
    'alerts',
    async (signal) => listOf<PortalAlert>(await portalApi.get<unknown>('/alerts', { signal }), 'alerts'),
    { enabled: hasConsumer, refreshMs: 15_000, notFoundAsEmpty: true },
  );
  const estimate = useResource('estimate', (signal) => portalApi.get<unknown>('/estimate', { signal }), {
    enabled: hasConsumer,
    refreshMs: 30_000,
    notFoundAsEmpty: true,
  });

  if (!hasConsumer) {
    return (
      <Page title="Usage">
        <EmptyState
          title="No API access yet"
          description="Your account has no consumer yet. Pick a plan to get started."
          action={<Link to="/portal/plans">See the plans</Link>}
        />
      </Page>
    );
  }

  const dismiss = (alert: PortalAlert) => {
    portalApi.post(`/alerts/${encodeURIComponent(alert.id)}/dismiss`).then(
      () => alerts.setData((alerts.data ?? []).filter((item) => item.id !== alert.id)),
      (error: unknown) => notifyError(error),
    );
  };

  return (
    <Page
      title="Usage"
      description={
        profile.plan
          ? `${profile.plan.name} plan · ${profile.plan.countingPolicy.summary}`
          : 'Your usage this period'
      }
    >
      <QuotaBanner usage={usage.data} alerts={alerts.data ?? []} period={period} onDismiss={dismiss} />
      <ResourceView
        resource={usage}
        loadingLabel="Loading your usage…"
        errorTitle="Could not load your usage"
      >
        {(summary) => {
          const ratio = summary.quota.limit > 0 ? summary.quota.used / summary.quota.limit : 0;
          return (
            <>
              <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} mb="md">
                <Stat
                  label="Used"
                  value={`${formatNumber(summary.quota.used)} / ${formatNumber(summary.quota.limit)}`}
                  hint={`${formatCount(summary.totalRequests, 'request')} in all`}
                />
                <Stat label="Remaining" value={formatNumber(summary.quota.remaining)} />
                <Stat
                  label="Resets on"
                  value={formatDate(summary.periodEnd)}
                  hint={`since ${formatDate(summary.periodStart)}`}
                />
                <Stat
                  label="Overage"
                  value={formatNumber(summary.quota.overage)}
                  hint="counted requests beyond the quota"
                />
              </SimpleGrid>
              <Progress
                value={Math.min(100, ratio * 100)}
                color={ratio >= 1 ? 'red' : ratio >= 0.95 ? 'orange' : ratio >= 0.8 ? 'yellow' : 'indigo'}
                size="lg"
                mb="md"
                aria-label={`Quota used: ${Math.floor(ratio * 100)} %`}
              />
              <Grid>
                <Grid.Col span={{ base: 12, md: 8 }}>
                  <Card withBorder padding="md" h="100%">
                    <Title order={2} size="h4" mb="sm">
                      Usage against quota
                    </Title>
                    <ResourceView resource={series} loadingLabel="Loading the chart…">
                      {(points) => <UsageChart series={points} quotaLimit={summary.quota.limit} />}
                    </ResourceView>
                  </Card>
                </Grid.Col>
                <Grid.Col span={{ base: 12, md: 4 }}>
                  <Card withBorder padding="md" h="100%">
                    <Title order={2} size="h4" mb="sm">
                      Estimate
                    </Title>
                    <EstimateCard usage={summary} estimate={estimate.data} />
                  </Card>
                </Grid.Col>
              </Grid>
            </>
          );
        }}
      </ResourceView>
      <SimpleGrid cols={{ base: 1, md: 2 }} mt="md">
        <Card withBorder padding="md">
          <Group justify="space-between" mb="sm">
            <Title order={2} size="h4">
              By endpoint
            </Title>
          </Group>
          <ResourceView resource={byEndpoint} loadingLabel="Loading endpoints…">
            {(breakdown) => <BreakdownTable breakdown={breakdown} label="Endpoint" />}
          </ResourceView>
        </Card>
        <Card withBorder padding="md">
          <Title order={2} size="h4" mb="sm">
            By status
          </Title>
          <ResourceView resource={byStatus} loadingLabel="Loading status codes…">
            {(breakdown) => <BreakdownTable breakdown={breakdown} label="Status" />}
          </ResourceView>
        </Card>
      </SimpleGrid>
    </Page>
  );
}
