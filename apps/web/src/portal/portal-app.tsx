import { Button, Group, Text } from '@mantine/core';
import { type ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useLocation, useNavigate, useSearchParams } from 'react-router';
import { ErrorState, LayoutShell, LoadingState, type NavItem } from '../shared';
import { AlertSettingsPage } from './alerts/alert-settings-page';
import { LoginPage } from './auth/login-page';
import { PasswordResetPage } from './auth/password-reset-page';
import { SignupPage } from './auth/signup-page';
import { VerifyPage } from './auth/verify-page';
import { BillingPage } from './billing/billing-page';
import { KeysPage } from './keys/keys-page';
import { PortalSessionProvider, usePortalSession } from './portal-session';
import { PlansPage } from './plans/plans-page';
import { UsagePage } from './usage/usage-page';

const nav: NavItem[] = [
  { to: '/portal', label: 'Usage', exact: true },
  { to: '/portal/keys', label: 'API keys' },
  { to: '/portal/plans', label: 'Plans' },
  { to: '/portal/alerts', label: 'Alerts & webhooks' },
  { to: '/portal/billing', label: 'Billing' },
];

/** The developer portal at `/portal/*`. */
export function PortalApp() {
  return (
    <PortalSessionProvider>
      <PortalShell />
    </PortalSessionProvider>
  );
}

function PortalShell() {
  const { profile, error, reload, signOut } = usePortalSession();
  const navigate = useNavigate();
  const signedIn = Boolean(profile);
  const headerRight = profile ? (
    <>
      <Text size="sm" visibleFrom="sm" c="dimmed">
        {profile.developer.email}
      </Text>
      <Button
        variant="default"
        size="xs"
        onClick={() => {
          void signOut().then(() => navigate('/portal/login'));
        }}
      >
        Sign out
      </Button>
    </>
  ) : (
    <Group gap="xs">
      <Button component={Link} to="/portal/login" variant="subtle" size="xs">
        Sign in
      </Button>
      <Button component={Link} to="/portal/signup" size="xs">
        Sign up
      </Button>
    </Group>
  );

  let content: ReactNode;
  if (error !== undefined)
    content = <ErrorState error={error} title="The portal is unavailable" onRetry={reload} />;
  else if (profile === undefined) content = <LoadingState />;
  else
    content = (
      <Routes>
        <Route path="login" element={signedIn ? <ToNextPage /> : <LoginPage />} />
        <Route path="signup" element={signedIn ? <Navigate to="/portal" replace /> : <SignupPage />} />
        <Route path="verify" element={<VerifyPage />} />
        <Route path="password-reset" element={<PasswordResetPage />} />
        <Route
          index
          element={
            <RequireSession>
              <UsagePage />
            </RequireSession>
          }
        />
        <Route
          path="keys"
          element={
            <RequireSession>
              <KeysPage />
            </RequireSession>
          }
        />
        <Route
          path="plans"
          element={
            <RequireSession>
              <PlansPage />
            </RequireSession>
          }
        />
        <Route
          path="alerts"
          element={
            <RequireSession>
              <AlertSettingsPage />
            </RequireSession>
          }
        />
        <Route
          path="billing"
          element={
            <RequireSession>
              <BillingPage />
            </RequireSession>
          }
        />
        <Route path="*" element={<Navigate to="/portal" replace />} />
      </Routes>
    );

  return (
    <LayoutShell area="Developer portal" home="/portal" nav={signedIn ? nav : []} headerRight={headerRight}>
      {content}
    </LayoutShell>
  );
}

function RequireSession({ children }: { children: ReactNode }) {
  const { profile } = usePortalSession();
  const location = useLocation();
  if (!profile) {
    const next = encodeURIComponent(`${location.pathname}${location.search}`);
    return <Navigate to={`/portal/login?next=${next}`} replace />;
  }
  return <>{children}</>;
}

/** After signing in: the page that sent the developer to sign in, or the dashboard. */
function ToNextPage() {
  const [params] = useSearchParams();
  const next = params.get('next');
  // Only paths inside the portal: `next` comes from the address bar.
  const target = next && next.startsWith('/portal') ? next : '/portal';
  return <Navigate to={target} replace />;
}
