import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { createPortalKeyInputSchema } from '@tollgate/plans-portal/inputs';
import { useState } from 'react';
import {
  CopyField,
  EmptyState,
  formatDateTime,
  notifyError,
  notifySuccess,
  Page,
  ResourceView,
  showRequestError,
  useResource,
  zodValidate,
} from '../../shared';
import { portalApi } from '../portal-api';
import { type ApiKey, type CreatedApiKey } from '../portal-types';
import { keyStatus } from './key-status';

export function KeysPage() {
  const keys = useResource('keys', (signal) => portalApi.get<ApiKey[]>('/keys', { signal }));
  const [revealed, setRevealed] = useState<{ key: CreatedApiKey; rotated: boolean } | undefined>();
  const [confirmRevoke, setConfirmRevoke] = useState<ApiKey | undefined>();
  const [busy, setBusy] = useState<string | undefined>();

  const rotate = async (key: ApiKey) => {
    setBusy(key.id);
    try {
      const created = await portalApi.post<CreatedApiKey>(`/keys/${encodeURIComponent(key.id)}/rotate`);
      setRevealed({ key: created, rotated: true });
      keys.reload();
    } catch (error) {
      notifyError(error, 'Could not rotate the key');
    } finally {
      setBusy(undefined);
    }
  };

  const revoke = async (key: ApiKey) => {
    setBusy(key.id);
    try {
      await portalApi.delete(`/keys/${encodeURIComponent(key.id)}`);
      notifySuccess(`${key.prefix}… no longer works.`, 'Key revoked');
      setConfirmRevoke(undefined);
      keys.reload();
    } catch (error) {
      notifyError(error, 'Could not revoke the key');
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Page title="API keys" description="Send a key in the x-api-key header of every call to the API.">
      <CreateKeyForm
        onCreated={(key) => {
          setRevealed({ key, rotated: false });
          keys.reload();
        }}
      />
      <Card withBorder mt="md" padding="md">
        <ResourceView
          resource={keys}
          loadingLabel="Loading your keys…"
          isEmpty={(list) => list.length === 0}
          empty={<EmptyState title="No keys yet" description="Create a key above to call the API." />}
        >
          {(list) => (
            <Table.ScrollContainer minWidth={640}>
              <Table highlightOnHover aria-label="Your API keys">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Name</Table.Th>
                    <Table.Th>Key</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>Created</Table.Th>
                    <Table.Th>Expires</Table.Th>
                    <Table.Th>
                      <VisuallyHidden>Actions</VisuallyHidden>
                    </Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((key) => {
                    const status = keyStatus(key);
                    const usable = status.label === 'Active';
                    return (
                      <Table.Tr key={key.id} data-testid={`key-row-${key.prefix}`}>
                        <Table.Td>{key.name || '—'}</Table.Td>
                        <Table.Td>
                          <Text ff="monospace" size="sm">
                            {key.prefix}…
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Badge color={status.color} variant="light">
                            {status.label}
                          </Badge>
                        </Table.Td>
                        <Table.Td>{formatDateTime(key.createdAt)}</Table.Td>
                        <Table.Td>{formatDateTime(key.expiresAt ?? key.revokedAt)}</Table.Td>
                        <Table.Td>
                          {usable ? (
                            <Group gap="xs" justify="flex-end" wrap="nowrap">
                              <Button
                                size="xs"
                                variant="default"
                                loading={busy === key.id}
                                onClick={() => void rotate(key)}
                                aria-label={`Rotate key ${key.prefix}`}
                              >
                                Rotate
                              </Button>
                              <Button
                                size="xs"
                                color="red"
                                variant="light"
                                onClick={() => setConfirmRevoke(key)}
                                aria-label={`Revoke key ${key.prefix}`}
                              >
                                Revoke
                              </Button>
                            </Group>
                          ) : null}
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </ResourceView>
      </Card>

      <Modal
        opened={revealed !== undefined}
        onClose={() => setRevealed(undefined)}
        title={revealed?.rotated ? 'Your new key' : 'Your API key'}
        size="lg"
      >
        {revealed ? (
          <Stack gap="sm">
            <Alert color="yellow" variant="light">
              Copy it now: this is the only time the key is shown. Store it like a password.
            </Alert>
            <CopyField value={revealed.key.key} label="Copy API key" />
            {revealed.rotated && revealed.key.previousKeyExpiresAt ? (
              <Text size="sm" c="dimmed">
                The old key keeps working until {formatDateTime(revealed.key.previousKeyExpiresAt)}, so you
                can roll the new one out.
              </Text>
            ) : null}
            <Group justify="flex-end">
              <Button onClick={() => setRevealed(undefined)}>Done</Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>

      <Modal
        opened={confirmRevoke !== undefined}
        onClose={() => setConfirmRevoke(undefined)}
        title="Revoke this key?"
      >
        {confirmRevoke ? (
          <Stack gap="sm">
            <Text size="sm">
              Calls with{' '}
              <Text span ff="monospace">
                {confirmRevoke.prefix}…
              </Text>{' '}
              are refused at once. This cannot be undone.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setConfirmRevoke(undefined)}>
                Cancel
              </Button>
              <Button
                color="red"
                loading={busy === confirmRevoke.id}
                onClick={() => void revoke(confirmRevoke)}
              >
                Revoke key
              </Button>
            </Group>
          </Stack>
        ) : null}
      </Modal>
    </Page>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedApiKey) => void }) {
  const [submitting, setSubmitting] = useState(false);
  const form = useForm<{ name: string }>({
    mode: 'controlled',
    initialValues: { name: '' },
    validate: (values) =>
      zodValidate(createPortalKeyInputSchema)(values.name.trim() ? { name: values.name } : {}),
  });
  const submit = async (values: { name: string }) => {
    setSubmitting(true);
    try {
      const body = values.name.trim() ? { name: values.name.trim() } : {};
      onCreated(await portalApi.post<CreatedApiKey>('/keys', body));
      form.reset();
    } catch (error) {
      showRequestError(form, error);
    } finally {
      setSubmitting(false);
    }
  };
  return (
    <Card withBorder padding="md">
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
        <Group align="flex-end" gap="sm">
          <TextInput
            label="Key name"
            description="Optional, e.g. the app or server that uses it"
            placeholder="production server"
            style={{ flex: 1, minWidth: 200 }}
            {...form.getInputProps('name')}
          />
          <Button type="submit" loading={submitting}>
            Create key
          </Button>
        </Group>
      </form>
    </Card>
  );
}
