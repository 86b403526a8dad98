import {
  ActionIcon,
  Alert,
  Anchor,
  Button,
  Group,
  Paper,
  Select,
  Stack,
  Table,
  TextInput,
} from '@mantine/core';
import { consumerGroupCreateSchema, consumerGroupPatchSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { EmptyState, notifyError, notifySuccess, Page, ResourceView, useResource } from '../../shared';
import { type ConsumerGroup, type Plan } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { apiFieldErrors, type FieldErrors, unplacedErrors, validate } from '../shared/field-errors';
import { formatNumber } from '../shared/format';

function GroupRow({ group, plan, onChanged }: { group: ConsumerGroup; plan?: Plan; onChanged: () => void }) {
  const { api, canWrite } = useAdminSession();
  const [name, setName] = useState(group.name);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(consumerGroupPatchSchema, { name });
    if (!checked.ok) return setError(checked.errors.name);
    setError(undefined);
    setBusy(true);
    try {
      await api.patch(`/consumer-groups/${group.id}`, { name });
      notifySuccess('Group renamed');
      onChanged();
    } catch (failure) {
      setError(apiFieldErrors(failure).name ?? apiFieldErrors(failure)._);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await api.delete(`/consumer-groups/${group.id}`);
      notifySuccess(`Group ${group.name} deleted`);
      onChanged();
    } catch (failure) {
      notifyError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Table.Tr>
      <Table.Td>
        {canWrite ? (
          <form onSubmit={(event) => void rename(event)} noValidate>
            <Group gap="xs" wrap="nowrap" align="flex-start">
              <TextInput
                aria-label={`Name of group ${group.name}`}
                size="xs"
                value={name}
                error={error}
                onChange={(event) => setName(event.currentTarget.value)}
              />
              {name !== group.name ? (
                <Button size="xs" type="submit" loading={busy}>
                  Rename
                </Button>
              ) : null}
            </Group>
          </form>
        ) : (
          group.name
        )}
      </Table.Td>
      <Table.Td>
        {plan ? (
          <Anchor component={Link} to={`/admin/plans/${plan.id}`}>
            {plan.name}
          </Anchor>
        ) : (
          group.planId
        )}
      </Table.Td>
      <Table.Td ta="right">{formatNumber(group.consumers)}</Table.Td>
      {canWrite ? (
        <Table.Td>
          <ActionIcon
            variant="subtle"
            color="red"
            disabled={group.consumers > 0}
            loading={busy}
            aria-label={`Delete group ${group.name}`}
            title={group.consumers > 0 ? 'Only empty groups can be deleted' : 'Delete'}
            onClick={() => void remove()}
          >
            ✕
          </ActionIcon>
        </Table.Td>
      ) : null}
    </Table.Tr>
  );
}

/** Consumer groups: one per plan, whose consumers share the plan's limits. */
export function ConsumerGroupsPage() {
  const { api, canWrite } = useAdminSession();
  const groups = useResource('groups', (signal) => api.get<ConsumerGroup[]>('/consumer-groups', { signal }));
  const plans = useResource('plans:all', (signal) => api.get<Plan[]>('/plans', { signal }));
  const [name, setName] = useState('');
  const [planId, setPlanId] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const planById = new Map((plans.data ?? []).map((plan) => [plan.id, plan]));
  const plansWithoutGroup = (plans.data ?? []).filter(
    (plan) => !(groups.data ?? []).some((group) => group.planId === plan.id),
  );

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = { name, planId: planId ?? '' };
    const checked = validate(consumerGroupCreateSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setSaving(true);
    try {
      await api.post('/consumer-groups', body);
      setName('');
      setPlanId(null);
      groups.reload();
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setSaving(false);
    }
  };

  const general = unplacedErrors(errors, ['name', 'planId']);

  return (
    <Page
      title="Consumer groups"
      description="Each plan has one group; its consumers share the plan's limits."
    >
      <Stack>
        <ResourceView
          resource={groups}
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No consumer groups" description="Creating a plan creates its group." />}
        >
          {(data) => (
            <Table.ScrollContainer minWidth={520}>
              <Table striped aria-label="Consumer groups">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Plan</Table.Th>
                    <Table.Th ta="right">Consumers</Table.Th>
                    {canWrite ? <Table.Th w={60}>Delete</Table.Th> : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.map((group) => (
                    <GroupRow
                      key={`${group.id}:${group.name}`}
                      group={group}
                      plan={planById.get(group.planId)}
                      onChanged={groups.reload}
                    />
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </ResourceView>
        {canWrite && plansWithoutGroup.length > 0 ? (
          <Paper withBorder p="md">
            <form onSubmit={(event) => void create(event)} noValidate aria-label="New consumer group">
              <Group align="flex-start" wrap="wrap">
                <TextInput
                  label="Group name"
                  value={name}
                  error={errors.name}
                  onChange={(event) => setName(event.currentTarget.value)}
                />
                <Select
                  label="Plan"
                  placeholder="A plan without a group"
                  data={plansWithoutGroup.map((plan) => ({ value: plan.id, label: plan.name }))}
                  value={planId}
                  error={errors.planId}
                  onChange={setPlanId}
                />
                <Button type="submit" mt={24} loading={saving}>
                  Create group
                </Button>
              </Group>
              {general.length > 0 ? (
                <Alert color="red" role="alert" mt="xs">
                  {general.join('; ')}
                </Alert>
              ) : null}
            </form>
          </Paper>
        ) : null}
      </Stack>
    </Page>
  );
}
