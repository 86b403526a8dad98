import { Accordion, Alert, Badge, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import {
  CopyField,
  EmptyState,
  notifyError,
  notifySuccess,
  Page,
  ResourceView,
  useResource,
} from '../../shared';
import { type UpstreamApi } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { ApiForm } from './api-form';
import { ApiRoutes } from './api-routes';

function ApiPanel({ upstream, onChanged }: { upstream: UpstreamApi; onChanged: () => void }) {
  const { api, canWrite } = useAdminSession();
  const [editing, setEditing] = useState(false);
  const [ingestToken, setIngestToken] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const issueToken = async () => {
    setBusy(true);
    try {
      setIngestToken((await api.post<{ token: string }>(`/apis/${upstream.id}/ingest-token`, {})).token);
      onChanged();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    setBusy(true);
    try {
      await api.delete(`/apis/${upstream.id}`);
      notifySuccess(`API ${upstream.name} deleted`);
      onChanged();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Stack>
      {editing ? (
        <ApiForm
          api={upstream}
          onCancel={() => setEditing(false)}
          onSubmit={async (body) => {
            await api.patch(`/apis/${upstream.id}`, body);
            setEditing(false);
            onChanged();
          }}
        />
      ) : (
        <Group justify="space-between" align="flex-start">
          <Stack gap={2}>
            <Text size="sm">
              Forwards to{' '}
              <Text span ff="monospace">
                {upstream.upstreamUrl}
              </Text>
              {upstream.stripPrefix ? ' without the prefix' : ' with the prefix'}.
            </Text>
            <Text size="sm" c="dimmed">
              Keys in {upstream.keyInQuery ? `headers or ?${upstream.keyInQuery}=` : 'headers only'}; JWT{' '}
              {upstream.jwt ? 'on' : 'off'}; ingest token {upstream.hasIngestToken ? 'issued' : 'not issued'}.
            </Text>
          </Stack>
          {canWrite ? (
            <Group gap="xs">
              <Button size="xs" variant="default" onClick={() => setEditing(true)}>
                Edit
              </Button>
              <Button size="xs" variant="default" loading={busy} onClick={() => void issueToken()}>
                {upstream.hasIngestToken ? 'Replace ingest token' : 'Issue ingest token'}
              </Button>
              <Button size="xs" color="red" variant="light" loading={busy} onClick={() => void remove()}>
                Delete
              </Button>
            </Group>
          ) : null}
        </Group>
      )}
      {ingestToken ? (
        <Alert
          color="teal"
          title="Copy the ingest token now"
          withCloseButton
          onClose={() => setIngestToken(null)}
        >
          <Stack gap="xs">
            <Text size="sm">It is shown once; the previous token no longer works.</Text>
            <CopyField value={ingestToken} label="Ingest token" />
          </Stack>
        </Alert>
      ) : null}
      <Title order={2} size="h4">
        Routes
      </Title>
      <ApiRoutes api={upstream} onChanged={onChanged} />
    </Stack>
  );
}

/** Upstream APIs behind the gateway and their metered routes. */
export function ApisPage() {
  const { api, canWrite } = useAdminSession();
  const apis = useResource('apis', (signal) => api.get<UpstreamApi[]>('/apis', { signal }));
  const [creating, setCreating] = useState(false);

  return (
    <Page
      title="APIs and routes"
      description="What the gateway proxies, and the endpoints it meters."
      actions={canWrite && !creating ? <Button onClick={() => setCreating(true)}>New API</Button> : undefined}
    >
      <Stack>
        {creating ? (
          <Paper withBorder p="md">
            <ApiForm
              onCancel={() => setCreating(false)}
              onSubmit={async (body) => {
                await api.post('/apis', body);
                setCreating(false);
                apis.reload();
              }}
            />
          </Paper>
        ) : null}
        <ResourceView
          resource={apis}
          isEmpty={(data) => data.length === 0}
          empty={
            <EmptyState
              title="No APIs yet"
              description="Register the upstream API the gateway should protect."
            />
          }
        >
          {(data) => (
            <Accordion variant="separated" multiple>
              {data.map((upstream) => (
                <Accordion.Item key={upstream.id} value={upstream.id}>
                  <Accordion.Control>
                    <Group gap="sm">
                      <Text fw={600}>{upstream.name}</Text>
                      <Badge variant="light" ff="monospace">
                        {upstream.pathPrefix}
                      </Badge>
                      <Text size="sm" c="dimmed">
                        {upstream.routes.length} routes
                      </Text>
                    </Group>
                  </Accordion.Control>
                  <Accordion.Panel>
                    <ApiPanel upstream={upstream} onChanged={apis.reload} />
                  </Accordion.Panel>
                </Accordion.Item>
              ))}
            </Accordion>
          )}
        </ResourceView>
      </Stack>
    </Page>
  );
}
