import { Alert, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { migrateSubscribersSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { type PlanDetail } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { apiFieldErrors, type FieldErrors, unplacedErrors, validate } from '../shared/field-errors';
import { formatDateTime, formatNumber, plural } from '../shared/format';
import { priceSummary } from './price-summary';

/** The plan's versions with their live subscribers, and "move subscribers" to one of them. */
export function PlanVersions({ plan, onChanged }: { plan: PlanDetail; onChanged: () => void }) {
  const { api, canWrite } = useAdminSession();
  const [toVersion, setToVersion] = useState<string>(String(plan.version));
  const [fromVersion, setFromVersion] = useState<string | null>(null);
  const [effectiveAt, setEffectiveAt] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [moving, setMoving] = useState(false);

  const versionOptions = plan.versions.map((version) => ({
    value: String(version.version),
    label: `Version ${version.version} (${plural(version.subscribers, 'subscriber')})`,
  }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      toVersion: Number(toVersion),
      ...(fromVersion ? { fromVersion: Number(fromVersion) } : {}),
      // datetime-local has no offset: the browser's time zone gives it one.
      ...(effectiveAt ? { effectiveAt: new Date(effectiveAt).toISOString() } : {}),
    };
    const checked = validate(migrateSubscribersSchema, body);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setMoving(true);
    try {
      const result = await api.post<{ subscriptions: number; scheduled: boolean; effectiveAt: string }>(
        `/plans/${plan.id}/migrate-subscribers`,
        body,
      );
      notifications.show({
        color: 'teal',
        message: result.scheduled
          ? `${plural(result.subscriptions, 'subscription')} will move on ${formatDateTime(result.effectiveAt)}`
          : `${plural(result.subscriptions, 'subscription')} moved to version ${body.toVersion}`,
      });
      onChanged();
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setMoving(false);
    }
  };

  const general = unplacedErrors(errors, ['toVersion', 'fromVersion', 'effectiveAt']);

  return (
    <Stack>
      <Table.ScrollContainer minWidth={640}>
        <Table striped aria-label="Plan versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Version</Table.Th>
              <Table.Th ta="right">Quota</Table.Th>
              <Table.Th>Price</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th ta="right">Subscribers</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {plan.versions.map((version) => (
              <Table.Tr key={version.version}>
                <Table.Td>
                  v{version.version}
                  {version.version === plan.version ? (
                    <Text span size="xs" c="dimmed">
                      {' '}
                      (new subscribers)
                    </Text>
                  ) : null}
                </Table.Td>
                <Table.Td ta="right">
                  {formatNumber(version.definition.quota.limit)} / {version.definition.quota.period}
                </Table.Td>
                <Table.Td>{priceSummary(version.definition)}</Table.Td>
                <Table.Td>{formatDateTime(version.createdAt)}</Table.Td>
                <Table.Td ta="right">{formatNumber(version.subscribers)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>

      {canWrite ? (
        <form onSubmit={(event) => void submit(event)} noValidate aria-label="Move subscribers">
          <Stack gap="sm">
            <Title order={2} size="h4">
              Move subscribers
            </Title>
            <Text size="sm" c="dimmed">
              Moves the plan&apos;s live subscriptions to a version, now or at a date you choose.
            </Text>
            <Group align="flex-start" grow>
              <Select
                label="To version"
                data={versionOptions}
                value={toVersion}
                allowDeselect={false}
                error={errors.toVersion}
                onChange={(value) => value && setToVersion(value)}
              />
              <Select
                label="Only subscribers on version"
                placeholder="Every other version"
                data={versionOptions}
                value={fromVersion}
                clearable
                error={errors.fromVersion}
                onChange={setFromVersion}
              />
              <TextInput
                type="datetime-local"
                label="Effective at"
                description="Blank: now"
                value={effectiveAt}
                error={errors.effectiveAt}
                onChange={(event) => setEffectiveAt(event.currentTarget.value)}
              />
            </Group>
            {general.length > 0 ? (
              <Alert color="red" role="alert">
                {general.join('; ')}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button type="submit" loading={moving}>
                Move subscribers
              </Button>
            </Group>
          </Stack>
        </form>
      ) : null}
    </Stack>
  );
}
