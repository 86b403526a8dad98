import { AppShell, Burger, Group, NavLink as MantineNavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { type ReactNode } from 'react';
import { Link, useLocation } from 'react-router';

export interface NavItem {
  /** Absolute path, e.g. `/portal/keys`. */
  to: string;
  label: string;
  /** Active only on this exact path (for index pages). */
  exact?: boolean;
}

export interface LayoutShellProps {
  /** Shown next to the logo, e.g. "Developer portal". */
  area: string;
  /** Where the logo links to. */
  home: string;
  nav?: NavItem[];
  /** Right side of the header, e.g. the signed-in user and a sign-out button. */
  headerRight?: ReactNode;
  children: ReactNode;
}

/** The page frame of the portal and the admin UI: header, a navigation bar (a drawer on phones), content. */
export function LayoutShell({ area, home, nav = [], headerRight, children }: LayoutShellProps) {
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const hasNav = nav.length > 0;
  return (
    <AppShell
      header={{ height: 56 }}
      navbar={hasNav ? { width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } } : undefined}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            {hasNav ? (
              <Burger
                opened={opened}
                onClick={toggle}
                hiddenFrom="sm"
                size="sm"
                aria-label={opened ? 'Close navigation' : 'Open navigation'}
              />
            ) : null}
            <Link to={home} style={{ textDecoration: 'none', color: 'inherit' }}>
              <Group gap={6} wrap="nowrap">
                <Title order={4} component="span">
                  Tollgate
                </Title>
                <Text c="dimmed" size="sm" visibleFrom="xs">
                  {area}
                </Text>
              </Group>
            </Link>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {headerRight}
          </Group>
        </Group>
      </AppShell.Header>
      {hasNav ? (
        <AppShell.Navbar p="xs" aria-label={`${area} navigation`}>
          <ScrollArea>
            {nav.map((item) => {
              const active = item.exact
                ? location.pathname === item.to
                : location.pathname === item.to || location.pathname.startsWith(`${item.to}/`);
              return (
                <MantineNavLink
                  key={item.to}
                  component={Link}
                  to={item.to}
                  label={item.label}
                  active={active}
                  aria-current={active ? 'page' : undefined}
                  onClick={close}
                />
              );
            })}
          </ScrollArea>
        </AppShell.Navbar>
      ) : null}
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}

export interface PageProps {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}

/** A page inside the shell: heading, optional description and actions, then the content. */
export function Page({ title, description, actions, children }: PageProps) {
  return (
    <div style={{ maxWidth: 1200, margin: '0 auto' }}>
      <Group justify="space-between" align="flex-start" mb="md" gap="sm">
        <div>
          <Title order={1} size="h2">
            {title}
          </Title>
          {description ? (
            <Text c="dimmed" size="sm" mt={4}>
              {description}
            </Text>
          ) : null}
        </div>
        {actions ? <Group gap="sm">{actions}</Group> : null}
      </Group>
      {children}
    </div>
  );
}
