import { Badge, Grid, Paper, ScrollArea, Stack, Table, Text, Title, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import { ApiError, EmptyState, Page, ResourceView, useResource } from '../../shared';
import { useAdminSession } from '../shared/admin-session';
import { formatDateTime } from '../shared/format';
import { OptionalEndpoint } from '../shared/optional-endpoint';

interface OutboxEntry {
  file: string;
  to: string[];
  subject: string;
  date: string;
  messageId: string;
}

interface OutboxMessage extends OutboxEntry {
  from: string;
  text?: string;
  html?: string;
}

function MessageView({ file }: { file: string }) {
  const { api } = useAdminSession();
  const message = useResource(`outbox:${file}`, (signal) =>
    api.get<OutboxMessage>(`/outbox/${encodeURIComponent(file)}`, { signal }),
  );
  return (
    <ResourceView resource={message}>
      {(data) => (
        <Stack gap="xs">
          <Title order={2} size="h4">
            {data.subject || '(no subject)'}
          </Title>
          <Text size="sm">
            From {data.from} to {data.to.join(', ')}
          </Text>
          <Text size="xs" c="dimmed">
            {formatDateTime(data.date)}
          </Text>
          <ScrollArea.Autosize mah={480}>
            <Text
              component="pre"
              size="sm"
              style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', fontFamily: 'inherit' }}
            >
              {data.text ?? '(HTML only)'}
            </Text>
          </ScrollArea.Autosize>
        </Stack>
      )}
    </ResourceView>
  );
}

function Outbox() {
  const { api } = useAdminSession();
  const [selected, setSelected] = useState<string | null>(null);
  const outbox = useResource(
    'outbox',
    (signal) => api.get<{ messages: OutboxEntry[] }>('/outbox', { signal }),
    {
      refreshMs: 10_000,
    },
  );
  if (outbox.error instanceof ApiError && outbox.error.isNotFound) {
    return (
      <EmptyState
        title="Mail goes to your SMTP server"
        description="The outbox holds the mail of an installation without SMTP_URL (embedded mode)."
      />
    );
  }
  return (
    <ResourceView
      resource={outbox}
      isEmpty={(data) => data.messages.length === 0}
      empty={
        <EmptyState
          title="No mail sent yet"
          description="Verification, password-reset and alert mail appears here."
        />
      }
    >
      {(data) => (
        <Grid>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Table.ScrollContainer minWidth={420}>
              <Table highlightOnHover aria-label="Sent mail">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Subject</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>Sent</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {data.messages.map((entry) => (
                    <Table.Tr
                      key={entry.file}
                      bg={entry.file === selected ? 'var(--mantine-color-indigo-0)' : undefined}
                    >
                      <Table.Td>
                        <UnstyledButton
                          onClick={() => setSelected(entry.file)}
                          aria-pressed={entry.file === selected}
                          fz="sm"
                          fw={500}
                        >
                          {entry.subject || '(no subject)'}
                        </UnstyledButton>
                      </Table.Td>
                      <Table.Td>{entry.to.join(', ')}</Table.Td>
                      <Table.Td>{formatDateTime(entry.date)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Paper withBorder p="md">
              {selected ? (
                <MessageView file={selected} />
              ) : (
                <Text c="dimmed">Choose a message to read it.</Text>
              )}
            </Paper>
          </Grid.Col>
        </Grid>
      )}
    </ResourceView>
  );
}

/** Embedded mode: the mail Tollgate would have sent, kept as files in the outbox. */
export function OutboxPage() {
  return (
    <Page
      title="Outbox"
      description={
        <>
          Mail written to the outbox folder instead of an SMTP server <Badge size="xs">embedded mode</Badge>
        </>
      }
    >
      <OptionalEndpoint pathTemplate="/api/admin/outbox" what="The outbox">
        <Outbox />
      </OptionalEndpoint>
    </Page>
  );
}
