import { Anchor, Box, Button, Container, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import { createApiClient, EmptyState, ResourceView, useResource } from '../shared';
import { PlanCard } from '../portal/plans/plan-card';
import { type PortalPlan } from '../portal/portal-types';

const publicApi = createApiClient({ basePath: '/api/portal' });

/** `/`: what the API offers and the public plans, with the way into the portal. */
export function LandingPage() {
  const plans = useResource('public-plans', (signal) => publicApi.get<PortalPlan[]>('/plans', { signal }));
  return (
    <Box>
      <Box
        component="header"
        py="sm"
        px="md"
        style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }}
      >
        <Group justify="space-between" maw={1200} mx="auto">
          <Title order={4} component="span">
            Tollgate
          </Title>
          <Group gap="xs">
            <Button component={Link} to="/portal/login" variant="subtle" size="sm">
              Sign in
            </Button>
            <Button component={Link} to="/portal/signup" size="sm">
              Get an API key
            </Button>
          </Group>
        </Group>
      </Box>
      <Container size="lg" py={48} component="main">
        <Stack gap="sm" align="center" ta="center" mb={40}>
          <Title order={1} fz={{ base: 32, sm: 44 }}>
            Build on our API in minutes
          </Title>
          <Text size="lg" c="dimmed" maw={640}>
            Sign up, verify your email and get a key right away. Watch your usage live, get warned before you
            reach your quota, and upgrade when you need more.
          </Text>
          <Group mt="sm">
            <Button component={Link} to="/portal/signup" size="md">
              Start for free
            </Button>
            <Button component={Link} to="/portal/login" size="md" variant="default">
              Developer portal
            </Button>
          </Group>
        </Stack>
        <Title order={2} mb="md" id="pricing">
          Pricing
        </Title>
        <ResourceView
          resource={plans}
          loadingLabel="Loading the plans…"
          isEmpty={(list) => list.length === 0}
          empty={<EmptyState title="No public plans yet" />}
        >
          {(list) => (
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              {list.map((plan) => (
                <PlanCard
                  key={plan.id}
                  plan={plan}
                  headingOrder={3}
                  action={
                    <Button
                      component={Link}
                      to="/portal/signup"
                      fullWidth
                      variant={plan.free ? 'default' : 'filled'}
                    >
                      {plan.free ? 'Start free' : `Choose ${plan.name}`}
                    </Button>
                  }
                />
              ))}
            </SimpleGrid>
          )}
        </ResourceView>
        <Text size="sm" c="dimmed" ta="center" mt={40}>
          Running this installation?{' '}
          <Anchor component={Link} to="/admin" underline="always">
            Open the admin console
          </Anchor>
        </Text>
      </Container>
    </Box>
  );
}
