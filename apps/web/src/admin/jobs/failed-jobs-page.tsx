import { Code, Spoiler, Table, Text } from '@mantine/core';
import { ApiError, EmptyState, ResourceView, useResource } from '../../shared';
import { AdminPage } from '../shared/admin-page';
import { useAdminSession } from '../shared/admin-session';
import { formatDateTime } from '../shared/format';
import { OptionalEndpoint } from '../shared/optional-endpoint';

interface FailedJob {
  jobId: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: number;
}

function FailedJobs() {
  const { api } = useAdminSession();
  const jobs = useResource('failed-jobs', (signal) => api.get<FailedJob[]>('/jobs/failed', { signal }), {
    refreshMs: 30_000,
  });
  if (jobs.error instanceof ApiError && jobs.error.isNotFound) {
    return <EmptyState title="No job queue here" description="This control plane runs no background jobs." />;
  }
  return (
    <ResourceView
      resource={jobs}
      isEmpty={(data) => data.length === 0}
      empty={<EmptyState title="No failed jobs" description="Jobs that exhaust their retries appear here." />}
    >
      {(data) => (
        <Table.ScrollContainer minWidth={720}>
          <Table striped aria-label="Failed jobs">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Job</Table.Th>
                <Table.Th ta="right">Attempts</Table.Th>
                <Table.Th>Error</Table.Th>
                <Table.Th>Data</Table.Th>
                <Table.Th>Failed</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {data.map((job) => (
                <Table.Tr key={`${job.name}:${job.jobId}`}>
                  <Table.Td>
                    {job.name}
                    <Text size="xs" c="dimmed">
                      {job.jobId}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">{job.attempts}</Table.Td>
                  <Table.Td>
                    <Text size="sm" c="red">
                      {job.error}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Spoiler maxHeight={40} showLabel="Show all" hideLabel="Hide">
                      <Code block>{JSON.stringify(job.data, null, 2)}</Code>
                    </Spoiler>
                  </Table.Td>
                  <Table.Td>{formatDateTime(job.failedAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </ResourceView>
  );
}

/** Background jobs (Stripe sync, usage pushes, alerts, webhooks) that exhausted their retries. */
export function FailedJobsPage() {
  return (
    <AdminPage title="Failed jobs" description="Billing jobs that gave up after their retries, newest first.">
      <OptionalEndpoint pathTemplate="/api/admin/jobs/failed" what="Failed jobs">
        <FailedJobs />
      </OptionalEndpoint>
    </AdminPage>
  );
}
