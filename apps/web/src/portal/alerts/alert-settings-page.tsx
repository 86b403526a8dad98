import { Badge, Button, Card, Group, Stack, Table, TagsInput, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import {
  ApiError,
  CopyField,
  EmptyState,
  formatDateTime,
  notifyError,
  notifySuccess,
  Page,
  ResourceView,
  showRequestError,
  useResource,
} from '../../shared';
import { listOf, portalApi } from '../portal-api';
import { useProfile } from '../portal-session';
import { type AlertSettings, type WebhookDelivery } from '../portal-types';
import { toInput, validateSettings, type SettingsValues } from './alert-settings-form';

export function AlertSettingsPage() {
  const profile = useProfile();
  const settings = useResource(
    'alert-settings',
    (signal) => portalApi.get<AlertSettings>('/alert-settings', { signal }),
    {
      notFoundAsEmpty: true,
    },
  );
  const deliveries = useResource(
    'deliveries',
    async (signal) =>
      listOf<WebhookDelivery>(await portalApi.get<unknown>('/webhooks/deliveries', { signal }), 'deliveries'),
    { notFoundAsEmpty: true, refreshMs: 10_000 },
  );
  const unavailable = !settings.loading && settings.error === undefined && settings.data === undefined;

  return (
    <Page
      title="Alerts & webhooks"
      description={`Usage alerts at 80, 95 and 100 % of your quota go to ${profile.developer.email} and to the contacts below.`}
    >
      {unavailable ? (
        <EmptyState
          title="Alert settings are not available"
          description="This installation does not offer alert settings yet."
        />
      ) : (
        <Stack gap="md">
          <ResourceView resource={settings} loadingLabel="Loading your alert settings…">
            {(data) => <SettingsForm initial={data} onSaved={(saved) => settings.setData(saved)} />}
          </ResourceView>
          <WebhookSecretCard />
          <Card withBorder padding="md">
            <Group justify="space-between" mb="sm">
              <Title order={2} size="h4">
                Webhook deliveries
              </Title>
              <TestWebhookButton hasUrl={Boolean(settings.data?.webhookUrl)} onSent={deliveries.reload} />
            </Group>
            <ResourceView
              resource={deliveries}
              loadingLabel="Loading deliveries…"
              isEmpty={(list) => list.length === 0}
              empty={
                <EmptyState
                  title="No deliveries yet"
                  description="Alerts and test events sent to your webhook appear here."
                />
              }
            >
              {(list) => <DeliveriesTable deliveries={list} />}
            </ResourceView>
          </Card>
        </Stack>
      )}
    </Page>
  );
}

function SettingsForm({
  initial,
  onSaved,
}: {
  initial: AlertSettings;
  onSaved: (saved: AlertSettings) => void;
}) {
  const [saving, setSaving] = useState(false);
  const form = useForm<SettingsValues>({
    mode: 'controlled',
    initialValues: { billingEmails: initial.billingEmails ?? [], webhookUrl: initial.webhookUrl ?? '' },
    validate: validateSettings,
  });
  const submit = async (values: SettingsValues) => {
    setSaving(true);
    try {
      const saved = await portalApi.put<AlertSettings>('/alert-settings', toInput(values));
      onSaved(saved ?? toInput(values));
      notifySuccess('Alert settings saved.');
    } catch (error) {
      showRequestError(form, error);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Card withBorder padding="md">
      <Title order={2} size="h4" mb="sm">
        Contacts
      </Title>
      <form onSubmit={form.onSubmit((values) => void submit(values))} noValidate>
        <Stack gap="sm">
          <TagsInput
            label="Billing and alert emails"
            description="Press Enter after each address"
            placeholder="ops@example.com"
            clearable
            {...form.getInputProps('billingEmails')}
          />
          <TextInput
            label="Webhook URL"
            description="We POST a signed JSON event here for each alert; leave empty for none"
            placeholder="https://example.com/hooks/tollgate"
            {...form.getInputProps('webhookUrl')}
          />
          <Group justify="flex-end">
            <Button type="submit" loading={saving}>
              Save
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function WebhookSecretCard() {
  const [secret, setSecret] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [unavailable, setUnavailable] = useState(false);

  const load = async (rotate: boolean) => {
    setBusy(true);
    try {
      const answer = rotate
        ? await portalApi.post<{ secret: string }>('/webhook-secret/rotate')
        : await portalApi.get<{ secret: string }>('/webhook-secret');
      setSecret(answer.secret);
      if (rotate) notifySuccess('Deliveries are signed with the new secret from now on.', 'Secret rotated');
    } catch (error) {
      if (error instanceof ApiError && error.isNotFound) setUnavailable(true);
      else notifyError(error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card withBorder padding="md">
      <Title order={2} size="h4" mb={4}>
        Signing secret
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Each delivery carries an HMAC-SHA256 signature made with this secret; check it before trusting a
        delivery.
      </Text>
      {unavailable ? (
        <Text size="sm">No signing secret is available yet.</Text>
      ) : (
        <Stack gap="sm">
          {secret ? <CopyField value={secret} label="Copy signing secret" /> : null}
          <Group gap="sm">
            <Button
              variant="default"
              loading={busy}
              onClick={() => (secret ? setSecret(undefined) : void load(false))}
            >
              {secret ? 'Hide secret' : 'Reveal secret'}
            </Button>
            <Button variant="outline" color="orange" loading={busy} onClick={() => void load(true)}>
              Rotate secret
            </Button>
          </Group>
        </Stack>
      )}
    </Card>
  );
}

function TestWebhookButton({ hasUrl, onSent }: { hasUrl: boolean; onSent: () => void }) {
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    try {
      await portalApi.post('/webhooks/test');
      notifySuccess('A test event is on its way to your webhook.', 'Test sent');
      onSent();
    } catch (error) {
      notifyError(error, 'Could not send the test');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button size="xs" variant="light" loading={busy} disabled={!hasUrl} onClick={() => void send()}>
      Send test webhook
    </Button>
  );
}

const statusColor: Record<string, string> = { delivered: 'teal', failed: 'red', pending: 'yellow' };

function DeliveriesTable({ deliveries }: { deliveries: WebhookDelivery[] }) {
  return (
    <Table.ScrollContainer minWidth={640}>
      <Table striped aria-label="Webhook deliveries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Event</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th ta="right">Attempts</Table.Th>
            <Table.Th>Response</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {deliveries.map((delivery) => (
            <Table.Tr key={delivery.id}>
              <Table.Td>{formatDateTime(delivery.createdAt)}</Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {delivery.eventType}
                </Text>
              </Table.Td>
              <Table.Td>
                <Badge variant="light" color={statusColor[delivery.status] ?? 'gray'}>
                  {delivery.status}
                </Badge>
              </Table.Td>
              <Table.Td ta="right">{delivery.attempts}</Table.Td>
              <Table.Td>
                <Text size="sm">{delivery.responseStatus ?? delivery.error ?? '—'}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
