import { Badge, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { type ReactNode } from 'react';
import { type PortalPlan } from '../portal-types';
import { planFacts } from './plan-facts';

export interface PlanCardProps {
  plan: PortalPlan;
  current?: boolean;
  action?: ReactNode;
  /** The plan name's heading level: 2 on a page of its own, 3 under the landing page's "Pricing". */
  headingOrder?: 2 | 3;
}

export function PlanCard({ plan, current = false, action, headingOrder = 2 }: PlanCardProps) {
  return (
    <Card withBorder padding="lg" radius="md" h="100%" data-testid={`plan-${plan.slug}`}>
      <Stack gap="sm" h="100%">
        <Group justify="space-between" align="flex-start">
          <Title order={headingOrder} size="h3">
            {plan.name}
          </Title>
          <Group gap={4}>
            {current ? <Badge color="teal">Current plan</Badge> : null}
            <Badge variant="light" color={plan.free ? 'gray' : 'indigo'}>
              {plan.free ? 'Free' : plan.tier}
            </Badge>
          </Group>
        </Group>
        {plan.description ? (
          <Text size="sm" c="dimmed">
            {plan.description}
          </Text>
        ) : null}
        <div>
          {(plan.priceSummary.length > 0 ? plan.priceSummary : ['No charge']).map((line) => (
            <Text key={line} fw={600}>
              {line}
            </Text>
          ))}
        </div>
        <List size="sm" spacing={4}>
          {planFacts(plan).map((fact) => (
            <List.Item key={fact}>{fact}</List.Item>
          ))}
        </List>
        <Text size="xs" c="dimmed">
          What counts: {plan.countingPolicy.summary}
        </Text>
        {action ? <div style={{ marginTop: 'auto' }}>{action}</div> : null}
      </Stack>
    </Card>
  );
}
