import {
  Anchor,
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  SimpleGrid,
  Stack,
  Tabs,
  Text,
  TextInput,
} from '@mantine/core';
import { consumerPatchSchema } from '@tollgate/plans-domain';
import { type FormEvent, type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import { notifyError, notifySuccess, ResourceView, useResource } from '../../shared';
import { AdminPage } from '../shared/admin-page';
import { type Consumer, type Plan } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { type FieldErrors, validate } from '../shared/field-errors';
import { formatDate, formatDateTime } from '../shared/format';
import { ConsumerActivity } from './consumer-activity';
import { ConsumerBilling } from './consumer-billing';
import { ConsumerKeys } from './consumer-keys';
import { ConsumerPlanChange } from './consumer-plan-change';
import { ConsumerUsage } from './consumer-usage';
import { ConsumerStatusBadge } from './consumers-page';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </div>
  );
}

function SuspendButton({
  consumer,
  onChanged,
}: {
  consumer: Consumer;
  onChanged: (consumer: Consumer) => void;
}) {
  const { api } = useAdminSession();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const patch = async (body: object) => {
    setBusy(true);
    try {
      const updated = await api.patch<Consumer>(`/consumers/${consumer.id}`, body);
      onChanged(updated);
      notifySuccess(updated.status === 'suspended' ? `${updated.name} suspended` : `${updated.name} resumed`);
      setOpen(false);
      setReason('');
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  };

  const suspend = async (event: FormEvent) => {
    event.preventDefault();
    const body = { status: 'suspended', ...(reason.trim() ? { suspendedReason: reason.trim() } : {}) };
    const checked = validate(consumerPatchSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    await patch(body);
  };

  if (consumer.status === 'suspended') {
    return (
      <Button variant="light" color="teal" loading={busy} onClick={() => void patch({ status: 'active' })}>
        Resume
      </Button>
    );
  }
  return (
    <>
      <Button variant="light" color="red" onClick={() => setOpen(true)}>
        Suspend
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={`Suspend ${consumer.name}`}>
        <form onSubmit={(event) => void suspend(event)} noValidate>
          <Stack>
            <Text size="sm">Every key of this consumer is refused by the gateways until you resume it.</Text>
            <TextInput
              label="Reason"
              description="Shown to your team in the audit log"
              value={reason}
              error={errors.suspendedReason}
              onChange={(event) => setReason(event.currentTarget.value)}
              data-autofocus
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(false)}>
                Cancel
              </Button>
              <Button type="submit" color="red" loading={busy}>
                Suspend
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}

const back = { to: '/admin/consumers', label: 'Consumers' };

export function ConsumerDetailPage() {
  const { consumerId = '' } = useParams();
  const { api, canWrite } = useAdminSession();
  const consumer = useResource(`consumer:${consumerId}`, (signal) =>
    api.get<Consumer>(`/consumers/${consumerId}`, { signal }),
  );
  const planId = consumer.data?.subscription?.planId;
  const plan = useResource(
    `plan:${planId ?? ''}`,
    (signal) => api.get<Plan>(`/plans/${planId}`, { signal }),
    { enabled: planId !== undefined },
  );

  if (consumer.data === undefined) {
    return (
      <AdminPage back={back} title="Consumer">
        <ResourceView resource={consumer}>{() => null}</ResourceView>
      </AdminPage>
    );
  }
  const data = consumer.data;
  return (
    <AdminPage
      back={back}
      title={data.name}
      description={data.email}
      actions={
        <>
          <ConsumerStatusBadge consumer={data} />
          {canWrite ? <SuspendButton consumer={data} onChanged={consumer.setData} /> : null}
        </>
      }
    >
      <Stack>
        <Paper withBorder p="md">
          <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }}>
            <Fact label="Plan">
              {data.subscription ? (
                <Anchor component={Link} to={`/admin/plans/${data.subscription.planId}`}>
                  {data.subscription.planName} v{data.subscription.planVersion}
                </Anchor>
              ) : (
                'No plan'
              )}
            </Fact>
            <Fact label="Subscription">
              {data.subscription ? <Badge variant="light">{data.subscription.status}</Badge> : '—'}
            </Fact>
            <Fact label="Current period">
              {data.subscription
                ? `${formatDate(data.subscription.currentPeriod.start)} – ${formatDate(data.subscription.currentPeriod.end)}`
                : '—'}
            </Fact>
            <Fact label="Time zone">{data.timeZone}</Fact>
            <Fact label="Created">{formatDateTime(data.createdAt)}</Fact>
            <Fact label="Webhook URL">{data.webhookUrl ?? '—'}</Fact>
            <Fact label="External id">{data.externalId ?? '—'}</Fact>
            <Fact label="Portal account">{data.developerId ? 'Yes' : 'No'}</Fact>
          </SimpleGrid>
          {data.status === 'suspended' && data.suspendedReason ? (
            <Text size="sm" c="red" mt="sm">
              Suspended: {data.suspendedReason}
            </Text>
          ) : null}
        </Paper>
        <Tabs defaultValue="usage" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="usage">Usage</Tabs.Tab>
            <Tabs.Tab value="keys">Keys</Tabs.Tab>
            <Tabs.Tab value="plan">Plan</Tabs.Tab>
            <Tabs.Tab value="alerts">Alerts and webhooks</Tabs.Tab>
            <Tabs.Tab value="billing">Billing</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="usage" pt="md">
            <ConsumerUsage consumerId={data.id} />
          </Tabs.Panel>
          <Tabs.Panel value="keys" pt="md">
            <ConsumerKeys consumerId={data.id} />
          </Tabs.Panel>
          <Tabs.Panel value="plan" pt="md">
            {canWrite ? (
              <ConsumerPlanChange
                consumer={data}
                onChanged={(updated) => {
                  consumer.setData(updated);
                  plan.reload();
                }}
              />
            ) : (
              <Text size="sm" c="dimmed">
                Viewers cannot change plans.
              </Text>
            )}
          </Tabs.Panel>
          <Tabs.Panel value="alerts" pt="md">
            <ConsumerActivity consumerId={data.id} />
          </Tabs.Panel>
          <Tabs.Panel value="billing" pt="md">
            <ConsumerBilling
              consumerId={data.id}
              subscription={data.subscription}
              currency={plan.data?.currency ?? 'usd'}
            />
          </Tabs.Panel>
        </Tabs>
      </Stack>
    </AdminPage>
  );
}
