import { Badge, Button, Stack, Tabs, Text } from '@mantine/core';
import { useState } from 'react';
import { useParams } from 'react-router';
import { notifyError, notifySuccess, ResourceView, useResource } from '../../shared';
import { AdminPage } from '../shared/admin-page';
import { type PlanDetail } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { PlanEditor } from './plan-editor';
import { planToForm } from './plan-form';
import { PlanVersions } from './plan-versions';

const back = { to: '/admin/plans', label: 'Plans' };

export function PlanDetailPage() {
  const { planId = '' } = useParams();
  const { api, canWrite } = useAdminSession();
  const plan = useResource(`plan:${planId}`, (signal) => api.get<PlanDetail>(`/plans/${planId}`, { signal }));
  const [archiving, setArchiving] = useState(false);
  // A new key after each save re-creates the editor with the saved values.
  const [saved, setSaved] = useState(0);

  const toggleArchived = async (archived: boolean) => {
    setArchiving(true);
    try {
      plan.setData(await api.patch<PlanDetail>(`/plans/${planId}`, { archived }));
      setSaved((value) => value + 1);
      notifySuccess(archived ? 'Plan archived: no new subscriptions' : 'Plan restored');
    } catch (error) {
      notifyError(error);
    } finally {
      setArchiving(false);
    }
  };

  if (plan.data === undefined) {
    return (
      <AdminPage back={back} title="Plan">
        <ResourceView resource={plan}>{() => null}</ResourceView>
      </AdminPage>
    );
  }
  const data = plan.data;

  return (
    <AdminPage
      back={back}
      title={data.name}
      description={
        <>
          {data.slug} · changing limits, counting or prices while the plan has subscribers creates a new
          version; they keep theirs until you move them.
        </>
      }
      actions={
        <>
          <Badge variant="light">v{data.version}</Badge>
          {data.archivedAt ? <Badge color="gray">Archived</Badge> : null}
          {canWrite ? (
            <Button
              variant="default"
              loading={archiving}
              onClick={() => void toggleArchived(data.archivedAt === null)}
            >
              {data.archivedAt ? 'Restore plan' : 'Archive plan'}
            </Button>
          ) : null}
        </>
      }
    >
      <Stack>
        {!canWrite ? (
          <Text size="sm" c="dimmed">
            Viewers see the plan; saving needs the admin role.
          </Text>
        ) : null}
        <Tabs defaultValue="definition" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="definition">Definition</Tabs.Tab>
            <Tabs.Tab value="versions">Versions ({data.versions.length})</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="definition" pt="md">
            <PlanEditor
              key={`${data.id}:${saved}`}
              mode="edit"
              initial={planToForm(data)}
              submitLabel="Save plan"
              onSubmit={async (body) => {
                const result = await api.patch<PlanDetail & { versionCreated: boolean }>(
                  `/plans/${planId}`,
                  body,
                );
                plan.setData(result);
                setSaved((value) => value + 1);
                notifySuccess(
                  result.versionCreated
                    ? `Saved as version ${result.version}; current subscribers keep theirs until moved`
                    : 'Plan saved',
                );
              }}
            />
          </Tabs.Panel>
          <Tabs.Panel value="versions" pt="md">
            <PlanVersions plan={data} onChanged={plan.reload} />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </AdminPage>
  );
}
