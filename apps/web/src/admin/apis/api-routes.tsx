import {
  ActionIcon,
  Alert,
  Button,
  Group,
  NumberInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import { routeCreateSchema, routeMethods } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { notifyError, notifySuccess } from '../../shared';
import { type UpstreamApi } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { apiFieldErrors, type FieldErrors, unplacedErrors, validate } from '../shared/field-errors';

/** An API's routes: the metered endpoints and what each call costs in quota units. */
export function ApiRoutes({ api: upstream, onChanged }: { api: UpstreamApi; onChanged: () => void }) {
  const { api, canWrite } = useAdminSession();
  const [method, setMethod] = useState('GET');
  const [pathTemplate, setPathTemplate] = useState('');
  const [costWeight, setCostWeight] = useState<number | ''>(1);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState<string | null>(null);

  const add = async (event: FormEvent) => {
    event.preventDefault();
    const body = { method, pathTemplate, ...(costWeight === '' ? {} : { costWeight }) };
    const checked = validate(routeCreateSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setBusy('add');
    try {
      await api.post(`/apis/${upstream.id}/routes`, body);
      setPathTemplate('');
      setCostWeight(1);
      onChanged();
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setBusy(null);
    }
  };

  const remove = async (routeId: string, endpoint: string) => {
    setBusy(routeId);
    try {
      await api.delete(`/apis/${upstream.id}/routes/${routeId}`);
      notifySuccess(`Route ${endpoint} deleted`);
      onChanged();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(null);
    }
  };

  const general = unplacedErrors(errors, ['method', 'pathTemplate', 'costWeight']);

  return (
    <Stack gap="sm">
      {upstream.routes.length === 0 ? (
        <Text size="sm" c="dimmed">
          No routes: every request under the prefix is metered as one endpoint.
        </Text>
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label={`Routes of ${upstream.name}`}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Endpoint</Table.Th>
                <Table.Th ta="right">Cost (quota units)</Table.Th>
                {canWrite ? <Table.Th w={60}>Delete</Table.Th> : null}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {upstream.routes.map((route) => (
                <Table.Tr key={route.id}>
                  <Table.Td ff="monospace">{route.endpoint}</Table.Td>
                  <Table.Td ta="right">{route.costWeight}</Table.Td>
                  {canWrite ? (
                    <Table.Td>
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        loading={busy === route.id}
                        aria-label={`Delete route ${route.endpoint}`}
                        onClick={() => void remove(route.id, route.endpoint)}
                      >
                        ✕
                      </ActionIcon>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {canWrite ? (
        <form onSubmit={(event) => void add(event)} noValidate aria-label={`New route of ${upstream.name}`}>
          <Group align="flex-start" wrap="wrap">
            <Select
              label="Method"
              data={[...routeMethods]}
              value={method}
              allowDeselect={false}
              error={errors.method}
              onChange={(value) => value && setMethod(value)}
              w={110}
            />
            <TextInput
              label="Path template"
              placeholder="/v1/orders/:id"
              value={pathTemplate}
              error={errors.pathTemplate}
              onChange={(event) => setPathTemplate(event.currentTarget.value)}
              w={{ base: '100%', sm: 260 }}
            />
            <NumberInput
              label="Cost"
              min={1}
              max={1000}
              allowDecimal={false}
              value={costWeight}
              error={errors.costWeight}
              onChange={(value) => setCostWeight(typeof value === 'number' ? value : '')}
              w={100}
            />
            <Button type="submit" mt={24} variant="light" loading={busy === 'add'}>
              Add route
            </Button>
          </Group>
          {general.length > 0 ? (
            <Alert color="red" role="alert" mt="xs">
              {general.join('; ')}
            </Alert>
          ) : null}
        </form>
      ) : null}
    </Stack>
  );
}
