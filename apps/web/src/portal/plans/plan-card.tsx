import { Badge, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { type ReactNode } from 'react';
import { formatMoney, formatNumber } from '../../shared';
import { type PortalPlan } from '../portal-types';

/** The facts of a plan in plain words, from `GET /api/portal/plans`. */
export function planFacts(plan: PortalPlan): string[] {
  const facts = [`${formatNumber(plan.quota.limit)} requests per ${plan.quota.period}`];
  if (plan.rateLimit)
    facts.push(
      `Up to ${formatNumber(plan.rateLimit.perSecond)} requests per second (bursts of ${formatNumber(plan.rateLimit.burst)})`,
    );
  if (plan.concurrency) facts.push(`${formatNumber(plan.concurrency)} requests in flight at once`);
  if (plan.overage) {
    facts.push(
      plan.overage.unitPriceMinor > 0
        ? `Beyond the quota: ${formatMoney(plan.overage.unitPriceMinor, plan.overage.currency)} per request (up to ${plan.overage.bufferPercent} % more)`
        : `Beyond the quota: up to ${plan.overage.bufferPercent} % more at no charge`,
    );
  } else {
    facts.push('Requests beyond the quota are refused until the quota resets');
  }
  if (plan.trialDays > 0) facts.push(`${plan.trialDays}-day free trial`);
  return facts;
}

export interface PlanCardProps {
  plan: PortalPlan;
  current?: boolean;
  action?: ReactNode;
}

export function PlanCard({ plan, current = false, action }: PlanCardProps) {
  return (
    <Card withBorder padding="lg" radius="md" h="100%" data-testid={`plan-${plan.slug}`}>
      <Stack gap="sm" h="100%">
        <Group justify="space-between" align="flex-start">
          <Title order={3}>{plan.name}</Title>
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
