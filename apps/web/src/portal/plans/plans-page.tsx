import { Button, SimpleGrid } from '@mantine/core';
import { useState } from 'react';
import {
  ApiError,
  EmptyState,
  notifyError,
  notifySuccess,
  Page,
  ResourceView,
  useResource,
} from '../../shared';
import { portalApi } from '../portal-api';
import { usePortalSession, useProfile } from '../portal-session';
import { type PortalPlan } from '../portal-types';
import { PlanCard } from './plan-card';

export function PlansPage() {
  const profile = useProfile();
  const { reload } = usePortalSession();
  const plans = useResource('plans', (signal) => portalApi.get<PortalPlan[]>('/plans', { signal }));
  const [busy, setBusy] = useState<string | undefined>();

  const choose = async (plan: PortalPlan) => {
    setBusy(plan.id);
    try {
      if (plan.free) {
        await portalApi.post('/plan', { planId: plan.id });
        notifySuccess(`You are on the ${plan.name} plan now.`, 'Plan changed');
        reload();
      } else {
        const { url } = await portalApi.post<{ url: string }>('/checkout', { planId: plan.id });
        window.location.assign(url);
      }
    } catch (error) {
      if (!plan.free && error instanceof ApiError && error.isNotFound) {
        notifyError(
          new Error(
            'Online payment is not set up for this installation. Contact the API provider to upgrade.',
          ),
          'Checkout unavailable',
        );
      } else {
        notifyError(error, 'Could not change the plan');
      }
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <Page
      title="Plans"
      description="Free plans switch at once; paid plans go through a secure checkout. Your period and usage carry over."
    >
      <ResourceView
        resource={plans}
        loadingLabel="Loading the plans…"
        isEmpty={(list) => list.length === 0}
        empty={
          <EmptyState title="No public plans" description="The API provider has not published plans yet." />
        }
      >
        {(list) => (
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {list.map((plan) => {
              const current = profile.plan?.id === plan.id;
              return (
                <PlanCard
                  key={plan.id}
                  plan={plan}
                  current={current}
                  action={
                    current ? null : (
                      <Button
                        fullWidth
                        variant={plan.free ? 'default' : 'filled'}
                        loading={busy === plan.id}
                        onClick={() => void choose(plan)}
                      >
                        {plan.free ? `Switch to ${plan.name}` : `Upgrade to ${plan.name}`}
                      </Button>
                    )
                  }
                />
              );
            })}
          </SimpleGrid>
        )}
      </ResourceView>
    </Page>
  );
}
