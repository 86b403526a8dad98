import { Alert, Badge, Button, Group, Stack, Table, Text, TextInput } from '@mantine/core';
import { apiKeyCreateSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { CopyField, EmptyState, notifyError, notifySuccess, ResourceView, useResource } from '../../shared';
import { type ApiKey } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { apiFieldErrors, type FieldErrors, validate } from '../shared/field-errors';
import { formatDateTime } from '../shared/format';
import { keyState } from './key-state';

/** The consumer's API keys (never their secrets); a new or rotated key is shown once. */
export function ConsumerKeys({ consumerId }: { consumerId: string }) {
  const { api, canWrite } = useAdminSession();
  const keys = useResource(`keys:${consumerId}`, (signal) =>
    api.get<ApiKey[]>(`/consumers/${consumerId}/keys`, { signal }),
  );
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [secret, setSecret] = useState<{ key: string; prefix: string } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(scopes.trim() ? { scopes: scopes.split(/[\s,]+/).filter(Boolean) } : {}),
    };
    const checked = validate(apiKeyCreateSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setBusy('create');
    try {
      const created = await api.post<{ key: string; prefix: string }>(`/consumers/${consumerId}/keys`, body);
      setSecret(created);
      setName('');
      setScopes('');
      keys.reload();
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setBusy(null);
    }
  };

  const act = async (key: ApiKey, action: 'revoke' | 'rotate') => {
    setBusy(key.id);
    try {
      if (action === 'revoke') {
        await api.delete(`/keys/${key.id}`);
        notifySuccess(`Key ${key.prefix}… revoked`);
      } else {
        setSecret(await api.post<{ key: string; prefix: string }>(`/keys/${key.id}/rotate`, {}));
      }
      keys.reload();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Stack>
      {secret ? (
        <Alert color="teal" title="Copy the new key now" withCloseButton onClose={() => setSecret(null)}>
          <Stack gap="xs">
            <Text size="sm">It is shown only once; Tollgate keeps only its hash.</Text>
            <CopyField value={secret.key} label="New API key" />
          </Stack>
        </Alert>
      ) : null}
      <ResourceView
        resource={keys}
        isEmpty={(data) => data.length === 0}
        empty={<EmptyState title="No keys" description="Create a key so this consumer can call the API." />}
      >
        {(data) => (
          <Table.ScrollContainer minWidth={640}>
            <Table striped aria-label="API keys">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Key</Table.Th>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Scopes</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>Created</Table.Th>
                  {canWrite ? <Table.Th>Actions</Table.Th> : null}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {data.map((key) => {
                  const state = keyState(key);
                  return (
                    <Table.Tr key={key.id}>
                      <Table.Td ff="monospace">{key.prefix}…</Table.Td>
                      <Table.Td>{key.name}</Table.Td>
                      <Table.Td>{key.scopes.length ? key.scopes.join(', ') : 'all'}</Table.Td>
                      <Table.Td>
                        <Badge color={state.color} variant="light">
                          {state.label}
                        </Badge>
                      </Table.Td>
                      <Table.Td>{formatDateTime(key.createdAt)}</Table.Td>
                      {canWrite ? (
                        <Table.Td>
                          {key.revokedAt ? null : (
                            <Group gap="xs" wrap="nowrap">
                              <Button
                                size="xs"
                                variant="default"
                                loading={busy === key.id}
                                onClick={() => void act(key, 'rotate')}
                                aria-label={`Rotate key ${key.prefix}`}
                              >
                                Rotate
                              </Button>
                              <Button
                                size="xs"
                                color="red"
                                variant="light"
                                loading={busy === key.id}
                                onClick={() => void act(key, 'revoke')}
                                aria-label={`Revoke key ${key.prefix}`}
                              >
                                Revoke
                              </Button>
                            </Group>
                          )}
                        </Table.Td>
                      ) : null}
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </ResourceView>
      {canWrite ? (
        <form onSubmit={(event) => void create(event)} noValidate aria-label="New API key">
          <Group align="flex-start" wrap="wrap">
            <TextInput
              label="Key name"
              placeholder="default"
              value={name}
              error={errors.name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
            <TextInput
              label="Scopes"
              placeholder="orders:read, orders:write"
              description="Blank: every scope"
              value={scopes}
              error={
                errors.scopes ?? Object.entries(errors).find(([field]) => field.startsWith('scopes.'))?.[1]
              }
              onChange={(event) => setScopes(event.currentTarget.value)}
            />
            <Button type="submit" mt={24} loading={busy === 'create'}>
              Create key
            </Button>
          </Group>
          {errors._ ? (
            <Text c="red" size="sm" role="alert">
              {errors._}
            </Text>
          ) : null}
        </form>
      ) : null}
    </Stack>
  );
}
