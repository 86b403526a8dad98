import { Anchor, Box } from '@mantine/core';
import { type ReactNode } from 'react';
import { Link } from 'react-router';
import { Page } from '../../shared';

/** A page of the admin UI: the shared page frame, with an optional link back to its list. */
export function AdminPage({
  back,
  title,
  description,
  actions,
  children,
}: {
  back?: { to: string; label: string };
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Box maw={1200} mx="auto">
      {back ? (
        <Anchor component={Link} to={back.to} size="sm" display="inline-block" mb="xs">
          ← {back.label}
        </Anchor>
      ) : null}
      <Page title={title} description={description} actions={actions}>
        {children}
      </Page>
    </Box>
  );
}
