import {
  Alert,
  Button,
  Checkbox,
  Divider,
  Group,
  MultiSelect,
  NumberInput,
  Paper,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  TagsInput,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import {
  countersUnavailablePolicies,
  pastDuePolicies,
  planCreateSchema,
  planPatchSchema,
  planTiers,
  quotaPeriods,
} from '@tollgate/plans-domain';
import { type FormEvent, type ReactNode, useState } from 'react';
import { type UpstreamApi } from '../shared/admin-types';
import {
  apiFieldErrors,
  errorsUnder,
  type FieldErrors,
  unplacedErrors,
  validate,
} from '../shared/field-errors';
import { useResource } from '../../shared/use-resource';
import { useAdminSession } from '../shared/admin-session';
import { ExampleInvoice } from './example-invoice';
import {
  formToCreateBody,
  formToPatchBody,
  type NumberField,
  placedPlanFields,
  type PlanFormValues,
} from './plan-form';
import { PriceComponentsEditor } from './price-components-editor';

const tierLabels: Record<string, string> = {
  free: 'Free',
  pay_per_call: 'Pay per call',
  subscription: 'Subscription',
  enterprise: 'Enterprise',
};

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap="sm">
        <Title order={2} size="h4">
          {title}
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

/** The API body field each form value feeds (its errors are keyed by it). */
const apiFieldOf: Record<keyof PlanFormValues, string> = {
  name: 'name',
  slug: 'slug',
  tier: 'tier',
  description: 'description',
  isPublic: 'isPublic',
  quotaLimit: 'quota.limit',
  quotaPeriod: 'quota.period',
  rateLimited: 'rateLimit',
  perSecond: 'rateLimit.perSecond',
  burst: 'rateLimit.burst',
  concurrency: 'concurrency',
  allowedEndpoints: 'allowedEndpoints',
  overageEnabled: 'overage',
  overageBufferPercent: 'overage.bufferPercent',
  overageUnitPriceMinor: 'overage.unitPriceMinor',
  currency: 'currency',
  alertThresholds: 'alertThresholds',
  count4xx: 'countPolicy.count4xx',
  count5xx: 'countPolicy.count5xx',
  prices: 'prices',
  trialDays: 'trialDays',
  countersUnavailable: 'countersUnavailable',
  gracePeriodDays: 'gracePeriodDays',
  pastDuePolicy: 'pastDuePolicy',
  metersJson: 'meters',
};

const asNumber = (value: string | number): NumberField => (typeof value === 'number' ? value : '');

/**
 * Every field of a plan, validated with the API's own schema before sending; the API's field
 * errors land on the same inputs.
 */
export function PlanEditor({
  mode,
  initial,
  submitLabel,
  onSubmit,
}: {
  mode: 'create' | 'edit';
  initial: PlanFormValues;
  submitLabel: string;
  /** Sends the body; throws the API error to show. */
  onSubmit: (body: object) => Promise<void>;
}) {
  const { api, canWrite } = useAdminSession();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saving, setSaving] = useState(false);
  const apis = useResource('apis', (signal) => api.get<UpstreamApi[]>('/apis', { signal }));
  const endpointOptions = [
    ...new Set([
      ...(apis.data ?? []).flatMap((upstream) => upstream.routes.map((route) => route.endpoint)),
      ...values.allowedEndpoints,
    ]),
  ];

  const set = <K extends keyof PlanFormValues>(field: K, value: PlanFormValues[K]) => {
    setValues((current) => ({ ...current, [field]: value }));
    // The errors of the API field this input edits go once it changes.
    const apiField = apiFieldOf[field];
    setErrors((current) => {
      const kept = Object.entries(current).filter(
        ([path]) => path !== '_' && path !== apiField && !path.startsWith(`${apiField}.`),
      );
      return kept.length === Object.keys(current).length ? current : Object.fromEntries(kept);
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const body = mode === 'create' ? formToCreateBody(values) : formToPatchBody(values);
    const checked = validate(mode === 'create' ? planCreateSchema : planPatchSchema, body);
    if (!checked.ok) {
      setErrors(checked.errors);
      return;
    }
    setErrors({});
    setSaving(true);
    try {
      await onSubmit(body);
    } catch (error) {
      setErrors(apiFieldErrors(error));
    } finally {
      setSaving(false);
    }
  };

  const general = unplacedErrors(errors, placedPlanFields);

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-label="Plan">
      <Stack gap="md">
        <Section title="General">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Name"
              required
              value={values.name}
              error={errors.name}
              onChange={(event) => set('name', event.currentTarget.value)}
            />
            <TextInput
              label="Slug"
              description={mode === 'create' ? 'Blank: derived from the name' : undefined}
              value={values.slug}
              error={errors.slug}
              onChange={(event) => set('slug', event.currentTarget.value)}
            />
            <Select
              label="Tier"
              data={planTiers.map((tier) => ({ value: tier, label: tierLabels[tier] }))}
              value={values.tier}
              allowDeselect={false}
              error={errors.tier}
              onChange={(value) => value && set('tier', value as PlanFormValues['tier'])}
            />
            <TextInput
              label="Currency"
              description="ISO 4217, e.g. usd; every price and the overage use it"
              value={values.currency}
              error={errors.currency}
              onChange={(event) => set('currency', event.currentTarget.value.toLowerCase())}
            />
          </SimpleGrid>
          <Textarea
            label="Description"
            autosize
            minRows={2}
            value={values.description}
            error={errors.description}
            onChange={(event) => set('description', event.currentTarget.value)}
          />
          <Switch
            label="Public: listed on the pricing page and selectable in the portal"
            checked={values.isPublic}
            onChange={(event) => set('isPublic', event.currentTarget.checked)}
          />
        </Section>

        <Section title="Quota and limits">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <NumberInput
              label="Quota (counted requests per period)"
              required
              min={0}
              allowDecimal={false}
              thousandSeparator=","
              value={values.quotaLimit}
              error={errors['quota.limit'] ?? errors.quota}
              onChange={(value) => set('quotaLimit', asNumber(value))}
            />
            <Select
              label="Quota period"
              data={quotaPeriods.map((period) => ({
                value: period,
                label: period === 'month' ? 'Billing period (month)' : 'Day',
              }))}
              value={values.quotaPeriod}
              allowDeselect={false}
              error={errors['quota.period']}
              onChange={(value) => value && set('quotaPeriod', value as PlanFormValues['quotaPeriod'])}
            />
          </SimpleGrid>
          <Switch
            label="Rate limit"
            checked={values.rateLimited}
            onChange={(event) => set('rateLimited', event.currentTarget.checked)}
          />
          {values.rateLimited ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput
                label="Requests per second"
                min={1}
                allowDecimal={false}
                value={values.perSecond}
                error={errors['rateLimit.perSecond'] ?? errors.rateLimit}
                onChange={(value) => set('perSecond', asNumber(value))}
              />
              <NumberInput
                label="Burst"
                description="Token-bucket size; blank: the rate per second"
                min={1}
                allowDecimal={false}
                value={values.burst}
                error={errors['rateLimit.burst']}
                onChange={(value) => set('burst', asNumber(value))}
              />
            </SimpleGrid>
          ) : null}
          <NumberInput
            label="Concurrency"
            description="Simultaneous requests; blank: unlimited"
            min={1}
            allowDecimal={false}
            value={values.concurrency}
            error={errors.concurrency}
            onChange={(value) => set('concurrency', asNumber(value))}
          />
        </Section>

        <Section title="Endpoint access">
          <MultiSelect
            label="Allowed endpoints"
            description="None selected: every endpoint"
            placeholder={values.allowedEndpoints.length === 0 ? 'Every endpoint' : undefined}
            data={endpointOptions}
            searchable
            value={values.allowedEndpoints}
            error={errors.allowedEndpoints ?? Object.entries(errorsUnder(errors, 'allowedEndpoints'))[0]?.[1]}
            onChange={(value) => set('allowedEndpoints', value)}
            nothingFoundMessage="No such endpoint: add routes to an API first"
          />
        </Section>

        <Section title="Overage">
          <Switch
            label="Allow overage (otherwise requests beyond the quota are refused)"
            checked={values.overageEnabled}
            onChange={(event) => set('overageEnabled', event.currentTarget.checked)}
          />
          {values.overageEnabled ? (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <NumberInput
                label="Overage buffer (% of the quota)"
                description="Requests up to quota × (1 + buffer) pass, then a hard block"
                min={1}
                max={1000}
                allowDecimal={false}
                value={values.overageBufferPercent}
                error={errors['overage.bufferPercent'] ?? errors.overage}
                onChange={(value) => set('overageBufferPercent', asNumber(value))}
              />
              <NumberInput
                label="Overage unit price (minor units)"
                description="Per counted request beyond the quota"
                min={0}
                allowDecimal={false}
                value={values.overageUnitPriceMinor}
                error={errors['overage.unitPriceMinor'] ?? errors['overage.currency']}
                onChange={(value) => set('overageUnitPriceMinor', asNumber(value))}
              />
            </SimpleGrid>
          ) : null}
        </Section>

        <Section title="Alerts and counting">
          <TagsInput
            label="Alert thresholds (% of the quota)"
            description="Strictly ascending, e.g. 80, 95, 100; press Enter after each"
            value={values.alertThresholds}
            error={errors.alertThresholds ?? Object.values(errorsUnder(errors, 'alertThresholds'))[0]}
            onChange={(value) => set('alertThresholds', value)}
          />
          <Group>
            <Checkbox
              label="Count 4xx responses against the quota"
              checked={values.count4xx}
              onChange={(event) => set('count4xx', event.currentTarget.checked)}
            />
            <Checkbox
              label="Count 5xx responses against the quota"
              checked={values.count5xx}
              onChange={(event) => set('count5xx', event.currentTarget.checked)}
            />
          </Group>
        </Section>

        <Section title="Prices">
          <PriceComponentsEditor
            prices={values.prices}
            currency={values.currency}
            errors={errorsUnder(errors, 'prices')}
            onChange={(prices) => set('prices', prices)}
          />
          <Divider />
          <ExampleInvoice
            prices={values.prices}
            currency={values.currency || 'usd'}
            quota={
              typeof values.quotaLimit === 'number'
                ? { limit: values.quotaLimit, period: values.quotaPeriod }
                : null
            }
            overage={
              values.overageEnabled && typeof values.overageUnitPriceMinor === 'number'
                ? { unitPriceMinor: values.overageUnitPriceMinor }
                : null
            }
          />
        </Section>

        <Section title="Trial and payment">
          <SimpleGrid cols={{ base: 1, sm: 3 }}>
            <NumberInput
              label="Trial days"
              min={0}
              max={365}
              allowDecimal={false}
              value={values.trialDays}
              error={errors.trialDays}
              onChange={(value) => set('trialDays', asNumber(value))}
            />
            <NumberInput
              label="Grace period (days)"
              description="A past-due subscription keeps its plan this long"
              min={0}
              max={90}
              allowDecimal={false}
              value={values.gracePeriodDays}
              error={errors.gracePeriodDays}
              onChange={(value) => set('gracePeriodDays', asNumber(value))}
            />
            <Select
              label="After the grace period"
              data={pastDuePolicies.map((policy) => ({
                value: policy,
                label: policy === 'downgrade' ? 'Downgrade to the free plan' : "Suspend the consumer's keys",
              }))}
              value={values.pastDuePolicy}
              allowDeselect={false}
              error={errors.pastDuePolicy}
              onChange={(value) => value && set('pastDuePolicy', value as PlanFormValues['pastDuePolicy'])}
            />
          </SimpleGrid>
        </Section>

        <Section title="Advanced">
          <Select
            label="While the quota counters are unreachable"
            data={countersUnavailablePolicies.map((policy) => ({
              value: policy,
              label: policy === 'reject' ? 'Reject requests (503)' : 'Admit through node-local limits',
            }))}
            value={values.countersUnavailable}
            allowDeselect={false}
            error={errors.countersUnavailable}
            onChange={(value) =>
              value && set('countersUnavailable', value as PlanFormValues['countersUnavailable'])
            }
          />
          <Textarea
            label="Meters (JSON)"
            description='Billable metrics beyond the request count, e.g. [{"slug":"sms","aggregation":"sum","valueKey":"sms"}]'
            autosize
            minRows={2}
            styles={{ input: { fontFamily: 'monospace' } }}
            value={values.metersJson}
            error={
              errors.meters ??
              Object.entries(errorsUnder(errors, 'meters')).map(
                ([field, message]) => `${field}: ${message}`,
              )[0]
            }
            onChange={(event) => set('metersJson', event.currentTarget.value)}
          />
        </Section>

        {general.length > 0 ? (
          <Alert color="red" title="The plan was not saved" role="alert">
            {general.map((message) => (
              <Text size="sm" key={message}>
                {message}
              </Text>
            ))}
          </Alert>
        ) : Object.keys(errors).length > 0 ? (
          <Alert color="red" role="alert">
            Some fields need attention (marked above).
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button type="submit" loading={saving} disabled={!canWrite}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
