import { Anchor, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { type ReactNode } from 'react';
import { Link } from 'react-router';

export interface AuthCardProps {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}

/** The centred card of the sign-in, sign-up, verification and reset pages. */
export function AuthCard({ title, subtitle, children, footer }: AuthCardProps) {
  return (
    <Center mih="calc(100vh - 120px)" py="lg">
      <Stack w="100%" maw={440} gap="md">
        <Paper withBorder shadow="sm" p="xl" radius="md">
          <Stack gap="md">
            <div>
              <Title order={1} size="h2">
                {title}
              </Title>
              {subtitle ? (
                <Text c="dimmed" size="sm" mt={4}>
                  {subtitle}
                </Text>
              ) : null}
            </div>
            {children}
          </Stack>
        </Paper>
        {footer ? (
          <Text ta="center" size="sm">
            {footer}
          </Text>
        ) : null}
      </Stack>
    </Center>
  );
}

export function PortalLink({ to, children }: { to: string; children: ReactNode }) {
  return (
    <Anchor component={Link} to={to}>
      {children}
    </Anchor>
  );
}
