import { Alert, Group, NumberInput, Stack, Table, Text, Title } from '@mantine/core';
import { rate, type InvoiceEstimate } from '@tollgate/billing-rating';
import { type PriceComponentInput } from '@tollgate/plans-domain';
import { useMemo, useState } from 'react';
import { formatMoney, formatNumber } from '../shared/format';

interface ExampleUsage {
  requests: number;
  meters: Record<string, number>;
  events: Record<string, number>;
  transactions: Record<string, { count: number; valueMinor: number }>;
}

/** The usage inputs a set of components needs: their meters, event types and percentage meters. */
function usageKeys(prices: PriceComponentInput[]) {
  const meters = new Set<string>();
  const events = new Set<string>();
  const transactions = new Set<string>();
  for (const price of prices) {
    if (price.type === 'per_event') events.add(price.eventType);
    else if (price.type === 'percentage') transactions.add(price.meter);
    else if ('meter' in price && price.meter && price.meter !== 'requests') meters.add(price.meter);
  }
  return { meters: [...meters], events: [...events], transactions: [...transactions] };
}

/**
 * A live example invoice for the plan being edited: the rating engine that bills real periods,
 * run in the browser on a month with the usage entered here.
 */
export function ExampleInvoice({
  prices,
  currency,
  quota,
  overage,
}: {
  prices: PriceComponentInput[];
  currency: string;
  quota: { limit: number; period: 'month' | 'day' } | null;
  overage: { unitPriceMinor: number } | null;
}) {
  const [usage, setUsage] = useState<ExampleUsage>({
    requests: quota ? Math.round(quota.limit * 1.05) : 1000,
    meters: {},
    events: {},
    transactions: {},
  });
  const keys = usageKeys(prices);

  const estimate = useMemo((): { invoice?: InvoiceEstimate; error?: string } => {
    const periodStart = new Date(Date.UTC(2026, 0, 1));
    const periodEnd = new Date(Date.UTC(2026, 1, 1));
    try {
      return {
        invoice: rate({
          currency,
          periodStart,
          periodEnd,
          plan: {
            prices: prices.map((price) => ({ ...price, currency })) as never,
            overage: overage && quota ? { unitPriceMinor: overage.unitPriceMinor, currency } : null,
            quota: quota ?? undefined,
          },
          usage: {
            requests: usage.requests,
            meters: usage.meters,
            events: usage.events,
            transactions: usage.transactions,
            ...(quota?.period === 'day'
              ? { requestsPerQuotaWindow: spreadOverDays(usage.requests, 31) }
              : {}),
          },
        }),
      };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }, [prices, currency, quota, overage, usage]);

  const numberField = (label: string, value: number, set: (value: number) => void) => (
    <NumberInput
      key={label}
      label={label}
      min={0}
      allowDecimal={false}
      value={value}
      onChange={(next) => set(typeof next === 'number' ? next : 0)}
      w={200}
    />
  );

  return (
    <Stack gap="sm" aria-labelledby="example-invoice-title">
      <Title order={3} size="h4" id="example-invoice-title">
        Example invoice
      </Title>
      <Text size="sm" c="dimmed">
        What a month with this usage would cost on the plan as edited (January 2026, one plan all month).
      </Text>
      <Group align="flex-end">
        {numberField('Example counted requests', usage.requests, (requests) =>
          setUsage({ ...usage, requests }),
        )}
        {keys.meters.map((meter) =>
          numberField(`Example units of ${meter}`, usage.meters[meter] ?? 0, (value) =>
            setUsage({ ...usage, meters: { ...usage.meters, [meter]: value } }),
          ),
        )}
        {keys.events.map((event) =>
          numberField(`Example ${event} events`, usage.events[event] ?? 0, (value) =>
            setUsage({ ...usage, events: { ...usage.events, [event]: value } }),
          ),
        )}
        {keys.transactions.map((meter) => {
          const current = usage.transactions[meter] ?? { count: 0, valueMinor: 0 };
          return [
            numberField(`Example ${meter} transactions`, current.count, (count) =>
              setUsage({ ...usage, transactions: { ...usage.transactions, [meter]: { ...current, count } } }),
            ),
            numberField(`Example ${meter} value (minor units)`, current.valueMinor, (valueMinor) =>
              setUsage({
                ...usage,
                transactions: { ...usage.transactions, [meter]: { ...current, valueMinor } },
              }),
            ),
          ];
        })}
      </Group>
      {estimate.error ? (
        <Alert color="yellow" title="No example while the prices are incomplete">
          {estimate.error}
        </Alert>
      ) : estimate.invoice ? (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="Example invoice lines">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Line</Table.Th>
                <Table.Th ta="right">Quantity</Table.Th>
                <Table.Th ta="right">Unit price (minor units)</Table.Th>
                <Table.Th ta="right">Amount</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {estimate.invoice.lines.length === 0 ? (
                <Table.Tr>
                  <Table.Td colSpan={4}>
                    <Text size="sm" c="dimmed">
                      Nothing to bill.
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ) : (
                estimate.invoice.lines.map((line, index) => (
                  <Table.Tr key={index}>
                    <Table.Td>{line.description}</Table.Td>
                    <Table.Td ta="right">{formatNumber(line.quantity)}</Table.Td>
                    <Table.Td ta="right">{line.unitAmountDecimal}</Table.Td>
                    <Table.Td ta="right">{formatMoney(line.amountMinor, currency)}</Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
            <Table.Tfoot>
              <Table.Tr>
                <Table.Th colSpan={3}>Total</Table.Th>
                <Table.Th ta="right" data-testid="example-invoice-total">
                  {formatMoney(estimate.invoice.subtotalMinor, currency)}
                </Table.Th>
              </Table.Tr>
            </Table.Tfoot>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </Stack>
  );
}

/** `total` requests spread evenly over `days` quota windows. */
function spreadOverDays(total: number, days: number): number[] {
  const base = Math.floor(total / days);
  return Array.from({ length: days }, (_, day) => base + (day < total % days ? 1 : 0));
}
