import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { LandingPage } from './landing/landing-page';
import { NotFoundPage } from './not-found-page';
import { LoadingState } from './shared/states';

// Each area loads on its own: a developer never downloads the admin console, nor an admin the portal.
const PortalApp = lazy(() => import('./portal/portal-app').then((module) => ({ default: module.PortalApp })));
const AdminApp = lazy(() => import('./admin/admin-app').then((module) => ({ default: module.AdminApp })));

/** `/` landing and pricing, `/portal/*` the developer portal, `/admin/*` the admin UI. */
export function AppRoutes() {
  return (
    <Suspense fallback={<LoadingState />}>
      <Routes>
        <Route path="/" element={<LandingPage />} />
        <Route path="/portal/*" element={<PortalApp />} />
        <Route path="/admin/*" element={<AdminApp />} />
        <Route path="*" element={<NotFoundPage />} />
      </Routes>
    </Suspense>
  );
}
