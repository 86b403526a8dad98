import { Route, Routes } from 'react-router';
import { AdminApp } from './admin/admin-app';
import { LandingPage } from './landing/landing-page';
import { NotFoundPage } from './not-found-page';
import { PortalApp } from './portal/portal-app';

/** `/` landing and pricing, `/portal/*` the developer portal, `/admin/*` the admin UI. */
export function AppRoutes() {
  return (
    <Routes>
      <Route path="/" element={<LandingPage />} />
      <Route path="/portal/*" element={<PortalApp />} />
      <Route path="/admin/*" element={<AdminApp />} />
      <Route path="*" element={<NotFoundPage />} />
    </Routes>
  );
}
