import { Anchor, Badge, Card, Group, Table, Text, Title } from '@mantine/core';
import { EmptyState, ErrorState, formatDate, formatMoney, useResource } from '../../shared';
import { portalApi } from '../portal-api';
import { type PortalInvoice } from '../portal-types';

const statusColors: Record<string, string> = {
  paid: 'teal',
  open: 'blue',
  draft: 'gray',
  void: 'gray',
  uncollectible: 'red',
};

const statusLabels: Record<string, string> = {
  paid: 'Paid',
  open: 'Due',
  draft: 'Draft',
  void: 'Void',
  uncollectible: 'Uncollectible',
};

function InvoiceStatusBadge({ status }: { status: string }) {
  return (
    <Badge color={statusColors[status] ?? 'gray'} variant="light">
      {statusLabels[status] ?? status}
    </Badge>
  );
}

function InvoiceLinks({ invoice }: { invoice: PortalInvoice }) {
  const name = invoice.number ?? 'draft invoice';
  if (!invoice.hostedInvoiceUrl && !invoice.invoicePdfUrl) {
    return (
      <Text size="sm" c="dimmed">
        Not issued yet
      </Text>
    );
  }
  return (
    <Group gap="sm" wrap="nowrap">
      {invoice.hostedInvoiceUrl ? (
        <Anchor
          href={invoice.hostedInvoiceUrl}
          target="_blank"
          rel="noopener noreferrer"
          size="sm"
          aria-label={`View invoice ${name}`}
        >
          View
        </Anchor>
      ) : null}
      {invoice.invoicePdfUrl ? (
        <Anchor
          href={invoice.invoicePdfUrl}
          target="_blank"
          rel="noopener noreferrer"
          size="sm"
          aria-label={`Download invoice ${name} as PDF`}
        >
          PDF
        </Anchor>
      ) : null}
    </Group>
  );
}

function InvoicesTable({ invoices }: { invoices: PortalInvoice[] }) {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table striped aria-label="Invoices">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Invoice</Table.Th>
            <Table.Th>Period</Table.Th>
            <Table.Th ta="right">Amount</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Documents</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {invoices.map((invoice) => (
            <Table.Tr key={invoice.id} data-testid="invoice-row">
              <Table.Td>{invoice.number ?? 'Draft'}</Table.Td>
              <Table.Td>
                {formatDate(invoice.periodStart)} – {formatDate(invoice.periodEnd)}
              </Table.Td>
              <Table.Td ta="right">{formatMoney(invoice.amountDueMinor, invoice.currency)}</Table.Td>
              <Table.Td>
                <InvoiceStatusBadge status={invoice.status} />
              </Table.Td>
              <Table.Td>
                <InvoiceLinks invoice={invoice} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/**
 * The developer's recent invoices from the billing provider. Without a billing provider the
 * endpoint answers 404 and the card is not shown at all.
 */
export function InvoicesCard() {
  const invoices = useResource(
    'invoices',
    (signal) => portalApi.get<PortalInvoice[]>('/invoices?limit=12', { signal }),
    { notFoundAsEmpty: true },
  );
  // Not known yet, or no billing provider: nothing to show.
  if (invoices.data === undefined && invoices.error === undefined) return null;
  return (
    <Card withBorder padding="md">
      <Title order={2} size="h4" mb={4}>
        Invoices
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Your most recent invoices. Open one to see its lines or pay it, or download it as a PDF.
      </Text>
      {invoices.error !== undefined ? (
        <ErrorState error={invoices.error} title="Could not load your invoices" onRetry={invoices.reload} />
      ) : invoices.data && invoices.data.length > 0 ? (
        <InvoicesTable invoices={invoices.data} />
      ) : (
        <EmptyState
          title="No invoices yet"
          description="Invoices appear here once a billing period on a paid plan has been billed."
        />
      )}
    </Card>
  );
}
