import { Badge, Button, Card, Group, NumberInput, Stack, Text, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { currencyMinorDigits, spendCapInputSchema } from '@tollgate/plans-domain';
import { useState } from 'react';
import {
  ApiError,
  formatDate,
  formatMoney,
  notifyError,
  notifySuccess,
  Page,
  ResourceView,
  showRequestError,
  useResource,
} from '../../shared';
import { portalApi } from '../portal-api';
import { useProfile } from '../portal-session';
import { type PortalPlan, type SpendCap } from '../portal-types';
import { InvoicesCard } from './invoices-card';

/** Plans that bill per call (a unit price or paid overage) can be capped. */
function billsPerCall(plan: PortalPlan | null): boolean {
  if (!plan) return false;
  if (plan.overage && plan.overage.unitPriceMinor > 0) return true;
  return plan.prices.some(
    (price) =>
      typeof price === 'object' &&
      price !== null &&
      ['per_unit', 'graduated', 'volume', 'package'].includes(String((price as { type?: unknown }).type)),
  );
}

function planCurrency(plan: PortalPlan | null): string {
  const priced = plan?.prices.find(
    (price) => typeof price === 'object' && price !== null && 'currency' in price,
  ) as { currency?: string } | undefined;
  return priced?.currency ?? plan?.overage?.currency ?? 'usd';
}

export function BillingPage() {
  const profile = useProfile();
  const plan = profile.plan;
  return (
    <Page title="Billing" description="Your plan, spending limit, invoices and payment details.">
      <Stack gap="md">
        <Card withBorder padding="md">
          <Group justify="space-between">
            <div>
              <Title order={2} size="h4">
                {plan ? `${plan.name} plan` : 'No plan'}
              </Title>
              {profile.subscription ? (
                <Text size="sm" c="dimmed">
                  Current period {formatDate(profile.subscription.currentPeriod.start)} –{' '}
                  {formatDate(profile.subscription.currentPeriod.end)}
                </Text>
              ) : null}
            </div>
            {profile.subscription ? (
              <Badge color={profile.subscription.status === 'active' ? 'teal' : 'orange'} variant="light">
                {profile.subscription.status.replace('_', ' ')}
              </Badge>
            ) : null}
          </Group>
        </Card>
        {billsPerCall(plan) ? <SpendCapCard currency={planCurrency(plan)} /> : null}
        <InvoicesCard />
        <CustomerPortalCard />
      </Stack>
    </Page>
  );
}

function SpendCapCard({ currency }: { currency: string }) {
  const cap = useResource('spend-cap', (signal) => portalApi.get<SpendCap>('/spend-cap', { signal }), {
    notFoundAsEmpty: true,
  });
  return (
    <Card withBorder padding="md">
      <Title order={2} size="h4" mb={4}>
        Spend cap
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Set a monthly limit on usage charges: once reached, billable calls are refused until the next period.
      </Text>
      <ResourceView
        resource={cap}
        loadingLabel="Loading your spend cap…"
        empty={<Text size="sm">Spend caps are not available for this installation.</Text>}
      >
        {(data) => <SpendCapForm initial={data} currency={data.currency ?? currency} onSaved={cap.setData} />}
      </ResourceView>
    </Card>
  );
}

function SpendCapForm({
  initial,
  currency,
  onSaved,
}: {
  initial: SpendCap;
  currency: string;
  onSaved: (cap: SpendCap) => void;
}) {
  const [saving, setSaving] = useState(false);
  const form = useForm<{ capMajor: number | string }>({
    mode: 'controlled',
    initialValues: {
      capMajor: initial.capMinor === null ? '' : initial.capMinor / 10 ** currencyMinorDigits(currency),
    },
    validate: (values) => {
      const capMinor =
        values.capMajor === ''
          ? null
          : Math.round(Number(values.capMajor) * 10 ** currencyMinorDigits(currency));
      const result = spendCapInputSchema.safeParse({ capMinor });
      return result.success ? {} : { capMajor: result.error.issues[0]?.message ?? 'Invalid amount' };
    },
  });
  const save = async (capMinor: number | null) => {
    setSaving(true);
    try {
      const saved = await portalApi.put<SpendCap>('/spend-cap', { capMinor });
      onSaved(saved ?? { capMinor });
      notifySuccess(
        capMinor === null
          ? 'The spend cap is removed.'
          : `Capped at ${formatMoney(capMinor, currency)} per period.`,
      );
    } catch (error) {
      if (error instanceof ApiError && error.fieldErrors['capMinor'])
        form.setFieldError('capMajor', error.fieldErrors['capMinor']);
      else showRequestError(form, error);
    } finally {
      setSaving(false);
    }
  };
  return (
    <form
      onSubmit={form.onSubmit(
        (values) =>
          void save(
            values.capMajor === ''
              ? null
              : Math.round(Number(values.capMajor) * 10 ** currencyMinorDigits(currency)),
          ),
      )}
      noValidate
    >
      <Group align="flex-end" gap="sm">
        <NumberInput
          label={`Cap per period (${currency.toUpperCase()})`}
          description={
            initial.capMinor === null ? 'No cap set' : `Now ${formatMoney(initial.capMinor, currency)}`
          }
          min={0.01}
          decimalScale={2}
          placeholder="e.g. 50"
          style={{ flex: 1, minWidth: 180 }}
          {...form.getInputProps('capMajor')}
        />
        <Button type="submit" loading={saving}>
          Save cap
        </Button>
        {initial.capMinor !== null ? (
          <Button variant="default" loading={saving} onClick={() => void save(null)}>
            Remove cap
          </Button>
        ) : null}
      </Group>
    </form>
  );
}

function CustomerPortalCard() {
  const [busy, setBusy] = useState(false);
  const [unavailable, setUnavailable] = useState(false);
  const open = async () => {
    setBusy(true);
    try {
      const { url } = await portalApi.post<{ url: string }>('/billing-portal');
      window.location.assign(url);
    } catch (error) {
      if (error instanceof ApiError && (error.isNotFound || error.status === 409)) setUnavailable(true);
      else notifyError(error, 'Could not open the billing portal');
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder padding="md">
      <Title order={2} size="h4" mb={4}>
        Invoices and payment method
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Download invoices, update your card and billing address in the secure customer portal.
      </Text>
      {unavailable ? (
        <Text size="sm" role="status">
          There is no billing account for you yet: it is created with your first paid plan.
        </Text>
      ) : (
        <Group>
          <Button variant="light" loading={busy} onClick={() => void open()}>
            Open invoices and payment details
          </Button>
        </Group>
      )}
    </Card>
  );
}
