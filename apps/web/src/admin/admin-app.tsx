import { Badge, Button, Text } from '@mantine/core';
import { Navigate, Route, Routes } from 'react-router';
import { EmptyState, LayoutShell, LoadingState, type NavItem } from '../shared';
import { AnalyticsPage } from './analytics/analytics-page';
import { ApisPage } from './apis/apis-page';
import { ConsumerDetailPage } from './consumers/consumer-detail-page';
import { ConsumersPage } from './consumers/consumers-page';
import { ConsumerGroupsPage } from './groups/consumer-groups-page';
import { FailedJobsPage } from './jobs/failed-jobs-page';
import { AdminLoginPage } from './login-page';
import { OutboxPage } from './outbox/outbox-page';
import { PlanDetailPage } from './plans/plan-detail-page';
import { PlanNewPage } from './plans/plan-new-page';
import { PlansPage } from './plans/plans-page';
import { ApiCapabilitiesProvider } from './shared/api-capabilities';
import { AdminSessionProvider, useAdminSession } from './shared/admin-session';

const nav: NavItem[] = [
  { to: '/admin/analytics', label: 'Analytics' },
  { to: '/admin/plans', label: 'Plans' },
  { to: '/admin/consumers', label: 'Consumers' },
  { to: '/admin/groups', label: 'Consumer groups' },
  { to: '/admin/apis', label: 'APIs and routes' },
  { to: '/admin/jobs', label: 'Failed jobs' },
  { to: '/admin/outbox', label: 'Outbox' },
];

function SignedInAdmin() {
  const { session, signOut } = useAdminSession();
  // Restoring the session from its cookie (GET /api/admin/session) after a load or reload.
  if (session === undefined) return <LoadingState label="Restoring your session…" />;
  if (!session) return <AdminLoginPage />;
  return (
    <LayoutShell
      area="Admin"
      home="/admin"
      nav={nav}
      headerRight={
        <>
          <Text size="sm" visibleFrom="sm">
            {session.label}
          </Text>
          <Badge variant="light">{session.role}</Badge>
          <Button size="xs" variant="default" onClick={() => void signOut()}>
            Sign out
          </Button>
        </>
      }
    >
      <Routes>
        <Route index element={<Navigate to="/admin/analytics" replace />} />
        <Route path="analytics" element={<AnalyticsPage />} />
        <Route path="plans" element={<PlansPage />} />
        <Route path="plans/new" element={<PlanNewPage />} />
        <Route path="plans/:planId" element={<PlanDetailPage />} />
        <Route path="consumers" element={<ConsumersPage />} />
        <Route path="consumers/:consumerId" element={<ConsumerDetailPage />} />
        <Route path="groups" element={<ConsumerGroupsPage />} />
        <Route path="apis" element={<ApisPage />} />
        <Route path="jobs" element={<FailedJobsPage />} />
        <Route path="outbox" element={<OutboxPage />} />
        <Route
          path="*"
          element={<EmptyState title="Page not found" description="There is nothing at this address." />}
        />
      </Routes>
    </LayoutShell>
  );
}

/** The admin UI at `/admin/*`: sign-in, then plans, consumers, analytics and the rest. */
export function AdminApp() {
  return (
    <AdminSessionProvider>
      <ApiCapabilitiesProvider>
        <SignedInAdmin />
      </ApiCapabilitiesProvider>
    </AdminSessionProvider>
  );
}
