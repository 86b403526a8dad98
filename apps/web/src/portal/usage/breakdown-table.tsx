import { Table, Text } from '@mantine/core';
import { EmptyState, formatNumber } from '../../shared';
import { type UsageBreakdown } from '../portal-types';

export interface BreakdownTableProps {
  breakdown: UsageBreakdown;
  /** Heading of the key column: "Endpoint" or "Status". */
  label: string;
}

export function BreakdownTable({ breakdown, label }: BreakdownTableProps) {
  const rows = [...breakdown.rows].sort((a, b) => b.totalRequests - a.totalRequests);
  if (rows.length === 0) {
    return (
      <EmptyState
        title="No requests yet"
        description="Calls made with your keys show up here within seconds."
      />
    );
  }
  return (
    <Table.ScrollContainer minWidth={360}>
      <Table
        striped
        highlightOnHover
        aria-label={`Usage by ${label.toLowerCase()}`}
        data-testid={`breakdown-${breakdown.by}`}
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{label}</Table.Th>
            <Table.Th ta="right">Counted</Table.Th>
            <Table.Th ta="right">All requests</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.key}>
              <Table.Td>
                <Text size="sm" ff="monospace">
                  {row.key}
                </Text>
              </Table.Td>
              <Table.Td ta="right">{formatNumber(row.requests)}</Table.Td>
              <Table.Td ta="right">{formatNumber(row.totalRequests)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
