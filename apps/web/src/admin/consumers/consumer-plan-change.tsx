import { Alert, Button, Group, NumberInput, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { consumerPatchSchema } from '@tollgate/plans-domain';
import { type FormEvent, useState } from 'react';
import { notifySuccess, useResource } from '../../shared';
import { type Consumer, type Plan } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { apiFieldErrors, type FieldErrors, unplacedErrors, validate } from '../shared/field-errors';
import { formatDateTime } from '../shared/format';

/** Moves the consumer to another plan (or version), now or at a chosen date. */
export function ConsumerPlanChange({
  consumer,
  onChanged,
}: {
  consumer: Consumer;
  onChanged: (consumer: Consumer) => void;
}) {
  const { api } = useAdminSession();
  const plans = useResource('plans:active', (signal) =>
    api.get<Plan[]>('/plans', { signal, query: { includeArchived: false } }),
  );
  const [planId, setPlanId] = useState<string | null>(consumer.subscription?.planId ?? null);
  const [planVersion, setPlanVersion] = useState<number | ''>('');
  const [effectiveAt, setEffectiveAt] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = {
      ...(planId ? { planId } : {}),
      ...(planVersion === '' ? {} : { planVersion }),
      ...(effectiveAt ? { effectiveAt: new Date(effectiveAt).toISOString() } : {}),
    };
    if (!planId) return setErrors({ planId: 'Choose a plan' });
    const checked = validate(consumerPatchSchema, body);
    if (!checked.ok) return setErrors(checked.errors);
    setErrors({});
    setSaving(true);
    try {
      const updated = await api.patch<Consumer>(`/consumers/${consumer.id}`, body);
      onChanged(updated);
      const pending = updated.subscription?.pendingEffectiveAt;
      notifySuccess(
        pending
          ? `Plan change scheduled for ${formatDateTime(pending)}`
          : `${updated.name} is now on ${updated.subscription?.planName ?? 'the new plan'}`,
      );
      setEffectiveAt('');
      setPlanVersion('');
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setSaving(false);
    }
  };

  const general = unplacedErrors(errors, ['planId', 'planVersion', 'effectiveAt']);
  const pending = consumer.subscription?.pendingPlanId;

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-label="Change plan">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Change plan
        </Title>
        {pending ? (
          <Text size="sm">
            Scheduled: version {consumer.subscription?.pendingPlanVersion} of plan{' '}
            {plans.data?.find((plan) => plan.id === pending)?.name ?? pending} on{' '}
            {formatDateTime(consumer.subscription?.pendingEffectiveAt)}.
          </Text>
        ) : null}
        <Group align="flex-start" wrap="wrap">
          <Select
            label="New plan"
            placeholder={plans.loading ? 'Loading plans…' : 'Choose a plan'}
            data={(plans.data ?? []).map((plan) => ({ value: plan.id, label: plan.name }))}
            searchable
            value={planId}
            error={errors.planId}
            onChange={setPlanId}
            w={{ base: '100%', sm: 240 }}
          />
          <NumberInput
            label="Version"
            description="Blank: the latest"
            min={1}
            allowDecimal={false}
            value={planVersion}
            error={errors.planVersion}
            onChange={(value) => setPlanVersion(typeof value === 'number' ? value : '')}
            w={{ base: '100%', sm: 120 }}
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
        <Group>
          <Button type="submit" loading={saving}>
            Move to plan
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
