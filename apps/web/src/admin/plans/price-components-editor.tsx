import { ActionIcon, Button, Card, Group, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { type PriceComponentInput } from '@tollgate/plans-domain';
import { type ReactNode } from 'react';
import { type FieldErrors } from '../shared/field-errors';
import { newPriceComponent, type PriceType } from './new-price-component';

type Tier = { upTo: number | null; unitAmountMinor: number; flatAmountMinor?: number };

const typeLabels: Record<PriceType, string> = {
  flat: 'Flat fee per period',
  per_unit: 'Per unit',
  graduated: 'Graduated tiers',
  volume: 'Volume tiers',
  package: 'Package (per block of units)',
  percentage: 'Percentage of a transaction value',
  per_event: 'Per business event',
};

const toNumber = (value: string | number): number => (typeof value === 'number' ? value : Number.NaN);

/** Edits a plan's price components; `errors` are keyed `0.amountMinor`, `1.tiers.0.upTo`, … */
export function PriceComponentsEditor({
  prices,
  currency,
  errors,
  onChange,
}: {
  prices: PriceComponentInput[];
  currency: string;
  errors: FieldErrors;
  onChange: (prices: PriceComponentInput[]) => void;
}) {
  const update = (index: number, next: PriceComponentInput) =>
    onChange(prices.map((price, at) => (at === index ? next : price)));
  const remove = (index: number) => onChange(prices.filter((_, at) => at !== index));

  return (
    <Stack gap="sm">
      {prices.length === 0 ? (
        <Text size="sm" c="dimmed">
          No price components: the plan costs nothing (apart from any overage).
        </Text>
      ) : null}
      {prices.map((price, index) => (
        <Card key={index} withBorder padding="sm" aria-label={`Price component ${index + 1}`}>
          <Stack gap="xs">
            <Group justify="space-between" wrap="nowrap">
              <Select
                label={`Component ${index + 1} type`}
                data={Object.entries(typeLabels).map(([value, label]) => ({ value, label }))}
                value={price.type}
                allowDeselect={false}
                onChange={(value) => value && update(index, newPriceComponent(value as PriceType, currency))}
                style={{ flex: 1 }}
              />
              <ActionIcon
                variant="subtle"
                color="red"
                mt={24}
                aria-label={`Remove price component ${index + 1}`}
                onClick={() => remove(index)}
              >
                ✕
              </ActionIcon>
            </Group>
            <ComponentFields
              price={price}
              index={index}
              errors={errors}
              onChange={(next) => update(index, next)}
            />
            {errors[`${index}`] ? (
              <Text size="sm" c="red">
                {errors[`${index}`]}
              </Text>
            ) : null}
          </Stack>
        </Card>
      ))}
      <Group>
        <Button variant="light" onClick={() => onChange([...prices, newPriceComponent('flat', currency)])}>
          Add price component
        </Button>
      </Group>
    </Stack>
  );
}

function ComponentFields({
  price,
  index,
  errors,
  onChange,
}: {
  price: PriceComponentInput;
  index: number;
  errors: FieldErrors;
  onChange: (next: PriceComponentInput) => void;
}) {
  const error = (field: string) => errors[`${index}.${field}`];
  const label = (text: string) => `${text} (component ${index + 1})`;
  const money = (field: string, text: string, value: number | undefined, set: (value: number) => void) => (
    <NumberInput
      label={label(text)}
      description="Minor units (cents)"
      min={0}
      allowDecimal={false}
      value={value ?? ''}
      error={error(field)}
      onChange={(next) => set(toNumber(next))}
    />
  );
  const meter = (required: boolean) => (
    <TextInput
      label={label(required ? 'Meter' : 'Meter (blank: counted requests)')}
      value={(price as { meter?: string }).meter ?? ''}
      error={error('meter')}
      onChange={(event) => {
        const value = event.currentTarget.value;
        onChange({ ...price, meter: value === '' && !required ? undefined : value } as PriceComponentInput);
      }}
    />
  );

  switch (price.type) {
    case 'flat':
      return money('amountMinor', 'Amount per period', price.amountMinor, (amountMinor) =>
        onChange({ ...price, amountMinor }),
      );
    case 'per_unit':
      return (
        <Group grow align="flex-start">
          {money('unitAmountMinor', 'Price per unit', price.unitAmountMinor, (unitAmountMinor) =>
            onChange({ ...price, unitAmountMinor }),
          )}
          {meter(false)}
        </Group>
      );
    case 'package':
      return (
        <Group grow align="flex-start">
          <NumberInput
            label={label('Package size')}
            min={1}
            allowDecimal={false}
            value={price.packageSize}
            error={error('packageSize')}
            onChange={(next) => onChange({ ...price, packageSize: toNumber(next) })}
          />
          {money('amountMinor', 'Price per package', price.amountMinor, (amountMinor) =>
            onChange({ ...price, amountMinor }),
          )}
          {meter(false)}
        </Group>
      );
    case 'percentage':
      return (
        <Group grow align="flex-start">
          <NumberInput
            label={label('Percentage (basis points)')}
            description="250 = 2.5 %"
            min={0}
            max={10000}
            allowDecimal={false}
            value={price.percentBasisPoints}
            error={error('percentBasisPoints')}
            onChange={(next) => onChange({ ...price, percentBasisPoints: toNumber(next) })}
          />
          {money(
            'fixedAmountMinor',
            'Fixed fee per transaction',
            price.fixedAmountMinor,
            (fixedAmountMinor) => onChange({ ...price, fixedAmountMinor }),
          )}
          {meter(true)}
        </Group>
      );
    case 'per_event':
      return (
        <Group grow align="flex-start">
          <TextInput
            label={label('Event type')}
            value={price.eventType}
            error={error('eventType')}
            onChange={(event) => onChange({ ...price, eventType: event.currentTarget.value })}
          />
          {money('amountMinor', 'Price per event', price.amountMinor, (amountMinor) =>
            onChange({ ...price, amountMinor }),
          )}
        </Group>
      );
    case 'graduated':
    case 'volume':
      return (
        <TiersEditor
          tiers={price.tiers as Tier[]}
          index={index}
          errors={errors}
          meterField={meter(false)}
          onChange={(tiers) => onChange({ ...price, tiers })}
        />
      );
  }
}

function TiersEditor({
  tiers,
  index,
  errors,
  meterField,
  onChange,
}: {
  tiers: Tier[];
  index: number;
  errors: FieldErrors;
  meterField: ReactNode;
  onChange: (tiers: Tier[]) => void;
}) {
  const set = (at: number, tier: Tier) => onChange(tiers.map((current, i) => (i === at ? tier : current)));
  return (
    <Stack gap="xs">
      {tiers.map((tier, at) => {
        const error = (field: string) => errors[`${index}.tiers.${at}.${field}`];
        const label = (text: string) => `Tier ${at + 1} ${text} (component ${index + 1})`;
        return (
          <Group key={at} grow align="flex-start">
            <NumberInput
              label={label('up to')}
              description={at === tiers.length - 1 ? 'Blank: no upper bound' : 'Inclusive'}
              min={1}
              allowDecimal={false}
              value={tier.upTo ?? ''}
              error={error('upTo')}
              onChange={(next) => set(at, { ...tier, upTo: next === '' ? null : toNumber(next) })}
            />
            <NumberInput
              label={label('unit price')}
              description="Minor units"
              min={0}
              allowDecimal={false}
              value={tier.unitAmountMinor}
              error={error('unitAmountMinor')}
              onChange={(next) => set(at, { ...tier, unitAmountMinor: toNumber(next) })}
            />
            <NumberInput
              label={label('flat amount')}
              description="Optional, minor units"
              min={0}
              allowDecimal={false}
              value={tier.flatAmountMinor ?? ''}
              error={error('flatAmountMinor')}
              onChange={(next) =>
                set(at, { ...tier, flatAmountMinor: next === '' ? undefined : toNumber(next) })
              }
            />
          </Group>
        );
      })}
      {errors[`${index}.tiers`] ? (
        <Text size="sm" c="red">
          {errors[`${index}.tiers`]}
        </Text>
      ) : null}
      <Group>
        <Button
          size="xs"
          variant="subtle"
          onClick={() => onChange([...tiers, { upTo: null, unitAmountMinor: 0 }])}
        >
          Add tier
        </Button>
        {tiers.length > 1 ? (
          <Button size="xs" variant="subtle" color="red" onClick={() => onChange(tiers.slice(0, -1))}>
            Remove last tier
          </Button>
        ) : null}
      </Group>
      {meterField}
    </Stack>
  );
}
